// treasure-saga: the service workers and the orchestrator of the legacy saga path (the emergency fallback
// the gateway's flag and breaker send claims to).  One process can run every role, or each role can run in
// its own process, as separate services would; several processes of one role share its queue (SKIP LOCKED).
#include <atomic>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>

#include "lib/stop_signals.hpp"
#include "saga/saga_worker.hpp"

int main(int argc, char **argv)
{
    std::string dsn;
    std::string workers = "inventory,wallet,orchestrator,analytics";
    long long step_timeout_ms = 5000;
    long long poll_ms = 250;
    std::string fail_step;
    int threads = 1;
    bool verbose = false;

    CLI::App app{"treasure-saga: runs the saga path's workers (inventory, wallet, orchestrator, analytics)"};
    app.footer(
        "Each step of a saga is one transaction of treasure.saga_work(): dedupe, effect, saga log and next message\n"
        "commit together, so kill -9 at any moment loses nothing and applies nothing twice; restart to recover.\n"
        "The orchestrator compensates a saga that made no progress for --step-timeout before its commit.\n"
        "SIGTERM/SIGINT: finish the current step, exit 0.");
    app.add_option("--dsn", dsn, "libpq connection string")->required();
    app.add_option("--workers", workers, "comma-separated roles to run")->capture_default_str();
    app.add_option("--step-timeout", step_timeout_ms, "orchestrator: compensate a saga stuck this long (ms)")
        ->capture_default_str()
        ->check(CLI::Range(0LL, 86400000LL));
    app.add_option("--poll", poll_ms, "longest sleep between looks at a queue when no NOTIFY comes (ms)")
        ->capture_default_str()
        ->check(CLI::Range(1LL, 60000LL));
    app.add_option("--threads", threads, "workers per role")->capture_default_str()->check(CLI::Range(1, 64));
    app.add_option("--fail-step", fail_step, "fault injection: this step always fails")
        ->check(CLI::IsMember({"take_key", "credit", "commit", "give_item", "count", "refund", "return_key"}));
    app.add_flag("--verbose", verbose, "print every step taken");
    CLI11_PARSE(app, argc, argv);

    std::vector<treasure::SagaRole> roles;
    std::stringstream list(workers);
    for (std::string name; std::getline(list, name, ',');) {
        const auto role = treasure::parse_saga_role(name);
        if (!role) {
            std::cerr << "treasure-saga: unknown worker '" << name
                      << "' (inventory, wallet, orchestrator, analytics)\n";
            return 2;
        }
        roles.push_back(*role);
    }

    treasure::block_stop_signals();
    std::atomic<bool> stop_requested{false};
    treasure::StopSignalWaiter stopper([&stop_requested](int) { stop_requested.store(true); });

    std::vector<std::unique_ptr<treasure::SagaWorker>> running;
    std::vector<std::thread> pool;
    for (treasure::SagaRole role : roles) {
        for (int i = 0; i < threads; ++i) {
            treasure::SagaWorkerOptions options;
            options.dsn = dsn;
            options.role = role;
            options.fail_step = fail_step;
            options.step_timeout = std::chrono::milliseconds(step_timeout_ms);
            options.poll = std::chrono::milliseconds(poll_ms);
            options.verbose = verbose;
            running.push_back(std::make_unique<treasure::SagaWorker>(options));
            pool.emplace_back([worker = running.back().get(), &stop_requested] { worker->run(stop_requested); });
        }
    }
    std::cout << "treasure-saga: running " << workers << " (" << threads << " thread(s) each)" << std::endl;
    for (auto &thread : pool)
        thread.join();
    std::uint64_t steps = 0;
    for (const auto &worker : running)
        steps += worker->steps();
    std::cout << "treasure-saga: stopped after " << steps << " step(s)" << std::endl;
    return 0;
}
