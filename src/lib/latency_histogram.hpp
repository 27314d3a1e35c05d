#pragma once
// treasure_latency_seconds{path, outcome}: the time from a player's tap to the answer the player saw, measured where
// the tap happens.  One definition for both of its producers, so that the two series mean the same thing and can
// be compared bucket by bucket:
//   treasure load --metrics-listen   the load generator's own taps (cli/load_command.cpp)
//   POST /v1/client-metrics          the samples a player's browser reports (gateway/client_metrics.hpp)
// Buckets are latency_buckets() (claim_metrics.hpp), the same as treasure_claim_duration_seconds', so the
// client-side and the server-side histogram of the same taps line up; they resolve 50 ms .. 2.5 s.
// Labels take only the values below, whoever sends them: a client cannot grow the series.
//   path     atomic | saga (the path that answered), none (no claim answer reached the player)
//   outcome  a claim status (1.2.0's and 1.3.0's), replayed (a claimed answer to a retried key), failed (the
//            client gave up: its deadline passed, or the gateway refused the tap with 401/403/429 or 4xx)
#include <array>
#include <mutex>
#include <optional>
#include <string_view>

#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace treasure {

inline constexpr std::string_view latency_histogram_name = "treasure_latency_seconds";
inline constexpr std::array<std::string_view, 3> latency_paths{"atomic", "saga", "none"};
inline constexpr std::array<std::string_view, 11> latency_outcomes{
    "claimed",      "replayed",    "already_claimed", "key_required",   "chest_closed", "sold_out",
    "rate_limited", "wallet_full", "inventory_full",  "unknown_status", "failed"};

class LatencyHistogram {
public:
    // Registers the family in registry, which must outlive this object.
    explicit LatencyHistogram(prometheus::Registry &registry);

    // The index of a known label value, nothing for anything else.
    static std::optional<std::size_t> path_index(std::string_view path);
    static std::optional<std::size_t> outcome_index(std::string_view outcome);

    // One tap; path and outcome are indexes from the functions above.  Thread-safe.
    void observe(std::size_t path, std::size_t outcome, double seconds);

private:
    prometheus::Family<prometheus::Histogram> &family_;
    // A series is registered at its first observation (so /metrics lists only the pairs seen), then kept here.
    std::mutex mutex_;
    std::array<std::array<prometheus::Histogram *, latency_outcomes.size()>, latency_paths.size()> series_{};
};

}  // namespace treasure
