#include "auth/player_tokens.hpp"

#include <stdexcept>

namespace treasure {

PlayerTokens::PlayerTokens(const JwtSigner &signer, PlayerTokenOptions options, const UnixClock &clock)
    : signer_(signer), options_(std::move(options)), clock_(clock)
{
    if (options_.ttl_seconds < 1)
        throw std::invalid_argument("--jwt-ttl must be >= 1 second");
}

std::string PlayerTokens::token_for(std::int64_t player_id)
{
    Shard &shard = shards_[static_cast<std::uint64_t>(player_id) % shards_.size()];
    const std::int64_t now = clock_.now_seconds();
    {
        std::lock_guard<std::mutex> lock(shard.mutex);
        auto found = shard.tokens.find(player_id);
        if (found != shard.tokens.end() && now < found->second.renew_at)
            return found->second.token;
    }
    // Signed outside the lock: another player of this shard does not wait for it.  Two threads may both mint
    // for one player; either token is valid and the later one is kept.
    PlayerTokenClaims claims;
    claims.player_id = player_id;
    claims.issued_at = now;
    claims.ttl_seconds = options_.ttl_seconds;
    claims.issuer = options_.issuer;
    claims.audience = options_.audience;
    Entry entry{signer_.mint(claims), now + options_.ttl_seconds - options_.ttl_seconds / 4};
    std::lock_guard<std::mutex> lock(shard.mutex);
    ++shard.minted;
    return (shard.tokens[player_id] = std::move(entry)).token;
}

std::int64_t PlayerTokens::minted() const
{
    std::int64_t total = 0;
    for (const Shard &shard : shards_) {
        std::lock_guard<std::mutex> lock(shard.mutex);
        total += shard.minted;
    }
    return total;
}

}  // namespace treasure
