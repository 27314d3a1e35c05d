#include "auth/sha256.hpp"

#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>

namespace treasure {

Sha256Digest sha256(std::string_view bytes)
{
    Sha256Digest digest{};
    unsigned int length = 0;
    if (EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1 ||
        length != digest.size())
        throw std::runtime_error("SHA-256 failed");
    return digest;
}

std::uint64_t sha256_prefix64(std::string_view bytes)
{
    const auto digest = sha256(bytes);
    std::uint64_t value = 0;
    for (int i = 0; i < 8; ++i)
        value = (value << 8) | digest[static_cast<std::size_t>(i)];
    return value;
}

bool digests_equal(const Sha256Digest &a, const Sha256Digest &b)
{
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace treasure
