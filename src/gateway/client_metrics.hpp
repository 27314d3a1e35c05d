#pragma once
// POST /v1/client-metrics: a player's device reports how long its taps took, from the tap to the answer painted
// (src/web/treasure-client.js), into treasure_latency_seconds{path, outcome} (lib/latency_histogram.hpp).
//   body     {"samples": [{"duration_ms": 187.5, "path": "atomic", "outcome": "claimed"}, ...]}
//            1..100 samples; duration_ms a number in (0, 60000]; path and outcome known label values only; no
//            other key anywhere; at most client_metrics_max_body_bytes.
//   answer   200 {"accepted": N}; anything else in the body is 400 {"error": "bad_request", "message": ...} and
//            observes nothing: a report is taken whole or not at all.
// Who may report, and how often, is the edge's (Edge::authorize_client_metrics()).
#include <cstddef>
#include <string_view>

#include "gateway/answer.hpp"
#include "lib/latency_histogram.hpp"

namespace treasure {

inline constexpr std::size_t client_metrics_max_samples = 100;
inline constexpr std::size_t client_metrics_max_body_bytes = 16 * 1024;
inline constexpr double client_metrics_max_duration_ms = 60000.0;

Answer client_metrics_answer(LatencyHistogram &histogram, std::string_view body);

}  // namespace treasure
