#pragma once
// Chooses, per request, the path that confirms a tap:
//   1. the flag atomic_claims (true = atomic) for the player and session;
//   2. if atomic, the circuit breaker must let the call through, else the request goes to the fallback;
//   3. the atomic path's outcome goes back to the breaker (only 5xx-class errors count as failures).
// A request is never sent to both paths: when the atomic path fails, the claim may still have committed
// (its retries ran out), and a saga run with the same tap could pay it a second time.  The client retries
// the request (same request_id), and the breaker moves later requests to the fallback.
// The fallback is the saga path (SagaPath, src/saga) when the gateway runs with one (--saga); without it,
// requests meant for it fail with ClaimError(no_path), which the gateway answers with 503.
#include <atomic>

#include "lib/circuit_breaker.hpp"
#include "lib/claim_metrics.hpp"
#include "lib/claim_path.hpp"
#include "lib/feature_flags.hpp"

namespace treasure {

class Router {
public:
    // fallback and metrics may be null.  All referenced objects must outlive the router.
    Router(ClaimPath &atomic, ClaimPath *fallback, FeatureFlagProvider &flags, CircuitBreaker &breaker,
           ClaimMetrics *metrics);

    // Routes and measures one claim (validated before it got here); throws ClaimError.
    ClaimResult claim(const ValidClaimRequest &request);

    void set_fallback(ClaimPath *fallback) { fallback_.store(fallback); }

private:
    ClaimResult claim_atomic(const ValidClaimRequest &request, const CircuitBreaker::Ticket &ticket);

    ClaimPath &atomic_;
    std::atomic<ClaimPath *> fallback_;
    FeatureFlagProvider &flags_;
    CircuitBreaker &breaker_;
    ClaimMetrics *metrics_;
};

}  // namespace treasure
