// One tap's claim as claim_treasure() makes it, shared with treasure.claim_treasure_batch() (claim_batch.cpp)
// so that a tap in a batch means exactly what the same tap alone means.
#pragma once

#include "claim_outcome.hpp"
#include "installed_schema.hpp"

namespace treasure {

// claim_treasure()'s argument checks, in its order: 22004 for a NULL player_id, chest_id or request_id, then
// 22023 for an id that is not positive.
void require_claim_arguments(const ClaimArgs &args, bool player_id_null, bool chest_id_null, bool request_id_null);

// Claims the chest on whichever path treasure.direct_claims selects and fills outcome.row with the answer
// (a refusal resolved in the documented order); P0002 for an unknown chest, 23505 for a request_id bound to
// another claim, 40001 when a concurrent claim's outcome cannot be told.  Runs inside the caller's SPI
// connection, after lock_installed_schema() and build_claim_statements(); the row's Datums live until
// SPI_finish().
void claim_tap(const InstalledSchema &schema, const ClaimArgs &args, ClaimOutcome &outcome);

}  // namespace treasure
