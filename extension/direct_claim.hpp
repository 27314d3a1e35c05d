// A claim written through the table access methods rather than by SQL statements (direct_claim.cpp says
// how and why).  Compiled in only where pg_compat.hpp lets the direct path in.
#pragma once

#include "claim_outcome.hpp"
#include "installed_schema.hpp"
#include "pg_compat.hpp"

#if TREASURE_DIRECT_PATH

namespace treasure {

// Claims the chest, filling `outcome` as the statements would (a refused claim's look-up included), unless
// the direct path declines: false, with nothing written or locked, when this transaction or these tables
// are not what it was written for.  Runs inside the caller's SPI connection (it does not use it) and, like
// the statements, in new snapshots of its own.
bool claim_directly(const InstalledSchema &schema, const ClaimArgs &args, ClaimOutcome &outcome);

}  // namespace treasure

#endif  // TREASURE_DIRECT_PATH
