#pragma once
// The fault suite's load: simulated taps over HTTP that record every claim the gateway acknowledged (200), so
// the suite can check acknowledged ⊆ committed after a fault.  Like `treasure load`, each tap has a fresh
// request_id and a fraction are sent again with the same one (a retried tap); unlike it, a tap that got no
// answer, a 503 or a 5xx is retried with the same request_id until it is answered or --give-up passes, the
// way a game server must, and bad requests can be mixed in (each must get its 4xx).
#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

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
};

struct IntervalLatency {
    std::int64_t taps = 0;
    double p50_ms = 0, p99_ms = 0, max_ms = 0;
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
};

TapLoadReport run_tap_load(const TapLoadOptions &options);
std::string to_json(const TapLoadReport &report);

}  // namespace treasure::faults
