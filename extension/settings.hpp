// The settings treasure defines (the README's Settings table describes them): treasure.direct_claims,
// treasure.last_claim_path and treasure.direct_path_built.  Defined in every build, also where the direct
// path is not compiled in, so that SET and PGOPTIONS work the same everywhere.
#pragma once

#include "postgres.hpp"

namespace treasure {

enum class ClaimPath { direct, statements };

// treasure.direct_claims: whether claim_treasure() may use the direct path (on by default).  Off, every
// claim runs the statements: an escape hatch, and the way tests and benchmarks compare the two.
extern bool direct_claims_enabled;

void define_settings();

// What treasure.last_claim_path shows from now on.
void record_claim_path(ClaimPath path);

}  // namespace treasure
