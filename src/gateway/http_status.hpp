#pragma once
// The HTTP answer to each outcome of POST /v1/claims.
//   200 claimed (fresh or replayed)   409 already_claimed         422 key_required, chest_closed
//   410 sold_out                      429 rate_limited            422 wallet_full, inventory_full
//   422 unknown (a status from a newer extension: never 5xx, never a breaker failure)
//   400 bad_request                   404 unknown_chest           422 request_id_conflict (an Idempotency-Key
//   503 unavailable, no_path          500 internal                    reused for another player or chest)
#include "lib/claim.hpp"
#include "lib/claim_error.hpp"

namespace treasure {

int http_status(ClaimStatus status);
int http_status(ClaimErrorKind kind);

}  // namespace treasure
