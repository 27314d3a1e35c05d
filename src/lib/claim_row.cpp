#include "lib/claim_row.hpp"

#include <cstdint>
#include <optional>

#include <nlohmann/json.hpp>
#include <pqxx/field>
#include <pqxx/nontransaction>
#include <pqxx/strconv>

#include "lib/claim_error.hpp"

namespace treasure {

namespace {

// A column's text as libpqxx's field::as<T>() reads it (the same string_traits), nullptr being NULL.
template <typename T>
std::optional<T> optional_field(const char *text)
{
    if (!text)
        return std::nullopt;
    T value;
    pqxx::from_string(text, value);
    return value;
}

[[noreturn]] void bad_details(const std::string &why)
{
    throw ClaimError(ClaimErrorKind::internal, "treasure.claim_details() returned " + why);
}

std::optional<std::int64_t> optional_integer(const nlohmann::json &details, const char *key)
{
    const auto field = details.find(key);
    if (field == details.end() || field->is_null())
        return std::nullopt;
    if (!field->is_number_integer())
        bad_details(std::string("a \"") + key + "\" that is not an integer");
    return field->get<std::int64_t>();
}

ClaimAward award_of(const nlohmann::json &entry)
{
    const auto item = entry.find("item");
    const auto qty = entry.find("qty");
    const auto source = entry.find("source");
    if (!entry.is_object() || item == entry.end() || !item->is_string() || qty == entry.end() ||
        !qty->is_number_integer() || source == entry.end() || !source->is_string())
        bad_details("an award that is not {\"item\": text, \"qty\": int, \"source\": text}");
    return ClaimAward{item->get<std::string>(), qty->get<std::int32_t>(), source->get<std::string>()};
}

}  // namespace

const char *const claim_details_probe_sql =
    "SELECT to_regprocedure('treasure.claim_details(bigint,bigint,text)') IS NOT NULL";

bool has_claim_details(pqxx::connection_base &connection)
{
    pqxx::nontransaction transaction(connection);
    const pqxx::result rows = transaction.exec(claim_details_probe_sql);
    return rows.size() == 1 && rows[0][0].as<bool>();
}

void add_claim_details(ClaimResult &result, std::string_view details)
{
    const nlohmann::json document = nlohmann::json::parse(details, nullptr, false);
    if (document.is_discarded())
        bad_details("text that is not JSON");
    add_claim_details(result, document);
}

void add_claim_details(ClaimResult &result, const nlohmann::json &document)
{
    if (document.is_null())
        return;
    if (!document.is_object())
        bad_details("something that is not a JSON object");
    if (const auto awards = document.find("awards"); awards != document.end() && !awards->is_null()) {
        if (!awards->is_array())
            bad_details("\"awards\" that is not an array");
        result.awards.clear();
        for (const auto &entry : *awards)
            result.awards.push_back(award_of(entry));
    }
    result.loot_coins = optional_integer(document, "loot_coins");
    result.retry_after_ms = optional_integer(document, "retry_after_ms");
}

ClaimResult claim_result_from_row(const pqxx::row &row, pqxx::row::size_type first, PathKind path)
{
    std::vector<const char *> columns;
    columns.reserve(row.size() - first);
    for (auto column = first; column < row.size(); ++column)
        columns.push_back(row[column].is_null() ? nullptr : row[column].c_str());
    return claim_result_from_text(columns, path);
}

ClaimResult claim_result_from_text(const std::vector<const char *> &columns, PathKind path)
{
    if (columns.size() < 9)
        throw ClaimError(ClaimErrorKind::internal,
                         "claim_treasure() returned " + std::to_string(columns.size()) + " columns instead of 9");
    if (!columns[0] || !columns[1])
        throw ClaimError(ClaimErrorKind::internal, "claim_treasure() returned a NULL status or replayed");
    ClaimResult result;
    set_status(result, columns[0]);
    result.replayed = *optional_field<bool>(columns[1]);
    result.claim_id = optional_field<std::int64_t>(columns[2]);
    result.coins_awarded = optional_field<std::int64_t>(columns[3]).value_or(0);
    result.item_awarded = optional_field<std::string>(columns[4]);
    result.item_qty = optional_field<std::int32_t>(columns[5]);
    result.key_used = optional_field<std::string>(columns[6]);
    result.balance = optional_field<std::int64_t>(columns[7]);
    result.claimed_at = optional_field<std::string>(columns[8]);
    result.path = path;
    if (result.status == ClaimStatus::claimed && result.item_awarded)
        result.awards.push_back(ClaimAward{*result.item_awarded, result.item_qty.value_or(1), "guaranteed"});
    if (columns.size() > 9 && columns[9])
        add_claim_details(result, std::string_view(columns[9]));
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
