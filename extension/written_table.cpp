#include "written_table.hpp"

#if TREASURE_DIRECT_PATH

#include "prepared_checks.hpp"

extern "C" {
#include "utils/rel.h"
}

namespace treasure {

WrittenTable open_written_table(EState *estate, Relation rel, bool speculative)
{
    WrittenTable table;
    table.rel = rel;
    table.info = makeNode(ResultRelInfo);
    pg::open_result_relation(table.info, rel, speculative);
    table.row = pg::make_row_slot(estate, rel);
    table.existing = pg::make_row_slot(estate, rel);
    table.updated = pg::make_row_slot(estate, rel);
    return table;
}

void close_written_table(WrittenTable &table)
{
    if (table.info != nullptr)
        pg::close_result_relation(table.info);
    table.info = nullptr;
}

void begin_row(TupleTableSlot *slot)
{
    ExecClearTuple(slot);
    for (int column = 0; column < slot->tts_tupleDescriptor->natts; column++) {
        slot->tts_values[column] = (Datum) 0;
        slot->tts_isnull[column] = true;
    }
}

void set_column(TupleTableSlot *slot, int column, Datum value, bool isnull)
{
    slot->tts_values[column] = value;
    slot->tts_isnull[column] = isnull;
}

void store_row(TupleTableSlot *slot) { ExecStoreVirtualTuple(slot); }

void prepare_for_checks(WrittenTable &table, TupleTableSlot *slot)
{
    slot->tts_tableOid = RelationGetRelid(table.rel);
    use_prepared_checks(table.info);
}

void insert_row(WrittenTable &table, EState *estate)
{
    // ExecSimpleRelationInsert (REL_15_STABLE) checks constraints without setting tts_tableOid first.
    prepare_for_checks(table, table.row);
    pg::insert_row_simply(table.info, estate, table.row);
}

void begin_update(WrittenTable &table)
{
    slot_getallattrs(table.existing);
    begin_row(table.updated);
    for (int column = 0; column < table.existing->tts_tupleDescriptor->natts; column++)
        set_column(table.updated, column, table.existing->tts_values[column], table.existing->tts_isnull[column]);
}

void write_update(WrittenTable &table, EState *estate)
{
    store_row(table.updated);
    prepare_for_checks(table, table.updated);
    pg::update_row_simply(table.info, estate, table.existing, table.updated);
}

}  // namespace treasure

#endif  // TREASURE_DIRECT_PATH
