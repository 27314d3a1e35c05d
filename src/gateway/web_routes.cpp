#include "gateway/web_routes.hpp"

#include <regex>

#include <nlohmann/json.hpp>

#include "gateway/analytics_routes.hpp"
#include "gateway/client_metrics.hpp"
#include "gateway/gateway.hpp"
#include "gateway/json_nullable.hpp"
#include "gateway/request_target.hpp"
#include "lib/analytics_json.hpp"
#include "lib/claim_error.hpp"

namespace treasure {

namespace {

constexpr int default_chests_limit = 100;

const std::regex inventory_route(R"(/v1/players/(\d{1,18})/inventory)");

}  // namespace

Answer chests_answer(AnalyticsReader &reader, const std::optional<std::string> &limit)
{
    try {
        const auto served = reader.chests(limit_parameter(limit, default_chests_limit));
        nlohmann::ordered_json chests = nlohmann::ordered_json::array();
        for (const ChestSummary &chest : served.value)
            chests.push_back({{"chest_id", chest.chest_id},
                              {"coins", chest.coins},
                              {"item", nullable(chest.item)},
                              {"item_qty", chest.item_qty},
                              {"key_item", nullable(chest.key_item)},
                              {"opens_at", nullable(chest.opens_at)},
                              {"closes_at", nullable(chest.closes_at)},
                              {"open", chest.open}});
        nlohmann::ordered_json body{{"chests", chests}};
        add_origin(body, served.origin);
        return json_answer(200, body);
    } catch (const ClaimError &error) {
        return error_answer(error);
    }
}

Answer inventory_answer(AnalyticsReader &reader, std::int64_t player_id)
{
    try {
        const auto served = reader.inventory(player_id);
        nlohmann::ordered_json items = nlohmann::ordered_json::array();
        for (const auto &[item, qty] : served.value.items)
            items.push_back({{"item", item}, {"qty", qty}});
        nlohmann::ordered_json body{
            {"player_id", player_id}, {"balance", nullable(served.value.balance)}, {"items", items}};
        add_origin(body, served.origin);
        return json_answer(200, body);
    } catch (const ClaimError &error) {
        return error_answer(error);
    }
}

// The routes above, for Gateway::route(): false when the path is none of them.
bool Gateway::route_web(const HttpRequest &request, const Admitted &admitted, const Reply &reply)
{
    const RequestTarget target = parse_request_target(request.head.target);
    const std::string &path = target.path;
    const std::string &method = request.head.method;
    if (path == "/v1/client-metrics") {
        if (method != "POST")
            reply(method_not_allowed("POST"));
        else if (auto refused = edge_.authorize_client_metrics(admitted))
            reply(std::move(*refused));
        else
            reply(client_metrics_answer(client_latency_, request.body));
        return true;
    }
    std::smatch inventory;
    const bool is_inventory = std::regex_match(path, inventory, inventory_route);
    const bool is_static = path == "/play" || path == "/play/" || path.rfind("/web/", 0) == 0;
    if (!is_inventory && !is_static && path != "/v1/chests")
        return false;
    if (method != "GET") {
        reply(method_not_allowed("GET"));
        return true;
    }
    const RouteKind kind = is_inventory ? RouteKind::player_read : is_static ? RouteKind::open : RouteKind::chests;
    const std::optional<std::int64_t> player =
        is_inventory ? std::optional<std::int64_t>(std::stoll(inventory[1].str())) : std::nullopt;
    if (auto refused = edge_.authorize_read(admitted, kind, player)) {
        reply(std::move(*refused));
        return true;
    }
    std::function<Answer()> answer;
    if (is_static)
        answer = [this, path] { return web_files_.answer(path); };
    else if (is_inventory)
        answer = [owner = shards()->owner_of(*player), id = *player] {
            return inventory_answer(*owner->analytics, id);
        };
    else  // every shard holds every chest
        answer = [first = shards()->shards.front(), limit = target.parameter("limit")] {
            return chests_answer(*first->analytics, limit);
        };
    on_pool(reads_, reply, std::move(answer), false);
    return true;
}

}  // namespace treasure
