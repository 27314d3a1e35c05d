#include "key_access.hpp"

#if TREASURE_DIRECT_PATH

extern "C" {
#include "access/stratnum.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/typcache.h"
}

namespace treasure {

Relation key_index(const WrittenTable &table, const AttrNumber *columns, int count)
{
    TupleDesc desc = RelationGetDescr(table.rel);
    for (int i = 0; i < pg::index_count(table.info); i++) {
        Relation index = pg::index_relation(table.info, i);
        const IndexInfo *index_info = pg::index_info(table.info, i);
        const Form_pg_index form = index->rd_index;
        if (!form->indisvalid || !form->indisunique || index_info->ii_Expressions != NIL ||
            index_info->ii_Predicate != NIL || form->indnkeyatts != count)
            continue;
        bool matches = true;
        for (int k = 0; k < count && matches; k++)
            matches = form->indkey.values[k] == columns[k] &&
                      index->rd_indcollation[k] == TupleDescAttr(desc, columns[k] - 1)->attcollation;
        if (matches)
            return index;
    }
    return nullptr;
}

bool fetch_by_key(Relation rel, Relation index, Snapshot snapshot, const Datum *values, TupleTableSlot *slot)
{
    const int count = index->rd_index->indnkeyatts;
    ScanKeyData keys[INDEX_MAX_KEYS];
    for (int k = 0; k < count; k++) {
        const Oid type = index->rd_opcintype[k];
        const Oid equality = get_opfamily_member(index->rd_opfamily[k], type, type, BTEqualStrategyNumber);
        if (!OidIsValid(equality))
            elog(ERROR, "treasure: no equality operator in the operator family of index \"%s\"",
                 RelationGetRelationName(index));
        ScanKeyEntryInitialize(&keys[k], 0, k + 1, BTEqualStrategyNumber, type, index->rd_indcollation[k],
                               get_opcode(equality), values[k]);
    }
    return pg::fetch_first(rel, index, snapshot, keys, count, slot);
}

namespace {

// Whether the row in `slot` still has these key values, by the types' equality operators in the columns'
// collations, as READ COMMITTED's recheck of the statement's WHERE clause compares them.
bool has_key(TupleTableSlot *slot, const AttrNumber *key_columns, const Datum *key_values, int key_count)
{
    slot_getallattrs(slot);
    for (int k = 0; k < key_count; k++) {
        const int column = key_columns[k] - 1;
        const Form_pg_attribute attribute = TupleDescAttr(slot->tts_tupleDescriptor, column);
        TypeCacheEntry *type = lookup_type_cache(attribute->atttypid, TYPECACHE_EQ_OPR_FINFO);
        if (!OidIsValid(type->eq_opr_finfo.fn_oid))
            elog(ERROR, "treasure: no equality operator for type %u", attribute->atttypid);
        if (slot->tts_isnull[column] || !DatumGetBool(FunctionCall2Coll(&type->eq_opr_finfo, attribute->attcollation,
                                                                        slot->tts_values[column], key_values[k])))
            return false;
    }
    return true;
}

// Locks the newest version of the row in `slot` and handles the outcomes as READ COMMITTED's row locks do.
// A version this command changed already is skipped (false); an UPDATE (`updating`) raises 27000 instead if
// a later command of the statement changed it, as a trigger could have.
bool lock_newest_version(Relation rel, EState *estate, TupleTableSlot *slot, LockTupleMode mode, uint8 flags,
                         bool updating, const AttrNumber *key_columns, const Datum *key_values, int key_count,
                         LockWaitPolicy wait = LockWaitBlock)
{
    CHECK_FOR_INTERRUPTS();
    ItemPointerData tid = slot->tts_tid;
    TM_FailureData failure;
    const TM_Result result = pg::lock_tuple(rel, &tid, estate, slot, mode, flags, &failure, wait);
    switch (result) {
    case TM_Ok: return has_key(slot, key_columns, key_values, key_count);
    case TM_WouldBlock: return false;  // SKIP LOCKED: another transaction holds it
    case TM_SelfModified:
        if (updating && failure.cmax != estate->es_output_cid)
            ereport(ERROR, (errcode(ERRCODE_TRIGGERED_DATA_CHANGE_VIOLATION),
                            errmsg("tuple to be updated was already modified by an operation triggered by the "
                                   "current command"),
                            errhint("Consider using an AFTER trigger instead of a BEFORE trigger to propagate "
                                    "changes to other rows.")));
        return false;
    case TM_Deleted: return false;
    case TM_Invisible: elog(ERROR, "attempted to lock invisible tuple");
    default: elog(ERROR, "unexpected table_tuple_lock status: %u", static_cast<unsigned>(result));
    }
    pg_unreachable();
}

}  // namespace

bool lock_for_no_key_update(Relation rel, EState *estate, TupleTableSlot *slot, const AttrNumber *key_columns,
                            const Datum *key_values, int key_count)
{
    // ExecLockRows' flags under READ COMMITTED (REL_15_STABLE).
    return lock_newest_version(rel, estate, slot, LockTupleNoKeyExclusive,
                               TUPLE_LOCK_FLAG_LOCK_UPDATE_IN_PROGRESS | TUPLE_LOCK_FLAG_FIND_LAST_VERSION, false,
                               key_columns, key_values, key_count);
}

bool lock_for_select_for_update(Relation rel, EState *estate, TupleTableSlot *slot, bool skip_locked,
                                const AttrNumber *key_columns, const Datum *key_values, int key_count)
{
    // ExecLockRows' flags under READ COMMITTED (REL_15_STABLE), FOR UPDATE [SKIP LOCKED].
    return lock_newest_version(rel, estate, slot, LockTupleExclusive,
                               TUPLE_LOCK_FLAG_LOCK_UPDATE_IN_PROGRESS | TUPLE_LOCK_FLAG_FIND_LAST_VERSION, false,
                               key_columns, key_values, key_count, skip_locked ? LockWaitSkip : LockWaitBlock);
}

bool lock_for_update(Relation rel, EState *estate, TupleTableSlot *slot, LockTupleMode mode,
                     const AttrNumber *key_columns, const Datum *key_values, int key_count)
{
    // ExecUpdate's lock of the newest version before its recheck (REL_15_STABLE): FIND_LAST_VERSION only.
    return lock_newest_version(rel, estate, slot, mode, TUPLE_LOCK_FLAG_FIND_LAST_VERSION, true, key_columns,
                               key_values, key_count);
}

}  // namespace treasure

#endif  // TREASURE_DIRECT_PATH
