#include "on_conflict.hpp"

#if TREASURE_DIRECT_PATH

extern "C" {
#include "access/sysattr.h"
#include "access/xact.h"
#include "utils/rel.h"
}

namespace treasure {
namespace {

// Attribute numbers as the executor's bitmapsets hold them (offset so that system columns fit).
Bitmapset *column_set(const AttrNumber *columns, int count)
{
    Bitmapset *set = nullptr;
    for (int i = 0; i < count; i++)
        set = bms_add_member(set, columns[i] - FirstLowInvalidHeapAttributeNumber);
    return set;
}

}  // namespace

List *inferred_arbiters(const WrittenTable &table, const AttrNumber *key_columns, int key_count)
{
    Bitmapset *wanted = column_set(key_columns, key_count);
    List *arbiters = NIL;
    for (int i = 0; i < pg::index_count(table.info); i++) {
        Relation index = pg::index_relation(table.info, i);
        const IndexInfo *index_info = pg::index_info(table.info, i);
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

// ExecInsert's speculative insertion (REL_15_STABLE, from its constraint checks to `goto vlock`).
bool insert_unless_conflict(WrittenTable &table, EState *estate, List *arbiters, ItemPointer conflict)
{
    if (table.rel->rd_att->constr != nullptr) {
        prepare_for_checks(table, table.row);
        pg::check_constraints(table.info, table.row, estate);
    }
    for (;;) {
        CHECK_FOR_INTERRUPTS();
        if (!pg::no_conflict_found(table.info, table.row, estate, conflict, arbiters))
            return false;
        // Others that find this row in an index wait for the speculative token, not for this transaction.
        const uint32 token = pg::acquire_speculative_token();
        pg::insert_speculatively(table.rel, table.row, estate, token);
        bool conflicted = false;
        List *recheck = pg::insert_index_entries(table.info, table.row, estate, false, true, &conflicted, arbiters);
        pg::complete_speculative(table.rel, table.row, token, !conflicted);
        pg::release_speculative_token();
        list_free(recheck);
        if (!conflicted)
            return true;
        // A conflicting row was inserted concurrently: check again, which now finds (or waits for) it.
    }
}

// ExecOnConflictUpdate's lock and the outcomes it tells apart (REL_15_STABLE).  Only READ COMMITTED claims
// come here, so its serialization failures and visibility check do not apply.
bool lock_conflicting_row(WrittenTable &table, EState *estate, ItemPointer conflict, LockTupleMode mode)
{
    CHECK_FOR_INTERRUPTS();
    TM_FailureData failure;
    const TM_Result result = pg::lock_tuple(table.rel, conflict, estate, table.existing, mode, 0, &failure);
    switch (result) {
    case TM_Ok: return true;
    case TM_Invisible: {
        // A version this command wrote, e.g. the key's inventory row when a unique index someone added makes
        // the chest's item conflict with its key.
        bool isnull;
        const Datum xmin = slot_getsysattr(table.existing, MinTransactionIdAttributeNumber, &isnull);
        if (TransactionIdIsCurrentTransactionId(DatumGetTransactionId(xmin)))
            ereport(ERROR, (errcode(ERRCODE_CARDINALITY_VIOLATION),
                            errmsg("%s command cannot affect row a second time", "ON CONFLICT DO UPDATE"),
                            errhint("Ensure that no rows proposed for insertion within the same command have "
                                    "duplicate constrained values.")));
        elog(ERROR, "attempted to lock invisible tuple");
        pg_unreachable();
    }
    case TM_SelfModified: elog(ERROR, "unexpected self-updated tuple"); pg_unreachable();
    case TM_Updated:
    case TM_Deleted: ExecClearTuple(table.existing); return false;
    default: elog(ERROR, "unrecognized table_tuple_lock status: %u", static_cast<unsigned>(result)); pg_unreachable();
    }
}

}  // namespace treasure

#endif  // TREASURE_DIRECT_PATH
