#pragma once
// Reading a claim's answer off a libpqxx row, shared by the atomic and the saga path: both return the nine
// claim_treasure() columns (status ... claimed_at), the saga path after a column of its own, and against a 1.3.0
// database a tenth, treasure.claim_details()'s jsonb (as text).
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>
#include <pqxx/connection_base>
#include <pqxx/row>

#include "lib/claim.hpp"

namespace treasure {

// The SQL that asks the server whether it has treasure.claim_details() (1.3.0): one boolean.
extern const char *const claim_details_probe_sql;
// Whether the connection's database has treasure.claim_details() (ClaimDetailsStatements asks when it must).
bool has_claim_details(pqxx::connection_base &connection);

// Columns first..first+8 as a ClaimResult served by `path`, and claim_details() from column first+9 when the row
// has it.  A status this build does not know is ClaimStatus::unknown, never an error.  Without claim_details()
// (1.2.0), awards is the claim's item_awarded alone.
ClaimResult claim_result_from_row(const pqxx::row &row, pqxx::row::size_type first, PathKind path);

// The same columns in libpq's text format, for a path that reads libpq's results itself (PipelinedClaims):
// columns[0] is status, nullptr a NULL; nine entries, or ten with claim_details().  Parsed exactly as
// claim_result_from_row() parses a row.
ClaimResult claim_result_from_text(const std::vector<const char *> &columns, PathKind path);

// claim_details()'s jsonb into result (awards, loot_coins, retry_after_ms); NULL leaves it as it is.  Throws
// ClaimError(internal) for text that is not that shape.
void add_claim_details(ClaimResult &result, std::string_view details);
// The same from a parsed document (the gateway's answer carries the same keys).
void add_claim_details(ClaimResult &result, const nlohmann::json &details);

// libpq's "ERROR:  chest 9 does not exist\nCONTEXT: ..." reduced to "chest 9 does not exist".
std::string primary_error_message(const char *what);

}  // namespace treasure
