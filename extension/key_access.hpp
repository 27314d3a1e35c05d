// Rows by key for the direct path (direct_claim.cpp): the index that serves a key, the row with a key in a
// snapshot, and the locks READ COMMITTED's SELECT ... FOR NO KEY UPDATE and UPDATE take on it (mirroring
// REL_15_STABLE's ExecLockRows, nodeLockRows.c, and ExecUpdate's re-lock, nodeModifyTable.c).
#pragma once

#include "written_table.hpp"

#if TREASURE_DIRECT_PATH

namespace treasure {

// The valid unique index of the table whose key is exactly these columns, in this order (1-based attribute
// numbers), without expressions or predicate, and with the columns' own collations; nullptr if none.
Relation key_index(const WrittenTable &table, const AttrNumber *columns, int count);

// The row with these key values visible in `snapshot`, stored in `slot` (its TID in slot->tts_tid), using
// the index's equality operators.  False if none.
bool fetch_by_key(Relation rel, Relation index, Snapshot snapshot, const Datum *values, TupleTableSlot *slot);

// Lock the newest version of the row in `slot` (following updates made since it was read, as READ COMMITTED
// does) and store that version in `slot`.  False if the row was deleted meanwhile or its newest version no
// longer has these key values (READ COMMITTED re-checks the WHERE clause on it and skips it then).
// key_columns: 1-based attribute numbers.
// As SELECT ... FOR NO KEY UPDATE locks it:
bool lock_for_no_key_update(Relation rel, EState *estate, TupleTableSlot *slot, const AttrNumber *key_columns,
                            const Datum *key_values, int key_count);
// As SELECT ... FOR UPDATE [SKIP LOCKED] locks it; with skip_locked, also false when another transaction holds it:
bool lock_for_select_for_update(Relation rel, EState *estate, TupleTableSlot *slot, bool skip_locked,
                                const AttrNumber *key_columns, const Datum *key_values, int key_count);
// As UPDATE locks it before writing the new version:
bool lock_for_update(Relation rel, EState *estate, TupleTableSlot *slot, LockTupleMode mode,
                     const AttrNumber *key_columns, const Datum *key_values, int key_count);

}  // namespace treasure

#endif  // TREASURE_DIRECT_PATH
