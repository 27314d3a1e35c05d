#pragma once
// SHA-256 through OpenSSL's EVP interface: the API keys file stores only digests, the token cache is keyed by
// one, and the rate limiter's keys for names and addresses are taken from one.
#include <array>
#include <cstdint>
#include <string_view>

namespace treasure {

using Sha256Digest = std::array<unsigned char, 32>;

Sha256Digest sha256(std::string_view bytes);

// The first 8 bytes of the digest, e.g. a rate-limiter key for an address no one can aim at another's bucket.
std::uint64_t sha256_prefix64(std::string_view bytes);

// Constant-time comparison (CRYPTO_memcmp).
bool digests_equal(const Sha256Digest &a, const Sha256Digest &b);

}  // namespace treasure
