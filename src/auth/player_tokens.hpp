#pragma once
// One JWT per simulated player for a load run: minted the first time the player taps, kept for the run, and
// minted again once less than a quarter of its lifetime is left, so a run longer than --jwt-ttl never sends an
// expired token.  A tap whose player has a fresh token costs a lookup under one of 64 locks, not a signature:
// the tools call prepare() before a tap's clock starts, so even the first mint stays out of the latency they
// measure.  Thread-safe.  Memory: one token per player seen (about 300 bytes for ES256, 500 for RS256).
#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "auth/jwt_signer.hpp"
#include "auth/unix_clock.hpp"

namespace treasure {

struct PlayerTokenOptions {
    std::string issuer;    // iss, omitted when empty
    std::string audience;  // aud, omitted when empty
    std::int64_t ttl_seconds = 3600;
};

class PlayerTokens {
public:
    PlayerTokens(const JwtSigner &signer, PlayerTokenOptions options,
                 const UnixClock &clock = SystemUnixClock::instance());

    // The player's current token, minted now when there is none or it is due for renewal.
    std::string token_for(std::int64_t player_id);
    // Mints now what token_for would have to mint.
    void prepare(std::int64_t player_id) { (void) token_for(player_id); }
    std::int64_t minted() const;  // tokens signed so far (renewals included)

private:
    struct Entry {
        std::string token;
        std::int64_t renew_at = 0;  // unix seconds
    };
    struct Shard {
        mutable std::mutex mutex;
        std::unordered_map<std::int64_t, Entry> tokens;
        std::int64_t minted = 0;
    };

    const JwtSigner &signer_;
    const PlayerTokenOptions options_;
    const UnixClock &clock_;
    std::array<Shard, 64> shards_;
};

}  // namespace treasure
