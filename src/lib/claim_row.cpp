#include "lib/claim_row.hpp"

#include <cstdint>
#include <optional>

#include <pqxx/field>

#include "lib/claim_error.hpp"

namespace treasure {

namespace {

template <typename T>
std::optional<T> optional_field(const pqxx::field &field)
{
    if (field.is_null())
        return std::nullopt;
    return field.as<T>();
}

}  // namespace

ClaimResult claim_result_from_row(const pqxx::row &row, pqxx::row::size_type first, PathKind path)
{
    const auto status_text = row[first].as<std::string>();
    const auto status = parse_claim_status(status_text);
    if (!status)
        throw ClaimError(ClaimErrorKind::internal, "unknown claim status '" + status_text + "'");
    ClaimResult result;
    result.status = *status;
    result.replayed = row[first + 1].as<bool>();
    result.claim_id = optional_field<std::int64_t>(row[first + 2]);
    result.coins_awarded = optional_field<std::int64_t>(row[first + 3]).value_or(0);
    result.item_awarded = optional_field<std::string>(row[first + 4]);
    result.item_qty = optional_field<std::int32_t>(row[first + 5]);
    result.key_used = optional_field<std::string>(row[first + 6]);
    result.balance = optional_field<std::int64_t>(row[first + 7]);
    result.claimed_at = optional_field<std::string>(row[first + 8]);
    result.path = path;
    return result;
}

std::string primary_error_message(const char *what)
{
    std::string message(what);
    for (const char *prefix : {"ERROR:  ", "FATAL:  "}) {
        if (message.rfind(prefix, 0) == 0)
            message.erase(0, std::char_traits<char>::length(prefix));
    }
    const auto end_of_line = message.find('\n');
    if (end_of_line != std::string::npos)
        message.erase(end_of_line);
    return message;
}

}  // namespace treasure
