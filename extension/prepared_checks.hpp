// The CHECK constraints of the tables a direct claim writes, prepared once per backend and kept across
// claims.  The executor rebuilds every CHECK expression from its stored text for each statement
// (ExecRelCheck: stringToNode, expression_planner, ExecInitExpr), which was ~5% of a direct claim's CPU.
#pragma once

#include "postgres.hpp"

extern "C" {
#include "nodes/execnodes.h"
}

namespace treasure {

// Gives info the prepared CHECK expressions of its relation, so that ExecConstraints uses them instead of
// preparing its own.  They stay valid until the end of the transaction.
void use_prepared_checks(ResultRelInfo *info);

// Registers the callbacks that stale the cache on invalidations and free stale entries at the end of a
// transaction (from _PG_init).
void watch_for_stale_checks();

}  // namespace treasure
