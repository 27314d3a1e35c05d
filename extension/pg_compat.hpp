// The one door to PostgreSQL's executor and access-method internals (timescaledb's compat.h is the model):
// the direct path calls them by the names below and only this header knows which release it is built for.
//
// The direct path and the prepared CHECKs are compiled in only for the majors they were verified on:
// PostgreSQL 15 (REL_15_STABLE).  Any other major, and `make TREASURE_DIRECT=0` (-DTREASURE_DIRECT_PATH=0),
// builds them out, and every claim takes the statements path, which needs only SPI.  What a port has to
// look at, known today:
//   * 16: ExecInsertIndexTuples() gains `onlySummarizing` (before the arbiters); expression_tree_walker
//     becomes a macro over a typed walker; permissions move to RTEPermissionInfo.
//   * 18: ExecCheckIndexConstraints() and index_beginscan() change their arguments (the latter gains the
//     instrumentation pointer); ResultRelInfo's ri_ConstraintExprs becomes ri_CheckConstraintExprs; and
//     ExecRelCheck skips NOT ENFORCED constraints, which prepared_checks.cpp would silently enforce: its
//     preparation must learn to skip them (ccenforced) before the gate may let 18 in.
// Each of those is one function here; the files that mirror executor code name the function and release
// they mirror, so a port is a diff against those upstream functions.
#pragma once

#include "postgres.hpp"

#ifndef TREASURE_DIRECT_PATH
#if PG_VERSION_NUM >= 150000 && PG_VERSION_NUM < 160000
#define TREASURE_DIRECT_PATH 1
#else
#define TREASURE_DIRECT_PATH 0
#endif
#endif

extern "C" {
#include "access/genam.h"
}

namespace treasure::pg {

// A scan of `rel` through the index `index` with keys numbered by the table's columns (genam's systable
// scan, which works on any table); the tuple it returns lives until the next call or the end of the scan.
// Outside the gate: claim_details() reads through it in every build, and its signature is the same in every
// major since 9.x.
inline SysScanDesc begin_keyed_scan(Relation rel, Oid index, Snapshot snapshot, ScanKey keys, int key_count)
{
    return systable_beginscan(rel, index, true, snapshot, key_count, keys);
}
inline HeapTuple next_keyed_row(SysScanDesc scan) { return systable_getnext(scan); }
inline void end_keyed_scan(SysScanDesc scan) { systable_endscan(scan); }

}  // namespace treasure::pg

#if TREASURE_DIRECT_PATH

extern "C" {
#include "access/tableam.h"
#include "executor/executor.h"
#include "nodes/lockoptions.h"
#include "nodes/nodeFuncs.h"
#include "storage/lmgr.h"
#include "utils/rel.h"
}

namespace treasure::pg {

// A ResultRelInfo for `rel` outside any range table (as logical replication's apply makes them), with its
// indexes open; speculative: prepared for ON CONFLICT's arbiter checks.
inline void open_result_relation(ResultRelInfo *info, Relation rel, bool speculative)
{
    InitResultRelInfo(info, rel, 0, nullptr, 0);
    ExecOpenIndices(info, speculative);
}

inline void close_result_relation(ResultRelInfo *info) { ExecCloseIndices(info); }

// The indexes opened with the result relation.
inline int index_count(const ResultRelInfo *info) { return info->ri_NumIndices; }
inline Relation index_relation(const ResultRelInfo *info, int i) { return info->ri_IndexRelationDescs[i]; }
inline const IndexInfo *index_info(const ResultRelInfo *info, int i) { return info->ri_IndexRelationInfo[i]; }

// A slot for rows of `rel`, of the kind its access method stores, freed with the EState.
inline TupleTableSlot *make_row_slot(EState *estate, Relation rel)
{
    return ExecInitExtraTupleSlot(estate, RelationGetDescr(rel), table_slot_callbacks(rel));
}

// Frees the EState with its slots (releasing the buffer pins they hold).
inline void free_executor_state(EState *estate)
{
    ExecResetTupleTable(estate->es_tupleTable, false);
    FreeExecutorState(estate);
}

// The relation's CHECK expressions as ExecConstraints finds them prepared (nullptr: it prepares them).
inline ExprState **&check_constraint_exprs(ResultRelInfo *info) { return info->ri_ConstraintExprs; }

// NOT NULL and CHECK constraints, raising the executor's errors (23502, 23514).
inline void check_constraints(ResultRelInfo *info, TupleTableSlot *slot, EState *estate)
{
    ExecConstraints(info, slot, estate);
}

// ON CONFLICT's pre-check: false, with the conflicting row's TID, if an arbiter index holds one.
inline bool no_conflict_found(ResultRelInfo *info, TupleTableSlot *slot, EState *estate, ItemPointer conflict,
                              List *arbiters)
{
    return ExecCheckIndexConstraints(info, slot, estate, conflict, arbiters);
}

// The speculative insertion's heap steps: the token others wait for, the insertion, its completion.
inline uint32 acquire_speculative_token() { return SpeculativeInsertionLockAcquire(GetCurrentTransactionId()); }
inline void release_speculative_token() { SpeculativeInsertionLockRelease(GetCurrentTransactionId()); }
inline void insert_speculatively(Relation rel, TupleTableSlot *slot, EState *estate, uint32 token)
{
    table_tuple_insert_speculative(rel, slot, estate->es_output_cid, 0, nullptr, token);
}
inline void complete_speculative(Relation rel, TupleTableSlot *slot, uint32 token, bool succeeded)
{
    table_tuple_complete_speculative(rel, slot, token, succeeded);
}

// Index entries for a row just written (update: a new version of a row; arbiters: ON CONFLICT's, which
// report a conflict in *conflicted instead of raising 23505).  Returns the indexes to recheck.
inline List *insert_index_entries(ResultRelInfo *info, TupleTableSlot *slot, EState *estate, bool update,
                                  bool no_duplicate_error, bool *conflicted, List *arbiters)
{
    return ExecInsertIndexTuples(info, slot, estate, update, no_duplicate_error, conflicted, arbiters);
}

// Locks the row at *tid into `slot` in the EState's snapshot and command, waiting for a concurrent locker.
inline TM_Result lock_tuple(Relation rel, ItemPointer tid, EState *estate, TupleTableSlot *slot, LockTupleMode mode,
                            uint8 flags, TM_FailureData *failure, LockWaitPolicy wait = LockWaitBlock)
{
    return table_tuple_lock(rel, tid, estate->es_snapshot, slot, estate->es_output_cid, mode, wait, flags, failure);
}

// The first row of `rel` visible in `snapshot` whose index entry matches `keys` (numbered by index column),
// stored in `slot` (which keeps it pinned).  False if none.
inline bool fetch_first(Relation rel, Relation index, Snapshot snapshot, ScanKey keys, int key_count,
                        TupleTableSlot *slot)
{
    IndexScanDesc scan = index_beginscan(rel, index, snapshot, key_count, 0);
    index_rescan(scan, keys, key_count, nullptr, 0);
    const bool found = index_getnext_slot(scan, ForwardScanDirection, slot);
    index_endscan(scan);
    return found;
}

// Logical replication's plain insert and update of one row: constraints, heap, indexes (no triggers: the
// direct path declines tables that have them).
inline void insert_row_simply(ResultRelInfo *info, EState *estate, TupleTableSlot *slot)
{
    ExecSimpleRelationInsert(info, estate, slot);
}
inline void update_row_simply(ResultRelInfo *info, EState *estate, TupleTableSlot *old_row, TupleTableSlot *new_row)
{
    ExecSimpleRelationUpdate(info, estate, nullptr, old_row, new_row);
}

// expression_tree_walker for a walker of the usual signature (15 declares the walker parameter untyped).
inline bool walk_expression(Node *node, bool (*walker)(Node *, void *), void *context)
{
    return expression_tree_walker(node, reinterpret_cast<bool (*)()>(reinterpret_cast<void (*)()>(walker)), context);
}

}  // namespace treasure::pg

#endif  // TREASURE_DIRECT_PATH
