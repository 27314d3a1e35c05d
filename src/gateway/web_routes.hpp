#pragma once
// The routes the player's page needs besides POST /v1/claims (gateway.cpp binds them in Gateway::route_web()):
//   GET  /v1/chests?limit=N                  the chest grid: every chest by chest_id (N 1..1000, default 100)
//                                            {"chests": [{"chest_id", "coins", "item", "item_qty", "key_item",
//                                            "opens_at", "closes_at", "open"}], + the read's origin}
//   GET  /v1/players/{id}/inventory          {"player_id", "balance" (null without a wallet),
//                                            "items": [{"item", "qty"}] (qty > 0, by item), + the read's origin}
//   POST /v1/client-metrics                  tap latency measured by the device (client_metrics.hpp)
//   GET  /play, /web/{file}                  the reference page and the client module (static_files.hpp)
// The reads go through the AnalyticsReader (the replica while it is fresh) and carry its served_by/lag_ms/stale/
// fallback_reason like the other analytics answers.
#include <cstdint>
#include <optional>
#include <string>

#include "gateway/answer.hpp"
#include "lib/analytics_reader.hpp"

namespace treasure {

Answer chests_answer(AnalyticsReader &reader, const std::optional<std::string> &limit);
Answer inventory_answer(AnalyticsReader &reader, std::int64_t player_id);

}  // namespace treasure
