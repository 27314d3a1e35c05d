#pragma once
// The JSON of POST /v1/claims: {"player_id": 1, "chest_id": 2, "request_id": "<uuid>", "session_id": 3}.
// request_id may come in the Idempotency-Key header instead; when both are given they must agree.  player_id may
// be omitted: a player's token names the player (edge.hpp, authorize_claim).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "lib/claim.hpp"
#include "lib/claim_error.hpp"

namespace treasure {

// A claim's body once its syntax passed (step 4 of the edge's judgement), before anyone judged who it is for.
struct ClaimBody {
    std::optional<std::int64_t> player_id;  // absent or null: nullopt
    ClaimRequest request;                   // player_id 0 until for_player() sets it
};

// The body parsed once: its shape (fields, types, the request_id's two sources) and its values (ids > 0, the
// UUID).  Throws ClaimError(bad_request) naming what is wrong.
ClaimBody parse_claim_request(std::string_view body, std::string_view idempotency_key);

// The request for the player the edge authorized (the body's, or the token's when the body names none).
ValidClaimRequest for_player(ClaimBody body, std::int64_t player_id);

// The claim's answer: the claim_treasure() columns, "awards" (always, [] when none), "loot_coins" and
// "retry_after_ms" when the database gave them, and "path".  A rate_limited answer leads with
// {"error": "rate_limited", "retry_after_ms": N, "decided_by": "database"}, the shape of the edge's own 429; an
// unknown status with {"error": "unknown_status", "status": "<its name>"}.
nlohmann::ordered_json to_json(const ClaimResult &result);

// Retry-After for a rate_limited claim: whole seconds, rounded up, at least 1.
long long retry_after_seconds(const ClaimResult &result);

}  // namespace treasure
