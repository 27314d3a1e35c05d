#include "cli/load_generator.hpp"

#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>

#include <prometheus/histogram.h>

#include "lib/claim_error.hpp"
#include "lib/uuid.hpp"

namespace treasure {

namespace {

struct WorkerTally {
    std::map<std::string, std::int64_t> outcomes;
    std::map<std::string, std::int64_t> paths;
    std::vector<std::int64_t> latencies;
    std::string first_error;
};

void run_worker(const LoadOptions &options, ClaimPath &path, int worker, std::chrono::steady_clock::time_point start,
                LoadProgress &progress, prometheus::Histogram *histogram, WorkerTally &tally)
{
    using clock = std::chrono::steady_clock;
    std::mt19937_64 random{std::random_device{}() ^ (static_cast<std::uint64_t>(worker) << 32)};
    std::uniform_int_distribution<std::int64_t> pick_player(1, options.players);
    std::uniform_int_distribution<std::int64_t> pick_chest(1, options.chests);
    std::uniform_int_distribution<std::int64_t> pick_session(1, 1LL << 31);
    std::bernoulli_distribution retry_it(options.duplicate_ratio);
    const auto end = start + options.duration;
    // With a fixed rate, worker w's taps are due at start + (w + k * concurrency) / rate.
    const auto interval = options.rate > 0 ? std::chrono::duration<double>(options.concurrency / options.rate)
                                           : std::chrono::duration<double>(0);
    auto due = start + std::chrono::duration_cast<clock::duration>(
                           options.rate > 0 ? std::chrono::duration<double>(worker / options.rate)
                                            : std::chrono::duration<double>(0));

    ClaimRequest request;
    bool resend = false;
    tally.latencies.reserve(4096);
    for (;;) {
        if (options.rate > 0) {
            if (due >= end)
                break;
            std::this_thread::sleep_until(due);
        } else {
            due = clock::now();
            if (due >= end)
                break;
        }
        if (!resend) {
            request.player_id = pick_player(random);
            request.chest_id = pick_chest(random);
            request.request_id = random_uuid_v4();
            request.session_id = pick_session(random);
        }
        bool confirmed = false;
        try {
            const ClaimResult result = path.claim(request);
            ++tally.outcomes[result.replayed ? "replayed" : std::string(to_string(result.status))];
            ++tally.paths[std::string(to_string(result.path))];
            confirmed = true;
        } catch (const ClaimError &error) {
            ++tally.outcomes[std::string(to_string(error.kind()))];
            ++progress.errors;
            if (tally.first_error.empty())
                tally.first_error = error.what();
        } catch (const std::exception &error) {
            ++tally.outcomes["internal"];
            ++progress.errors;
            if (tally.first_error.empty())
                tally.first_error = error.what();
        }
        const auto latency = clock::now() - due;
        if (confirmed) {
            tally.latencies.push_back(std::chrono::duration_cast<std::chrono::nanoseconds>(latency).count());
            if (histogram)
                histogram->Observe(std::chrono::duration<double>(latency).count());
        }
        ++progress.taps;
        resend = !resend && retry_it(random);
        if (options.rate > 0)
            due += std::chrono::duration_cast<clock::duration>(interval);
    }
}

}  // namespace

LoadReport run_load(const LoadOptions &options, const std::vector<ClaimPath *> &paths, LoadProgress &progress,
                    prometheus::Histogram *latency_histogram)
{
    if (options.players < 1 || options.chests < 1)
        throw std::invalid_argument("--players and --chests must be >= 1");
    if (options.concurrency < 1 || paths.size() != static_cast<std::size_t>(options.concurrency))
        throw std::invalid_argument("--concurrency must be >= 1 and every worker needs a claim path");
    if (options.duplicate_ratio < 0 || options.duplicate_ratio > 1)
        throw std::invalid_argument("--duplicate-ratio must be within 0..1");
    if (options.rate < 0)
        throw std::invalid_argument("--rate must not be negative");

    std::vector<WorkerTally> tallies(static_cast<std::size_t>(options.concurrency));
    const auto start = std::chrono::steady_clock::now();
    {
        std::vector<std::thread> workers;
        for (int worker = 0; worker < options.concurrency; ++worker)
            workers.emplace_back(run_worker, std::cref(options), std::ref(*paths[static_cast<std::size_t>(worker)]),
                                 worker, start, std::ref(progress), latency_histogram,
                                 std::ref(tallies[static_cast<std::size_t>(worker)]));
        for (auto &worker : workers)
            worker.join();
    }
    LoadReport report;
    report.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::vector<std::int64_t> latencies;
    for (auto &tally : tallies) {
        for (auto &[outcome, count] : tally.outcomes)
            report.outcomes[outcome] += count;
        for (auto &[path, count] : tally.paths)
            report.paths[path] += count;
        latencies.insert(latencies.end(), tally.latencies.begin(), tally.latencies.end());
        if (report.first_error.empty())
            report.first_error = tally.first_error;
    }
    report.taps = progress.taps.load();
    report.latency = summarize_latencies(latencies);
    return report;
}

}  // namespace treasure
