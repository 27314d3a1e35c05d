// Rows by key for the direct path (direct_claim.cpp): the index that serves a key, the row with a key in a
// snapshot, and the lock a SELECT ... FOR UPDATE under READ COMMITTED takes on it.
#pragma once

#include "on_conflict.hpp"

namespace treasure {

// The valid unique index of the table whose key is exactly these columns, in this order (1-based attribute
// numbers), without expressions or predicate, and with the columns' own collations; nullptr if none.
Relation key_index(const WrittenTable &table, const AttrNumber *columns, int count);

// The row with these key values visible in `snapshot`, stored in `slot` (its TID in slot->tts_tid), using
// the index's equality operators.  False if none.
bool fetch_by_key(Relation rel, Relation index, Snapshot snapshot, const Datum *values, TupleTableSlot *slot);

// Locks the newest version of the row in `slot` (following updates made since it was read, as READ
// COMMITTED's row locks and updates do) and stores that version in `slot`.  False if the row was deleted
// meanwhile or its newest version no longer has these key values (READ COMMITTED re-checks the WHERE
// clause on it and skips it then).  key_columns: 1-based attribute numbers.
bool lock_newest_version(Relation rel, EState *estate, TupleTableSlot *slot, LockTupleMode mode,
                         const AttrNumber *key_columns, const Datum *key_values, int key_count);

}  // namespace treasure
