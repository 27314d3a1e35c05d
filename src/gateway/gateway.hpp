#pragma once
// treasure-gateway as an object: the atomic and the saga path, flags, breaker, router, metrics and the HTTP
// server wired together.  main.cpp adds argument parsing and signals; the tests run it in-process on an
// ephemeral port.  The request handling knows no HTTP library: each route is a function from what the server
// parsed to an Answer (answer.hpp).  The Gateway is the HttpHandler of an HttpServer (http_server.hpp, Beast):
// before_body() is the seam that judges a request from its head, handle() routes it.  Blocking work runs on
// bounded worker pools (worker_pool.hpp), never on the server's I/O thread:
//   atomic claims   on the I/O thread itself with --claim-io reactor (claim_reactor.hpp: non-blocking, pipelined
//                   connections), else, and for whatever the reactor hands back, --pool threads (one per
//                   atomic-path connection)
//   saga claims     --pool threads of their own: a saga may wait seconds, and must not starve atomic claims
//   reads           --threads threads: the analytics routes and /metrics
// A full pool, or a job that waited longer than --max-queue-wait-ms, is answered 503 overloaded + Retry-After.
//   POST /v1/claims         confirm a tap (claim_endpoint.hpp: parse and validate, route, answer)
//   GET  /v1/players/{id}[/stats], /v1/players/{id}/events, /v1/leaderboard, /v1/replica
//                           analytics reads, from --replica-dsn while it is fresh (analytics_routes.hpp)
//   GET  /v1/chests, /v1/players/{id}/inventory, POST /v1/client-metrics, GET /play, /web/{file}
//                           the player's page and what it reads and reports (web_routes.hpp)
//   GET  /metrics           Prometheus text format
//   GET  /healthz           liveness, circuit state
// Sharded (GatewayConfig::sharding, shard_set.hpp), a claim and a player's reads go to the shard that owns the
// player, each shard with its own pools, breaker and saga path; /v1/chests and /v1/replica are answered by the first
// shard (every shard has the chests), /v1/leaderboard by all of them, merged (shard_routing.cpp).
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include <prometheus/registry.h>

#include "gateway/admission_options.hpp"
#include "gateway/claim_reactor.hpp"
#include "gateway/edge.hpp"
#include "gateway/edge_options.hpp"
#include "gateway/gateway_config.hpp"
#include "gateway/http_handler.hpp"
#include "gateway/metrics_listener.hpp"
#include "gateway/reactor_metrics.hpp"
#include "gateway/shard_metrics.hpp"
#include "gateway/shard_set.hpp"
#include "gateway/static_files.hpp"
#include "gateway/worker_pool.hpp"
#include "lib/circuit_breaker.hpp"
#include "lib/claim_metrics.hpp"
#include "lib/client.hpp"
#include "lib/feature_flags.hpp"
#include "lib/latency_histogram.hpp"
#include "lib/analytics_reader.hpp"
#include "lib/router.hpp"
#include "saga/saga_path.hpp"

namespace treasure {

class HttpServer;

class Gateway : private HttpHandler {
public:
    // Connects to the database and reads the flags file; throws std::runtime_error with the reason.
    explicit Gateway(GatewayConfig config);
    ~Gateway();
    Gateway(const Gateway &) = delete;
    Gateway &operator=(const Gateway &) = delete;

    // Binds host:port (port 0 = any free port) and returns the bound port, and --metrics-listen's address when
    // set; throws std::runtime_error.
    int bind(const std::string &host, int port);
    // The port /metrics is served on by --metrics-listen (after bind()), 0 without it.
    int metrics_port() const { return metrics_port_; }
    // Serves until stop(); in-flight requests are answered before it returns.
    void serve();
    // The drain: stop accepting, close idle connections, answer in-flight requests.  From any thread.
    void stop();

    ClaimMetrics &metrics() { return metrics_; }
    Edge &edge() { return edge_; }
    // The first shard's (unsharded: the only one).
    CircuitBreaker &breaker() { return shards()->first().breaker; }
    Router &router() { return shards()->first().router; }
    AnalyticsReader &analytics() { return *shards()->first().analytics; }
    bool has_saga_path() const;

    bool sharded() const { return config_.sharding.enabled(); }
    // The shards in force (unsharded: one).
    std::shared_ptr<const ShardSet> shards() const;
    // Sharded: reads the shard map again (the router's server or the shards file) and swaps it in when it changed;
    // a map that cannot be read or whose new shards cannot be reached leaves the old one in force (stderr says
    // why).  SIGHUP and the --shard-map-poll-seconds thread call it; from any thread.  Unsharded: unchanged.
    ShardMapReload reload_shard_map();
    // Where /play and /web/... are served from (static_files.hpp), nothing without a directory.
    const std::optional<std::string> &web_root() const { return web_files_.root(); }

private:
    // HttpHandler: the seam (the edge's steps 0-3: preflight, 413, 401, the per-client 429) and the routes.
    std::optional<Answer> before_body(RequestHead &head) override;
    void handle(HttpRequest request, Reply reply) override;
    void on_drain() override;

    void route(const HttpRequest &request, const Admitted &admitted, const Reply &reply);
    void claim(const HttpRequest &request, const Admitted &admitted, const Reply &reply);
    void claim_on_workers(const std::shared_ptr<Shard> &shard, const std::shared_ptr<ValidClaimRequest> &request,
                          const Reply &reply);
    void claim_on_reactor(const std::shared_ptr<Shard> &shard, const std::shared_ptr<ValidClaimRequest> &request,
                          std::string flag_variant, const Reply &reply);
    bool route_web(const HttpRequest &request, const Admitted &admitted, const Reply &reply);  // web_routes.cpp
    bool likely_saga(Shard &shard, const ValidClaimRequest &request);
    // shard_routing.cpp: the sharded mode's map, its reloads and what the per-shard metrics need.
    std::shared_ptr<const ShardSet> first_shard_set();
    std::shared_ptr<Shard> make_shard(int index, const std::string &dsn);
    void on_shard_transition(int index, CircuitState to);
    void release_retired_shards();
    void start_shard_map_polling();
    void poll_shard_map();
    nlohmann::ordered_json shards_health(const ShardSet &set) const;
    // Runs route() on the pool and replies with its Answer (500 if it throws); a refused job gets 503 overloaded.
    void on_pool(WorkerPool &pool, const Reply &reply, std::function<Answer()> route, bool is_claim);
    std::string serialize_all_metrics();

    GatewayConfig config_;
    ClaimMetrics metrics_;
    prometheus::Registry edge_registry_;  // treasure_auth_failures_total, treasure_rate_limited_total
    Edge edge_;
    prometheus::Registry client_latency_registry_;
    LatencyHistogram client_latency_;  // treasure_latency_seconds, from POST /v1/client-metrics
    StaticFiles web_files_;
    std::unique_ptr<FeatureFlagProvider> flags_;
    ShardMetrics shard_metrics_;  // in /metrics only when sharded
    mutable std::mutex shards_mutex_;
    std::shared_ptr<const ShardSet> shards_;  // swapped by reload_shard_map() under shards_mutex_
    std::mutex reload_mutex_;                 // one reload at a time; guards retired_
    // Shards a reload took out of the map, destroyed (on the reloading thread) once no request holds them.
    std::vector<std::shared_ptr<Shard>> retired_;
    std::mutex poll_mutex_;
    std::condition_variable poll_wakeup_;
    bool polling_stopped_ = false;
    std::thread poller_;  // --shard-map-poll-seconds; not started otherwise
    WorkerPool reads_;
    std::unique_ptr<HttpServer> server_;
    std::unique_ptr<ClaimReactor> reactor_;  // --claim-io reactor; on server_'s loop, so destroyed before it
    prometheus::Registry reactor_registry_;  // in /metrics only with the reactor
    ReactorMetrics reactor_metrics_{reactor_registry_};
    std::unique_ptr<MetricsListener> metrics_listener_;
    int metrics_port_ = 0;  // --metrics-listen; null: /metrics on the main address
};

}  // namespace treasure
