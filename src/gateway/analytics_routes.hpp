#pragma once
// The gateway's analytics routes, answered by an AnalyticsReader (the replica when it is fresh enough):
//   GET /v1/players/{id}/stats                  wallet balance and player_stats counters (404 without a wallet)
//   GET /v1/players/{id}                        the same (the original route, kept as an alias)
//   GET /v1/players/{id}/events?limit=N         the player's claim events, newest first (N 1..1000, default 20)
//   GET /v1/players/{id}/claims/{claim_id}/awards  every item the claim awarded (404 unknown_claim when the player
//                                               has no claim with that id)
//   GET /v1/leaderboard?from=ISO&to=ISO&limit=N players by coins awarded in [from, to) (default the last day,
//                                               N 1..1000, default 10)
//   GET /v1/replica                             the lag monitor's latest measurement
// Every analytics answer (a 404 too; not a 400/503) carries "served_by" ("replica" | "primary"), "lag_ms" (the
// replica's measured lag, 0 from the primary, null when unknown), "stale" (the replica answered beyond the lag bound
// because the primary failed) and "fallback_reason" (why the primary answered, null when the replica did).
// Each function answers one route from what the HTTP server parsed (gateway.cpp binds them): {id} and the query
// parameters, nothing when a parameter is absent.  None throws ClaimError: refusals are Answers too.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gateway/answer.hpp"
#include "lib/analytics_reader.hpp"

namespace treasure {

// The query parameter limit=N, 1..AnalyticsReader::max_limit; fallback when absent.  Throws ClaimError(bad_request).
int limit_parameter(const std::optional<std::string> &text, int fallback);

Answer player_stats_answer(AnalyticsReader &reader, std::int64_t player_id);
Answer recent_events_answer(AnalyticsReader &reader, std::int64_t player_id, const std::optional<std::string> &limit);
Answer claim_awards_answer(AnalyticsReader &reader, std::int64_t player_id, std::int64_t claim_id);
Answer leaderboard_answer(AnalyticsReader &reader, const std::optional<std::string> &from,
                          const std::optional<std::string> &to, const std::optional<std::string> &limit);
// Sharded: every shard's top N for the same range, merged (coins desc, then player_id), ranked again.
Answer leaderboard_answer(const std::vector<AnalyticsReader *> &shards, const std::optional<std::string> &from,
                          const std::optional<std::string> &to, const std::optional<std::string> &limit);
Answer replica_answer(AnalyticsReader &reader);

}  // namespace treasure
