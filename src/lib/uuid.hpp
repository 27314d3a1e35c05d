#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace treasure {

// The canonical lowercase 8-4-4-4-12 form of a UUID, or nothing when text is not one.
std::optional<std::string> normalize_uuid(std::string_view text);

// A random (version 4) UUID from a per-thread generator.
std::string random_uuid_v4();

// A time-ordered (version 7, RFC 9562) UUID: the Unix time in milliseconds, then OpenSSL's RAND_bytes.  The ids of
// one process increase, also within a millisecond: rand_a is a counter started at a random value below 2048 each
// millisecond (RFC 9562 section 6.2, method 1), rand_b is random every time.  Throws std::runtime_error when the
// random generator fails.
std::string random_uuid_v7();

// The version 7 layout alone: unix_ms (48 bits), version 7, rand_a (12 bits), variant 10, rand_b (62 bits); the
// bits above those widths are dropped.
std::string uuid_v7(std::uint64_t unix_ms, std::uint16_t rand_a, std::uint64_t rand_b);

}  // namespace treasure
