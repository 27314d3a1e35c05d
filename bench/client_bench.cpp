// Client-side latency of one tap through the shim (Google Benchmark).  Every path that implements
// treasure::ClaimPath is measured the same way, side by side: a tap by a random player of a random chest with
// a fresh request_id, timed from the call to the returned ClaimResult (or ClaimError).  Besides Google
// Benchmark's mean, each benchmark reports the nearest-rank p50/p95/p99/p99.7 of its iterations as counters
// (microseconds), and the taps that failed (ClaimError, e.g. a saga that missed its deadline; their time
// counts in the percentiles).  A benchmark none of whose taps succeeded is reported as an error.
//
// Registered paths (paths() below), each with 1 and 4 threads sharing one path object:
//   atomic  treasure::Client: claim_treasure() in one round trip, a pool of one connection per thread;
//   saga    treasure::SagaPath: treasure.saga_claim(), then waiting (LISTEN treasure_saga_done) for the
//           saga's answer, a pool of one connection per thread, a 5 s deadline.  Needs treasure-saga's
//           workers running against the same database (bench/run.sh starts them), or every tap times out.
//
// Environment: TREASURE_BENCH_DSN (libpq connection string of a database loaded with bench/setup.sql),
// TREASURE_BENCH_PLAYERS (default 100000), TREASURE_BENCH_CHESTS (default 1000), TREASURE_BENCH_SAGA_MIN_TIME
// (seconds: Google Benchmark's minimum time for the saga benchmarks only; default --benchmark_min_time).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "lib/claim_error.hpp"
#include "lib/claim_path.hpp"
#include "lib/client.hpp"
#include "lib/uuid.hpp"
#include "saga/saga_path.hpp"

namespace {

std::string env_or(const char *name, const char *fallback)
{
    const char *value = std::getenv(name);
    return value != nullptr && *value != '\0' ? value : fallback;
}

struct PathFactory {
    const char *name;
    std::function<std::unique_ptr<treasure::ClaimPath>(const std::string &dsn, std::size_t connections)> make;
    // An environment variable with this path's own Google Benchmark minimum time (seconds), or nullptr.
    const char *min_time_variable = nullptr;
};

// The paths under test.
const std::vector<PathFactory> &paths()
{
    static const std::vector<PathFactory> all = {
        {"atomic",
         [](const std::string &dsn, std::size_t connections) -> std::unique_ptr<treasure::ClaimPath> {
             return std::make_unique<treasure::Client>(
                 treasure::ClientOptions{dsn, connections, treasure::RetryPolicy{}});
         }},
        {"saga",
         [](const std::string &dsn, std::size_t connections) -> std::unique_ptr<treasure::ClaimPath> {
             return std::make_unique<treasure::SagaPath>(
                 treasure::SagaPathOptions{dsn, connections, std::chrono::milliseconds(5000)});
         },
         "TREASURE_BENCH_SAGA_MIN_TIME"},
    };
    return all;
}

// One path object per registered benchmark, shared by its threads (a ClaimPath must be thread-safe), built
// once by thread 0 before the timed loop (Google Benchmark holds the other threads at a barrier until then).
struct Shared {
    std::unique_ptr<treasure::ClaimPath> path;
};

double percentile_us(std::vector<std::int64_t> &sorted, double p)
{
    if (sorted.empty())
        return 0;
    auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
    rank = std::clamp<std::size_t>(rank, 1, sorted.size());
    return static_cast<double>(sorted[rank - 1]) / 1000.0;
}

void claim_benchmark(benchmark::State &state, const PathFactory &factory, Shared &shared)
{
    static const std::string dsn = env_or("TREASURE_BENCH_DSN", "dbname=treasure_bench");
    static const std::int64_t players = std::stoll(env_or("TREASURE_BENCH_PLAYERS", "100000"));
    static const std::int64_t chests = std::stoll(env_or("TREASURE_BENCH_CHESTS", "1000"));
    if (state.thread_index() == 0 && !shared.path)
        shared.path = factory.make(dsn, static_cast<std::size_t>(state.threads()));
    std::mt19937_64 random{std::random_device{}()};
    std::uniform_int_distribution<std::int64_t> player(1, players), chest(1, chests);
    std::vector<std::int64_t> nanoseconds;
    std::int64_t claimed = 0, failed = 0;
    std::string first_error;
    for (auto _ : state) {
        treasure::ClaimRequest request;
        request.player_id = player(random);
        request.chest_id = chest(random);
        request.request_id = treasure::random_uuid_v4();
        request.session_id = request.player_id;
        const auto started = std::chrono::steady_clock::now();
        try {
            const treasure::ClaimResult result = shared.path->claim(request);
            claimed += result.status == treasure::ClaimStatus::claimed;
        } catch (const treasure::ClaimError &error) {
            if (failed++ == 0)
                first_error = error.what();
        }
        const auto elapsed = std::chrono::steady_clock::now() - started;
        nanoseconds.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(elapsed).count());
    }
    if (failed > 0 && failed == static_cast<std::int64_t>(nanoseconds.size()))
        state.SkipWithError(("every tap failed, the first with: " + first_error).c_str());
    std::sort(nanoseconds.begin(), nanoseconds.end());
    // Percentiles of each thread's own taps, averaged over the threads (kAvgThreads).
    for (const auto &[name, p] : {std::pair{"p50_us", 50.0}, {"p95_us", 95.0}, {"p99_us", 99.0}, {"p99.7_us", 99.7}})
        state.counters[name] = benchmark::Counter(percentile_us(nanoseconds, p), benchmark::Counter::kAvgThreads);
    state.counters["claimed"] = benchmark::Counter(static_cast<double>(claimed), benchmark::Counter::kAvgIterations);
    state.counters["failed"] = benchmark::Counter(static_cast<double>(failed));
    state.counters["taps_per_s"] =
        benchmark::Counter(static_cast<double>(nanoseconds.size()), benchmark::Counter::kIsRate);
}

}  // namespace

int main(int argc, char **argv)
{
    benchmark::Initialize(&argc, argv);
    std::vector<std::unique_ptr<Shared>> shared;
    for (const PathFactory &factory : paths()) {
        for (int threads : {1, 4}) {
            shared.push_back(std::make_unique<Shared>());
            Shared *paths_state = shared.back().get();
            benchmark::internal::Benchmark *registered =
                benchmark::RegisterBenchmark(
                    (std::string("claim/") + factory.name).c_str(),
                    [&factory, paths_state](benchmark::State &s) { claim_benchmark(s, factory, *paths_state); })
                    ->Threads(threads)
                    ->UseRealTime()
                    ->Unit(benchmark::kMicrosecond);
            if (factory.min_time_variable != nullptr) {
                const std::string min_time = env_or(factory.min_time_variable, "");
                if (!min_time.empty())
                    registered->MinTime(std::stod(min_time));
            }
        }
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
}
