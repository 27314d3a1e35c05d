// A claim of a chest that needs no key, written through the table access methods instead of by the claim
// statement.  It writes the same rows as the statement, takes the same locks in the same order and follows
// the same ON CONFLICT protocol; what it skips is starting an executor for a statement of five CTEs on every
// tap, which was the largest share of a claim's CPU (bench/FINDINGS.md).
//
// It does what PostgreSQL itself does for INSERT ... ON CONFLICT (nodeModifyTable.c: ExecInsert and
// ExecOnConflictUpdate) and for logical replication's apply (execReplication.c):
//   * the guard is a speculative insertion into treasure.claims arbitrated by all its unique indexes
//     (ON CONFLICT DO NOTHING): a conflicting claim in progress is waited for, and a committed one refuses
//     this claim, which then writes nothing;
//   * the wallet, then the item's inventory row, are inserted, or their existing row is locked and updated
//     (ON CONFLICT DO UPDATE), starting over if that row was updated concurrently;
//   * the event is a plain insert.
// So the lock order within a player is the statement's (claims guard, wallet, inventory row), and the two
// paths can claim for the same player at the same time.  ExecConstraints checks NOT NULL and CHECK
// constraints and pg_class_aclmask the privileges, so errors are the statement's own.
//
// It declines before writing anything unless the transaction and the schema are the ones it was written
// for: READ COMMITTED, read-write, not parallel; the columns of treasure 1.2.0 (names and types checked on
// every call); plain tables without triggers or row-level security.  Everything else is left to the
// statements, which handle every case.
#include "direct_claim.hpp"

extern "C" {
#include "access/genam.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "commands/sequence.h"
#include "common/int.h"
#include "executor/executor.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
}

namespace treasure {
namespace {

struct Column {
    const char *name;
    Oid type;
};

// The tables as treasure 1.2.0 defines them, in attribute order.
enum ChestsColumn { chests_chest_id, chests_coins, chests_item, chests_item_qty, chests_key_item, chests_opens_at,
                    chests_closes_at };
constexpr Column chests_layout[] = {{"chest_id", INT8OID}, {"coins", INT8OID},          {"item", TEXTOID},
                                    {"item_qty", INT4OID}, {"key_item", TEXTOID},       {"opens_at", TIMESTAMPTZOID},
                                    {"closes_at", TIMESTAMPTZOID}};

enum ClaimsColumn { claims_player_id, claims_chest_id, claims_claim_id, claims_request_id, claims_session_id,
                    claims_coins_awarded, claims_item_awarded, claims_item_qty, claims_key_used, claims_claimed_at };
constexpr Column claims_layout[] = {{"player_id", INT8OID},     {"chest_id", INT8OID},      {"claim_id", INT8OID},
                                    {"request_id", UUIDOID},    {"session_id", INT8OID},    {"coins_awarded", INT8OID},
                                    {"item_awarded", TEXTOID},  {"item_qty", INT4OID},      {"key_used", TEXTOID},
                                    {"claimed_at", TIMESTAMPTZOID}};

enum WalletsColumn { wallets_player_id, wallets_balance, wallets_claims, wallets_coins_awarded,
                     wallets_last_claim_at };
constexpr Column wallets_layout[] = {{"player_id", INT8OID}, {"balance", INT8OID}, {"claims", INT8OID},
                                     {"coins_awarded", INT8OID}, {"last_claim_at", TIMESTAMPTZOID}};

enum InventoriesColumn { inventories_player_id, inventories_item, inventories_qty };
constexpr Column inventories_layout[] = {{"player_id", INT8OID}, {"item", TEXTOID}, {"qty", INT4OID}};

enum EventsColumn { events_player_id, events_claim_id, events_event_id, events_chest_id, events_coins_awarded,
                    events_balance_after, events_occurred_at };
constexpr Column events_layout[] = {{"player_id", INT8OID},     {"claim_id", INT8OID},
                                    {"event_id", INT8OID},      {"chest_id", INT8OID},
                                    {"coins_awarded", INT8OID}, {"balance_after", INT8OID},
                                    {"occurred_at", TIMESTAMPTZOID}};

template <size_t columns>
bool has_layout(Relation rel, const Column (&layout)[columns])
{
    TupleDesc desc = RelationGetDescr(rel);
    if (desc->natts != static_cast<int>(columns))
        return false;
    for (size_t i = 0; i < columns; i++) {
        Form_pg_attribute attribute = TupleDescAttr(desc, i);
        if (attribute->attisdropped || attribute->atttypid != layout[i].type ||
            strcmp(NameStr(attribute->attname), layout[i].name) != 0)
            return false;
    }
    return true;
}

// A table the direct path may touch: a plain table of the expected layout, with its primary key (the key a
// read or an upsert goes by), that nothing would expect the executor or the rewriter to act on (triggers,
// rules, row-level security).
template <size_t columns>
bool is_plain_table(Relation rel, const Column (&layout)[columns])
{
    return rel->rd_rel->relkind == RELKIND_RELATION && rel->trigdesc == nullptr && !rel->rd_rel->relhasrules &&
           !rel->rd_rel->relrowsecurity && !rel->rd_rel->relispartition && has_layout(rel, layout) &&
           OidIsValid(RelationGetPrimaryKeyIndex(rel));
}

void require_privileges(Relation rel, AclMode required)
{
    if (pg_class_aclmask(RelationGetRelid(rel), GetUserId(), required, ACLMASK_ALL) != required)
        aclcheck_error(ACLCHECK_NO_PRIV, get_relkind_objtype(rel->rd_rel->relkind), RelationGetRelationName(rel));
}

// A table this claim writes, with what the executor keeps for it: its indexes (opened for speculative
// insertion, as ON CONFLICT needs) and the slots of the row to insert, the existing row an upsert locked
// and that row's new version.  Plain pointers into the EState's memory.
struct WrittenTable {
    Relation rel;
    ResultRelInfo *info;
    TupleTableSlot *row;
    TupleTableSlot *existing;
    TupleTableSlot *updated;
};

// speculative: the table is written with ON CONFLICT, which needs the unique indexes' equality operators.
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

// The relation itself is closed by close_tables().
void close_written_table(WrittenTable &table)
{
    ExecCloseIndices(table.info);
}

// Starts filling the slot's row: every column NULL until set.
void begin_row(TupleTableSlot *slot)
{
    ExecClearTuple(slot);
    for (int column = 0; column < slot->tts_tupleDescriptor->natts; column++) {
        slot->tts_values[column] = (Datum) 0;
        slot->tts_isnull[column] = true;
    }
}

void set_column(TupleTableSlot *slot, int column, Datum value)
{
    slot->tts_values[column] = value;
    slot->tts_isnull[column] = false;
}

void set_column(TupleTableSlot *slot, int column, Datum value, bool isnull)
{
    slot->tts_values[column] = value;
    slot->tts_isnull[column] = isnull;
}

// INSERT ... ON CONFLICT's insertion: inserts table.row unless one of the arbiter indexes (NIL: every
// unique index, as ON CONFLICT without a target) already holds a conflicting row, which is waited for while
// its inserter is in progress.  Returns false, with that row's TID, when such a row exists.  The caller
// has checked the row's constraints.
bool insert_unless_conflict(WrittenTable &table, EState *estate, List *arbiters, ItemPointer conflict)
{
    for (;;) {
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
        // A row committed or was inserted concurrently: check again, which now finds (or waits for) it.
    }
}

// Locks the conflicting row an insertion found, as ON CONFLICT DO UPDATE does.  False when it was updated
// or deleted since: the caller starts over.
bool lock_conflicting_row(WrittenTable &table, EState *estate, ItemPointer conflict)
{
    TM_FailureData failure;
    TM_Result result = table_tuple_lock(table.rel, conflict, estate->es_snapshot, table.existing,
                                        estate->es_output_cid, LockTupleNoKeyExclusive, LockWaitBlock, 0, &failure);
    switch (result) {
    case TM_Ok:
        return true;
    case TM_Updated:
    case TM_Deleted:
        ExecClearTuple(table.existing);
        return false;
    default:
        elog(ERROR, "treasure: unexpected result %d locking a row of \"%s\"", static_cast<int>(result),
             RelationGetRelationName(table.rel));
    }
    return false;
}

// INSERT ... ON CONFLICT (primary key) DO UPDATE for one row: inserts table.row, or locks the existing row
// with its key, lets make_update fill table.updated from table.existing and writes that version.
template <typename MakeUpdate>
void upsert(WrittenTable &table, EState *estate, MakeUpdate make_update)
{
    if (table.rel->rd_att->constr != nullptr)
        ExecConstraints(table.info, table.row, estate);
    List *primary_key = list_make1_oid(RelationGetPrimaryKeyIndex(table.rel));
    for (;;) {
        ItemPointerData conflict;
        if (insert_unless_conflict(table, estate, primary_key, &conflict))
            return;
        if (!lock_conflicting_row(table, estate, &conflict))
            continue;
        slot_getallattrs(table.existing);
        begin_row(table.updated);
        for (int column = 0; column < table.existing->tts_tupleDescriptor->natts; column++)
            set_column(table.updated, column, table.existing->tts_values[column],
                       table.existing->tts_isnull[column]);
        make_update(table.updated);
        ExecStoreVirtualTuple(table.updated);
        ExecSimpleRelationUpdate(table.info, estate, nullptr, table.existing, table.updated);
        return;
    }
}

int64 add_bigint(int64 a, int64 b)
{
    int64 sum;
    if (pg_add_s64_overflow(a, b, &sum))
        ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE), errmsg("bigint out of range")));
    return sum;
}

int32 add_integer(int32 a, int32 b)
{
    int32 sum;
    if (pg_add_s32_overflow(a, b, &sum))
        ereport(ERROR, (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE), errmsg("integer out of range")));
    return sum;
}

// What a claim reads of its chest.  `item` points into the EState's memory.
struct Chest {
    int64 coins;
    Datum item;
    int32 item_qty;
};

// Reads the chest in the current snapshot.  False if there is no such chest.
bool read_chest(Relation chests, Snapshot snapshot, const ClaimArgs &args, ChestState &state, Chest &chest)
{
    ScanKeyData key;
    ScanKeyInit(&key, chests_chest_id + 1, BTEqualStrategyNumber, F_INT8EQ, args.chest_id);
    SysScanDesc scan = systable_beginscan(chests, RelationGetPrimaryKeyIndex(chests), true, snapshot, 1, &key);
    HeapTuple tuple = systable_getnext(scan);
    if (tuple == nullptr) {
        systable_endscan(scan);
        return false;
    }
    constexpr int columns = sizeof chests_layout / sizeof chests_layout[0];
    Datum values[columns];
    bool nulls[columns];
    heap_deform_tuple(tuple, RelationGetDescr(chests), values, nulls);

    const TimestampTz now = GetCurrentTransactionStartTimestamp();  // now(), as the statement uses
    state.is_open = (nulls[chests_opens_at] || DatumGetTimestampTz(values[chests_opens_at]) <= now) &&
                    (nulls[chests_closes_at] || now < DatumGetTimestampTz(values[chests_closes_at]));
    state.needs_key = !nulls[chests_key_item];
    state.gives_item = !nulls[chests_item];
    chest.coins = DatumGetInt64(values[chests_coins]);
    chest.item = state.gives_item ? datumCopy(values[chests_item], false, -1) : (Datum) 0;
    chest.item_qty = DatumGetInt32(values[chests_item_qty]);
    systable_endscan(scan);
    return true;
}

// The relations of one claim, opened (and locked) for the length of the call; null where not needed.
struct ClaimTables {
    Relation chests;
    Relation claims;
    Relation wallets;
    Relation inventories;
    Relation claim_events;
};

// The locks stay until the end of the transaction, as the executor's do.
void close_tables(ClaimTables &tables)
{
    for (Relation rel : {tables.chests, tables.claims, tables.wallets, tables.inventories, tables.claim_events})
        if (rel != nullptr)
            table_close(rel, NoLock);
}

// Opens the tables a claim of this chest writes, checking that the direct path can write them.  False,
// with whatever it opened recorded in `tables`, when it cannot.
bool open_written_tables(const InstalledSchema &schema, bool gives_item, ClaimTables &tables)
{
    if (!OidIsValid(schema.claim_id_seq) || !OidIsValid(schema.event_id_seq))
        return false;
    tables.claims = try_table_open(schema.claims, RowExclusiveLock);
    if (tables.claims == nullptr || !is_plain_table(tables.claims, claims_layout))
        return false;
    tables.wallets = try_table_open(schema.wallets, RowExclusiveLock);
    if (tables.wallets == nullptr || !is_plain_table(tables.wallets, wallets_layout))
        return false;
    if (gives_item) {
        tables.inventories = try_table_open(schema.inventories, RowExclusiveLock);
        if (tables.inventories == nullptr || !is_plain_table(tables.inventories, inventories_layout))
            return false;
    }
    tables.claim_events = try_table_open(schema.claim_events, RowExclusiveLock);
    if (tables.claim_events == nullptr || !is_plain_table(tables.claim_events, events_layout))
        return false;

    // The privileges the claim statement's executor would check.
    require_privileges(tables.claims, ACL_INSERT | ACL_SELECT);
    require_privileges(tables.wallets, ACL_INSERT | ACL_UPDATE | ACL_SELECT);
    if (gives_item)
        require_privileges(tables.inventories, ACL_INSERT | ACL_UPDATE | ACL_SELECT);
    require_privileges(tables.claim_events, ACL_INSERT);
    return true;
}

// The writes of a claim the guard admits, in the claim statement's order.  Returns the new balance.
int64 pay(EState *estate, const InstalledSchema &schema, const ClaimTables &tables, const ClaimArgs &args,
          const Chest &chest, TimestampTz now, int64 claim_id)
{
    WrittenTable wallets = open_written_table(estate, tables.wallets, true);
    begin_row(wallets.row);
    set_column(wallets.row, wallets_player_id, args.player_id);
    set_column(wallets.row, wallets_balance, Int64GetDatum(chest.coins));
    set_column(wallets.row, wallets_claims, Int64GetDatum(1));
    set_column(wallets.row, wallets_coins_awarded, Int64GetDatum(chest.coins));
    set_column(wallets.row, wallets_last_claim_at, TimestampTzGetDatum(now));
    ExecStoreVirtualTuple(wallets.row);
    int64 balance = chest.coins;
    upsert(wallets, estate, [&](TupleTableSlot *wallet) {
        balance = add_bigint(DatumGetInt64(wallet->tts_values[wallets_balance]), chest.coins);
        set_column(wallet, wallets_balance, Int64GetDatum(balance));
        set_column(wallet, wallets_claims,
                   Int64GetDatum(add_bigint(DatumGetInt64(wallet->tts_values[wallets_claims]), 1)));
        set_column(wallet, wallets_coins_awarded,
                   Int64GetDatum(add_bigint(DatumGetInt64(wallet->tts_values[wallets_coins_awarded]), chest.coins)));
        if (wallet->tts_isnull[wallets_last_claim_at] ||
            DatumGetTimestampTz(wallet->tts_values[wallets_last_claim_at]) < now)
            set_column(wallet, wallets_last_claim_at, TimestampTzGetDatum(now));
    });
    close_written_table(wallets);

    if (tables.inventories != nullptr) {
        WrittenTable inventories = open_written_table(estate, tables.inventories, true);
        begin_row(inventories.row);
        set_column(inventories.row, inventories_player_id, args.player_id);
        set_column(inventories.row, inventories_item, chest.item);
        set_column(inventories.row, inventories_qty, Int32GetDatum(chest.item_qty));
        ExecStoreVirtualTuple(inventories.row);
        upsert(inventories, estate, [&](TupleTableSlot *inventory) {
            set_column(inventory, inventories_qty,
                       Int32GetDatum(add_integer(DatumGetInt32(inventory->tts_values[inventories_qty]),
                                                 chest.item_qty)));
        });
        close_written_table(inventories);
    }

    WrittenTable events = open_written_table(estate, tables.claim_events, false);
    begin_row(events.row);
    set_column(events.row, events_player_id, args.player_id);
    set_column(events.row, events_claim_id, Int64GetDatum(claim_id));
    set_column(events.row, events_event_id, Int64GetDatum(nextval_internal(schema.event_id_seq, true)));
    set_column(events.row, events_chest_id, args.chest_id);
    set_column(events.row, events_coins_awarded, Int64GetDatum(chest.coins));
    set_column(events.row, events_balance_after, Int64GetDatum(balance));
    set_column(events.row, events_occurred_at, TimestampTzGetDatum(now));
    ExecStoreVirtualTuple(events.row);
    ExecSimpleRelationInsert(events.info, estate, events.row);
    close_written_table(events);
    return balance;
}

// The claim itself, inside claim_directly()'s snapshot and EState.
DirectClaim claim_in(EState *estate, const InstalledSchema &schema, const ClaimArgs &args, ClaimTables &tables,
                     ChestState &state, Attempt &attempt, ResultRow &row, MemoryContext result_context)
{
    tables.chests = try_table_open(schema.chests, AccessShareLock);
    if (tables.chests == nullptr || !is_plain_table(tables.chests, chests_layout))
        return DirectClaim::declined;
    require_privileges(tables.chests, ACL_SELECT);
    Chest chest;
    if (!read_chest(tables.chests, estate->es_snapshot, args, state, chest)) {
        attempt = Attempt::unknown_chest;
        return DirectClaim::done;
    }
    if (state.needs_key)
        return DirectClaim::chest_needs_key;
    if (!state.is_open) {
        attempt = Attempt::not_claimed;
        return DirectClaim::done;
    }
    if (!open_written_tables(schema, state.gives_item, tables))
        return DirectClaim::declined;

    // The guard.
    const TimestampTz now = GetCurrentTransactionStartTimestamp();
    const int64 claim_id = nextval_internal(schema.claim_id_seq, true);
    WrittenTable claims = open_written_table(estate, tables.claims, true);
    begin_row(claims.row);
    set_column(claims.row, claims_player_id, args.player_id);
    set_column(claims.row, claims_chest_id, args.chest_id);
    set_column(claims.row, claims_claim_id, Int64GetDatum(claim_id));
    set_column(claims.row, claims_request_id, args.request_id);
    set_column(claims.row, claims_session_id, args.session_id, args.session_id_is_null);
    set_column(claims.row, claims_coins_awarded, Int64GetDatum(chest.coins));
    if (state.gives_item) {
        set_column(claims.row, claims_item_awarded, chest.item);
        set_column(claims.row, claims_item_qty, Int32GetDatum(chest.item_qty));
    }
    set_column(claims.row, claims_claimed_at, TimestampTzGetDatum(now));
    ExecStoreVirtualTuple(claims.row);
    if (tables.claims->rd_att->constr != nullptr)
        ExecConstraints(claims.info, claims.row, estate);
    ItemPointerData conflict;
    const bool admitted = insert_unless_conflict(claims, estate, NIL, &conflict);
    close_written_table(claims);
    if (!admitted) {
        attempt = Attempt::not_claimed;
        return DirectClaim::done;
    }

    const int64 balance = pay(estate, schema, tables, args, chest, now, claim_id);

    attempt = Attempt::claimed;
    row.set(result_claim_id, Int64GetDatum(claim_id));
    row.set(result_coins_awarded, Int64GetDatum(chest.coins));
    if (state.gives_item) {
        MemoryContext old = MemoryContextSwitchTo(result_context);
        row.set(result_item_awarded, datumCopy(chest.item, false, -1));
        MemoryContextSwitchTo(old);
        row.set(result_item_qty, Int32GetDatum(chest.item_qty));
    }
    row.set(result_balance, Int64GetDatum(balance));
    row.set(result_claimed_at, TimestampTzGetDatum(now));
    return DirectClaim::done;
}

}  // namespace

bool direct_claims_enabled = true;

void define_direct_claims_setting()
{
    DefineCustomBoolVariable("treasure.direct_claims",
                             "Lets claim_treasure() write claims of chests without a key directly.",
                             "Off, every claim runs the claim statements (the same rows, more CPU per claim).",
                             &direct_claims_enabled, true, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    MarkGUCPrefixReserved("treasure");
}

DirectClaim claim_directly(const InstalledSchema &schema, const ClaimArgs &args, ChestState &chest,
                           Attempt &attempt, ResultRow &row)
{
    if (!direct_claims_enabled || schema.storage != AnalyticsStorage::wallet_row || IsolationUsesXactSnapshot() ||
        XactReadOnly || IsInParallelMode())
        return DirectClaim::declined;

    // What SPI does around a statement that writes: a new command and, under READ COMMITTED, a new
    // snapshot, so the claim sees everything committed before it and everything this transaction wrote.
    CommandCounterIncrement();
    PushActiveSnapshot(GetTransactionSnapshot());
    MemoryContext result_context = CurrentMemoryContext;
    EState *estate = CreateExecutorState();
    estate->es_snapshot = GetActiveSnapshot();
    estate->es_output_cid = GetCurrentCommandId(true);
    MemoryContext old = MemoryContextSwitchTo(estate->es_query_cxt);

    ClaimTables tables = {nullptr, nullptr, nullptr, nullptr, nullptr};
    DirectClaim outcome = claim_in(estate, schema, args, tables, chest, attempt, row, result_context);

    ExecResetTupleTable(estate->es_tupleTable, false);
    close_tables(tables);
    MemoryContextSwitchTo(old);
    FreeExecutorState(estate);
    PopActiveSnapshot();
    CommandCounterIncrement();
    return outcome;
}

}  // namespace treasure
