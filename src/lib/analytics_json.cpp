#include "lib/analytics_json.hpp"

#include <cmath>

namespace treasure {

namespace {

nlohmann::ordered_json text_or_null(const std::string &text)
{
    return text.empty() ? nlohmann::ordered_json() : nlohmann::ordered_json(text);
}

nlohmann::ordered_json milliseconds_or_null(const std::optional<double> &ms)
{
    return ms ? nlohmann::ordered_json(std::round(*ms * 1000.0) / 1000.0) : nlohmann::ordered_json();
}

}  // namespace

nlohmann::ordered_json player_stats_json(const PlayerSummary &summary)
{
    return nlohmann::ordered_json{{"player_id", summary.player_id},
                                  {"balance", summary.balance},
                                  {"claims", summary.claims},
                                  {"coins_awarded", summary.coins_awarded},
                                  {"last_claim_at", summary.last_claim_at
                                                        ? nlohmann::ordered_json(*summary.last_claim_at)
                                                        : nlohmann::ordered_json()}};
}

nlohmann::ordered_json claim_event_json(const ClaimEvent &event)
{
    return nlohmann::ordered_json{{"event_id", event.event_id},           {"claim_id", event.claim_id},
                                  {"chest_id", event.chest_id},           {"coins_awarded", event.coins_awarded},
                                  {"balance_after", event.balance_after}, {"occurred_at", event.occurred_at}};
}

nlohmann::ordered_json awards_json(const std::vector<ClaimAward> &awards)
{
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const ClaimAward &award : awards)
        list.push_back(nlohmann::ordered_json{{"item", award.item}, {"qty", award.qty}, {"source", award.source}});
    return list;
}

nlohmann::ordered_json leaderboard_json(const Leaderboard &board, int limit)
{
    nlohmann::ordered_json players = nlohmann::ordered_json::array();
    for (const auto &entry : board.players)
        players.push_back(nlohmann::ordered_json{{"rank", entry.rank},
                                                 {"player_id", entry.player_id},
                                                 {"coins_awarded", entry.coins_awarded},
                                                 {"claims", entry.claims}});
    return nlohmann::ordered_json{
        {"from", board.from}, {"to", board.to}, {"limit", limit}, {"players", std::move(players)}};
}

nlohmann::ordered_json replica_json(const AnalyticsReader &reader)
{
    const ReplicaLag lag = reader.replica_lag();
    return nlohmann::ordered_json{{"configured", reader.has_replica()},
                                  {"up", lag.usable()},
                                  {"in_recovery", lag.in_recovery},
                                  {"replay_paused", lag.replay_paused},
                                  {"lag_ms", milliseconds_or_null(lag.lag_ms)},
                                  {"max_lag_ms", reader.max_lag().count()},
                                  {"method", text_or_null(lag.method)},
                                  {"problem", text_or_null(lag.problem)}};
}

void add_origin(nlohmann::ordered_json &body, const ReadOrigin &origin)
{
    body["served_by"] = to_string(origin.served_by);
    body["lag_ms"] = milliseconds_or_null(origin.lag_ms);
    body["stale"] = origin.stale;
    body["fallback_reason"] = text_or_null(origin.fallback_reason);
}

}  // namespace treasure
