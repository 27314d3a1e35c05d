// A claim of a chest that needs no key, written through the table access methods instead of by the claim
// statement.  It writes the same rows as the statement, takes the same locks in the same order and follows
// the same ON CONFLICT protocol; what it skips is starting an executor for a statement of five CTEs on every
// tap, which was the largest share of a claim's CPU (bench/FINDINGS.md).
//
// The writes, in the statement's order (on_conflict.cpp does each the way nodeModifyTable.c does):
//   * the guard: a speculative insertion into treasure.claims arbitrated by all its unique indexes (ON
//     CONFLICT DO NOTHING): a conflicting claim in progress is waited for, and a committed one refuses this
//     claim, which then writes nothing;
//   * the wallet: inserted, or its existing row locked and updated (ON CONFLICT (player_id) DO UPDATE),
//     starting over if that row was updated concurrently;
//   * the event: a plain insert (ExecSimpleRelationInsert, as logical replication's apply);
//   * the item's inventory row, like the wallet (ON CONFLICT (player_id, item) DO UPDATE).
// So the row locks within a player come in the statement's order (claims guard, wallet, inventory row), and
// the two paths can claim for the same player at the same time (tests/isolation/specs/mixed_paths.spec).
// ExecConstraints checks NOT NULL and CHECK constraints, so errors are the statement's own.
//
// It declines before writing anything unless the transaction and the tables are exactly what it was written
// for (claim_tables.hpp lists the checks): READ COMMITTED, read-write, not parallel, treasure 1.2.0's
// columns, no triggers, rules or row-level security.  The statements handle everything else.
#include "direct_claim.hpp"

#include "claim_tables.hpp"
#include "on_conflict.hpp"

extern "C" {
#include "access/genam.h"
#include "access/xact.h"
#include "commands/sequence.h"
#include "common/int.h"
#include "utils/datum.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
}

namespace treasure {
namespace {

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
    Datum values[chests_columns];
    bool nulls[chests_columns];
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

// The tables this claim writes, their indexes open; info == nullptr where not opened.
struct ClaimWriters {
    WrittenTable claims;
    WrittenTable wallets;
    WrittenTable claim_events;
    WrittenTable inventories;
};

void close_writers(ClaimWriters &writers)
{
    close_written_table(writers.claims);
    close_written_table(writers.wallets);
    close_written_table(writers.claim_events);
    close_written_table(writers.inventories);
}

constexpr AttrNumber wallet_key[] = {wallets_player_id + 1};
constexpr AttrNumber wallet_updated_columns[] = {wallets_balance + 1, wallets_claims + 1, wallets_coins_awarded + 1,
                                                 wallets_last_claim_at + 1};
constexpr AttrNumber inventory_key[] = {inventories_player_id + 1, inventories_item + 1};
constexpr AttrNumber inventory_updated_columns[] = {inventories_qty + 1};

// The writes of a claim the guard admitted, after the guard.  Returns the new balance.
int64 pay(EState *estate, const InstalledSchema &schema, ClaimWriters &writers, const ClaimArgs &args,
          const Chest &chest, TimestampTz now, int64 claim_id, List *wallet_arbiters, List *inventory_arbiters)
{
    WrittenTable &wallets = writers.wallets;
    begin_row(wallets.row);
    set_column(wallets.row, wallets_player_id, args.player_id);
    set_column(wallets.row, wallets_balance, Int64GetDatum(chest.coins));
    set_column(wallets.row, wallets_claims, Int64GetDatum(1));
    set_column(wallets.row, wallets_coins_awarded, Int64GetDatum(chest.coins));
    set_column(wallets.row, wallets_last_claim_at, TimestampTzGetDatum(now));
    store_row(wallets.row);
    int64 balance = chest.coins;
    upsert(wallets, estate, wallet_arbiters, upsert_lock_mode(wallets.rel, wallet_updated_columns, 4),
           [&](TupleTableSlot *wallet) {
               balance = add_bigint(DatumGetInt64(wallet->tts_values[wallets_balance]), chest.coins);
               set_column(wallet, wallets_balance, Int64GetDatum(balance));
               set_column(wallet, wallets_claims,
                          Int64GetDatum(add_bigint(DatumGetInt64(wallet->tts_values[wallets_claims]), 1)));
               set_column(wallet, wallets_coins_awarded,
                          Int64GetDatum(
                              add_bigint(DatumGetInt64(wallet->tts_values[wallets_coins_awarded]), chest.coins)));
               if (wallet->tts_isnull[wallets_last_claim_at] ||
                   DatumGetTimestampTz(wallet->tts_values[wallets_last_claim_at]) < now)
                   set_column(wallet, wallets_last_claim_at, TimestampTzGetDatum(now));
           });

    WrittenTable &events = writers.claim_events;
    begin_row(events.row);
    set_column(events.row, events_player_id, args.player_id);
    set_column(events.row, events_claim_id, Int64GetDatum(claim_id));
    set_column(events.row, events_event_id, Int64GetDatum(nextval_internal(schema.event_id_seq, true)));
    set_column(events.row, events_chest_id, args.chest_id);
    set_column(events.row, events_coins_awarded, Int64GetDatum(chest.coins));
    set_column(events.row, events_balance_after, Int64GetDatum(balance));
    set_column(events.row, events_occurred_at, TimestampTzGetDatum(now));
    store_row(events.row);
    ExecSimpleRelationInsert(events.info, estate, events.row);

    if (writers.inventories.info != nullptr) {
        WrittenTable &inventories = writers.inventories;
        begin_row(inventories.row);
        set_column(inventories.row, inventories_player_id, args.player_id);
        set_column(inventories.row, inventories_item, chest.item);
        set_column(inventories.row, inventories_qty, Int32GetDatum(chest.item_qty));
        store_row(inventories.row);
        upsert(inventories, estate, inventory_arbiters,
               upsert_lock_mode(inventories.rel, inventory_updated_columns, 1), [&](TupleTableSlot *inventory) {
                   set_column(inventory, inventories_qty,
                              Int32GetDatum(add_integer(DatumGetInt32(inventory->tts_values[inventories_qty]),
                                                        chest.item_qty)));
               });
    }
    return balance;
}

// The claim itself, inside claim_directly()'s snapshot and EState.
DirectClaim claim_in(EState *estate, const InstalledSchema &schema, const ClaimArgs &args, ClaimTables &tables,
                     ClaimWriters &writers, ChestState &state, Attempt &attempt, ResultRow &row,
                     MemoryContext result_context)
{
    if (!open_claim_tables(schema, tables))
        return DirectClaim::declined;
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
    if (state.gives_item && !open_inventories(schema, tables))
        return DirectClaim::declined;

    writers.claims = open_written_table(estate, tables.claims, true);
    writers.wallets = open_written_table(estate, tables.wallets, true);
    writers.claim_events = open_written_table(estate, tables.claim_events, false);
    List *wallet_arbiters = inferred_arbiters(writers.wallets, wallet_key, 1);
    List *inventory_arbiters = NIL;
    if (state.gives_item) {
        writers.inventories = open_written_table(estate, tables.inventories, true);
        inventory_arbiters = inferred_arbiters(writers.inventories, inventory_key, 2);
    }
    if (wallet_arbiters == NIL || (state.gives_item && inventory_arbiters == NIL))
        return DirectClaim::declined;  // the statement's ON CONFLICT would find no index to arbitrate

    // The guard: the first write.
    const TimestampTz now = GetCurrentTransactionStartTimestamp();
    const int64 claim_id = nextval_internal(schema.claim_id_seq, true);
    WrittenTable &claims = writers.claims;
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
    store_row(claims.row);
    ItemPointerData conflict;
    if (!insert_unless_conflict(claims, estate, NIL, &conflict)) {
        attempt = Attempt::not_claimed;
        return DirectClaim::done;
    }

    const int64 balance =
        pay(estate, schema, writers, args, chest, now, claim_id, wallet_arbiters, inventory_arbiters);

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
    ClaimWriters writers = {};
    DirectClaim outcome = claim_in(estate, schema, args, tables, writers, chest, attempt, row, result_context);

    close_writers(writers);
    ExecResetTupleTable(estate->es_tupleTable, false);
    close_claim_tables(tables);
    MemoryContextSwitchTo(old);
    FreeExecutorState(estate);
    PopActiveSnapshot();
    CommandCounterIncrement();
    return outcome;
}

}  // namespace treasure
