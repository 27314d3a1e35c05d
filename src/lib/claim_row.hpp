#pragma once
// Reading a claim's answer off a libpqxx row, shared by the atomic and the saga path: both return the nine
// claim_treasure() columns (status ... claimed_at), the saga path after a column of its own.
#include <string>

#include <pqxx/row>

#include "lib/claim.hpp"

namespace treasure {

// Columns first..first+8 as a ClaimResult served by `path`; throws ClaimError(internal) on an unknown status.
ClaimResult claim_result_from_row(const pqxx::row &row, pqxx::row::size_type first, PathKind path);

// libpq's "ERROR:  chest 9 does not exist\nCONTEXT: ..." reduced to "chest 9 does not exist".
std::string primary_error_message(const char *what);

}  // namespace treasure
