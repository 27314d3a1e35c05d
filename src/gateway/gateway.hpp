#pragma once
// treasure-gateway as an object: the atomic and the saga path, flags, breaker, router, metrics and the HTTP
// server wired together.  main.cpp adds argument parsing and signals; the tests run it in-process on an
// ephemeral port.  The request handling knows no HTTP library: each route is a function from what the server
// parsed to an Answer (answer.hpp).  The Gateway is the HttpHandler of an HttpServer (http_server.hpp, Beast):
// before_body() is the seam that judges a request from its head, handle() routes it.  Blocking work runs on
// bounded worker pools (worker_pool.hpp), never on the server's I/O thread:
//   atomic claims   --pool threads (one per atomic-path connection)
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
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <prometheus/registry.h>

#include "gateway/admission_options.hpp"
#include "gateway/edge.hpp"
#include "gateway/edge_options.hpp"
#include "gateway/http_handler.hpp"
#include "gateway/metrics_listener.hpp"
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

struct GatewayConfig {
    std::string dsn;
    std::string replica_dsn;                          // empty: analytics reads go to dsn
    std::chrono::milliseconds replica_max_lag{1000};  // analytics reads go to dsn while the replica lags more
    std::string flags_file;                           // empty: atomic_claims is "on" for everybody
    std::size_t pool_size = 8;
    std::size_t worker_threads = 32;  // the read pool (analytics routes, /metrics)
    AdmissionOptions admission;       // queue bounds and waits of the pools, connection limits and deadlines
    std::size_t max_body_bytes = default_max_body_bytes;
    RetryPolicy retry;
    CircuitBreakerOptions breaker;
    // The saga path, where the flag's "off" and the open breaker send claims.  auto: used when the database's
    // treasure extension has the saga functions (1.1.0+), else those claims get 503 as before.
    enum class SagaMode { off, on, auto_detect } saga = SagaMode::auto_detect;
    std::chrono::milliseconds saga_deadline{5000};
    // Who may call, for whom, how often (edge_options.hpp): --auth, keys, limits, proxies, CORS.  The default,
    // --auth none, admits everybody: main.cpp allows it only on a loopback address.
    EdgeOptions edge;
    std::string web_root;  // --web-root: the page's files (static_files.hpp); empty: the installed ones
};

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
    CircuitBreaker &breaker() { return breaker_; }
    Router &router() { return router_; }
    AnalyticsReader &analytics() { return *analytics_; }
    bool has_saga_path() const { return saga_ != nullptr; }
    // Where /play and /web/... are served from (static_files.hpp), nothing without a directory.
    const std::optional<std::string> &web_root() const { return web_files_.root(); }

private:
    // HttpHandler: the seam (the edge's steps 0-3: preflight, 413, 401, the per-client 429) and the routes.
    std::optional<Answer> before_body(RequestHead &head) override;
    void handle(HttpRequest request, Reply reply) override;

    void route(const HttpRequest &request, const Admitted &admitted, const Reply &reply);
    void claim(const HttpRequest &request, const Admitted &admitted, const Reply &reply);
    bool route_web(const HttpRequest &request, const Admitted &admitted, const Reply &reply);  // web_routes.cpp
    bool likely_saga(const ValidClaimRequest &request);
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
    Client atomic_;
    std::unique_ptr<SagaPath> saga_;  // null: no fallback
    std::unique_ptr<FeatureFlagProvider> flags_;
    CircuitBreaker breaker_;
    Router router_;
    std::unique_ptr<AnalyticsReader> analytics_;
    WorkerPool claims_;
    std::unique_ptr<WorkerPool> saga_claims_;  // null without a saga path
    WorkerPool reads_;
    std::unique_ptr<HttpServer> server_;
    std::unique_ptr<MetricsListener> metrics_listener_;
    int metrics_port_ = 0;  // --metrics-listen; null: /metrics on the main address
};

}  // namespace treasure
