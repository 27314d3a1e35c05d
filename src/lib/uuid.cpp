#include "lib/uuid.hpp"

#include <cctype>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>
#include <stdexcept>

#include <openssl/rand.h>

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

namespace {

// The 8-4-4-4-12 text of the 128 bits high:low.
std::string formatted_uuid(std::uint64_t high, std::uint64_t low)
{
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

constexpr std::uint64_t variant_10 = 0x8000000000000000ULL;
constexpr std::uint64_t below_variant = 0x3fffffffffffffffULL;

}  // namespace

std::string random_uuid_v4()
{
    thread_local std::mt19937_64 generator{std::random_device{}()};
    std::uint64_t high = generator();
    std::uint64_t low = generator();
    high = (high & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
    low = (low & below_variant) | variant_10;
    return formatted_uuid(high, low);
}

std::string uuid_v7(std::uint64_t unix_ms, std::uint16_t rand_a, std::uint64_t rand_b)
{
    const std::uint64_t high = (unix_ms & 0xffffffffffffULL) << 16 | 0x7000 | (rand_a & 0xfff);
    return formatted_uuid(high, (rand_b & below_variant) | variant_10);
}

std::string random_uuid_v7()
{
    std::uint64_t random[2];
    if (RAND_bytes(reinterpret_cast<unsigned char *>(random), sizeof random) != 1)
        throw std::runtime_error("random_uuid_v7: OpenSSL's RAND_bytes failed");
    const auto now = static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
    std::uint64_t unix_ms;
    std::uint16_t counter;
    {
        static std::mutex mutex;
        static std::uint64_t last_ms = 0;
        static std::uint16_t last_counter = 0;
        const std::lock_guard<std::mutex> lock(mutex);
        // A clock that steps back keeps the last millisecond, so the ids still increase.
        if (now > last_ms) {
            last_ms = now;
            last_counter = random[0] & 0x7ff;
        } else if (last_counter < 0xfff) {
            ++last_counter;
        } else {  // 2048+ ids in one millisecond: borrow the next one (RFC 9562 allows it)
            ++last_ms;
            last_counter = random[0] & 0x7ff;
        }
        unix_ms = last_ms;
        counter = last_counter;
    }
    return uuid_v7(unix_ms, counter, random[1]);
}

}  // namespace treasure
