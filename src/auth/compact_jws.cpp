#include "auth/compact_jws.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include "auth/jose.hpp"

namespace treasure {

namespace {

// The bytes a part stands for, or nullopt when it is not canonical base64url.
std::optional<std::string> decode_canonical(std::string_view part)
{
    const std::size_t length = jose_b64_dec_buf(part.data(), part.size(), nullptr, 0);
    if (length == SIZE_MAX)
        return std::nullopt;
    std::string bytes(length, '\0');
    if (length > 0 && jose_b64_dec_buf(part.data(), part.size(), bytes.data(), bytes.size()) != length)
        return std::nullopt;
    std::string again(jose_b64_enc_buf(bytes.data(), bytes.size(), nullptr, 0), '\0');
    if (!again.empty() && jose_b64_enc_buf(bytes.data(), bytes.size(), again.data(), again.size()) != again.size())
        return std::nullopt;
    if (again != part)
        return std::nullopt;
    return bytes;
}

JsonPtr load_object(const std::string &text)
{
    json_error_t error;
    JsonPtr value(json_loadb(text.data(), text.size(), JSON_REJECT_DUPLICATES, &error));
    if (!value || !json_is_object(value.get()))
        return nullptr;
    return value;
}

}  // namespace

std::optional<CompactJws> parse_compact_jws(std::string_view token)
{
    const auto first = token.find('.');
    if (first == std::string_view::npos)
        return std::nullopt;
    const auto second = token.find('.', first + 1);
    if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos)
        return std::nullopt;
    const std::string_view header_part = token.substr(0, first);
    const std::string_view claims_part = token.substr(first + 1, second - first - 1);
    const std::string_view signature_part = token.substr(second + 1);

    const auto header_text = decode_canonical(header_part);
    const auto claims_text = decode_canonical(claims_part);
    if (!header_text || !claims_text || !decode_canonical(signature_part))
        return std::nullopt;
    CompactJws jws;
    jws.header = load_object(*header_text);
    jws.claims = load_object(*claims_text);
    if (!jws.header || !jws.claims)
        return std::nullopt;
    jws.flattened.reset(json_pack("{s:s%, s:s%, s:s%}", "protected", header_part.data(), header_part.size(), "payload",
                                  claims_part.data(), claims_part.size(), "signature", signature_part.data(),
                                  signature_part.size()));
    if (!jws.flattened)
        return std::nullopt;
    return jws;
}

}  // namespace treasure
