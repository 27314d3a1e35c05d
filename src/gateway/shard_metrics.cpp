#include "gateway/shard_metrics.hpp"

#include <map>
#include <sstream>
#include <utility>

#include "lib/claim_metrics.hpp"

namespace treasure {

std::string_view to_string(ShardMapReload outcome)
{
    switch (outcome) {
    case ShardMapReload::changed: return "changed";
    case ShardMapReload::unchanged: return "unchanged";
    case ShardMapReload::failed: return "failed";
    }
    return "failed";
}

ShardMetrics::ShardMetrics()
    : claims_(prometheus::BuildCounter()
                  .Name("treasure_shard_claims_total")
                  .Help("Claims answered, by the shard that owns the player and HTTP status")
                  .Register(registry_)),
      durations_(prometheus::BuildHistogram()
                     .Name("treasure_shard_claim_duration_seconds")
                     .Help("Time a claim spent on its shard's worker, by shard")
                     .Register(registry_)),
      circuit_state_(prometheus::BuildGauge()
                         .Name("treasure_shard_circuit_state")
                         .Help("The shard's circuit breaker: 0 closed, 1 open, 2 half-open")
                         .Register(registry_)),
      transitions_(prometheus::BuildCounter()
                       .Name("treasure_shard_circuit_transitions_total")
                       .Help("Transitions of the shard's circuit breaker, by the state entered")
                       .Register(registry_)),
      partitions_(prometheus::BuildGauge()
                      .Name("treasure_shard_map_partitions")
                      .Help("Shards in the shard map in force")
                      .Register(registry_)
                      .Add({})),
      reloads_(prometheus::BuildCounter()
                   .Name("treasure_shard_map_reloads_total")
                   .Help("Reads of the shard map after start-up (SIGHUP, polling), by outcome")
                   .Register(registry_))
{
    for (const ShardMapReload outcome : {ShardMapReload::changed, ShardMapReload::unchanged, ShardMapReload::failed})
        reloads_.Add({{"outcome", std::string(to_string(outcome))}});
}

void ShardMetrics::observe_claim(int shard, int http_status, double seconds)
{
    const std::string label = std::to_string(shard);
    claims_.Add({{"shard", label}, {"code", std::to_string(http_status)}}).Increment();
    durations_.Add({{"shard", label}}, latency_buckets()).Observe(seconds);
}

void ShardMetrics::set_circuit_state(int shard, CircuitState state)
{
    circuit_state_.Add({{"shard", std::to_string(shard)}}).Set(static_cast<double>(state));
}

void ShardMetrics::count_circuit_transition(int shard, CircuitState to)
{
    transitions_.Add({{"shard", std::to_string(shard)}, {"to", std::string(treasure::to_string(to))}}).Increment();
}

void ShardMetrics::set_partitions(int partitions) { partitions_.Set(partitions); }

void ShardMetrics::count_reload(ShardMapReload outcome)
{
    reloads_.Add({{"outcome", std::string(to_string(outcome))}}).Increment();
}

std::string ShardMetrics::serialize() { return serialize_metrics(registry_); }

namespace {

// A sample line "name{labels} value" or "name value" with shard="k" first among its labels.
std::string labelled(const std::string &sample, const std::string &shard)
{
    const std::string label = "shard=\"" + shard + "\"";
    const auto brace = sample.find('{');
    const auto space = sample.find(' ');
    if (brace != std::string::npos && brace < space)
        return sample.substr(0, brace + 1) + label + (sample[brace + 1] == '}' ? "" : ",") + sample.substr(brace + 1);
    return sample.substr(0, space) + "{" + label + "}" + sample.substr(space);
}

}  // namespace

std::string with_shard_labels(const std::vector<std::string> &texts)
{
    struct Family {
        std::string header;  // its # HELP and # TYPE lines
        std::string samples;
    };
    std::vector<std::string> order;
    std::map<std::string, Family> families;
    for (std::size_t shard = 0; shard < texts.size(); ++shard) {
        std::istringstream lines(texts[shard]);
        std::string line;
        Family *current = nullptr;
        while (std::getline(lines, line)) {
            if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
                std::string name = line.substr(7, line.find(' ', 7) - 7);
                auto [it, added] = families.try_emplace(name);
                if (added)
                    order.push_back(name);
                current = &it->second;
                if (shard == 0 || current->header.find(line) == std::string::npos)
                    current->header += line + "\n";
            } else if (!line.empty() && line[0] != '#' && current) {
                current->samples += labelled(line, std::to_string(shard)) + "\n";
            }
        }
    }
    std::string text;
    for (const std::string &name : order)
        text += families[name].header + families[name].samples;
    return text;
}

}  // namespace treasure
