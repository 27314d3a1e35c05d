#include "cli/latency_summary.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace treasure {

LatencySummary summarize_latencies(std::vector<std::int64_t> &nanoseconds)
{
    LatencySummary summary;
    summary.count = nanoseconds.size();
    if (nanoseconds.empty())
        return summary;
    std::sort(nanoseconds.begin(), nanoseconds.end());
    auto at = [&](double quantile) {
        const auto rank = static_cast<std::size_t>(std::ceil(quantile * static_cast<double>(nanoseconds.size())));
        return static_cast<double>(nanoseconds[std::clamp<std::size_t>(rank, 1, nanoseconds.size()) - 1]) / 1e6;
    };
    summary.p50_ms = at(0.50);
    summary.p95_ms = at(0.95);
    summary.p99_ms = at(0.99);
    summary.p99_7_ms = at(0.997);
    summary.max_ms = static_cast<double>(nanoseconds.back()) / 1e6;
    const long double total = std::accumulate(nanoseconds.begin(), nanoseconds.end(), 0.0L);
    summary.mean_ms = static_cast<double>(total / nanoseconds.size() / 1e6L);
    return summary;
}

}  // namespace treasure
