#pragma once
#include <cstdint>
#include <vector>

namespace treasure {

struct LatencySummary {
    std::size_t count = 0;
    double mean_ms = 0, p50_ms = 0, p95_ms = 0, p99_ms = 0, p99_7_ms = 0, max_ms = 0;
};

// Nearest-rank percentiles of latencies in nanoseconds (sorts its argument).
LatencySummary summarize_latencies(std::vector<std::int64_t> &nanoseconds);

}  // namespace treasure
