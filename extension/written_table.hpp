// A table the direct path writes, with what the executor keeps for it while a statement writes it: the
// ResultRelInfo with its indexes, and the slots of a row to insert, of an existing row and of its new
// version.  Rows are filled column by column and written as logical replication's apply writes them
// (ExecSimpleRelationInsert and ExecSimpleRelationUpdate, execReplication.c, REL_15_STABLE), with what
// ExecInsert and ExecUpdate set on a slot before its checks and they do not.
#pragma once

#include "pg_compat.hpp"

#if TREASURE_DIRECT_PATH

namespace treasure {

// Plain pointers into the EState's memory.
struct WrittenTable {
    Relation rel;
    ResultRelInfo *info;  // nullptr until opened
    TupleTableSlot *row;
    TupleTableSlot *existing;
    TupleTableSlot *updated;
};

// speculative: the indexes are opened for ON CONFLICT's arbiter checks.
WrittenTable open_written_table(EState *estate, Relation rel, bool speculative);
void close_written_table(WrittenTable &table);  // its indexes; the relation stays open

// begin_row() sets every column NULL, set_column() one value, and store_row() makes the row ready.
void begin_row(TupleTableSlot *slot);
void set_column(TupleTableSlot *slot, int column, Datum value, bool isnull = false);
void store_row(TupleTableSlot *slot);

// Makes `slot` a row of the table, as ExecInsert and ExecUpdate do before any check (a CHECK may read
// tableoid), and lets ExecConstraints use the table's prepared CHECKs.
void prepare_for_checks(WrittenTable &table, TupleTableSlot *slot);

// Inserts table.row without ON CONFLICT: constraints, heap, indexes.
void insert_row(WrittenTable &table, EState *estate);

// Copies table.existing into table.updated, for the caller to change.
void begin_update(WrittenTable &table);
// Writes table.updated as the new version of table.existing (locked by the caller).
void write_update(WrittenTable &table, EState *estate);

}  // namespace treasure

#endif  // TREASURE_DIRECT_PATH
