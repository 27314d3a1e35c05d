#include "key_access.hpp"

extern "C" {
#include "access/genam.h"
#include "access/relscan.h"
#include "access/stratnum.h"
#include "access/tableam.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
}

namespace treasure {

Relation key_index(const WrittenTable &table, const AttrNumber *columns, int count)
{
    TupleDesc desc = RelationGetDescr(table.rel);
    for (int i = 0; i < table.info->ri_NumIndices; i++) {
        Relation index = table.info->ri_IndexRelationDescs[i];
        const IndexInfo *index_info = table.info->ri_IndexRelationInfo[i];
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
    IndexScanDesc scan = index_beginscan(rel, index, snapshot, count, 0);
    index_rescan(scan, keys, count, nullptr, 0);
    const bool found = index_getnext_slot(scan, ForwardScanDirection, slot);
    index_endscan(scan);
    return found;
}

bool lock_newest_version(Relation rel, EState *estate, TupleTableSlot *slot, LockTupleMode mode,
                         const AttrNumber *key_columns, const Datum *key_values, int key_count)
{
    ItemPointerData tid = slot->tts_tid;
    // With TUPLE_LOCK_FLAG_FIND_LAST_VERSION a concurrent update is followed, so only a deletion fails.
    if (lock_row(rel, &tid, estate, slot, mode, TUPLE_LOCK_FLAG_FIND_LAST_VERSION) != TM_Ok)
        return false;
    // The key columns have deterministic equality (integers, text in the default collation: checked by
    // claim_tables.cpp), so equal means the same bytes.
    slot_getallattrs(slot);
    for (int k = 0; k < key_count; k++) {
        const Form_pg_attribute attribute = TupleDescAttr(slot->tts_tupleDescriptor, key_columns[k] - 1);
        const int column = key_columns[k] - 1;
        if (slot->tts_isnull[column] ||
            !datumIsEqual(slot->tts_values[column], key_values[k], attribute->attbyval, attribute->attlen))
            return false;
    }
    return true;
}

}  // namespace treasure
