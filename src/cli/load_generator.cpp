#include "cli/load_generator.hpp"

#include <limits>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>

#include "auth/client_credentials.hpp"
#include "cli/http_claim_path.hpp"
#include "lib/bot_players.hpp"
#include "lib/claim_error.hpp"
#include "lib/latency_histogram.hpp"
#include "lib/uuid.hpp"

namespace treasure {

namespace {

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
    ClassTally humans, bots;  // with --bots
};

void note_error(WorkerTally &tally, const std::exception &error)
{
    if (tally.first_error.empty())
        tally.first_error = error.what();
}

void run_worker(const LoadOptions &options, const BotPlayers &players, ClaimPath &path, int worker,
                std::chrono::steady_clock::time_point start, LoadProgress &progress, LatencyHistogram *histogram,
                ClientCredentials *credentials, WorkerTally &tally)
{
    using clock = std::chrono::steady_clock;
    std::mt19937_64 random{std::random_device{}() ^ (static_cast<std::uint64_t>(worker) << 32)};
    std::uniform_int_distribution<std::int64_t> pick_chest(1, options.chests);
    std::uniform_int_distribution<std::int64_t> pick_session(1, 1LL << 31);
    std::bernoulli_distribution retry_it(options.duplicate_ratio);
    const auto end = start + options.duration;
    // With a fixed rate, worker w's taps are due at start + (w + k * concurrency) / rate.
    const double rate = options.rate * players.load_factor();
    const auto interval =
        rate > 0 ? std::chrono::duration<double>(options.concurrency / rate) : std::chrono::duration<double>(0);
    auto due = start + std::chrono::duration_cast<clock::duration>(
                           rate > 0 ? std::chrono::duration<double>(worker / rate) : std::chrono::duration<double>(0));

    ClaimRequest request;
    std::int64_t player = 0;  // 1..players: BotPlayers' numbering, before first_player shifts it
    bool resend = false;
    tally.latencies.reserve(4096);
    for (;;) {
        if (rate > 0 && due >= end)
            break;
        if (!resend) {
            player = players.pick(random);
            request.player_id = options.first_player - 1 + player;
            request.chest_id = pick_chest(random);
            request.request_id = random_uuid_v7();
            request.session_id = pick_session(random);
        }
        // A token is minted (once per player) before the tap is due, so it is not in the tap's latency.
        if (credentials)
            credentials->prepare(request.player_id);
        if (rate > 0) {
            std::this_thread::sleep_until(due);
        } else {
            due = clock::now();
            if (due >= end)
                break;
        }
        bool confirmed = false;
        std::string outcome;
        std::string_view served_by = "none";
        try {
            const ClaimResult result = path.claim(request);
            outcome = result.replayed ? "replayed" : std::string(to_string(result.status));
            served_by = to_string(result.path);
            ++tally.paths[std::string(served_by)];
            confirmed = true;
        } catch (const GatewayRefusal &refusal) {
            outcome = "http_" + std::to_string(refusal.http_status());
            ++tally
                  .refusals[outcome + " " + refusal.error() + (refusal.reason().empty() ? "" : ":" + refusal.reason())];
            ++progress.refused;
            note_error(tally, refusal);
        } catch (const ClaimError &error) {
            outcome = std::string(to_string(error.kind()));
            ++progress.errors;
            note_error(tally, error);
        } catch (const std::exception &error) {
            outcome = "internal";
            ++progress.errors;
            note_error(tally, error);
        }
        ++tally.outcomes[outcome];
        const auto latency = clock::now() - due;
        const auto latency_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(latency).count();
        if (confirmed) {
            tally.latencies.push_back(latency_ns);
            const auto path_label = LatencyHistogram::path_index(served_by);
            const auto outcome_label = LatencyHistogram::outcome_index(outcome);
            if (histogram && path_label && outcome_label)
                histogram->observe(*path_label, *outcome_label, std::chrono::duration<double>(latency).count());
        }
        if (options.bots) {
            ClassTally &by_class = players.is_bot(player) ? tally.bots : tally.humans;
            ++by_class.taps;
            ++by_class.outcomes[outcome];
            if (confirmed)
                by_class.latencies.push_back(latency_ns);
        }
        ++progress.taps;
        resend = !resend && retry_it(random);
        if (rate > 0)
            due += std::chrono::duration_cast<clock::duration>(interval);
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

}  // namespace

LoadReport run_load(const LoadOptions &options, const std::vector<ClaimPath *> &paths, LoadProgress &progress,
                    LatencyHistogram *latency_histogram, ClientCredentials *credentials)
{
    if (options.players < 1 || options.chests < 1)
        throw std::invalid_argument("--players and --chests must be >= 1");
    if (options.first_player < 1 ||
        options.first_player - 1 > std::numeric_limits<std::int64_t>::max() - options.players)
        throw std::invalid_argument("--first-player must be >= 1, with the last player id a bigint");
    if (options.concurrency < 1 || paths.size() != static_cast<std::size_t>(options.concurrency))
        throw std::invalid_argument("--concurrency must be >= 1 and every worker needs a claim path");
    if (options.duplicate_ratio < 0 || options.duplicate_ratio > 1)
        throw std::invalid_argument("--duplicate-ratio must be within 0..1");
    if (options.rate < 0)
        throw std::invalid_argument("--rate must not be negative");
    const BotPlayers players(options.players, options.bots.value_or(0), options.bot_rate_multiplier);

    std::vector<WorkerTally> tallies(static_cast<std::size_t>(options.concurrency));
    const auto start = std::chrono::steady_clock::now();
    {
        std::vector<std::thread> workers;
        for (int worker = 0; worker < options.concurrency; ++worker)
            workers.emplace_back(run_worker, std::cref(options), std::cref(players),
                                 std::ref(*paths[static_cast<std::size_t>(worker)]), worker, start, std::ref(progress),
                                 latency_histogram, credentials, std::ref(tallies[static_cast<std::size_t>(worker)]));
        for (auto &worker : workers)
            worker.join();
    }
    LoadReport report;
    report.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
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

}  // namespace treasure
