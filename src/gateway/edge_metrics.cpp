#include "gateway/edge_metrics.hpp"

#include <string>

namespace treasure {

std::string_view to_string(Forbidden reason)
{
    return reason == Forbidden::player_mismatch ? "player_mismatch" : "missing_scope";
}

std::string_view to_string(LimitScope scope) { return scope == LimitScope::client ? "client" : "player"; }

EdgeMetrics::EdgeMetrics(prometheus::Registry &registry)
    : auth_failures_(prometheus::BuildCounter()
                         .Name("treasure_auth_failures_total")
                         .Help("Requests the gateway refused as unauthenticated (401) or forbidden (403), by reason")
                         .Register(registry)),
      rate_limited_(prometheus::BuildCounter()
                        .Name("treasure_rate_limited_total")
                        .Help("Requests the gateway refused with 429, by the limit's scope (client, player)")
                        .Register(registry))
{
    for (std::size_t i = 0; i < refusals_.size(); ++i)
        refusals_[i] =
            &auth_failures_.Add({{"reason", std::string(refusal_reason_name(static_cast<RefusalReason>(i)))}});
    for (auto reason : {Forbidden::player_mismatch, Forbidden::missing_scope})
        forbidden_[static_cast<std::size_t>(reason)] =
            &auth_failures_.Add({{"reason", std::string(to_string(reason))}});
    for (auto scope : {LimitScope::client, LimitScope::player})
        limited_[static_cast<std::size_t>(scope)] = &rate_limited_.Add({{"scope", std::string(to_string(scope))}});
}

void EdgeMetrics::count_auth_failure(RefusalReason reason)
{
    const auto index = static_cast<std::size_t>(reason);
    if (index < refusals_.size())
        refusals_[index]->Increment();
}

void EdgeMetrics::count_auth_failure(Forbidden reason) { forbidden_[static_cast<std::size_t>(reason)]->Increment(); }

void EdgeMetrics::count_rate_limited(LimitScope scope) { limited_[static_cast<std::size_t>(scope)]->Increment(); }

}  // namespace treasure
