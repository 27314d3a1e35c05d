#include "lib/uuid.hpp"

#include <cctype>
#include <cstdint>
#include <random>

namespace treasure {

std::optional<std::string> normalize_uuid(std::string_view text)
{
    if (text.size() != 36)
        return std::nullopt;
    std::string out(text);
    for (std::size_t i = 0; i < out.size(); ++i) {
        const bool dash_position = i == 8 || i == 13 || i == 18 || i == 23;
        const unsigned char c = static_cast<unsigned char>(out[i]);
        if (dash_position) {
            if (c != '-')
                return std::nullopt;
        } else {
            if (!std::isxdigit(c))
                return std::nullopt;
            out[i] = static_cast<char>(std::tolower(c));
        }
    }
    return out;
}

std::string random_uuid_v4()
{
    thread_local std::mt19937_64 generator{std::random_device{}()};
    std::uint64_t high = generator();
    std::uint64_t low = generator();
    high = (high & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
    low = (low & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;    // RFC 4122 variant
    static const char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(36);
    auto put = [&](std::uint64_t word, int from_nibble, int count) {
        for (int n = from_nibble; n < from_nibble + count; ++n)
            out += digits[(word >> (60 - 4 * n)) & 0xf];
    };
    put(high, 0, 8);
    out += '-';
    put(high, 8, 4);
    out += '-';
    put(high, 12, 4);
    out += '-';
    put(low, 0, 4);
    out += '-';
    put(low, 4, 12);
    return out;
}

}  // namespace treasure
