#pragma once
// One way of confirming a tap.  The atomic path (treasure::Client, claim_treasure() in one transaction) and
// the legacy saga path (treasure::SagaPath in src/saga, treasure.saga_claim() and its workers) both implement
// it, so the Router can choose per request; the CLI's HttpClaimPath goes through treasure-gateway.
#include "lib/claim.hpp"

namespace treasure {

class ClaimPath {
public:
    virtual ~ClaimPath() = default;
    // Returns the outcome, or throws ClaimError.  The request was validated when it became a ValidClaimRequest;
    // a path does not check it again.  The Router's paths must be safe to call from many threads at once.
    virtual ClaimResult claim(const ValidClaimRequest &request) = 0;
    virtual PathKind kind() const = 0;
};

}  // namespace treasure
