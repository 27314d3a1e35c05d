// A claim written through the table access methods rather than by SQL statements (direct_claim.cpp says
// how and why).
#pragma once

#include "claim_result.hpp"
#include "installed_schema.hpp"

namespace treasure {

enum class DirectClaim {
    done,      // `attempt` says what happened, as the statements' would; when not_claimed, `lookup` is filled
    declined,  // nothing written: this transaction or these tables are not what the direct path is written for
};

// treasure.direct_claims: whether claim_treasure() may use the direct path (on by default).  Off, every
// claim runs the statements: an escape hatch, and the way tests and benchmarks compare the two.
extern bool direct_claims_enabled;
void define_direct_claims_setting();

// Claims the chest unless the direct path declines.  key_checked: whether the player's keys were looked at
// under the wallet's lock (as resolve_unclaimed() needs to know).  Runs inside the caller's SPI connection
// (it does not use it) and, like the statements, in new snapshots of its own.
DirectClaim claim_directly(const InstalledSchema &schema, const ClaimArgs &args, ChestState &chest,
                           bool &key_checked, Attempt &attempt, Lookup &lookup, ResultRow &row);

}  // namespace treasure
