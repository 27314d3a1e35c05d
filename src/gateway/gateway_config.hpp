#pragma once
// What treasure-gateway is started with (main.cpp fills it from the flags; the tests directly).
#include <chrono>
#include <cstddef>
#include <string>

#include "gateway/admission_options.hpp"
#include "gateway/claim_reactor.hpp"
#include "gateway/edge_options.hpp"
#include "lib/circuit_breaker.hpp"
#include "lib/retry_policy.hpp"

namespace treasure {

// The sharded mode (shard_set.hpp): where the list of shard databases comes from, and how often it is re-read.
// At most one of router_dsn and shards_file; neither: the gateway is not sharded and talks to GatewayConfig::dsn.
struct ShardingOptions {
    std::string router_dsn;           // --shard-map-from: the router database, read with read_shard_map()
    std::string server = "treasure";  // --shard-map-server: its PL/Proxy SQL/MED server
    std::string shards_file;          // --shards-file: one connection string per line (shard_map_from_file_text())
    std::chrono::seconds poll{0};     // --shard-map-poll-seconds: re-read this often (0: only on SIGHUP)

    bool enabled() const { return !router_dsn.empty() || !shards_file.empty(); }
};

struct GatewayConfig {
    std::string dsn;                                  // unsharded: the primary; sharded: unused (empty)
    std::string replica_dsn;                          // empty: analytics reads go to dsn
    std::chrono::milliseconds replica_max_lag{1000};  // analytics reads go to dsn while the replica lags more
    std::string flags_file;                           // empty: atomic_claims is "on" for everybody
    std::size_t pool_size = 8;                        // per shard when sharded
    // --claim-io: where an atomic-path claim waits for the database.  reactor: on the I/O thread, over a few
    // pipelined connections per shard (claim_reactor.hpp), anything but a clean answer then on the workers;
    // workers: every claim on a --pool worker thread, blocking.
    enum class ClaimIo { reactor, workers } claim_io = ClaimIo::reactor;
    // --claim-io-connections (0: as many as pool_size), --claim-io-depth; its queue bounds are admission's.
    ClaimReactorOptions reactor;
    std::size_t worker_threads = 32;  // the read pool (analytics routes, /metrics)
    AdmissionOptions admission;       // queue bounds and waits of the pools, connection limits and deadlines
    std::size_t max_body_bytes = default_max_body_bytes;
    RetryPolicy retry;
    CircuitBreakerOptions breaker;  // per shard when sharded
    // The saga path, where the flag's "off" and the open breaker send claims.  auto: used when the database's
    // treasure extension has the saga functions (1.1.0+), else those claims get 503 as before.  Sharded: decided
    // per shard, each shard's claims on that shard's saga functions.
    enum class SagaMode { off, on, auto_detect } saga = SagaMode::auto_detect;
    std::chrono::milliseconds saga_deadline{5000};
    // Who may call, for whom, how often (edge_options.hpp): --auth, keys, limits, proxies, CORS.  The default,
    // --auth none, admits everybody: main.cpp allows it only on a loopback address.
    EdgeOptions edge;
    std::string web_root;  // --web-root: the page's files (static_files.hpp); empty: the installed ones
    ShardingOptions sharding;
};

}  // namespace treasure
