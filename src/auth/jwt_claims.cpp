#include "auth/jwt_claims.hpp"

#include <charconv>
#include <cmath>
#include <optional>
#include <string_view>

namespace treasure {

namespace {

// NumericDates beyond this (year 5138) are not dates but attempts at overflow.
constexpr double latest_numeric_date = 1e11;

// A NumericDate (integer or not) rounded down, or nullopt when the value is not one.
std::optional<std::int64_t> numeric_date(const json_t *value)
{
    if (!json_is_number(value))
        return std::nullopt;
    const double seconds = json_number_value(value);
    if (!std::isfinite(seconds) || seconds < 0 || seconds > latest_numeric_date)
        return std::nullopt;
    return static_cast<std::int64_t>(std::floor(seconds));
}

bool string_equals(const json_t *value, const std::string &expected)
{
    return json_is_string(value) &&
           std::string_view(json_string_value(value), json_string_length(value)) == std::string_view(expected);
}

bool audience_matches(const json_t *aud, const std::string &audience)
{
    if (!json_is_array(aud))
        return string_equals(aud, audience);
    std::size_t index = 0;
    const json_t *entry = nullptr;
    json_array_foreach(aud, index, entry)
    {
        if (string_equals(entry, audience))
            return true;
    }
    return false;
}

std::optional<std::int64_t> positive_player_id(const json_t *value)
{
    if (json_is_integer(value)) {
        const json_int_t id = json_integer_value(value);
        return id > 0 ? std::optional<std::int64_t>(id) : std::nullopt;
    }
    if (!json_is_string(value))
        return std::nullopt;
    const std::string_view text(json_string_value(value), json_string_length(value));
    if (text.empty() || text.front() < '1' || text.front() > '9')
        return std::nullopt;
    std::int64_t id = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
    if (error != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return id;
}

}  // namespace

bool jwt_expired(std::int64_t expires_at, std::int64_t leeway_seconds, std::int64_t now_seconds)
{
    return now_seconds >= expires_at + leeway_seconds;
}

std::variant<VerifiedClaims, RefusalReason> check_jwt_claims(const json_t *claims, const JwtClaimRules &rules,
                                                             std::int64_t now_seconds)
{
    const auto exp = numeric_date(json_object_get(claims, "exp"));
    if (!exp)
        return RefusalReason::malformed;
    if (jwt_expired(*exp, rules.leeway_seconds, now_seconds))
        return RefusalReason::expired;
    if (const json_t *nbf_value = json_object_get(claims, "nbf"); nbf_value != nullptr) {
        const auto nbf = numeric_date(nbf_value);
        if (!nbf)
            return RefusalReason::malformed;
        if (now_seconds < *nbf - rules.leeway_seconds)
            return RefusalReason::not_yet_valid;
    }
    if (!rules.issuer.empty() && !string_equals(json_object_get(claims, "iss"), rules.issuer))
        return RefusalReason::wrong_issuer;
    if (!rules.audience.empty() && !audience_matches(json_object_get(claims, "aud"), rules.audience))
        return RefusalReason::wrong_audience;
    const auto player = positive_player_id(json_object_get(claims, rules.player_claim.c_str()));
    if (!player)
        return RefusalReason::invalid_player;
    return VerifiedClaims{*player, *exp};
}

}  // namespace treasure
