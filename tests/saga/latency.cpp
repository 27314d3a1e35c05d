// The price of the saga path: the treasure CLI's load generator drives the atomic path, then the saga path,
// in one run on one machine, and prints both latency summaries side by side.
//   treasure_saga_latency ATOMIC_DSN SAGA_DSN [SECONDS] [CONCURRENCY] [PLAYERS] [CHESTS]
// Both databases must hold the same chests; treasure-saga must run on SAGA_DSN.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "cli/load_generator.hpp"
#include "lib/client.hpp"
#include "saga/saga_path.hpp"

int main(int argc, char **argv)
{
    if (argc < 3) {
        std::cerr << "usage: treasure_saga_latency ATOMIC_DSN SAGA_DSN [SECONDS] [CONCURRENCY] [PLAYERS] [CHESTS]\n";
        return 2;
    }
    treasure::LoadOptions load;
    load.duration = std::chrono::milliseconds(static_cast<long>(1000 * (argc > 3 ? std::atof(argv[3]) : 5.0)));
    load.concurrency = argc > 4 ? std::atoi(argv[4]) : 8;
    load.players = argc > 5 ? std::atoll(argv[5]) : 100000;
    load.chests = argc > 6 ? std::atoll(argv[6]) : 10;
    load.duplicate_ratio = 0.1;

    treasure::Client atomic{
        treasure::ClientOptions{argv[1], static_cast<std::size_t>(load.concurrency), treasure::RetryPolicy{}}};
    treasure::SagaPath saga{treasure::SagaPathOptions{argv[2], static_cast<std::size_t>(load.concurrency),
                                                      std::chrono::milliseconds(5000)}};

    std::printf("%-7s %8s %9s %8s %8s %8s %8s %8s %8s %7s\n", "path", "taps", "taps/s", "mean_ms", "p50_ms", "p95_ms",
                "p99_ms", "p99.7_ms", "max_ms", "errors");
    int status = 0;
    for (treasure::ClaimPath *path :
         {static_cast<treasure::ClaimPath *>(&atomic), static_cast<treasure::ClaimPath *>(&saga)}) {
        treasure::LoadProgress progress;
        const std::vector<treasure::ClaimPath *> paths(static_cast<std::size_t>(load.concurrency), path);
        const treasure::LoadReport report = treasure::run_load(load, paths, progress, nullptr);
        const auto &l = report.latency;
        std::printf("%-7s %8lld %9.0f %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f %7lld\n",
                    std::string(treasure::to_string(path->kind())).c_str(), static_cast<long long>(report.taps),
                    report.taps / report.elapsed_seconds, l.mean_ms, l.p50_ms, l.p95_ms, l.p99_ms, l.p99_7_ms, l.max_ms,
                    static_cast<long long>(progress.errors.load()));
        if (progress.errors.load() > 0) {
            std::cerr << "first error: " << report.first_error << "\n";
            status = 1;
        }
    }
    return status;
}
