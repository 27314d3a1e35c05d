#pragma once
// The sharded gateway's per-shard metrics (own registry, appended to /metrics only when sharded):
//   treasure_shard_claims_total{shard,code}            counter: claims answered, by owning shard and HTTP status
//   treasure_shard_claim_duration_seconds{shard}       histogram: time on the shard's worker, 0.25 ms .. 2.5 s
//   treasure_shard_circuit_state{shard}                gauge: 0 closed, 1 open, 2 half-open (its own breaker)
//   treasure_shard_circuit_transitions_total{shard,to} counter
//   treasure_shard_map_partitions                      gauge: shards in the map in force
//   treasure_shard_map_reloads_total{outcome}          counter: changed, unchanged, failed (the old map stays)
// The unlabelled treasure_claims_total etc. (claim_metrics.hpp) still count every claim; treasure_circuit_state is
// the worst shard's state.  The analytics metrics of every shard get a shard label too (with_shard_labels()).
#include <string>
#include <string_view>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "lib/circuit_breaker.hpp"

namespace treasure {

enum class ShardMapReload { changed, unchanged, failed };
std::string_view to_string(ShardMapReload outcome);

class ShardMetrics {
public:
    ShardMetrics();

    void observe_claim(int shard, int http_status, double seconds);
    void set_circuit_state(int shard, CircuitState state);
    void count_circuit_transition(int shard, CircuitState to);
    void set_partitions(int partitions);
    void count_reload(ShardMapReload outcome);

    std::string serialize();

private:
    prometheus::Registry registry_;
    prometheus::Family<prometheus::Counter> &claims_;
    prometheus::Family<prometheus::Histogram> &durations_;
    prometheus::Family<prometheus::Gauge> &circuit_state_;
    prometheus::Family<prometheus::Counter> &transitions_;
    prometheus::Gauge &partitions_;
    prometheus::Family<prometheus::Counter> &reloads_;
};

// One Prometheus text exposition of several shards' texts of the same metrics (texts[k] from shard k): each
// family once, with its HELP and TYPE lines, and every sample labelled shard="k".
std::string with_shard_labels(const std::vector<std::string> &texts);

}  // namespace treasure
