#include "gateway/analytics_routes.hpp"

#include <optional>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "gateway/claim_json.hpp"
#include "gateway/http_status.hpp"
#include "lib/analytics_json.hpp"
#include "lib/claim_error.hpp"

namespace treasure {

namespace {

constexpr int default_events_limit = 20;
constexpr int default_leaderboard_limit = 10;

void reply(httplib::Response& response, int status, const nlohmann::ordered_json& body) {
    response.status = status;
    response.set_content(body.dump(), "application/json");
    if (status == 503) response.set_header("Retry-After", "1");
}

void reply_error(httplib::Response& response, const ClaimError& error) {
    reply(response, http_status(error.kind()), error_json(to_string(error.kind()), error.what()));
}

// limit=N, 1..max_limit; absent: fallback.  Throws ClaimError(bad_request).
int limit_parameter(const httplib::Request& request, int fallback) {
    if (!request.has_param("limit")) return fallback;
    const std::string text = request.get_param_value("limit");
    const bool digits = !text.empty() && text.size() <= 4 && text.find_first_not_of("0123456789") == std::string::npos;
    const int limit = digits ? std::stoi(text) : 0;
    if (limit < 1 || limit > AnalyticsReader::max_limit)
        throw ClaimError(ClaimErrorKind::bad_request,
                         "limit must be an integer between 1 and " + std::to_string(AnalyticsReader::max_limit));
    return limit;
}

std::optional<std::string> optional_parameter(const httplib::Request& request, const char* name) {
    if (!request.has_param(name)) return std::nullopt;
    std::string value = request.get_param_value(name);
    if (value.empty()) throw ClaimError(ClaimErrorKind::bad_request, std::string(name) + " is empty");
    return value;
}

}  // namespace

void install_analytics_routes(httplib::Server& server, AnalyticsReader& reader) {
    const auto stats = [&reader](const httplib::Request& request, httplib::Response& response) {
        const std::int64_t player_id = std::stoll(request.matches[1]);
        try {
            const auto served = reader.player_stats(player_id);
            if (!served.value) {
                auto body = error_json("unknown_player", "player " + std::to_string(player_id) + " has no wallet");
                add_origin(body, served.origin);
                reply(response, 404, body);
                return;
            }
            auto body = player_stats_json(*served.value);
            add_origin(body, served.origin);
            reply(response, 200, body);
        } catch (const ClaimError& error) {
            reply_error(response, error);
        }
    };
    server.Get(R"(/v1/players/(\d{1,18})/stats)", stats);
    server.Get(R"(/v1/players/(\d{1,18}))", stats);

    server.Get(R"(/v1/players/(\d{1,18})/events)", [&reader](const httplib::Request& request, httplib::Response& response) {
        const std::int64_t player_id = std::stoll(request.matches[1]);
        try {
            const auto served = reader.recent_events(player_id, limit_parameter(request, default_events_limit));
            nlohmann::ordered_json events = nlohmann::ordered_json::array();
            for (const auto& event : served.value) events.push_back(claim_event_json(event));
            nlohmann::ordered_json body{{"player_id", player_id}, {"events", std::move(events)}};
            add_origin(body, served.origin);
            reply(response, 200, body);
        } catch (const ClaimError& error) {
            reply_error(response, error);
        }
    });

    server.Get("/v1/leaderboard", [&reader](const httplib::Request& request, httplib::Response& response) {
        try {
            const int limit = limit_parameter(request, default_leaderboard_limit);
            const auto served =
                reader.leaderboard(optional_parameter(request, "from"), optional_parameter(request, "to"), limit);
            auto body = leaderboard_json(served.value, limit);
            add_origin(body, served.origin);
            reply(response, 200, body);
        } catch (const ClaimError& error) {
            reply_error(response, error);
        }
    });

    server.Get("/v1/replica", [&reader](const httplib::Request&, httplib::Response& response) {
        reply(response, 200, replica_json(reader));
    });
}

}  // namespace treasure
