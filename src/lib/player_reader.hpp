#pragma once
// Read-only look-ups of a player's wallet and analytics counters, meant for a read replica so that they
// take no capacity from the primary that confirms claims (SEED: the us-west-2 replica).
#include <cstdint>
#include <optional>
#include <string>

#include "lib/connection_pool.hpp"

namespace treasure {

struct PlayerSummary {
    std::int64_t player_id = 0;
    std::int64_t balance = 0;
    std::int64_t claims = 0;
    std::int64_t coins_awarded = 0;
    std::optional<std::string> last_claim_at;  // RFC 3339 in UTC
};

class PlayerReader {
public:
    // The role needs SELECT on treasure.wallets and treasure.player_stats.  Throws std::runtime_error.
    PlayerReader(const std::string& dsn, std::size_t pool_size);
    // Nothing when the player has no wallet; throws ClaimError(unavailable/internal) on database failure.
    std::optional<PlayerSummary> find(std::int64_t player_id);

private:
    ConnectionPool pool_;
};

}  // namespace treasure
