// INSERT ... ON CONFLICT for one row, written against the table access methods the way PostgreSQL's executor
// does it (nodeModifyTable.c: ExecInsert's speculative insertion, ExecOnConflictUpdate's lock and update),
// for the direct path (direct_claim.cpp).  The caller has checked that the table has no triggers, rules or
// row-level security, which these functions do not handle.
#pragma once

#include "postgres.hpp"

extern "C" {
#include "access/tableam.h"
#include "executor/executor.h"
#include "nodes/lockoptions.h"
}

namespace treasure {

// A table one claim writes, with what the executor keeps for it: its indexes (opened for speculative
// insertion where ON CONFLICT needs their equality operators) and the slots of the row to insert, of the
// existing row an upsert locked and of that row's new version.  Plain pointers into the EState's memory.
struct WrittenTable {
    Relation rel;
    ResultRelInfo *info;  // nullptr until opened
    TupleTableSlot *row;
    TupleTableSlot *existing;
    TupleTableSlot *updated;
};

WrittenTable open_written_table(EState *estate, Relation rel, bool speculative);
void close_written_table(WrittenTable &table);  // its indexes; the relation stays open

// Fills table.row column by column: begin_row() sets every column NULL, set_column() one value, and
// store_row() makes the row ready to be written.
void begin_row(TupleTableSlot *slot);
void set_column(TupleTableSlot *slot, int column, Datum value, bool isnull = false);
void store_row(TupleTableSlot *slot);

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

// Locks the row at *tid into `slot` in this claim's command (flags: table_tuple_lock's, e.g. to follow
// updates to the newest version).  Returns TM_Ok, TM_Updated or TM_Deleted; anything else is an ERROR:
// TM_Invisible and TM_SelfModified mean a row this command wrote, and every claim is a command of its own.
TM_Result lock_row(Relation rel, ItemPointer tid, EState *estate, TupleTableSlot *slot, LockTupleMode mode,
                   uint8 flags);

// Locks the conflicting row an insertion found, as ON CONFLICT DO UPDATE does.  False when it was updated or
// deleted since: the caller starts over.
bool lock_conflicting_row(WrittenTable &table, EState *estate, ItemPointer conflict, LockTupleMode mode);

// Copies table.existing into table.updated, for make_update to change.
void begin_update(WrittenTable &table);
// Writes table.updated as the new version of table.existing.
void write_update(WrittenTable &table, EState *estate);

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
