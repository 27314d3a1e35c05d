#include "gateway/request_target.hpp"

namespace treasure {

namespace {

int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// %XX decoded (a malformed escape is kept as it is); '+' is a space in the query only.
std::string decode(std::string_view text, bool plus_is_space)
{
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '%' && i + 2 < text.size()) {
            const int high = hex_digit(text[i + 1]);
            const int low = hex_digit(text[i + 2]);
            if (high >= 0 && low >= 0) {
                out.push_back(static_cast<char>(high * 16 + low));
                i += 2;
                continue;
            }
        }
        out.push_back(plus_is_space && c == '+' ? ' ' : c);
    }
    return out;
}

}  // namespace

std::optional<std::string> RequestTarget::parameter(std::string_view name) const
{
    const auto found = parameters.find(name);
    if (found == parameters.end())
        return std::nullopt;
    return found->second;
}

RequestTarget parse_request_target(std::string_view target)
{
    RequestTarget parsed;
    const std::size_t question = target.find('?');
    parsed.path = decode(target.substr(0, question), false);
    if (question == std::string_view::npos)
        return parsed;
    std::string_view query = target.substr(question + 1);
    while (!query.empty()) {
        const std::size_t amp = query.find('&');
        const std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
        if (pair.empty())
            continue;
        const std::size_t equals = pair.find('=');
        if (equals == std::string_view::npos)
            parsed.parameters.emplace(decode(pair, true), "");
        else
            parsed.parameters.emplace(decode(pair.substr(0, equals), true), decode(pair.substr(equals + 1), true));
    }
    return parsed;
}

}  // namespace treasure
