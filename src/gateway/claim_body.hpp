#pragma once
// The player_id of a POST /v1/claims body, read before the claim is parsed in full (claim_json.hpp), so that the
// edge can judge who the claim is for (edge.hpp, authorize_claim) and a player's token can omit it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace treasure {

struct ClaimBodyPlayer {
    // false: not a JSON object, or a player_id that is not a 64-bit integer.  Leave such a body to post_claim(),
    // which answers its 400 (step 4) and counts it as before.
    bool readable = false;
    std::optional<std::int64_t> player_id;  // absent or null: nullopt
};

ClaimBodyPlayer claim_body_player(std::string_view body);

// The body with "player_id" set to player_id (added when absent), for post_claim(); a body that is not a JSON
// object comes back unchanged.
std::string claim_body_for(std::string_view body, std::int64_t player_id);

}  // namespace treasure
