// A claim of a chest that needs no key, written through the table access methods rather than by a SQL
// statement (direct_claim.cpp says how and why).
#pragma once

#include "claim_result.hpp"
#include "installed_schema.hpp"

namespace treasure {

enum class DirectClaim {
    done,            // `attempt` says what happened, as the claim statement's would
    chest_needs_key, // nothing written: claim it with the statements, the player's wallet locked first
    declined,        // nothing written: this transaction or schema is not one the direct path is written for
};

// treasure.direct_claims: whether claim_treasure() may use the direct path (on by default).  Off, every
// claim runs the statements: an escape hatch, and the way tests and benchmarks compare the two.
extern bool direct_claims_enabled;
void define_direct_claims_setting();

// Claims the chest unless it needs a key or the direct path declines.  Runs inside the caller's SPI
// connection (it does not use it) and, like a statement, in a new snapshot of its own.
DirectClaim claim_directly(const InstalledSchema &schema, const ClaimArgs &args, ChestState &chest,
                           Attempt &attempt, ResultRow &row);

}  // namespace treasure
