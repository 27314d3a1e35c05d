#include "gateway/claim_json.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "gateway/json_nullable.hpp"
#include "lib/analytics_json.hpp"
#include "lib/uuid.hpp"

namespace treasure {

namespace {

[[noreturn]] void bad_request(const std::string &message) { throw ClaimError(ClaimErrorKind::bad_request, message); }

std::int64_t integer_field(const nlohmann::json &body, const char *name)
{
    auto field = body.find(name);
    if (field == body.end() || field->is_null())
        bad_request(std::string("missing field \"") + name + "\"");
    if (!field->is_number_integer())
        bad_request(std::string("field \"") + name + "\" must be an integer, got " + field->type_name());
    if (field->is_number_unsigned() &&
        field->get<std::uint64_t>() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        bad_request(std::string("field \"") + name + "\" does not fit in a 64-bit integer");
    return field->get<std::int64_t>();
}

}  // namespace

ClaimBody parse_claim_request(std::string_view body, std::string_view idempotency_key)
{
    nlohmann::json document = nlohmann::json::parse(body, nullptr, false);
    if (document.is_discarded())
        bad_request("the body is not valid JSON");
    if (!document.is_object())
        bad_request("the body must be a JSON object");

    ClaimBody parsed;
    if (auto player = document.find("player_id"); player != document.end() && !player->is_null()) {
        parsed.player_id = integer_field(document, "player_id");
        check_positive_id("player_id", *parsed.player_id);
    }
    ClaimRequest &request = parsed.request;
    request.chest_id = integer_field(document, "chest_id");
    check_positive_id("chest_id", request.chest_id);
    if (auto session = document.find("session_id"); session != document.end() && !session->is_null())
        request.session_id = integer_field(document, "session_id");

    std::optional<std::string> from_body;
    if (auto request_id = document.find("request_id"); request_id != document.end() && !request_id->is_null()) {
        if (!request_id->is_string())
            bad_request("field \"request_id\" must be a UUID string");
        const auto &text = request_id->get_ref<const std::string &>();
        from_body = normalize_uuid(text);
        if (!from_body)
            bad_request("field \"request_id\" is not a UUID: '" + text.substr(0, 64) + "'");
    }
    std::optional<std::string> from_header;
    if (!idempotency_key.empty()) {
        from_header = normalize_uuid(idempotency_key);
        if (!from_header)
            bad_request("the Idempotency-Key header is not a UUID: '" + std::string(idempotency_key.substr(0, 64)) +
                        "'");
    }
    if (!from_body && !from_header)
        bad_request("missing field \"request_id\" (or an Idempotency-Key header)");
    if (from_body && from_header && *from_body != *from_header)
        bad_request("the Idempotency-Key header and the body's request_id differ");
    request.request_id = from_body ? *std::move(from_body) : *std::move(from_header);
    return parsed;
}

ValidClaimRequest for_player(ClaimBody body, std::int64_t player_id)
{
    body.request.player_id = player_id;
    return ValidClaimRequest(std::move(body.request));
}

nlohmann::ordered_json to_json(const ClaimResult &result)
{
    nlohmann::ordered_json answer;
    if (result.status == ClaimStatus::rate_limited) {
        answer["error"] = "rate_limited";
        answer["retry_after_ms"] = std::max<std::int64_t>(1, result.retry_after_ms.value_or(1000));
        answer["decided_by"] = "database";
    } else if (result.status == ClaimStatus::unknown) {
        answer["error"] = "unknown_status";
    }
    answer["status"] = status_name(result);
    answer["replayed"] = result.replayed;
    answer["claim_id"] = nullable(result.claim_id);
    answer["coins_awarded"] = result.coins_awarded;
    answer["item_awarded"] = nullable(result.item_awarded);
    answer["item_qty"] = nullable(result.item_qty);
    answer["key_used"] = nullable(result.key_used);
    answer["balance"] = nullable(result.balance);
    answer["claimed_at"] = nullable(result.claimed_at);
    answer["awards"] = awards_json(result.awards);
    if (result.loot_coins)
        answer["loot_coins"] = *result.loot_coins;
    answer["path"] = to_string(result.path);
    return answer;
}

long long retry_after_seconds(const ClaimResult &result)
{
    const std::int64_t ms = std::max<std::int64_t>(1, result.retry_after_ms.value_or(1000));
    return static_cast<long long>((ms + 999) / 1000);
}

}  // namespace treasure
