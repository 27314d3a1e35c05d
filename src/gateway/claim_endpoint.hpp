#pragma once
// POST /v1/claims, whatever serves the HTTP: parse and validate the body once (claim_json.hpp, ClaimBody) → the
// edge authorizes it for a player (edge.hpp) → route the ValidClaimRequest (Router) → answer (http_status.hpp,
// claim_json.hpp's to_json).  A body refused before routing is measured here with path "none"; the Router
// measures the rest.  In halves, so that the gateway parses on its I/O thread and routes on a worker pool
// (gateway.cpp).
#include <string_view>
#include <variant>

#include "gateway/answer.hpp"
#include "gateway/claim_json.hpp"
#include "lib/claim.hpp"
#include "lib/claim_metrics.hpp"
#include "lib/router.hpp"

namespace treasure {

// body: the request body; idempotency_key: the Idempotency-Key header ("" when absent).  A refusal (400) is an
// Answer, already measured.
std::variant<ClaimBody, Answer> parse_claim(ClaimMetrics &metrics, std::string_view body,
                                            std::string_view idempotency_key);
// Routes a valid claim; never throws ClaimError: every outcome is an Answer (a replay adds Idempotency-Replay: true).
Answer answer_claim(Router &router, const ValidClaimRequest &request);
// A claim's outcome as its Answer: the status code, the row, Idempotency-Replay and a rate limit's Retry-After.
Answer claim_answer(const ClaimResult &result);

}  // namespace treasure
