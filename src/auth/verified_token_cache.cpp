#include "auth/verified_token_cache.hpp"

#include <cstring>

namespace treasure {

VerifiedTokenCache::VerifiedTokenCache(std::size_t capacity)
    : capacity_per_shard_(capacity == 0 ? 0 : (capacity + shard_count - 1) / shard_count)
{}

std::size_t VerifiedTokenCache::DigestHash::operator()(const Sha256Digest &digest) const
{
    std::size_t value = 0;
    std::memcpy(&value, digest.data() + 8, sizeof(value));
    return value;
}

VerifiedTokenCache::Shard &VerifiedTokenCache::shard_of(const Sha256Digest &digest)
{
    return shards_[digest[0] % shard_count];
}

void VerifiedTokenCache::Shard::enter_generation(std::uint64_t newer)
{
    if (newer == generation)
        return;
    entries.clear();
    order.clear();
    generation = newer;
}

std::optional<VerifiedClaims> VerifiedTokenCache::find(const Sha256Digest &token_digest, std::uint64_t generation)
{
    Shard &shard = shard_of(token_digest);
    std::lock_guard<std::mutex> lock(shard.mutex);
    if (shard.generation != generation)
        return std::nullopt;
    const auto found = shard.entries.find(token_digest);
    if (found == shard.entries.end())
        return std::nullopt;
    return found->second;
}

void VerifiedTokenCache::insert(const Sha256Digest &token_digest, std::uint64_t generation,
                                const VerifiedClaims &claims)
{
    if (capacity_per_shard_ == 0)
        return;
    Shard &shard = shard_of(token_digest);
    std::lock_guard<std::mutex> lock(shard.mutex);
    // A verification that started before a reload must not come back into the new generation.
    if (generation < shard.generation)
        return;
    shard.enter_generation(generation);
    if (shard.entries.count(token_digest) != 0)
        return;
    while (shard.entries.size() >= capacity_per_shard_) {
        shard.entries.erase(shard.order.front());
        shard.order.pop_front();
    }
    shard.entries.emplace(token_digest, claims);
    shard.order.push_back(token_digest);
}

std::size_t VerifiedTokenCache::size() const
{
    std::size_t total = 0;
    for (const Shard &shard : shards_) {
        std::lock_guard<std::mutex> lock(shard.mutex);
        total += shard.entries.size();
    }
    return total;
}

}  // namespace treasure
