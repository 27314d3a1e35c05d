#pragma once
// Verified JWTs remembered by the SHA-256 of the token, so a player's next tap costs a hash and a look-up, not a
// signature check.  Bounded: at most `capacity` entries, the oldest evicted first (an expired entry is only ever
// answered "expired", and leaves in its turn).  Every entry carries the generation of the key files it was
// verified under; a shard that sees a newer generation empties itself, so a key removed from the JWKS stops
// working at the reload, not at its tokens' exp.  Sharded so concurrent taps rarely share a lock.
#include <array>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "auth/jwt_claims.hpp"
#include "auth/sha256.hpp"

namespace treasure {

class VerifiedTokenCache {
public:
    explicit VerifiedTokenCache(std::size_t capacity);

    std::optional<VerifiedClaims> find(const Sha256Digest &token_digest, std::uint64_t generation);
    void insert(const Sha256Digest &token_digest, std::uint64_t generation, const VerifiedClaims &claims);
    std::size_t size() const;

private:
    static constexpr std::size_t shard_count = 16;
    struct DigestHash {
        std::size_t operator()(const Sha256Digest &digest) const;
    };
    struct Shard {
        mutable std::mutex mutex;
        std::uint64_t generation = 0;
        std::unordered_map<Sha256Digest, VerifiedClaims, DigestHash> entries;
        std::deque<Sha256Digest> order;  // oldest first; the same digests as entries, one each
        void enter_generation(std::uint64_t generation);
    };
    Shard &shard_of(const Sha256Digest &digest);

    const std::size_t capacity_per_shard_;
    std::array<Shard, shard_count> shards_;
};

}  // namespace treasure
