#pragma once
// One way of confirming a tap.  The atomic path (treasure::Client, claim_treasure() in one transaction) and
// the legacy saga path (a later issue) both implement it, so the Router can choose per request.
#include "lib/claim.hpp"

namespace treasure {

class ClaimPath {
public:
    virtual ~ClaimPath() = default;
    // Returns the outcome, or throws ClaimError.  Must be safe to call from many threads at once.
    virtual ClaimResult claim(const ClaimRequest& request) = 0;
    virtual PathKind kind() const = 0;
};

}  // namespace treasure
