#include "lib/claim_metrics.hpp"

#include <prometheus/text_serializer.h>

namespace treasure {

std::string_view to_string(PathLabel path)
{
    switch (path) {
    case PathLabel::atomic: return "atomic";
    case PathLabel::saga: return "saga";
    case PathLabel::none: return "none";
    }
    return "none";
}

const std::vector<double> &latency_buckets()
{
    // Dense around the SEED's numbers: 15 ms p95, 50 ms for 99.7%, 100/200/300 ms perceived-latency marks.
    static const std::vector<double> buckets{0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.025,
                                             0.05,    0.075,  0.1,   0.2,    0.3,   0.5,    1.0,  2.5};
    return buckets;
}

std::string serialize_metrics(prometheus::Registry &registry)
{
    return prometheus::TextSerializer().Serialize(registry.Collect());
}

ClaimMetrics::ClaimMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      duration_family_(prometheus::BuildHistogram()
                           .Name("treasure_claim_duration_seconds")
                           .Help("Time the gateway spent confirming a claim, by path and outcome")
                           .Register(*registry_)),
      total_family_(prometheus::BuildCounter()
                        .Name("treasure_claims_total")
                        .Help("Claims handled, by path and outcome")
                        .Register(*registry_)),
      circuit_state_(prometheus::BuildGauge()
                         .Name("treasure_circuit_state")
                         .Help("Atomic path circuit breaker: 0 closed, 1 open, 2 half-open")
                         .Register(*registry_)
                         .Add({})),
      transitions_family_(prometheus::BuildCounter()
                              .Name("treasure_circuit_transitions_total")
                              .Help("Circuit breaker transitions, by the state entered")
                              .Register(*registry_)),
      flag_family_(prometheus::BuildCounter()
                       .Name("treasure_flag_evaluations_total")
                       .Help("Feature flag evaluations, by flag and variant")
                       .Register(*registry_))
{
    for (auto path : {PathLabel::atomic, PathLabel::saga, PathLabel::none}) {
        for (std::size_t i = 0; i < statuses.size(); ++i) {
            const prometheus::Labels labels{{"path", std::string(to_string(path))},
                                            {"status", std::string(statuses[i])}};
            series_[static_cast<std::size_t>(path)][i] =
                Series{&duration_family_.Add(labels, latency_buckets()), &total_family_.Add(labels)};
        }
    }
    for (auto state : {CircuitState::closed, CircuitState::open, CircuitState::half_open})
        transitions_[static_cast<std::size_t>(state)] =
            &transitions_family_.Add({{"to", std::string(to_string(state))}});
}

void ClaimMetrics::observe_claim(PathLabel path, std::string_view status, double seconds)
{
    std::size_t index = statuses.size() - 1;  // "internal" for anything unexpected
    for (std::size_t i = 0; i < statuses.size(); ++i) {
        if (statuses[i] == status) {
            index = i;
            break;
        }
    }
    const Series &series = series_[static_cast<std::size_t>(path)][index];
    series.duration->Observe(seconds);
    series.total->Increment();
}

void ClaimMetrics::count_flag_evaluation(std::string_view flag, std::string_view variant)
{
    prometheus::Counter *counter = nullptr;
    {
        std::lock_guard<std::mutex> lock(flag_mutex_);
        auto key = std::make_pair(std::string(flag), std::string(variant));
        auto found = flag_counters_.find(key);
        if (found == flag_counters_.end()) {
            counter = &flag_family_.Add({{"flag", key.first}, {"variant", key.second}});
            flag_counters_.emplace(std::move(key), counter);
        } else {
            counter = found->second;
        }
    }
    counter->Increment();
}

void ClaimMetrics::set_circuit_state(CircuitState state)
{
    circuit_state_.Set(static_cast<double>(static_cast<int>(state)));
}

void ClaimMetrics::count_circuit_transition(CircuitState to)
{
    transitions_[static_cast<std::size_t>(to)]->Increment();
}

}  // namespace treasure
