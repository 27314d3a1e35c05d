#pragma once
// POST /v1/claims, whatever serves the HTTP: parse and validate the request (claim_json.hpp, ValidClaimRequest)
// → route it (Router) → answer (http_status.hpp, claim_json.hpp's to_json).  A request refused before routing is
// measured here with path "none"; the Router measures the rest.  In two halves, so that the gateway parses on
// its I/O thread and routes on a worker pool (gateway.cpp).
#include <string_view>
#include <variant>

#include "gateway/answer.hpp"
#include "lib/claim.hpp"
#include "lib/claim_metrics.hpp"
#include "lib/router.hpp"

namespace treasure {

// body: the request body; idempotency_key: the Idempotency-Key header ("" when absent).  A refusal (400) is an
// Answer, already measured.
std::variant<ValidClaimRequest, Answer> parse_claim(ClaimMetrics &metrics, std::string_view body,
                                                    std::string_view idempotency_key);
// Routes a valid claim; never throws ClaimError: every outcome is an Answer (a replay adds Idempotency-Replay: true).
Answer answer_claim(Router &router, const ValidClaimRequest &request);

}  // namespace treasure
