#include "gateway/reactor_metrics.hpp"

#include <prometheus/family.h>

namespace treasure {

ReactorMetrics::ReactorMetrics(prometheus::Registry &registry)
{
    auto &family = prometheus::BuildCounter()
                       .Name("treasure_claim_reactor_taps_total")
                       .Help("Atomic claims given to the claim reactor (--claim-io reactor), by what became of them")
                       .Register(registry);
    taps_[static_cast<std::size_t>(ReactorVerdict::answered)] = &family.Add({{"outcome", "answered"}});
    taps_[static_cast<std::size_t>(ReactorVerdict::to_workers)] = &family.Add({{"outcome", "to_workers"}});
    taps_[static_cast<std::size_t>(ReactorVerdict::shed)] = &family.Add({{"outcome", "shed"}});
}

}  // namespace treasure
