#include "gateway/analytics_routes.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "gateway/claim_json.hpp"
#include "lib/analytics_json.hpp"
#include "lib/claim_error.hpp"

namespace treasure {

namespace {

constexpr int default_events_limit = 20;
constexpr int default_leaderboard_limit = 10;

// A parameter that may be absent but not empty.  Throws ClaimError(bad_request).
const std::optional<std::string> &optional_parameter(const std::optional<std::string> &value, const char *name)
{
    if (value && value->empty())
        throw ClaimError(ClaimErrorKind::bad_request, std::string(name) + " is empty");
    return value;
}

}  // namespace

int limit_parameter(const std::optional<std::string> &text, int fallback)
{
    if (!text)
        return fallback;
    const bool digits =
        !text->empty() && text->size() <= 4 && text->find_first_not_of("0123456789") == std::string::npos;
    const int limit = digits ? std::stoi(*text) : 0;
    if (limit < 1 || limit > AnalyticsReader::max_limit)
        throw ClaimError(ClaimErrorKind::bad_request,
                         "limit must be an integer between 1 and " + std::to_string(AnalyticsReader::max_limit));
    return limit;
}

Answer player_stats_answer(AnalyticsReader &reader, std::int64_t player_id)
{
    try {
        const auto served = reader.player_stats(player_id);
        if (!served.value) {
            auto body = error_json("unknown_player", "player " + std::to_string(player_id) + " has no wallet");
            add_origin(body, served.origin);
            return json_answer(404, body);
        }
        auto body = player_stats_json(*served.value);
        add_origin(body, served.origin);
        return json_answer(200, body);
    } catch (const ClaimError &error) {
        return error_answer(error);
    }
}

Answer recent_events_answer(AnalyticsReader &reader, std::int64_t player_id, const std::optional<std::string> &limit)
{
    try {
        const auto served = reader.recent_events(player_id, limit_parameter(limit, default_events_limit));
        nlohmann::ordered_json events = nlohmann::ordered_json::array();
        for (const auto &event : served.value)
            events.push_back(claim_event_json(event));
        nlohmann::ordered_json body{{"player_id", player_id}, {"events", std::move(events)}};
        add_origin(body, served.origin);
        return json_answer(200, body);
    } catch (const ClaimError &error) {
        return error_answer(error);
    }
}

Answer claim_awards_answer(AnalyticsReader &reader, std::int64_t player_id, std::int64_t claim_id)
{
    try {
        const auto served = reader.claim_awards(player_id, claim_id);
        if (!served.value) {
            auto body = error_json("unknown_claim",
                                   "player " + std::to_string(player_id) + " has no claim " + std::to_string(claim_id));
            add_origin(body, served.origin);
            return json_answer(404, body);
        }
        nlohmann::ordered_json body{{"player_id", player_id},
                                    {"claim_id", claim_id},
                                    {"chest_id", served.value->chest_id},
                                    {"awards", awards_json(served.value->awards)}};
        add_origin(body, served.origin);
        return json_answer(200, body);
    } catch (const ClaimError &error) {
        return error_answer(error);
    }
}

Answer leaderboard_answer(AnalyticsReader &reader, const std::optional<std::string> &from,
                          const std::optional<std::string> &to, const std::optional<std::string> &limit)
{
    return leaderboard_answer(std::vector<AnalyticsReader *>{&reader}, from, to, limit);
}

Answer leaderboard_answer(const std::vector<AnalyticsReader *> &shards, const std::optional<std::string> &from,
                          const std::optional<std::string> &to, const std::optional<std::string> &limit)
{
    try {
        const int top = limit_parameter(limit, default_leaderboard_limit);
        const auto &since = optional_parameter(from, "from");
        const auto &until = optional_parameter(to, "to");
        auto served = shards.front()->leaderboard(since, until, top);
        // The other shards count the range the first one resolved, so that "now" is the same instant everywhere.
        const std::optional<std::string> range_from = served.value.from, range_to = served.value.to;
        for (std::size_t shard = 1; shard < shards.size(); ++shard) {
            const auto more = shards[shard]->leaderboard(range_from, range_to, top);
            served.value.players.insert(served.value.players.end(), more.value.players.begin(),
                                        more.value.players.end());
        }
        auto &players = served.value.players;
        std::sort(players.begin(), players.end(), [](const LeaderboardEntry &a, const LeaderboardEntry &b) {
            return a.coins_awarded != b.coins_awarded ? a.coins_awarded > b.coins_awarded : a.player_id < b.player_id;
        });
        if (players.size() > static_cast<std::size_t>(top))
            players.resize(static_cast<std::size_t>(top));
        for (std::size_t rank = 0; rank < players.size(); ++rank)
            players[rank].rank = static_cast<std::int64_t>(rank) + 1;
        auto body = leaderboard_json(served.value, top);
        add_origin(body, served.origin);
        return json_answer(200, body);
    } catch (const ClaimError &error) {
        return error_answer(error);
    }
}

Answer replica_answer(AnalyticsReader &reader) { return json_answer(200, replica_json(reader)); }

}  // namespace treasure
