#pragma once
// The gateway's Prometheus metrics, all in one registry:
//   treasure_claim_duration_seconds{path,status}   histogram, 0.25 ms .. 2.5 s
//   treasure_claims_total{path,status}             counter
//   treasure_circuit_state                         gauge: 0 closed, 1 open, 2 half-open
//   treasure_circuit_transitions_total{to}         counter
//   treasure_flag_evaluations_total{flag,variant}  counter
// path is atomic, saga or none (refused before any path ran); status is a claim_treasure() status or an
// error kind (bad_request, unknown_chest, request_id_conflict, unavailable, no_path, internal), or overloaded
// (path none: a claim shed by a full worker pool or a long queue wait, or a connection over the gateway's cap;
// gateway/worker_pool.hpp, gateway/http_server.hpp).
#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "lib/circuit_breaker.hpp"

namespace treasure {

enum class PathLabel { atomic, saga, none };
std::string_view to_string(PathLabel path);

// Bucket boundaries shared by the gateway's and the load generator's latency histograms.
const std::vector<double> &latency_buckets();

// Prometheus text exposition format of everything in registry.
std::string serialize_metrics(prometheus::Registry &registry);

class ClaimMetrics {
public:
    ClaimMetrics();

    void observe_claim(PathLabel path, std::string_view status, double seconds);
    void count_flag_evaluation(std::string_view flag, std::string_view variant);
    void set_circuit_state(CircuitState state);
    void count_circuit_transition(CircuitState to);

    std::string serialize() { return serialize_metrics(*registry_); }

private:
    struct Series {
        prometheus::Histogram *duration;
        prometheus::Counter *total;
    };
    static constexpr std::array<std::string_view, 11> statuses{
        "claimed",       "already_claimed",     "key_required", "chest_closed", "bad_request",
        "unknown_chest", "request_id_conflict", "unavailable",  "no_path",      "overloaded",
        "internal"};  // internal last: anything unknown counts as internal

    std::shared_ptr<prometheus::Registry> registry_;
    prometheus::Family<prometheus::Histogram> &duration_family_;
    prometheus::Family<prometheus::Counter> &total_family_;
    prometheus::Gauge &circuit_state_;
    prometheus::Family<prometheus::Counter> &transitions_family_;
    prometheus::Family<prometheus::Counter> &flag_family_;
    std::array<std::array<Series, statuses.size()>, 3> series_{};
    std::array<prometheus::Counter *, 3> transitions_{};  // by CircuitState
    std::mutex flag_mutex_;
    std::map<std::pair<std::string, std::string>, prometheus::Counter *, std::less<>> flag_counters_;
};

}  // namespace treasure
