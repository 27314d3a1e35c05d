#pragma once
// A player's wallet balance and analytics counters, as the analytics reads return them.
#include <cstdint>
#include <optional>
#include <string>

namespace treasure {

struct PlayerSummary {
    std::int64_t player_id = 0;
    std::int64_t balance = 0;
    std::int64_t claims = 0;
    std::int64_t coins_awarded = 0;
    std::optional<std::string> last_claim_at;  // RFC 3339 in UTC
};

}  // namespace treasure
