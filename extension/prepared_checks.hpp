// The CHECK constraints of the tables a direct claim writes, prepared once per backend and kept across
// claims.  The executor rebuilds every CHECK expression from its stored text for each statement
// (ExecRelCheck: stringToNode, expression_planner, ExecInitExpr), which was ~5% of a direct claim's CPU.
// The preparation mirrors ExecRelCheck's, REL_15_STABLE (execMain.c); 18's also skips NOT ENFORCED
// constraints (pg_compat.hpp).
//
// Only expressions that are safe to evaluate again and again from one ExprState are kept: columns of the
// row, constants and calls of PostgreSQL's own immutable internal functions and operators (after SQL
// functions are inlined and immutable calls folded, as the executor prepares them).  Those keep no state
// in a statement's memory, and need no privilege but EXECUTE, checked again after any change to functions
// or roles.  Any other CHECK is left to ExecRelCheck, and so are the checks of a claim made while another
// claim of the backend is running (a type's support function called by a built-in may be user code).
#pragma once

#include "pg_compat.hpp"

#if TREASURE_DIRECT_PATH

namespace treasure {

// Gives info the prepared CHECK expressions of its relation (unless it has them already, or they are not
// of the kind kept), so that ExecConstraints uses them instead of preparing its own.  Called right before
// the row is checked, as ExecRelCheck prepares lazily.  They stay valid until the end of the transaction.
void use_prepared_checks(ResultRelInfo *info);

// Bracket one claim (claim_done also when it fails).  Stale expressions are freed when a claim begins and no
// other is running, and at the end of the transaction.
void claim_begins();
void claim_done();

// Registers the callbacks that stale the cache on invalidations and free stale entries at the end of a
// transaction (from _PG_init).
void watch_for_stale_checks();

}  // namespace treasure

#endif  // TREASURE_DIRECT_PATH
