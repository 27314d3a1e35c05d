// treasure.claim_details(player_id, claim_id, status) (1.4.0): claim_treasure()'s companion, called in the
// same statement by every gateway tap.  1.3.0's PL/pgSQL body (sql/treasure--1.2.0--1.3.0.sql) ran two
// queries through SPI and set and reset two settings on every call, about 1.8x the claim's own CPU
// (bench/FINDINGS.md, "Floors and ratios"); this reads the same rows by the two primary keys and builds the
// same jsonb, byte for byte:
//   * 'claimed' with a claim_id: {"awards": [{item, qty, source} in (source, item) order], "loot_coins": the
//     sum of the claim's loot rolls' coins, left out when it has none (jsonb_strip_nulls)};
//   * 'rate_limited': {"retry_after_ms": treasure.claim_retry_after_ms(player_id)}, or NULL when that is NULL;
//   * anything else, NULL included, and 'claimed' without a claim_id: NULL.
// Runs in every build (genam's systable scans only, no executor internals).
#include "installed_schema.hpp"
#include "pg_compat.hpp"
#include "sql_function.hpp"

extern "C" {
#include "access/stratnum.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_am.h"
#include "catalog/pg_collation.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "utils/fmgroids.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/typcache.h"
}

namespace treasure {
namespace {

// The 1-based number of `rel`'s column `name`, which must be of `type`.
AttrNumber column_of(Relation rel, const char *name, Oid type)
{
    const TupleDesc desc = RelationGetDescr(rel);
    for (int i = 0; i < desc->natts; i++) {
        const Form_pg_attribute attribute = TupleDescAttr(desc, i);
        if (!attribute->attisdropped && strcmp(NameStr(attribute->attname), name) == 0 && attribute->atttypid == type)
            return attribute->attnum;
    }
    ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                    errmsg("treasure.%s has no column %s of type %s", RelationGetRelationName(rel), name,
                           format_type_be(type))));
    pg_unreachable();
}

// `rel`'s primary key, which must begin with `columns` (in this order), each sorted as ORDER BY sorts the
// column: ascending by its type's default btree ordering, in the column's collation.  An index scan of it
// then returns a claim's rows in the order the 1.3.0 body's ORDER BY put them.
Oid primary_key_beginning_with(Relation rel, const AttrNumber *columns, int count)
{
    const Oid key_oid = RelationGetPrimaryKeyIndex(rel);
    bool matches = OidIsValid(key_oid);
    if (matches) {
        const Relation key = index_open(key_oid, AccessShareLock);
        const TupleDesc desc = RelationGetDescr(rel);
        matches = key->rd_rel->relam == BTREE_AM_OID && key->rd_index->indnkeyatts >= count;
        for (int k = 0; k < count && matches; k++) {
            const Form_pg_attribute attribute = TupleDescAttr(desc, columns[k] - 1);
            matches =
                key->rd_index->indkey.values[k] == columns[k] && key->rd_indoption[k] == 0 &&
                key->rd_indcollation[k] == attribute->attcollation &&
                key->rd_opfamily[k] == lookup_type_cache(attribute->atttypid, TYPECACHE_BTREE_OPFAMILY)->btree_opf;
        }
        index_close(key, NoLock);
    }
    if (!matches)
        ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                        errmsg("the primary key of treasure.%s is not the one claim_details() reads by",
                               RelationGetRelationName(rel))));
    return key_oid;
}

JsonbValue json_key(const char *name)
{
    JsonbValue value;
    value.type = jbvString;
    value.val.string.val = const_cast<char *>(name);
    value.val.string.len = static_cast<int>(strlen(name));
    return value;
}

// A copy of the text: the row it comes from may be unpinned before the document is built.
JsonbValue json_string(Datum text_datum)
{
    const text *copy = DatumGetTextPCopy(text_datum);
    JsonbValue value;
    value.type = jbvString;
    value.val.string.val = const_cast<char *>(VARDATA_ANY(copy));
    value.val.string.len = static_cast<int>(VARSIZE_ANY_EXHDR(copy));
    return value;
}

JsonbValue json_number(Numeric number)
{
    JsonbValue value;
    value.type = jbvNumeric;
    value.val.numeric = number;
    return value;
}

// One member of the object being built; a NULL value is left out, as jsonb_strip_nulls leaves it out.
void push_member(JsonbParseState **document, const char *name, JsonbValue value, bool is_null = false)
{
    if (is_null)
        return;
    JsonbValue key = json_key(name);
    pushJsonbValue(document, WJB_KEY, &key);
    pushJsonbValue(document, WJB_VALUE, &value);
}

// The claim's awards as 1.3.0's jsonb_agg(... ORDER BY a.source, a.item) lists them ('[]' without any).
void push_awards(JsonbParseState **document, Relation awards, Snapshot snapshot, Datum player_id, Datum claim_id)
{
    const AttrNumber key_columns[] = {column_of(awards, "player_id", INT8OID), column_of(awards, "claim_id", INT8OID),
                                      column_of(awards, "source", TEXTOID), column_of(awards, "item", TEXTOID)};
    const AttrNumber qty_column = column_of(awards, "qty", INT4OID);
    const Oid key = primary_key_beginning_with(awards, key_columns, lengthof(key_columns));

    ScanKeyData keys[2];
    ScanKeyInit(&keys[0], key_columns[0], BTEqualStrategyNumber, F_INT8EQ, player_id);
    ScanKeyInit(&keys[1], key_columns[1], BTEqualStrategyNumber, F_INT8EQ, claim_id);
    const TupleDesc desc = RelationGetDescr(awards);
    JsonbValue name = json_key("awards");
    pushJsonbValue(document, WJB_KEY, &name);
    pushJsonbValue(document, WJB_BEGIN_ARRAY, nullptr);
    SysScanDesc scan = pg::begin_keyed_scan(awards, key, snapshot, keys, lengthof(keys));
    for (HeapTuple row; (row = pg::next_keyed_row(scan)) != nullptr;) {
        bool source_null, item_null, qty_null;
        const Datum source = heap_getattr(row, key_columns[2], desc, &source_null);
        const Datum item = heap_getattr(row, key_columns[3], desc, &item_null);
        const Datum qty = heap_getattr(row, qty_column, desc, &qty_null);
        pushJsonbValue(document, WJB_BEGIN_OBJECT, nullptr);
        push_member(document, "item", item_null ? JsonbValue{} : json_string(item), item_null);
        push_member(document, "qty", qty_null ? JsonbValue{} : json_number(int64_to_numeric(DatumGetInt32(qty))),
                    qty_null);
        push_member(document, "source", source_null ? JsonbValue{} : json_string(source), source_null);
        pushJsonbValue(document, WJB_END_OBJECT, nullptr);
    }
    pg::end_keyed_scan(scan);
    pushJsonbValue(document, WJB_END_ARRAY, nullptr);
}

// sum(coins) over the claim's loot rolls as the 1.3.0 body returned it: summed as numeric (sum(bigint)), then
// kept in a bigint variable (22003 beyond its range).  nullptr when the claim has none.
Numeric loot_coins(Relation loot, Snapshot snapshot, Datum player_id, Datum claim_id)
{
    const AttrNumber key_columns[] = {column_of(loot, "player_id", INT8OID), column_of(loot, "claim_id", INT8OID)};
    const AttrNumber coins_column = column_of(loot, "coins", INT8OID);
    const Oid key = primary_key_beginning_with(loot, key_columns, lengthof(key_columns));

    ScanKeyData keys[2];
    ScanKeyInit(&keys[0], key_columns[0], BTEqualStrategyNumber, F_INT8EQ, player_id);
    ScanKeyInit(&keys[1], key_columns[1], BTEqualStrategyNumber, F_INT8EQ, claim_id);
    Numeric sum = nullptr;
    SysScanDesc scan = pg::begin_keyed_scan(loot, key, snapshot, keys, lengthof(keys));
    for (HeapTuple row; (row = pg::next_keyed_row(scan)) != nullptr;) {
        bool coins_null;
        const Datum coins = heap_getattr(row, coins_column, RelationGetDescr(loot), &coins_null);
        if (coins_null)
            continue;
        const Numeric roll = int64_to_numeric(DatumGetInt64(coins));
        sum = sum == nullptr ? roll : numeric_add_opt_error(sum, roll, nullptr);
    }
    pg::end_keyed_scan(scan);
    if (sum == nullptr)
        return nullptr;
    return int64_to_numeric(DatumGetInt64(DirectFunctionCall1(numeric_int8, NumericGetDatum(sum))));
}

Relation open_installed(Oid relation, const char *name)
{
    if (!OidIsValid(relation))
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE), errmsg("relation \"treasure.%s\" does not exist", name)));
    return table_open(relation, NoLock);  // locked by lock_installed_relations()
}

Datum claimed_details(Snapshot snapshot, Datum player_id, bool player_null, Datum claim_id)
{
    const InstalledSchema &schema =
        lock_installed_relations({&InstalledSchema::claim_awards, &InstalledSchema::claim_loot}, AccessShareLock);
    const Relation awards = open_installed(schema.claim_awards, "claim_awards");
    const Relation loot = open_installed(schema.claim_loot, "claim_loot");

    JsonbParseState *document = nullptr;
    pushJsonbValue(&document, WJB_BEGIN_OBJECT, nullptr);
    // `player_id = NULL` matches no row: no awards and no loot.
    if (player_null) {
        JsonbValue name = json_key("awards");
        pushJsonbValue(&document, WJB_KEY, &name);
        pushJsonbValue(&document, WJB_BEGIN_ARRAY, nullptr);
        pushJsonbValue(&document, WJB_END_ARRAY, nullptr);
    } else {
        push_awards(&document, awards, snapshot, player_id, claim_id);
        const Numeric coins = loot_coins(loot, snapshot, player_id, claim_id);
        push_member(&document, "loot_coins", coins == nullptr ? JsonbValue{} : json_number(coins), coins == nullptr);
    }
    JsonbValue *built = pushJsonbValue(&document, WJB_END_OBJECT, nullptr);
    table_close(loot, NoLock);
    table_close(awards, NoLock);
    return JsonbPGetDatum(JsonbValueToJsonb(built));
}

// treasure.claim_retry_after_ms(player_id) itself, so that the arithmetic has one definition.  Called
// directly, so it runs as claim_details() does (the extension's owner) under its own pinned search_path; its
// plan is made for this call (rate_limited is a refusal, not the hot path), so a table that was small when
// another plan was made cannot leave it a sequential scan, which 1.3.0's enable_seqscan = off guarded against.
Datum retry_after_ms(Datum player_id, bool player_null, bool *is_null)
{
    Oid argument_types[] = {INT8OID};
    const Oid function =
        LookupFuncName(list_make2(makeString(pstrdup("treasure")), makeString(pstrdup("claim_retry_after_ms"))), 1,
                       argument_types, false);
    FmgrInfo *info = static_cast<FmgrInfo *>(palloc0(sizeof(FmgrInfo)));
    fmgr_info(function, info);
    FunctionCallInfo call = static_cast<FunctionCallInfo>(palloc0(SizeForFunctionCallInfo(1)));
    InitFunctionCallInfoData(*call, info, 1, InvalidOid, nullptr, nullptr);
    call->args[0].value = player_id;
    call->args[0].isnull = player_null;
    const Datum result = FunctionCallInvoke(call);
    *is_null = call->isnull;
    return result;
}

bool status_is(Datum status, Oid collation, const char *expected)
{
    return DatumGetBool(DirectFunctionCall2Coll(texteq, collation, status, CStringGetTextDatum(expected)));
}

}  // namespace
}  // namespace treasure

using namespace treasure;

TREASURE_SQL_FUNCTION(claim_details)
{
    if (PG_ARGISNULL(2))
        PG_RETURN_NULL();
    // The comparison PL/pgSQL made: in the caller's collation, else text's default.
    const Oid collation = OidIsValid(PG_GET_COLLATION()) ? PG_GET_COLLATION() : DEFAULT_COLLATION_OID;
    const bool claimed = status_is(PG_GETARG_DATUM(2), collation, "claimed") && !PG_ARGISNULL(1);
    if (!claimed && !status_is(PG_GETARG_DATUM(2), collation, "rate_limited"))
        PG_RETURN_NULL();

    // As PL/pgSQL runs each statement of a VOLATILE function: the command counter advanced, so that what
    // claim_treasure() wrote earlier in the same statement is seen, and a new snapshot.
    CommandCounterIncrement();
    PushActiveSnapshot(GetTransactionSnapshot());
    UpdateActiveSnapshotCommandId();
    bool is_null = false;
    Datum details = (Datum) 0;
    if (claimed) {
        details = claimed_details(GetActiveSnapshot(), PG_GETARG_DATUM(0), PG_ARGISNULL(0), PG_GETARG_DATUM(1));
    } else {
        const Datum retry = retry_after_ms(PG_GETARG_DATUM(0), PG_ARGISNULL(0), &is_null);
        if (!is_null) {
            JsonbParseState *document = nullptr;
            pushJsonbValue(&document, WJB_BEGIN_OBJECT, nullptr);
            push_member(&document, "retry_after_ms", json_number(int64_to_numeric(DatumGetInt64(retry))));
            details = JsonbPGetDatum(JsonbValueToJsonb(pushJsonbValue(&document, WJB_END_OBJECT, nullptr)));
        }
    }
    PopActiveSnapshot();
    if (is_null)
        PG_RETURN_NULL();
    PG_RETURN_DATUM(details);
}
