#include "gateway/claim_body.hpp"

#include <limits>

#include <nlohmann/json.hpp>

namespace treasure {

ClaimBodyPlayer claim_body_player(std::string_view body)
{
    const nlohmann::json document = nlohmann::json::parse(body, nullptr, false);
    if (document.is_discarded() || !document.is_object())
        return {};
    const auto field = document.find("player_id");
    if (field == document.end() || field->is_null())
        return {true, std::nullopt};
    if (!field->is_number_integer() ||
        (field->is_number_unsigned() &&
         field->get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())))
        return {};
    return {true, field->get<std::int64_t>()};
}

std::string claim_body_for(std::string_view body, std::int64_t player_id)
{
    nlohmann::ordered_json document = nlohmann::ordered_json::parse(body, nullptr, false);
    if (document.is_discarded() || !document.is_object())
        return std::string(body);
    document["player_id"] = player_id;
    return document.dump();
}

}  // namespace treasure
