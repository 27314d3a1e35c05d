#include "on_conflict.hpp"

#include "prepared_checks.hpp"

extern "C" {
#include "access/sysattr.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "storage/lmgr.h"
#include "utils/rel.h"
}

namespace treasure {

WrittenTable open_written_table(EState *estate, Relation rel, bool speculative)
{
    WrittenTable table;
    table.rel = rel;
    table.info = makeNode(ResultRelInfo);
    InitResultRelInfo(table.info, rel, 0, nullptr, 0);
    ExecOpenIndices(table.info, speculative);
    const TupleTableSlotOps *slot_ops = table_slot_callbacks(rel);
    table.row = ExecInitExtraTupleSlot(estate, RelationGetDescr(rel), slot_ops);
    table.existing = ExecInitExtraTupleSlot(estate, RelationGetDescr(rel), slot_ops);
    table.updated = ExecInitExtraTupleSlot(estate, RelationGetDescr(rel), slot_ops);
    return table;
}

void close_written_table(WrittenTable &table)
{
    if (table.info != nullptr)
        ExecCloseIndices(table.info);
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

void store_row(TupleTableSlot *slot)
{
    ExecStoreVirtualTuple(slot);
}

// Attribute numbers as the executor's bitmapsets hold them (offset so that system columns fit).
static Bitmapset *column_set(const AttrNumber *columns, int count)
{
    Bitmapset *set = nullptr;
    for (int i = 0; i < count; i++)
        set = bms_add_member(set, columns[i] - FirstLowInvalidHeapAttributeNumber);
    return set;
}

List *inferred_arbiters(const WrittenTable &table, const AttrNumber *key_columns, int key_count)
{
    Bitmapset *wanted = column_set(key_columns, key_count);
    List *arbiters = NIL;
    for (int i = 0; i < table.info->ri_NumIndices; i++) {
        Relation index = table.info->ri_IndexRelationDescs[i];
        const IndexInfo *index_info = table.info->ri_IndexRelationInfo[i];
        const Form_pg_index form = index->rd_index;
        if (!form->indisvalid || !form->indisunique || index_info->ii_Expressions != NIL ||
            index_info->ii_Predicate != NIL)
            continue;
        if (bms_equal(column_set(form->indkey.values, form->indnkeyatts), wanted))
            arbiters = lappend_oid(arbiters, RelationGetRelid(index));
    }
    return arbiters;
}

LockTupleMode upsert_lock_mode(Relation rel, const AttrNumber *updated_columns, int updated_count)
{
    Bitmapset *key_columns = RelationGetIndexAttrBitmap(rel, INDEX_ATTR_BITMAP_KEY);
    return bms_overlap(key_columns, column_set(updated_columns, updated_count)) ? LockTupleExclusive
                                                                                 : LockTupleNoKeyExclusive;
}

bool insert_unless_conflict(WrittenTable &table, EState *estate, List *arbiters, ItemPointer conflict)
{
    if (table.rel->rd_att->constr != nullptr) {
        use_prepared_checks(table.info);
        ExecConstraints(table.info, table.row, estate);
    }
    for (;;) {
        CHECK_FOR_INTERRUPTS();
        if (!ExecCheckIndexConstraints(table.info, table.row, estate, conflict, arbiters))
            return false;
        // Others that find this row in an index wait for the speculative token, not for this transaction.
        const TransactionId xid = GetCurrentTransactionId();
        const uint32 token = SpeculativeInsertionLockAcquire(xid);
        table_tuple_insert_speculative(table.rel, table.row, estate->es_output_cid, 0, nullptr, token);
        bool conflicted = false;
        List *recheck = ExecInsertIndexTuples(table.info, table.row, estate, false, true, &conflicted, arbiters);
        table_tuple_complete_speculative(table.rel, table.row, token, !conflicted);
        SpeculativeInsertionLockRelease(xid);
        list_free(recheck);
        if (!conflicted)
            return true;
        // A conflicting row was inserted concurrently: check again, which now finds (or waits for) it.
    }
}

TM_Result lock_row(Relation rel, ItemPointer tid, EState *estate, TupleTableSlot *slot, LockTupleMode mode,
                   uint8 flags)
{
    CHECK_FOR_INTERRUPTS();
    TM_FailureData failure;
    TM_Result result = table_tuple_lock(rel, tid, estate->es_snapshot, slot, estate->es_output_cid, mode,
                                        LockWaitBlock, flags, &failure);
    if (result != TM_Ok && result != TM_Updated && result != TM_Deleted)
        elog(ERROR, "treasure: unexpected result %d locking a row of \"%s\"", static_cast<int>(result),
             RelationGetRelationName(rel));
    return result;
}

bool lock_conflicting_row(WrittenTable &table, EState *estate, ItemPointer conflict, LockTupleMode mode)
{
    if (lock_row(table.rel, conflict, estate, table.existing, mode, 0) == TM_Ok)
        return true;
    ExecClearTuple(table.existing);
    return false;
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
    use_prepared_checks(table.info);
    ExecSimpleRelationUpdate(table.info, estate, nullptr, table.existing, table.updated);
}

}  // namespace treasure
