#pragma once
// The JSON of POST /v1/claims: {"player_id": 1, "chest_id": 2, "request_id": "<uuid>", "session_id": 3}.
// request_id may come in the Idempotency-Key header instead; when both are given they must agree.
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

#include "lib/claim.hpp"
#include "lib/claim_error.hpp"

namespace treasure {

// Checks the document's shape (fields, types, the request_id's two sources); the values are checked when the
// request becomes a ValidClaimRequest.  Throws ClaimError(bad_request) naming what is wrong.
ClaimRequest parse_claim_request(std::string_view body, std::string_view idempotency_key);

nlohmann::ordered_json to_json(const ClaimResult &result);

}  // namespace treasure
