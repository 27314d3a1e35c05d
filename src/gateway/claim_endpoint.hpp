#pragma once
// POST /v1/claims, whatever serves the HTTP: parse and validate the request (claim_json.hpp, ValidClaimRequest)
// → route it (Router) → answer (http_status.hpp, claim_json.hpp's to_json).  A request refused before routing is
// measured here with path "none"; the Router measures the rest.
#include <string_view>

#include "gateway/answer.hpp"
#include "lib/claim_metrics.hpp"
#include "lib/router.hpp"

namespace treasure {

// body: the request body; idempotency_key: the Idempotency-Key header ("" when absent).  Never throws ClaimError:
// every outcome is an Answer (a replay adds Idempotency-Replay: true).
Answer post_claim(Router &router, ClaimMetrics &metrics, std::string_view body, std::string_view idempotency_key);

}  // namespace treasure
