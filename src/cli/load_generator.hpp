#pragma once
// Simulated players tapping chests as fast as they can (or at a fixed arrival rate), each tap with a fresh
// UUID v4 request_id, a fraction of them sent again with the same request_id the way a client retries after
// a lost answer.  Latency is measured from the moment the tap was due to the moment its answer arrived
// (with --rate a late start counts against the system, so a stall cannot hide: no coordinated omission).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "cli/latency_summary.hpp"
#include "lib/claim_path.hpp"

namespace prometheus {
class Histogram;
}

namespace treasure {

struct LoadOptions {
    std::int64_t players = 1000;
    std::int64_t chests = 10;
    int concurrency = 8;
    std::chrono::milliseconds duration{10000};
    double duplicate_ratio = 0.0;  // 0..1
    double rate = 0.0;             // taps per second over all workers; 0 = as fast as possible
};

struct LoadProgress {
    std::atomic<std::int64_t> taps{0};
    std::atomic<std::int64_t> errors{0};
};

struct LoadReport {
    double elapsed_seconds = 0;
    std::int64_t taps = 0;
    std::map<std::string, std::int64_t> outcomes;  // claimed, replayed, already_claimed, ..., and error kinds
    std::map<std::string, std::int64_t> paths;     // atomic / saga, for answered claims
    LatencySummary latency;                        // taps answered with a claim status (errors are only counted)
    std::string first_error;
};

// paths[i] serves worker i (a shared thread-safe path may appear several times).  latency_histogram may be null.
LoadReport run_load(const LoadOptions &options, const std::vector<ClaimPath *> &paths, LoadProgress &progress,
                    prometheus::Histogram *latency_histogram);

}  // namespace treasure
