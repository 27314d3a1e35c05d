#pragma once
// The databases behind the gateway and which player each one owns.  Unsharded, that is one Shard (index 0, every
// player); sharded, one Shard per partition of a ShardMap (lib/shard_map.hpp: the router's own partition
// function), so that a claim or a player's read goes straight to the shard that owns the player, without the
// router's second hop.  Everything that can fail with one database is per Shard: its connection pool, its
// circuit breaker, its saga path (its own saga functions, run by the treasure-saga workers started on its DSN)
// and its worker pools, so that a shard that is down fails only its own players' claims.
//
// A ShardSet is immutable: a reload builds a new one (reusing every Shard whose index and DSN are unchanged) and
// swaps it in; requests in flight hold their Shard (shared_ptr) and finish on it.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "gateway/gateway_config.hpp"
#include "gateway/worker_pool.hpp"
#include "lib/analytics_reader.hpp"
#include "lib/circuit_breaker.hpp"
#include "lib/claim_metrics.hpp"
#include "lib/client.hpp"
#include "lib/feature_flags.hpp"
#include "lib/router.hpp"
#include "lib/shard_map.hpp"
#include "saga/saga_path.hpp"

namespace treasure {

class Shard {
public:
    // Connects the shard's pools (throws std::runtime_error when its database cannot be reached).  replica_dsn:
    // the analytics replica (unsharded only; empty: reads go to dsn).  flags and metrics must outlive the shard.
    Shard(int index, std::string dsn, const std::string &replica_dsn, const GatewayConfig &config,
          FeatureFlagProvider &flags, ClaimMetrics &metrics);
    Shard(const Shard &) = delete;
    Shard &operator=(const Shard &) = delete;

    // Runs what the worker pools still hold, then joins their threads: after it, no job holds this shard.
    void stop_workers();

    const int index;
    const std::string dsn;
    Client atomic;
    std::unique_ptr<SagaPath> saga;  // null: no fallback on this shard
    CircuitBreaker breaker;
    Router router;
    std::unique_ptr<AnalyticsReader> analytics;
    WorkerPool claims;                        // --pool threads, one per atomic connection
    std::unique_ptr<WorkerPool> saga_claims;  // null without a saga path
};

struct ShardSet {
    ShardMap map;                                // unsharded: one partition, config.dsn
    std::vector<std::shared_ptr<Shard>> shards;  // index = partition

    Shard &first() const { return *shards.front(); }
    const std::shared_ptr<Shard> &owner_of(std::int64_t player_id) const
    {
        return shards.size() == 1 ? shards.front() : shards[static_cast<std::size_t>(map.shard_of(player_id))];
    }
};

// The worst state over the shards (open, then half-open, then closed): what treasure_circuit_state and /healthz's
// "circuit" report when sharded.
CircuitState worst_circuit(const ShardSet &set);

WorkerPoolOptions worker_pool_options(const GatewayConfig &config, std::size_t threads);

}  // namespace treasure
