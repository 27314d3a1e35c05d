#pragma once
// treasure-gateway as an object: the atomic and the saga path, flags, breaker, router, metrics and the HTTP
// server wired together.  main.cpp adds argument parsing and signals; the tests run it in-process on an
// ephemeral port.  The request handling knows no HTTP library: each route is a function from what the server
// parsed to an Answer (answer.hpp); gateway.cpp binds them to cpp-httplib, and admission.hpp bounds its queue.
//   POST /v1/claims         confirm a tap (claim_endpoint.hpp: parse and validate, route, answer)
//   GET  /v1/players/{id}[/stats], /v1/players/{id}/events, /v1/leaderboard, /v1/replica
//                           analytics reads, from --replica-dsn while it is fresh (analytics_routes.hpp)
//   GET  /metrics           Prometheus text format
//   GET  /healthz           liveness, circuit state
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "gateway/admission_options.hpp"
#include "lib/circuit_breaker.hpp"
#include "lib/claim_metrics.hpp"
#include "lib/client.hpp"
#include "lib/feature_flags.hpp"
#include "lib/analytics_reader.hpp"
#include "lib/router.hpp"
#include "saga/saga_path.hpp"

namespace httplib {
class Server;
}

namespace treasure {

struct GatewayConfig {
    std::string dsn;
    std::string replica_dsn;                          // empty: analytics reads go to dsn
    std::chrono::milliseconds replica_max_lag{1000};  // analytics reads go to dsn while the replica lags more
    std::string flags_file;                           // empty: atomic_claims is "on" for everybody
    std::size_t pool_size = 8;
    std::size_t worker_threads = 32;
    AdmissionOptions admission;  // queue bound, queue wait and request timeout (workers comes from worker_threads)
    std::size_t max_body_bytes = 16 * 1024;
    RetryPolicy retry;
    CircuitBreakerOptions breaker;
    // The saga path, where the flag's "off" and the open breaker send claims.  auto: used when the database's
    // treasure extension has the saga functions (1.1.0+), else those claims get 503 as before.
    enum class SagaMode { off, on, auto_detect } saga = SagaMode::auto_detect;
    std::chrono::milliseconds saga_deadline{5000};
};

class Gateway {
public:
    // Connects to the database and reads the flags file; throws std::runtime_error with the reason.
    explicit Gateway(GatewayConfig config);
    ~Gateway();
    Gateway(const Gateway &) = delete;
    Gateway &operator=(const Gateway &) = delete;

    // Binds host:port (port 0 = any free port) and returns the bound port; throws std::runtime_error.
    int bind(const std::string &host, int port);
    // Serves until stop(); in-flight requests finish before it returns.
    void serve();
    void stop();

    ClaimMetrics &metrics() { return metrics_; }
    CircuitBreaker &breaker() { return breaker_; }
    Router &router() { return router_; }
    AnalyticsReader &analytics() { return *analytics_; }
    bool has_saga_path() const { return saga_ != nullptr; }

private:
    void install_routes();

    GatewayConfig config_;
    ClaimMetrics metrics_;
    Client atomic_;
    std::unique_ptr<SagaPath> saga_;  // null: no fallback
    std::unique_ptr<FeatureFlagProvider> flags_;
    CircuitBreaker breaker_;
    Router router_;
    std::unique_ptr<AnalyticsReader> analytics_;
    std::unique_ptr<httplib::Server> server_;
    int listening_socket_ = -1;
};

}  // namespace treasure
