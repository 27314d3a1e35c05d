// treasure-gateway: the HTTP endpoint game servers call for every tap.  See gateway.hpp for the routes.
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>

#include "gateway/edge_options.hpp"
#include "gateway/gateway.hpp"
#include "gateway/reload_signal.hpp"
#include "lib/listen_address.hpp"
#include "lib/pipelined_claims.hpp"
#include "lib/stop_signals.hpp"

namespace {

// A connection is a descriptor: let the soft limit reach the connection cap (plus the pools), as far as the hard
// limit allows.
void raise_descriptor_limit(std::size_t connections)
{
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return;
    const rlim_t wanted = static_cast<rlim_t>(connections) + 1024;
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < wanted) {
        limit.rlim_cur = limit.rlim_max == RLIM_INFINITY ? wanted : std::min(wanted, limit.rlim_max);
        setrlimit(RLIMIT_NOFILE, &limit);
    }
}

}  // namespace

int main(int argc, char **argv)
{
    treasure::GatewayConfig config;
    std::string listen = "127.0.0.1:8080";
    double threshold_percent = 0.3;
    long long open_seconds = 30;
    long long retry_deadline_ms = config.retry.deadline.count();

    CLI::App app{"treasure-gateway: confirms treasure taps over HTTP with claim_treasure()"};
    app.footer(
        "Routes: POST /v1/claims, GET /v1/players/{id}[/stats|/events], /v1/leaderboard, /v1/replica, /metrics,\n"
        "/healthz.  Analytics reads go to --replica-dsn while its lag is at most --replica-max-lag-ms, else to --dsn.\n"
        "Without --flags every request takes the atomic path.  With --flags FILE, the flag atomic_claims decides\n"
        "(rules off, on, canary, percent; the file is re-read within 200 ms of a change).  Requests the flag or\n"
        "the open circuit breaker send to the saga path (treasure-saga must run) get 503 only with --saga off,\n"
        "or with --saga auto (the default) when the extension has no saga functions (before 1.1.0).\n"
        "One I/O thread serves every connection; with --claim-io reactor (the default) it also sends atomic claims\n"
        "over --claim-io-connections pipelined connections per database, anything but a clean answer then retried on\n"
        "--pool workers; with --claim-io workers every claim runs on a --pool worker (saga claims on --pool workers "
        "of\n"
        "their own), reads on --threads workers.  SIGTERM/SIGINT: stop accepting, close idle connections, answer\n"
        "in-flight requests (Connection: close), exit 0.  With --tls-cert and --tls-key, --listen serves HTTPS only\n"
        "(TLS 1.2 or later; both files are read at start, so a restart rotates them); --metrics-listen stays HTTP.\n"
        "Sharded (--shard-map-from ROUTER_DSN or --shards-file FILE instead of --dsn): each claim and player read "
        "goes\n"
        "to the shard that owns the player (PL/Proxy's hashint8 partition function), with --pool connections, a\n"
        "circuit breaker and a saga path per shard; SIGHUP (and --shard-map-poll-seconds) re-reads the map.");
    app.add_option("--dsn", config.dsn, "libpq connection string of the primary (unsharded)");
    app.add_option("--shard-map-from", config.sharding.router_dsn,
                   "sharded: connection string of the PL/Proxy router database whose SQL/MED server lists the shards "
                   "(instead of --dsn)");
    app.add_option("--shard-map-server", config.sharding.server, "the router's PL/Proxy server (cluster) name")
        ->capture_default_str();
    app.add_option("--shards-file", config.sharding.shards_file,
                   "sharded: a file of shard connection strings, one a line, line k = partition k (instead of --dsn)")
        ->check(CLI::ExistingFile);
    long long shard_map_poll_seconds = 0;
    app.add_option("--shard-map-poll-seconds", shard_map_poll_seconds,
                   "sharded: read the shard map again this often (0: only on SIGHUP)")
        ->capture_default_str()
        ->check(CLI::Range(0LL, 86400LL));
    app.add_option("--listen", listen, "HOST:PORT to listen on (port 0 picks a free port)")->capture_default_str();
    app.add_option("--flags", config.flags_file,
                   "JSON flags file, e.g. {\"flags\":{\"atomic_claims\":{\"rule\":\"on\"}}}")
        ->check(CLI::ExistingFile);
    app.add_option("--replica-dsn", config.replica_dsn, "connection string of a streaming replica for analytics reads");
    long long replica_max_lag_ms = config.replica_max_lag.count();
    app.add_option("--replica-max-lag-ms", replica_max_lag_ms,
                   "analytics reads go to the primary while the replica lags more")
        ->capture_default_str()
        ->check(CLI::Range(0LL, 86400000LL));
    app.add_option("--pool", config.pool_size, "database connections, and as many claim worker threads")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000));
    std::string claim_io = "reactor";
    app.add_option("--claim-io", claim_io,
                   "where atomic claims wait for the database: reactor (the I/O thread, non-blocking, pipelined) or "
                   "workers (a --pool thread each, blocking)")
        ->capture_default_str()
        ->check(CLI::IsMember({"reactor", "workers"}));
    app.add_option("--claim-io-connections", config.reactor.connections,
                   "--claim-io reactor: pipelined connections per database (shard); 0: as many as --pool")
        ->capture_default_str()
        ->check(CLI::Range(0, 1000));
    app.add_option("--claim-io-depth", config.reactor.depth,
                   "--claim-io reactor: claims in flight on one connection (libpq pipeline mode)")
        ->capture_default_str()
        ->check(CLI::Range(1, treasure::max_pipeline_depth));
    app.add_option("--threads", config.worker_threads,
                   "worker threads of the analytics reads and /metrics (claims have their own)")
        ->capture_default_str()
        ->check(CLI::Range(1, 4096));
    app.add_option("--retry-attempts", config.retry.max_attempts, "attempts per claim on connection loss/40001/40P01")
        ->capture_default_str()
        ->check(CLI::Range(1, 100));
    app.add_option("--retry-deadline-ms", retry_deadline_ms, "give up retrying a claim after this long")
        ->capture_default_str()
        ->check(CLI::Range(1, 600000));
    app.add_option("--breaker-threshold", threshold_percent, "open above this 5xx rate, in percent")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 100.0));
    app.add_option("--breaker-min-calls", config.breaker.min_calls, "calls in the window before the breaker may open")
        ->capture_default_str()
        ->check(CLI::Range(1LL, 1000000000LL));
    app.add_option("--breaker-window", config.breaker.window_buckets, "window length in one-second buckets")
        ->capture_default_str()
        ->check(CLI::Range(1, 3600));
    app.add_option("--breaker-open-seconds", open_seconds, "how long the breaker stays open before probing")
        ->capture_default_str()
        ->check(CLI::Range(0LL, 86400LL));
    app.add_option("--breaker-probes", config.breaker.half_open_probes, "half-open probe calls that must succeed")
        ->capture_default_str()
        ->check(CLI::Range(1, 100000));
    long long max_queue_wait_ms = config.admission.max_queue_wait.count();
    long long request_timeout_ms = config.admission.request_timeout.count();
    app.add_option("--max-queued", config.admission.max_queued,
                   "claims waiting for a DB worker (per pool: atomic, saga, reads); more get 503 overloaded and "
                   "Retry-After: 1 at once, on a connection that stays open")
        ->capture_default_str()
        ->check(CLI::Range(0, 1000000));
    app.add_option("--max-queue-wait-ms", max_queue_wait_ms,
                   "a claim that waited longer for a DB worker gets 503 overloaded")
        ->capture_default_str()
        ->check(CLI::Range(1LL, 600000LL));
    app.add_option("--request-timeout-ms", request_timeout_ms,
                   "cut a connection whose request is not read in time, from its first byte (0: no limit; a "
                   "connection with no request is closed after 2 s idle)")
        ->capture_default_str()
        ->check(CLI::Range(0LL, 3600000LL));
    app.add_option("--max-connections", config.admission.max_connections,
                   "open connections; the next is answered 503 overloaded, Retry-After: 1, and closed unread")
        ->capture_default_str()
        ->check(CLI::Range(1, 10000000));
    std::string saga_mode = "auto";
    long long saga_deadline_ms = config.saga_deadline.count();
    app.add_option("--saga", saga_mode,
                   "saga path as fallback and flag-off target: auto (if the extension has it), on, off")
        ->capture_default_str()
        ->check(CLI::IsMember({"auto", "on", "off"}));
    app.add_option("--saga-deadline-ms", saga_deadline_ms, "longest wait for a saga's answer")
        ->capture_default_str()
        ->check(CLI::Range(1LL, 600000LL));
    app.add_option("--web-root", config.web_root,
                   "directory of the player's page (/play, /web/...); default: the installed share/treasure/web");
    treasure::add_edge_flags(app, config.edge);
    CLI11_PARSE(app, argc, argv);
    config.saga = saga_mode == "on"    ? treasure::GatewayConfig::SagaMode::on
                  : saga_mode == "off" ? treasure::GatewayConfig::SagaMode::off
                                       : treasure::GatewayConfig::SagaMode::auto_detect;
    config.saga_deadline = std::chrono::milliseconds(saga_deadline_ms);
    config.claim_io =
        claim_io == "workers" ? treasure::GatewayConfig::ClaimIo::workers : treasure::GatewayConfig::ClaimIo::reactor;
    config.admission.max_queue_wait = std::chrono::milliseconds(max_queue_wait_ms);
    config.admission.request_timeout = std::chrono::milliseconds(request_timeout_ms);

    config.replica_max_lag = std::chrono::milliseconds(replica_max_lag_ms);
    config.sharding.poll = std::chrono::seconds(shard_map_poll_seconds);
    if (config.dsn.empty() == !config.sharding.enabled()) {
        std::cerr << "treasure-gateway: give either --dsn or one of --shard-map-from and --shards-file\n";
        return 2;
    }
    config.breaker.failure_rate_threshold_ppm = std::llround(threshold_percent * 10000.0);
    config.breaker.open_duration = std::chrono::seconds(open_seconds);
    config.retry.deadline = std::chrono::milliseconds(retry_deadline_ms);

    raise_descriptor_limit(config.admission.max_connections);
    treasure::block_stop_signals();
    if (config.sharding.enabled())
        treasure::block_reload_signal();
    signal(SIGPIPE, SIG_IGN);

    try {
        const treasure::ListenAddress address = treasure::parse_listen_address(listen);
        treasure::validate(config.edge, address);
        treasure::Gateway gateway(config);
        if (!config.web_root.empty() && !gateway.web_root())
            throw std::invalid_argument("--web-root " + config.web_root + ": no such directory");
        const int port = gateway.bind(address.host, address.port);
        treasure::StopSignalWaiter stopper([&gateway](int received) {
            std::cerr << "treasure-gateway: " << treasure::stop_signal_name(received)
                      << ", finishing in-flight requests\n";
            gateway.stop();
        });
        std::unique_ptr<treasure::ReloadSignalWaiter> reloader;
        if (gateway.sharded())
            reloader = std::make_unique<treasure::ReloadSignalWaiter>([&gateway] { gateway.reload_shard_map(); });
        std::cerr << "treasure-gateway: listening on " << (config.edge.tls_cert_path.empty() ? "" : "https://")
                  << address.host << ":" << port << " (claim io " << claim_io << ", pool " << config.pool_size
                  << " claim workers, " << config.worker_threads << " read workers, flags "
                  << (config.flags_file.empty() ? "atomic_claims=on" : config.flags_file) << ", saga path "
                  << (gateway.has_saga_path() ? "on" : "off") << ", shards "
                  << (gateway.sharded() ? std::to_string(gateway.shards()->map.partitions()) : "none") << ", auth "
                  << (gateway.edge().authenticates() ? "on" : "off") << ", page " << gateway.web_root().value_or("none")
                  << ")\n";
        std::cout << "listening " << address.host << ":" << port << std::endl;
        if (gateway.metrics_port() != 0)
            std::cout << "metrics " << treasure::parse_listen_address(config.edge.metrics_listen).host << ":"
                      << gateway.metrics_port() << std::endl;
        gateway.serve();
        std::cerr << "treasure-gateway: stopped\n";
        return 0;
    } catch (const std::exception &error) {
        std::cerr << "treasure-gateway: " << error.what() << "\n";
        return 1;
    }
}
