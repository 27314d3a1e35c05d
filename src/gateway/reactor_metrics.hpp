#pragma once
// What the claim reactor (claim_reactor.hpp) did with the taps it was given, in /metrics with --claim-io reactor:
//   treasure_claim_reactor_taps_total{outcome}   answered (a clean answer on the I/O thread), to_workers (handed
//                                                to the worker path: an error, a lost connection, a timeout, no
//                                                connection yet) or shed (503, no free slot)
// Each tap is also in treasure_claims_total once, wherever it was answered.
#include <array>

#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include "gateway/claim_reactor.hpp"

namespace treasure {

class ReactorMetrics {
public:
    explicit ReactorMetrics(prometheus::Registry &registry);
    void count(ReactorVerdict verdict) { taps_[static_cast<std::size_t>(verdict)]->Increment(); }

private:
    std::array<prometheus::Counter *, 3> taps_{};
};

}  // namespace treasure
