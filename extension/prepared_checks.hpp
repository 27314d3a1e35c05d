// The CHECK constraints of the tables a direct claim writes, prepared once per backend and kept across
// claims.  The executor rebuilds every CHECK expression from its stored text for each statement
// (ExecRelCheck: stringToNode, expression_planner, ExecInitExpr), which was ~5% of a direct claim's CPU.
//
// Only expressions that are safe to evaluate again and again from one ExprState are kept: columns of the
// row, constants and calls of PostgreSQL's own immutable internal functions and operators (after SQL
// functions are inlined and immutable calls folded, as the executor prepares them).  Those have no state
// tied to one statement, cannot run queries or call claim_treasure() again, and need no privilege but
// EXECUTE, which PostgreSQL checks once per preparation as well.  Any other CHECK is left to ExecRelCheck.
#pragma once

#include "postgres.hpp"

extern "C" {
#include "nodes/execnodes.h"
}

namespace treasure {

// Gives info the prepared CHECK expressions of its relation (unless it has them already, or they are not
// of the kind kept), so that ExecConstraints uses them instead of preparing its own.  Called right before
// the row is checked, as ExecRelCheck prepares lazily.  They stay valid until the end of the transaction.
void use_prepared_checks(ResultRelInfo *info);

// Bracket one claim.  Stale expressions are freed when a claim begins and no other is running; an error
// skips claim_done, and then they are freed at the end of the transaction.
void claim_begins();
void claim_done();

// Registers the callbacks that stale the cache on invalidations and free stale entries at the end of a
// transaction (from _PG_init).
void watch_for_stale_checks();

}  // namespace treasure
