#pragma once
// The one statement the atomic path sends per tap, shared by treasure::Client (libpqxx) and PipelinedClaims
// (libpq's pipeline mode), so both ask the database exactly the same thing.
namespace treasure {

// SELECT ... FROM claim_treasure($1 player, $2 chest, $3 request_id, $4 session): the nine columns
// claim_result_from_row() reads, claimed_at as RFC 3339 UTC whatever the session's TimeZone and DateStyle;
// with_details (1.3.0) adds treasure.claim_details() as a tenth column, which sees the claim's own writes
// (CONTRACT-1.3.0.md).
const char *claim_statement_sql(bool with_details);

}  // namespace treasure
