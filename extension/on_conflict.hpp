// INSERT ... ON CONFLICT for one row, for the direct path (direct_claim.cpp).  Mirrors REL_15_STABLE's
// nodeModifyTable.c: ExecInsert's speculative insertion and ExecOnConflictUpdate's lock and update, with
// infer_arbiter_indexes() (optimizer/util/plancat.c) and ExecUpdateLockMode() (execMain.c) for what the
// planner and executor decide around them.  The caller has checked that the table has no triggers, rules
// or row-level security, which these functions do not handle.
#pragma once

#include "written_table.hpp"

#if TREASURE_DIRECT_PATH

namespace treasure {

// The arbiter indexes of ON CONFLICT (key_columns) without a WHERE clause, as infer_arbiter_indexes()
// finds them: every valid unique index whose key is exactly those columns (in any order), without
// expressions or a predicate.  key_columns: 1-based attribute numbers.  NIL: none (the statement would
// raise 42P10).
List *inferred_arbiters(const WrittenTable &table, const AttrNumber *key_columns, int key_count);

// The row lock ON CONFLICT DO UPDATE takes (ExecUpdateLockMode): exclusive when an updated column is part of
// a key a foreign key could reference.  updated_columns: 1-based attribute numbers.
LockTupleMode upsert_lock_mode(Relation rel, const AttrNumber *updated_columns, int updated_count);

// ON CONFLICT DO NOTHING's insertion (arbiters NIL: every unique index) or the insertion step of DO UPDATE:
// checks table.row's constraints, then inserts it unless an arbiter index holds a conflicting row, which is
// waited for while its inserter is in progress.  Returns false, with that row's TID, when one exists.
bool insert_unless_conflict(WrittenTable &table, EState *estate, List *arbiters, ItemPointer conflict);

// Locks the conflicting row an insertion found into table.existing, as ON CONFLICT DO UPDATE does.  False
// when it was updated or deleted since: the caller starts over.  A row this command wrote raises 21000.
bool lock_conflicting_row(WrittenTable &table, EState *estate, ItemPointer conflict, LockTupleMode mode);

// INSERT ... ON CONFLICT (arbiters) DO UPDATE for table.row: inserts it, or locks the row it conflicts with,
// lets make_update(table.updated) change a copy of that row and writes the copy.
template <typename MakeUpdate>
void upsert(WrittenTable &table, EState *estate, List *arbiters, LockTupleMode lock_mode, MakeUpdate make_update)
{
    for (;;) {
        ItemPointerData conflict;
        if (insert_unless_conflict(table, estate, arbiters, &conflict))
            return;
        if (!lock_conflicting_row(table, estate, &conflict, lock_mode))
            continue;
        begin_update(table);
        make_update(table.updated);
        write_update(table, estate);
        return;
    }
}

}  // namespace treasure

#endif  // TREASURE_DIRECT_PATH
