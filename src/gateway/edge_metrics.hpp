#pragma once
// What the gateway's edge (edge.hpp) refuses, in the Prometheus registry it is given:
//   treasure_auth_failures_total{reason}   401s by RefusalReason name (missing, bad_signature, ...) and 403s
//                                          (player_mismatch, missing_scope)
//   treasure_rate_limited_total{scope}     429s: client (per API key or remote address) or player
// A request refused here never reaches a path, so it is not in treasure_claims_total, and never reaches the
// circuit breaker.  Every series exists from the start (at 0), so a rate() over them never starts from nothing.
#include <array>
#include <string_view>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include "auth/caller.hpp"

namespace treasure {

enum class Forbidden { player_mismatch, missing_scope };
enum class LimitScope { client, player };

std::string_view to_string(Forbidden reason);
std::string_view to_string(LimitScope scope);

class EdgeMetrics {
public:
    explicit EdgeMetrics(prometheus::Registry &registry);

    void count_auth_failure(RefusalReason reason);
    void count_auth_failure(Forbidden reason);
    void count_rate_limited(LimitScope scope);

private:
    static constexpr std::size_t refusal_reasons = static_cast<std::size_t>(RefusalReason::invalid_player) + 1;
    prometheus::Family<prometheus::Counter> &auth_failures_;
    prometheus::Family<prometheus::Counter> &rate_limited_;
    std::array<prometheus::Counter *, refusal_reasons> refusals_{};
    std::array<prometheus::Counter *, 2> forbidden_{};
    std::array<prometheus::Counter *, 2> limited_{};
};

}  // namespace treasure
