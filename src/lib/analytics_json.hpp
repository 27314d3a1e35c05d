#pragma once
// JSON of the analytics reads, shared by the gateway's routes and `treasure stats --json`.
#include <nlohmann/json.hpp>

#include "lib/analytics_reader.hpp"

namespace treasure {

nlohmann::ordered_json player_stats_json(const PlayerSummary &summary);
nlohmann::ordered_json claim_event_json(const ClaimEvent &event);
// [{"item": ..., "qty": ..., "source": ...}, ...]: a claim's awards, in its answer and in GET .../awards.
nlohmann::ordered_json awards_json(const std::vector<ClaimAward> &awards);
nlohmann::ordered_json leaderboard_json(const Leaderboard &board, int limit);
// The lag monitor's state: configured, up, in_recovery, replay_paused, lag_ms, max_lag_ms, method, problem.
nlohmann::ordered_json replica_json(const AnalyticsReader &reader);
// Adds "served_by" (replica | primary), "lag_ms" (replica: its measured lag, null when unknown; primary: 0),
// "stale" and "fallback_reason" (null when the replica answered).
void add_origin(nlohmann::ordered_json &body, const ReadOrigin &origin);

}  // namespace treasure
