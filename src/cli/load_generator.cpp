#include "cli/load_generator.hpp"

#include <fstream>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>

#include "auth/client_credentials.hpp"
#include "cli/http_claim_path.hpp"
#include "lib/batched_claims.hpp"
#include "lib/bot_players.hpp"
#include "lib/claim_error.hpp"
#include "lib/latency_histogram.hpp"
#include "lib/pipelined_claims.hpp"
#include "lib/uuid.hpp"

namespace treasure {

namespace {

using clock = std::chrono::steady_clock;

struct ClassTally {
    std::int64_t taps = 0;
    std::map<std::string, std::int64_t> outcomes;
    std::vector<std::int64_t> latencies;
};

struct WorkerTally {
    std::map<std::string, std::int64_t> outcomes;
    std::map<std::string, std::int64_t> paths;
    std::map<std::string, std::int64_t> refusals;
    std::vector<std::int64_t> latencies;
    std::string first_error;
    ClassTally humans, bots;        // with --bots
    std::vector<std::string> acks;  // with --acks: one line per claimed tap
};

void note_error(WorkerTally &tally, const std::exception &error)
{
    if (tally.first_error.empty())
        tally.first_error = error.what();
}

// The taps one worker sends: a fresh player, chest and request_id each, or the last tap again (--duplicate-ratio),
// each due on the worker's schedule (--rate) or at once.
class TapSource {
public:
    struct Tap {
        ClaimRequest request;
        std::int64_t player = 0;  // 1..players: BotPlayers' numbering, before first_player shifts it
        clock::time_point due;
    };

    TapSource(const LoadOptions &options, const BotPlayers &players, int worker, clock::time_point start)
        : options_(options),
          players_(players), random_{std::random_device{}() ^ (static_cast<std::uint64_t>(worker) << 32)},
          pick_chest_(1, options.chests), pick_session_(1, 1LL << 31), retry_it_(options.duplicate_ratio),
          end_(start + options.duration), rate_(options.rate * players.load_factor())
    {
        // With a fixed rate, worker w's taps are due at start + (w + k * concurrency) / rate.
        interval_ =
            rate_ > 0 ? std::chrono::duration<double>(options.concurrency / rate_) : std::chrono::duration<double>(0);
        due_ = start + std::chrono::duration_cast<clock::duration>(rate_ > 0
                                                                       ? std::chrono::duration<double>(worker / rate_)
                                                                       : std::chrono::duration<double>(0));
    }

    bool fixed_rate() const { return rate_ > 0; }

    // The next tap, due now (as fast as possible) or at its time on the schedule; nullopt once the run is over.
    std::optional<Tap> next()
    {
        if (rate_ > 0 && due_ >= end_)
            return std::nullopt;
        if (rate_ <= 0) {
            due_ = clock::now();
            if (due_ >= end_)
                return std::nullopt;
        }
        if (!resend_) {
            tap_.player = players_.pick(random_);
            tap_.request.player_id = options_.first_player - 1 + tap_.player;
            tap_.request.chest_id = pick_chest_(random_);
            tap_.request.request_id = random_uuid_v7();
            tap_.request.session_id = pick_session_(random_);
        }
        tap_.due = due_;
        resend_ = !resend_ && retry_it_(random_);
        if (rate_ > 0)
            due_ += std::chrono::duration_cast<clock::duration>(interval_);
        return tap_;
    }

private:
    const LoadOptions &options_;
    const BotPlayers &players_;
    std::mt19937_64 random_;
    std::uniform_int_distribution<std::int64_t> pick_chest_;
    std::uniform_int_distribution<std::int64_t> pick_session_;
    std::bernoulli_distribution retry_it_;
    const clock::time_point end_;
    const double rate_;
    std::chrono::duration<double> interval_;
    clock::time_point due_;
    Tap tap_;
    bool resend_ = false;
};

// One answered (or failed) tap into the worker's tally, the histogram and the progress bar.
struct TapRecorder {
    const LoadOptions &options;
    const BotPlayers &players;
    LoadProgress &progress;
    LatencyHistogram *histogram;
    WorkerTally &tally;

    void answered(const TapSource::Tap &tap, const ClaimResult &result)
    {
        const std::string_view served_by = to_string(result.path);
        ++tally.paths[std::string(served_by)];
        if (!options.acks_file.empty() && result.status == ClaimStatus::claimed)
            tally.acks.push_back(tap.request.request_id + '\t' + std::to_string(tap.request.player_id) + '\t' +
                                 std::to_string(tap.request.chest_id) + '\t' + std::to_string(result.coins_awarded) +
                                 '\t' + std::to_string(result.claim_id.value_or(0)));
        record(tap, result.replayed ? "replayed" : std::string(to_string(result.status)), served_by, true);
    }
    void refused(const TapSource::Tap &tap, const GatewayRefusal &refusal)
    {
        const std::string outcome = "http_" + std::to_string(refusal.http_status());
        ++tally.refusals[outcome + " " + refusal.error() + (refusal.reason().empty() ? "" : ":" + refusal.reason())];
        ++progress.refused;
        note_error(tally, refusal);
        record(tap, outcome, "none", false);
    }
    void failed(const TapSource::Tap &tap, const std::exception &error, const std::string &outcome)
    {
        ++progress.errors;
        note_error(tally, error);
        record(tap, outcome, "none", false);
    }

private:
    void record(const TapSource::Tap &tap, const std::string &outcome, std::string_view served_by, bool confirmed)
    {
        ++tally.outcomes[outcome];
        const auto latency = clock::now() - tap.due;
        const auto latency_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(latency).count();
        if (confirmed) {
            tally.latencies.push_back(latency_ns);
            const auto path_label = LatencyHistogram::path_index(served_by);
            const auto outcome_label = LatencyHistogram::outcome_index(outcome);
            if (histogram && path_label && outcome_label)
                histogram->observe(*path_label, *outcome_label, std::chrono::duration<double>(latency).count());
        }
        if (options.bots) {
            ClassTally &by_class = players.is_bot(tap.player) ? tally.bots : tally.humans;
            ++by_class.taps;
            ++by_class.outcomes[outcome];
            if (confirmed)
                by_class.latencies.push_back(latency_ns);
        }
        ++progress.taps;
    }
};

// One simulated client: one tap at a time through path.
void run_worker(const LoadOptions &options, const BotPlayers &players, ClaimPath &path, int worker,
                clock::time_point start, LoadProgress &progress, LatencyHistogram *histogram,
                ClientCredentials *credentials, WorkerTally &tally)
{
    TapSource source(options, players, worker, start);
    TapRecorder recorder{options, players, progress, histogram, tally};
    tally.latencies.reserve(4096);
    while (auto tap = source.next()) {
        // A token is minted (once per player) before the tap is due, so it is not in the tap's latency.
        if (credentials)
            credentials->prepare(tap->request.player_id);
        if (source.fixed_rate())
            std::this_thread::sleep_until(tap->due);
        else
            tap->due = clock::now();
        try {
            recorder.answered(*tap, path.claim(tap->request));
        } catch (const GatewayRefusal &refusal) {
            recorder.refused(*tap, refusal);
        } catch (const ClaimError &error) {
            recorder.failed(*tap, error, std::string(to_string(error.kind())));
        } catch (const std::exception &error) {
            recorder.failed(*tap, error, "internal");
        }
    }
}

// One connection in pipeline mode: up to options.pipeline taps in flight, each sent when due (or at once), each
// answer recorded when its Sync is read.  With --rate, a tap due while the pipeline is full waits, and its wait counts.
void run_pipelined_worker(const LoadOptions &options, const BotPlayers &players, PipelinedClaims &claims, int worker,
                          clock::time_point start, LoadProgress &progress, LatencyHistogram *histogram,
                          WorkerTally &tally)
{
    TapSource source(options, players, worker, start);
    TapRecorder recorder{options, players, progress, histogram, tally};
    tally.latencies.reserve(4096);
    std::map<std::uint64_t, TapSource::Tap> in_flight;
    std::uint64_t next_tag = 0;
    std::optional<TapSource::Tap> waiting = source.next();
    while (waiting || !in_flight.empty()) {
        while (waiting && in_flight.size() < static_cast<std::size_t>(options.pipeline) &&
               (!source.fixed_rate() || waiting->due <= clock::now())) {
            if (!source.fixed_rate())
                waiting->due = clock::now();  // as fast as possible: timed from when it is sent
            claims.submit(next_tag, waiting->request);
            in_flight.emplace(next_tag++, std::move(*waiting));
            waiting = source.next();
        }
        if (in_flight.empty()) {
            if (waiting)
                std::this_thread::sleep_until(waiting->due);
            continue;
        }
        const bool full = in_flight.size() >= static_cast<std::size_t>(options.pipeline);
        const auto until =
            waiting && source.fixed_rate() && !full ? waiting->due : clock::now() + std::chrono::seconds(1);
        for (const PipelinedOutcome &outcome : claims.collect(until)) {
            const auto tap = in_flight.extract(outcome.tag);
            if (outcome.result)
                recorder.answered(tap.mapped(), *outcome.result);
            else
                recorder.failed(tap.mapped(), *outcome.error, std::string(to_string(outcome.error->kind())));
        }
    }
}

// One connection sending batches: with --rate, every tap due by the time the connection is free (at most
// options.batch) goes in the next batch, and a tap due while a batch is out waits for it, which counts; as fast
// as possible, options.batch fresh taps per batch, timed from when the batch is sent.
void run_batched_worker(const LoadOptions &options, const BotPlayers &players, BatchedClaims &claims, int worker,
                        clock::time_point start, LoadProgress &progress, LatencyHistogram *histogram,
                        WorkerTally &tally)
{
    TapSource source(options, players, worker, start);
    TapRecorder recorder{options, players, progress, histogram, tally};
    tally.latencies.reserve(4096);
    std::vector<TapSource::Tap> batch;
    std::vector<ValidClaimRequest> requests;
    std::optional<TapSource::Tap> waiting = source.next();
    while (waiting) {
        if (source.fixed_rate())
            std::this_thread::sleep_until(waiting->due);
        batch.clear();
        requests.clear();
        while (waiting && batch.size() < static_cast<std::size_t>(options.batch) &&
               (!source.fixed_rate() || waiting->due <= clock::now())) {
            if (!source.fixed_rate())
                waiting->due = clock::now();
            requests.emplace_back(waiting->request);
            batch.push_back(std::move(*waiting));
            waiting = source.next();
        }
        std::vector<BatchedOutcome> outcomes;
        try {
            outcomes = claims.claim_batch(requests);
        } catch (const std::exception &error) {
            for (const TapSource::Tap &tap : batch)
                recorder.failed(tap, error, "internal");
            continue;
        }
        for (std::size_t i = 0; i < batch.size(); ++i) {
            if (outcomes[i].result)
                recorder.answered(batch[i], *outcomes[i].result);
            else
                recorder.failed(batch[i], *outcomes[i].error, std::string(to_string(outcomes[i].error->kind())));
        }
    }
}

PlayerClassReport merge_class(std::int64_t players, std::vector<ClassTally *> parts)
{
    PlayerClassReport report;
    report.players = players;
    std::vector<std::int64_t> latencies;
    for (ClassTally *part : parts) {
        report.taps += part->taps;
        for (const auto &[outcome, count] : part->outcomes)
            report.outcomes[outcome] += count;
        latencies.insert(latencies.end(), part->latencies.begin(), part->latencies.end());
    }
    report.latency = summarize_latencies(latencies);
    return report;
}

void check_options(const LoadOptions &options)
{
    if (options.players < 1 || options.chests < 1)
        throw std::invalid_argument("--players and --chests must be >= 1");
    if (options.first_player < 1 ||
        options.first_player - 1 > std::numeric_limits<std::int64_t>::max() - options.players)
        throw std::invalid_argument("--first-player must be >= 1, with the last player id a bigint");
    if (options.concurrency < 1)
        throw std::invalid_argument("--concurrency must be >= 1");
    if (options.duplicate_ratio < 0 || options.duplicate_ratio > 1)
        throw std::invalid_argument("--duplicate-ratio must be within 0..1");
    if (options.rate < 0)
        throw std::invalid_argument("--rate must not be negative");
}

void write_acks(const std::string &path, const std::vector<WorkerTally> &tallies)
{
    std::ofstream acks(path);
    for (const WorkerTally &tally : tallies)
        for (const std::string &ack : tally.acks)
            acks << ack << '\n';
    if (!acks.flush())
        throw std::runtime_error("cannot write " + path);
}

// Runs worker(w, start, tally) on options.concurrency threads and adds their tallies up.
LoadReport run_workers(const LoadOptions &options, const BotPlayers &players, LoadProgress &progress,
                       ClientCredentials *credentials,
                       const std::function<void(int, clock::time_point, WorkerTally &)> &worker)
{
    std::vector<WorkerTally> tallies(static_cast<std::size_t>(options.concurrency));
    const auto start = clock::now();
    {
        std::vector<std::thread> workers;
        for (int w = 0; w < options.concurrency; ++w)
            workers.emplace_back(worker, w, start, std::ref(tallies[static_cast<std::size_t>(w)]));
        for (auto &thread : workers)
            thread.join();
    }
    LoadReport report;
    report.elapsed_seconds = std::chrono::duration<double>(clock::now() - start).count();
    if (!options.acks_file.empty())
        write_acks(options.acks_file, tallies);
    std::vector<std::int64_t> latencies;
    std::vector<ClassTally *> humans, bots;
    for (auto &tally : tallies) {
        for (auto &[outcome, count] : tally.outcomes)
            report.outcomes[outcome] += count;
        for (auto &[refusal, count] : tally.refusals)
            report.refusals[refusal] += count;
        humans.push_back(&tally.humans);
        bots.push_back(&tally.bots);
        for (auto &[path, count] : tally.paths)
            report.paths[path] += count;
        latencies.insert(latencies.end(), tally.latencies.begin(), tally.latencies.end());
        if (report.first_error.empty())
            report.first_error = tally.first_error;
    }
    report.taps = progress.taps.load();
    report.latency = summarize_latencies(latencies);
    report.rate = options.rate * players.load_factor();
    if (options.bots) {
        report.classes["human"] = merge_class(players.humans(), humans);
        report.classes["bot"] = merge_class(players.bots(), bots);
    }
    report.tokens_minted = credentials ? credentials->tokens_minted() : 0;
    return report;
}

// One Connection per worker, each opened before the clock starts (so a wrong DSN fails here and set-up is not
// timed), then work(connection, players, worker, start, tally) on each worker's thread.
template <class Connection, class MakeOptions, class Work>
LoadReport run_connection_workers(const LoadOptions &options, LoadProgress &progress, MakeOptions make_options,
                                  Work work)
{
    check_options(options);
    const BotPlayers players(options.players, options.bots.value_or(0), options.bot_rate_multiplier);
    std::vector<std::unique_ptr<Connection>> connections;
    for (int worker = 0; worker < options.concurrency; ++worker)
        connections.push_back(std::make_unique<Connection>(make_options()));
    return run_workers(options, players, progress, nullptr,
                       [&](int worker, clock::time_point start, WorkerTally &tally) {
                           work(*connections[static_cast<std::size_t>(worker)], players, worker, start, tally);
                       });
}

}  // namespace

LoadReport run_load(const LoadOptions &options, const std::vector<ClaimPath *> &paths, LoadProgress &progress,
                    LatencyHistogram *latency_histogram, ClientCredentials *credentials)
{
    check_options(options);
    if (paths.size() != static_cast<std::size_t>(options.concurrency))
        throw std::invalid_argument("every worker needs a claim path");
    const BotPlayers players(options.players, options.bots.value_or(0), options.bot_rate_multiplier);
    return run_workers(options, players, progress, credentials,
                       [&](int worker, clock::time_point start, WorkerTally &tally) {
                           run_worker(options, players, *paths[static_cast<std::size_t>(worker)], worker, start,
                                      progress, latency_histogram, credentials, tally);
                       });
}

LoadReport run_pipelined_load(const LoadOptions &options, const std::string &dsn, LoadProgress &progress,
                              LatencyHistogram *latency_histogram)
{
    if (options.pipeline < 1 || options.pipeline > max_pipeline_depth)
        throw std::invalid_argument("--pipeline must be within 1.." + std::to_string(max_pipeline_depth));
    return run_connection_workers<PipelinedClaims>(
        options, progress,
        [&] {
            return PipelinedClaimsOptions{dsn, options.pipeline, RetryPolicy{}};
        },
        [&](PipelinedClaims &claims, const BotPlayers &players, int worker, clock::time_point start,
            WorkerTally &tally) {
            run_pipelined_worker(options, players, claims, worker, start, progress, latency_histogram, tally);
        });
}

LoadReport run_batched_load(const LoadOptions &options, const std::string &dsn, LoadProgress &progress,
                            LatencyHistogram *latency_histogram)
{
    if (options.batch < 1 || options.batch > max_batch_taps)
        throw std::invalid_argument("--batch must be within 1.." + std::to_string(max_batch_taps));
    return run_connection_workers<BatchedClaims>(
        options, progress,
        [&] {
            return BatchedClaimsOptions{dsn, RetryPolicy{}};
        },
        [&](BatchedClaims &claims, const BotPlayers &players, int worker, clock::time_point start, WorkerTally &tally) {
            run_batched_worker(options, players, claims, worker, start, progress, latency_histogram, tally);
        });
}

}  // namespace treasure
