// A claim made by the claim statements (claim_statements.cpp has their SQL and says why the protocol is
// correct): the path every claim takes where the direct path is not built, off, or declines.
#pragma once

#include "claim_outcome.hpp"
#include "installed_schema.hpp"

namespace treasure {

// Claims the chest and, when it is refused, looks up what the refusal depends on.  Runs inside the caller's
// SPI connection; `outcome` holds Datums that live until SPI_finish().
// Builds the claim statements' texts on the backend's first claim.  It may throw std::bad_alloc: call it
// where the SQL function's wall catches that, before anything that would need undoing.
void build_claim_statements(const InstalledSchema &schema);

void claim_by_statements(const InstalledSchema &schema, const ClaimArgs &args, ClaimOutcome &outcome);

// Gives back the stock unit a claim took from this slot of the chest before its guard refused (an UPDATE
// through the caller's SPI connection, in a new command).
void give_back_stock_unit(Datum chest_id, int32 slot);

}  // namespace treasure
