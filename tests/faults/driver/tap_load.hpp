#pragma once
// The fault suite's load: simulated taps over HTTP that record every claim the gateway acknowledged (200), so
// the suite can check acknowledged ⊆ committed after a fault.  Like `treasure load`, each tap has a fresh
// request_id and a fraction are sent again with the same one (a retried tap); unlike it, a tap that got no
// answer, a 503 or a 5xx is retried with the same request_id until it is answered or --give-up passes, the
// way a game server must, and bad requests can be mixed in (each must get its 4xx).
//
// Against an authenticated gateway it sends --api-key or per-player JWTs (--jwt-key ..., minted once per player
// before the tap is due; auth/client_credentials.hpp).  401, 403 and 429 are answers in the contract
// (outcomes http_401, http_403, http_429).  A human's tap answered 429 waits its Retry-After and is sent again
// (counted in retried as http_429), the way it retries a 503; a bot's is counted and the bot moves on.  With
// --bots a fraction of the players are bots tapping --bot-rate-multiplier times as often (lib/bot_players.hpp),
// and the report gains "classes": per class accepted taps, 429s and latency.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "auth/client_credentials.hpp"

namespace treasure::faults {

struct TapLoadOptions {
    std::string url;  // http://127.0.0.1:PORT
    std::int64_t players = 2000;
    std::int64_t chests = 20;
    int concurrency = 8;
    std::chrono::milliseconds duration{10000};
    std::int64_t max_taps = 0;                  // 0 = no limit
    double rate = 0;                            // taps per second over all workers; 0 = as fast as possible
    double retry_ratio = 0.1;                   // taps sent again with the same request_id
    double bad_ratio = 0;                       // malformed requests mixed in
    std::chrono::milliseconds give_up{60000};   // a tap still unanswered after this counts as unresolved
    std::chrono::milliseconds interval{60000};  // latency is reported per interval
    std::string acks_file;  // one line per acknowledged claim: request_id player chest coins claim_id
    std::uint64_t seed = 1;
    ClientCredentialOptions credentials;  // none: no credential headers (an unauthenticated gateway)
    std::optional<double> bots;           // fraction of bot players; set (0 included): "classes" in the report
    double bot_rate_multiplier = 10;      // with --rate, the rate becomes rate * (1 - f + f * N)
};

struct IntervalLatency {
    std::int64_t taps = 0;
    double p50_ms = 0, p99_ms = 0, max_ms = 0;
};

// The claim taps of one class of players (bad requests belong to none).
struct PlayerClassReport {
    std::int64_t players = 0;
    std::int64_t taps = 0;
    std::int64_t accepted = 0;                              // taps answered 200 claimed
    std::int64_t rate_limited = 0;                          // 429 answers (a human's retried ones included)
    std::int64_t refused = 0;                               // 401 and 403 answers
    std::int64_t unresolved = 0;                            // taps given up on
    std::int64_t max_accepted_per_player = 0;               // the busiest player's accepted taps
    double p50_ms = 0, p95_ms = 0, p99_ms = 0, max_ms = 0;  // every claim tap, due to final answer
};

struct TapLoadReport {
    double elapsed_seconds = 0;
    std::int64_t taps = 0;
    std::map<std::string, std::int64_t> outcomes;  // final answer of each tap: claimed, already_claimed, ...
    std::map<std::string, std::int64_t> retried;   // answers that made the tap retry: http_503, http_500, no_answer
    std::int64_t acknowledged = 0;                 // distinct taps answered 200
    std::int64_t acknowledged_coins = 0;
    std::int64_t first_send_replays = 0;  // a tap's very first answer was a replay: its first try committed unseen
    std::int64_t resend_replays = 0;      // retried taps answered as a replay of the original
    std::int64_t replay_mismatches = 0;   // a replay that disagreed with the original answer (must be 0)
    std::int64_t unexpected = 0;          // answers outside the contract (must be 0)
    std::int64_t unresolved = 0;          // taps given up on (allowed during faults; not acknowledged)
    std::int64_t shed = 0;                // 503 overloaded answers
    double max_ack_gap_ms = 0;            // longest time without any 200: the outage a fault caused
    std::vector<IntervalLatency> intervals;
    std::map<std::string, std::int64_t> paths;
    std::string first_unexpected;
    double rate = 0;                                   // the arrival rate used (rate * load factor with --bots)
    std::map<std::string, PlayerClassReport> classes;  // "human" and "bot", with --bots only
    std::int64_t tokens_minted = 0;
};

TapLoadReport run_tap_load(const TapLoadOptions &options);
std::string to_json(const TapLoadReport &report);

}  // namespace treasure::faults
