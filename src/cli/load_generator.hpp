#pragma once
// Simulated players tapping chests as fast as they can (or at a fixed arrival rate), each tap with a fresh
// UUID v7 request_id, a fraction of them sent again with the same request_id the way a client retries after
// a lost answer.  Latency is measured from the moment the tap was due to the moment its answer arrived
// (with --rate a late start counts against the system, so a stall cannot hide: no coordinated omission).
// With --bots a fraction of the players are bots tapping --bot-rate-multiplier times as often
// (lib/bot_players.hpp), and the report splits outcomes and latency by class.  A 401, 403 or 429 from an
// authenticated gateway is an answer, counted as http_401/http_403/http_429 (and by reason), never retried.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "cli/latency_summary.hpp"
#include "lib/claim_path.hpp"

namespace treasure {

class LatencyHistogram;

class ClientCredentials;

struct LoadOptions {
    std::int64_t players = 1000;
    std::int64_t first_player = 1;  // the players are first_player .. first_player + players - 1
    std::int64_t chests = 10;
    int concurrency = 8;
    std::chrono::milliseconds duration{10000};
    double duplicate_ratio = 0.0;  // 0..1
    double rate = 0.0;             // taps per second over all workers; 0 = as fast as possible
    // --bots: the fraction of players that are bots; set (0 included) the report is split by class.  With a
    // fixed rate, the taps per second become rate * BotPlayers::load_factor(): humans keep their rate, bots add.
    std::optional<double> bots;
    double bot_rate_multiplier = 10;
    // --pipeline: taps in flight per connection (1..32, lib/pipelined_claims.hpp); 0 = one at a time per worker.
    int pipeline = 0;
    // --batch: taps per treasure.claim_treasure_batch() call (1..32, lib/batched_claims.hpp); 0 = off.
    int batch = 0;
    // --acks: where to write every claimed tap, "request_id player chest coins claim_id" tab-separated (the
    // fault suite's ledger, tests/faults/faults.sh); "" = nowhere.
    std::string acks_file;
};

struct LoadProgress {
    std::atomic<std::int64_t> taps{0};
    std::atomic<std::int64_t> errors{0};
    std::atomic<std::int64_t> refused{0};  // 401, 403 and 429 answers
};

// One class of players (humans or bots) in a run with --bots.
struct PlayerClassReport {
    std::int64_t players = 0;
    std::int64_t taps = 0;
    std::map<std::string, std::int64_t> outcomes;
    LatencySummary latency;
};

struct LoadReport {
    double elapsed_seconds = 0;
    std::int64_t taps = 0;
    std::map<std::string, std::int64_t> outcomes;  // claimed, replayed, already_claimed, ..., error kinds, http_429
    std::map<std::string, std::int64_t> refusals;  // 401/403/429 by the body's error and reason: "http_401 expired"
    std::map<std::string, std::int64_t> paths;     // atomic / saga, for answered claims
    LatencySummary latency;                        // taps answered with a claim status (errors are only counted)
    std::string first_error;
    double rate = 0;                                   // the arrival rate used (rate * load factor with --bots)
    std::map<std::string, PlayerClassReport> classes;  // "human" and "bot", with --bots only
    std::int64_t tokens_minted = 0;                    // with --jwt-key
};

// paths[i] serves worker i (a shared thread-safe path may appear several times).  latency_histogram may be null.
// credentials, when the paths send any, are asked to mint a tap's token before the tap's clock starts.
LoadReport run_load(const LoadOptions &options, const std::vector<ClaimPath *> &paths, LoadProgress &progress,
                    LatencyHistogram *latency_histogram, ClientCredentials *credentials = nullptr);

// The same straight to PostgreSQL with --pipeline: each of the concurrency workers owns one connection to dsn in
// libpq's pipeline mode with up to options.pipeline taps in flight, each answer timed from when its tap was due.
LoadReport run_pipelined_load(const LoadOptions &options, const std::string &dsn, LoadProgress &progress,
                              LatencyHistogram *latency_histogram);

// The same straight to PostgreSQL with --batch: each of the concurrency workers owns one connection and sends the
// taps due (up to options.batch, at once as fast as possible) as one batch, each answer timed from when its tap was
// due, so a tap that waits for the batch before it counts that wait.
LoadReport run_batched_load(const LoadOptions &options, const std::string &dsn, LoadProgress &progress,
                            LatencyHistogram *latency_histogram);

}  // namespace treasure
