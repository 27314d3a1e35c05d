// A claim written through the table access methods instead of by the claim statements.  It writes the same
// rows as the statements, takes the same locks in the same order and follows the same ON CONFLICT protocol;
// what it skips is starting an executor for a statement of five CTEs on every tap, which was the largest
// share of a claim's CPU (bench/FINDINGS.md).
//
// The steps, in the statements' order (on_conflict.cpp, key_access.cpp and written_table.cpp do each the way
// PostgreSQL's executor does, REL_15_STABLE; extension/README.md lists where it had to be told to):
//   * a chest that takes a key: the player's wallet row locked first (lock_player_statement's FOR NO KEY
//     UPDATE), then a new snapshot, in which the player must hold the key;
//   * the guard: a speculative insertion into treasure.claims arbitrated by all its unique indexes (ON
//     CONFLICT DO NOTHING): a conflicting claim in progress is waited for, and a committed one refuses this
//     claim, which then writes nothing;
//   * the wallet: inserted, or its existing row locked and updated (ON CONFLICT (player_id) DO UPDATE),
//     starting over if that row was updated concurrently;
//   * the key: its inventory row, at its newest version, one less (the statement's key_taken UPDATE);
//   * the event: a plain insert (ExecSimpleRelationInsert, as logical replication's apply);
//   * the item's inventory row, like the wallet (ON CONFLICT (player_id, item) DO UPDATE).
// A refused claim is explained by the lookup statement's index look-ups, in a new snapshot.  So the row
// locks within a player come in the statements' order (wallet first for a key, claims guard, wallet,
// inventory rows), and the two paths can claim for the same player at the same time
// (tests/isolation/specs/mixed_paths.spec).  ExecConstraints checks NOT NULL and CHECK constraints, so
// errors are the statements' own.
//
// It declines before writing or locking anything unless the transaction and the tables are exactly what it
// was written for (claim_tables.hpp lists the checks): READ COMMITTED, read-write, not parallel, treasure
// 1.2.0's columns, no triggers, rules or row-level security.  The statements handle everything else.
#include "direct_claim.hpp"

#include <algorithm>

#if TREASURE_DIRECT_PATH

#include "claim_tables.hpp"
#include "key_access.hpp"
#include "on_conflict.hpp"
#include "prepared_checks.hpp"

extern "C" {
#include "access/xact.h"
#include "commands/sequence.h"
#include "utils/datum.h"
#include "utils/float.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
}

namespace treasure {
namespace {

// The counters' arithmetic is PostgreSQL's own operators' (int8pl, int4pl, int4mi), as in the statements,
// so an overflow raises their error (22003).
int64 plus(Datum counter, int64 amount)
{
    return DatumGetInt64(DirectFunctionCall2(int8pl, counter, Int64GetDatum(amount)));
}

// What a claim reads of its chest.  `item` points into the EState's memory; (Datum) 0 when none.
struct Chest {
    int64 coins;
    Datum item;
    int32 item_qty;
};

// Reads the chest in the current snapshot: what it gives and the key it takes ((Datum) 0 when none, else
// in the EState's memory).  False if there is no such chest.
bool read_chest(Relation chests, Snapshot snapshot, const ClaimArgs &args, ChestState &state, Chest &chest,
                Datum &key_item)
{
    ScanKeyData key;
    ScanKeyInit(&key, chests_chest_id + 1, BTEqualStrategyNumber, F_INT8EQ, args.chest_id);
    SysScanDesc scan = pg::begin_keyed_scan(chests, RelationGetPrimaryKeyIndex(chests), snapshot, &key, 1);
    HeapTuple tuple = pg::next_keyed_row(scan);
    if (tuple == nullptr) {
        pg::end_keyed_scan(scan);
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
    key_item = state.needs_key ? datumCopy(values[chests_key_item], false, -1) : (Datum) 0;
    pg::end_keyed_scan(scan);
    return true;
}

// 1.3.0: how treasure.claim_features routes a claim of this chest (its own row and row 0, the database-wide
// rules), read by key in the claim's snapshot, as the claim statements' chest CTE reads them.
struct ClaimRoute {
    bool featured;      // the chest's items or loot, or an item cap is set: treasure.claim_featured() decides
    int32 stock_slots;  // the chest is limited: the ruled statement takes a unit of its stock
    bool has_limit;
    int32 max_claims;
    double refill_seconds;
    bool has_cap;
    int64 max_balance;
    bool item_caps;
};

bool read_features_row(Relation features, Snapshot snapshot, Datum chest_id, Datum *values, bool *nulls)
{
    ScanKeyData key;
    ScanKeyInit(&key, features_chest_id + 1, BTEqualStrategyNumber, F_INT8EQ, chest_id);
    SysScanDesc scan = pg::begin_keyed_scan(features, RelationGetPrimaryKeyIndex(features), snapshot, &key, 1);
    HeapTuple tuple = pg::next_keyed_row(scan);
    if (tuple != nullptr)
        heap_deform_tuple(tuple, RelationGetDescr(features), values, nulls);
    pg::end_keyed_scan(scan);
    return tuple != nullptr;
}

ClaimRoute read_route(Relation features, Snapshot snapshot, const ClaimArgs &args)
{
    ClaimRoute route = {};
    Datum values[features_columns];
    bool nulls[features_columns];
    if (read_features_row(features, snapshot, args.chest_id, values, nulls)) {
        route.featured = DatumGetBool(values[features_featured]);
        route.stock_slots = DatumGetInt32(values[features_stock_slots]);
    }
    if (read_features_row(features, snapshot, Int64GetDatum(0), values, nulls)) {
        route.item_caps = DatumGetBool(values[features_featured]);
        route.has_limit = !nulls[features_max_claims];
        if (route.has_limit) {
            route.max_claims = DatumGetInt32(values[features_max_claims]);
            route.refill_seconds = DatumGetFloat8(values[features_refill_seconds]);
        }
        route.has_cap = !nulls[features_max_balance];
        if (route.has_cap)
            route.max_balance = DatumGetInt64(values[features_max_balance]);
    }
    return route;
}

// The tokens in the player's claim-limit bucket now, from the wallet row's state: treasure.claim_tokens_now()
// and the ruled statement's expression, operation for operation (the elapsed seconds through extract(), as
// numeric, then float8, so every path stores the same bits).
double claim_tokens_now(const ClaimRoute &route, TupleTableSlot *wallet, TimestampTz now)
{
    if (wallet == nullptr || wallet->tts_isnull[wallets_claim_tokens] || wallet->tts_isnull[wallets_claim_tokens_at])
        return static_cast<double>(route.max_claims);
    Datum elapsed =
        DirectFunctionCall2(timestamp_mi, TimestampTzGetDatum(now), wallet->tts_values[wallets_claim_tokens_at]);
    Datum epoch = DirectFunctionCall2(extract_interval, CStringGetTextDatum("epoch"), elapsed);
    const double seconds = DatumGetFloat8(DirectFunctionCall1(numeric_float8, epoch));
    const double refilled = DatumGetFloat8(wallet->tts_values[wallets_claim_tokens]) +
                            std::max(0.0, seconds) * route.max_claims / route.refill_seconds;
    return std::min(static_cast<double>(route.max_claims), refilled);
}

// What a claim under a rule pays beside its coins: the bucket's tokens after it (when a limit is set) and
// whether its wallet was found and locked before judging (else another claim that opens it meanwhile means 40001).
struct RuledPayment {
    bool ruled;
    bool wallet_locked;
    bool has_limit;
    double tokens_after;
};

// The tables this claim writes, their indexes open (info == nullptr where not opened), and the indexes the
// claim goes by.
struct ClaimWriters {
    WrittenTable claims;
    WrittenTable wallets;
    WrittenTable claim_events;
    WrittenTable inventories;
    WrittenTable claim_awards;  // 1.3.0, for a chest that gives an item
    WrittenTable stock_slots;   // 1.3.0, for a limited chest
    List *wallet_arbiters;      // ON CONFLICT (player_id)
    List *inventory_arbiters;   // ON CONFLICT (player_id, item)
    Relation wallet_key;        // wallets (player_id)
    Relation inventory_key;     // inventories (player_id, item)
    Relation claim_request;     // claims (request_id)
    Relation claim_chest;       // claims (player_id, chest_id)
    Relation event_key;         // claim_events (player_id, claim_id)
    Relation stock_key;         // stock_slots (chest_id, slot)
};

void close_writers(ClaimWriters &writers)
{
    close_written_table(writers.claims);
    close_written_table(writers.wallets);
    close_written_table(writers.claim_events);
    close_written_table(writers.inventories);
    close_written_table(writers.claim_awards);
    close_written_table(writers.stock_slots);
}

constexpr AttrNumber wallet_key_columns[] = {wallets_player_id + 1};
// The last two only under a claim limit (1.3.0).
constexpr AttrNumber wallet_updated_columns[] = {wallets_balance + 1,       wallets_claims + 1,
                                                 wallets_coins_awarded + 1, wallets_last_claim_at + 1,
                                                 wallets_claim_tokens + 1,  wallets_claim_tokens_at + 1};
constexpr AttrNumber inventory_key_columns[] = {inventories_player_id + 1, inventories_item + 1};
constexpr AttrNumber inventory_updated_columns[] = {inventories_qty + 1};
constexpr AttrNumber claim_request_columns[] = {claims_request_id + 1};
constexpr AttrNumber claim_chest_columns[] = {claims_player_id + 1, claims_chest_id + 1};
constexpr AttrNumber event_key_columns[] = {events_player_id + 1, events_claim_id + 1};
constexpr AttrNumber stock_key_columns[] = {stock_chest_id + 1, stock_slot + 1};

// Opens the written tables' indexes and finds the ones the claim goes by.  False: decline (the statements'
// ON CONFLICT would find no arbiter, or a look-up would have no index to use as they do).
bool open_writers(EState *estate, const ClaimTables &tables, ClaimWriters &writers)
{
    writers.claims = open_written_table(estate, tables.claims, true);
    writers.wallets = open_written_table(estate, tables.wallets, true);
    writers.claim_events = open_written_table(estate, tables.claim_events, false);
    writers.wallet_arbiters = inferred_arbiters(writers.wallets, wallet_key_columns, 1);
    writers.wallet_key = key_index(writers.wallets, wallet_key_columns, 1);
    writers.claim_request = key_index(writers.claims, claim_request_columns, 1);
    writers.claim_chest = key_index(writers.claims, claim_chest_columns, 2);
    writers.event_key = key_index(writers.claim_events, event_key_columns, 2);
    if (writers.wallet_arbiters == NIL || writers.wallet_key == nullptr || writers.claim_request == nullptr ||
        writers.claim_chest == nullptr || writers.event_key == nullptr)
        return false;
    if (tables.claim_awards != nullptr)
        writers.claim_awards = open_written_table(estate, tables.claim_awards, false);
    if (tables.stock_slots != nullptr) {
        writers.stock_slots = open_written_table(estate, tables.stock_slots, false);
        writers.stock_key = key_index(writers.stock_slots, stock_key_columns, 2);
        if (writers.stock_key == nullptr)
            return false;
    }
    if (tables.inventories != nullptr) {
        writers.inventories = open_written_table(estate, tables.inventories, true);
        writers.inventory_arbiters = inferred_arbiters(writers.inventories, inventory_key_columns, 2);
        writers.inventory_key = key_index(writers.inventories, inventory_key_columns, 2);
        if (writers.inventory_arbiters == NIL || writers.inventory_key == nullptr)
            return false;
    }
    return true;
}

// Takes a new snapshot, as each of the statements does: it sees every claim committed before it, including
// one the guard just waited for.
void take_new_snapshot(EState *estate)
{
    PopActiveSnapshot();
    PushActiveSnapshot(GetTransactionSnapshot());
    estate->es_snapshot = GetActiveSnapshot();
}

Datum copy_to(MemoryContext context, Datum value, bool isnull)
{
    if (isnull)
        return (Datum) 0;
    MemoryContext old = MemoryContextSwitchTo(context);
    Datum copy = datumCopy(value, false, -1);
    MemoryContextSwitchTo(old);
    return copy;
}

// Adds the claim in `claim` to what the lookup found, with its event's balance_after.
void add_found_claim(ClaimWriters &writers, Snapshot snapshot, const ClaimArgs &args, TupleTableSlot *claim,
                     Lookup &lookup, MemoryContext result_context)
{
    slot_getallattrs(claim);
    FoundClaim &found = lookup.claims[lookup.found++];
    found.same_request =
        DatumGetBool(DirectFunctionCall2(uuid_eq, claim->tts_values[claims_request_id], args.request_id));
    found.same_chest = DatumGetInt64(claim->tts_values[claims_player_id]) == DatumGetInt64(args.player_id) &&
                       DatumGetInt64(claim->tts_values[claims_chest_id]) == DatumGetInt64(args.chest_id);
    found.claim_id = claim->tts_values[claims_claim_id];
    found.coins_awarded = claim->tts_values[claims_coins_awarded];
    found.item_awarded_null = claim->tts_isnull[claims_item_awarded];
    found.item_awarded = copy_to(result_context, claim->tts_values[claims_item_awarded], found.item_awarded_null);
    found.item_qty = claim->tts_values[claims_item_qty];
    found.item_qty_null = claim->tts_isnull[claims_item_qty];
    found.key_used_null = claim->tts_isnull[claims_key_used];
    found.key_used = copy_to(result_context, claim->tts_values[claims_key_used], found.key_used_null);
    found.claimed_at = claim->tts_values[claims_claimed_at];
    TupleTableSlot *event = writers.claim_events.existing;
    Datum event_key[] = {claim->tts_values[claims_player_id], found.claim_id};
    found.balance_after_null = !fetch_by_key(writers.claim_events.rel, writers.event_key, snapshot, event_key, event);
    if (!found.balance_after_null) {
        slot_getallattrs(event);
        found.balance_after = event->tts_values[events_balance_after];
    }
}

// What the lookup statement finds, in a new snapshot: the player's balance and the claims bound to this
// request_id or to this player and chest, each with its event's balance_after.
void look_up(EState *estate, ClaimWriters &writers, const ClaimArgs &args, Lookup &lookup, MemoryContext result_context)
{
    take_new_snapshot(estate);
    Snapshot snapshot = estate->es_snapshot;
    TupleTableSlot *wallet = writers.wallets.existing;
    Datum player[] = {args.player_id};
    lookup.current_balance = Int64GetDatum(0);
    if (fetch_by_key(writers.wallets.rel, writers.wallet_key, snapshot, player, wallet)) {
        slot_getallattrs(wallet);
        lookup.current_balance = wallet->tts_values[wallets_balance];
    }

    // The claim bound to this request_id, then this player's claim of this chest unless it is the same one.
    lookup.found = 0;
    Datum request[] = {args.request_id};
    Datum player_and_chest[] = {args.player_id, args.chest_id};
    TupleTableSlot *claim = writers.claims.existing;
    if (fetch_by_key(writers.claims.rel, writers.claim_request, snapshot, request, claim))
        add_found_claim(writers, snapshot, args, claim, lookup, result_context);
    if (fetch_by_key(writers.claims.rel, writers.claim_chest, snapshot, player_and_chest, claim)) {
        slot_getallattrs(claim);
        if (lookup.found == 0 ||
            DatumGetInt64(lookup.claims[0].claim_id) != DatumGetInt64(claim->tts_values[claims_claim_id]))
            add_found_claim(writers, snapshot, args, claim, lookup, result_context);
    }
}

// The writes of a claim the guard admitted, after the guard, in the statement's order: the wallet, the key
// (when the chest takes one), the event, the item.  Returns the new balance.
int64 pay(EState *estate, const InstalledSchema &schema, ClaimWriters &writers, const ClaimArgs &args,
          const Chest &chest, Datum key_item, TimestampTz now, int64 claim_id, const RuledPayment &rules)
{
    WrittenTable &wallets = writers.wallets;
    begin_row(wallets.row);
    set_column(wallets.row, wallets_player_id, args.player_id);
    set_column(wallets.row, wallets_balance, Int64GetDatum(chest.coins));
    set_column(wallets.row, wallets_claims, Int64GetDatum(1));
    set_column(wallets.row, wallets_coins_awarded, Int64GetDatum(chest.coins));
    set_column(wallets.row, wallets_last_claim_at, TimestampTzGetDatum(now));
    if (rules.has_limit) {
        set_column(wallets.row, wallets_claim_tokens, Float8GetDatum(rules.tokens_after));
        set_column(wallets.row, wallets_claim_tokens_at, TimestampTzGetDatum(now));
    }
    store_row(wallets.row);
    int64 balance = chest.coins;
    upsert(wallets, estate, writers.wallet_arbiters,
           upsert_lock_mode(wallets.rel, wallet_updated_columns, rules.has_limit ? 6 : 4), [&](TupleTableSlot *wallet) {
               if (rules.ruled && !rules.wallet_locked)
                   report_wallet_opened_concurrently();
               if (rules.has_limit) {
                   set_column(wallet, wallets_claim_tokens, Float8GetDatum(rules.tokens_after));
                   set_column(wallet, wallets_claim_tokens_at, TimestampTzGetDatum(now));
               }
               balance = plus(wallet->tts_values[wallets_balance], chest.coins);
               set_column(wallet, wallets_balance, Int64GetDatum(balance));
               set_column(wallet, wallets_claims, Int64GetDatum(plus(wallet->tts_values[wallets_claims], 1)));
               set_column(wallet, wallets_coins_awarded,
                          Int64GetDatum(plus(wallet->tts_values[wallets_coins_awarded], chest.coins)));
               if (wallet->tts_isnull[wallets_last_claim_at] ||
                   DatumGetTimestampTz(wallet->tts_values[wallets_last_claim_at]) < now)
                   set_column(wallet, wallets_last_claim_at, TimestampTzGetDatum(now));
           });

    if (key_item != (Datum) 0) {
        // UPDATE inventories SET qty = qty - 1 for the key, as the statement's key_taken: the row seen in the
        // claim's snapshot, at its newest version.  The key was seen there while the player's wallet was
        // locked, so it must be found; if not, abort rather than award without the key.
        WrittenTable &inventories = writers.inventories;
        Datum key[] = {args.player_id, key_item};
        if (!fetch_by_key(inventories.rel, writers.inventory_key, estate->es_snapshot, key, inventories.existing) ||
            !lock_for_update(inventories.rel, estate, inventories.existing,
                             upsert_lock_mode(inventories.rel, inventory_updated_columns, 1), inventory_key_columns,
                             key, 2))
            report_key_consumed_concurrently();
        begin_update(inventories);
        set_column(inventories.updated, inventories_qty,
                   DirectFunctionCall2(int4mi, inventories.updated->tts_values[inventories_qty], Int32GetDatum(1)));
        write_update(inventories, estate);
    }

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
    insert_row(events, estate);

    if (chest.item != (Datum) 0) {
        WrittenTable &inventories = writers.inventories;
        begin_row(inventories.row);
        set_column(inventories.row, inventories_player_id, args.player_id);
        set_column(inventories.row, inventories_item, chest.item);
        set_column(inventories.row, inventories_qty, Int32GetDatum(chest.item_qty));
        store_row(inventories.row);
        upsert(inventories, estate, writers.inventory_arbiters,
               upsert_lock_mode(inventories.rel, inventory_updated_columns, 1), [&](TupleTableSlot *inventory) {
                   set_column(inventory, inventories_qty,
                              DirectFunctionCall2(int4pl, inventory->tts_values[inventories_qty],
                                                  Int32GetDatum(chest.item_qty)));
               });
        // 1.3.0: the award, as the statement's award CTE records it.
        if (writers.claim_awards.info != nullptr) {
            WrittenTable &awards = writers.claim_awards;
            begin_row(awards.row);
            set_column(awards.row, awards_player_id, args.player_id);
            set_column(awards.row, awards_claim_id, Int64GetDatum(claim_id));
            set_column(awards.row, awards_source, CStringGetTextDatum("guaranteed"));
            set_column(awards.row, awards_item, chest.item);
            set_column(awards.row, awards_qty, Int32GetDatum(chest.item_qty));
            store_row(awards.row);
            insert_row(awards, estate);
        }
    }
    return balance;
}

// The first step of a claim of a chest that takes a key, as the statements take it (lock_player_statement):
// the player's wallet row locked (FOR NO KEY UPDATE), which serialises the player's key-consuming claims.
// False: no wallet (so no item, no key).
bool lock_player(EState *estate, ClaimWriters &writers, const ClaimArgs &args)
{
    TupleTableSlot *wallet = writers.wallets.existing;
    Datum player[] = {args.player_id};
    return fetch_by_key(writers.wallets.rel, writers.wallet_key, estate->es_snapshot, player, wallet) &&
           lock_for_no_key_update(writers.wallets.rel, estate, wallet, wallet_key_columns, player, 1);
}

// Whether the player holds the key, in the snapshot taken under the wallet's lock.
bool holds_key(EState *estate, ClaimWriters &writers, const ClaimArgs &args, Datum key_item)
{
    TupleTableSlot *inventory = writers.inventories.existing;
    Datum key[] = {args.player_id, key_item};
    if (!fetch_by_key(writers.inventories.rel, writers.inventory_key, estate->es_snapshot, key, inventory))
        return false;
    slot_getallattrs(inventory);
    return DatumGetInt32(inventory->tts_values[inventories_qty]) > 0;
}

// 1.3.0: a limited chest's stock slots as the claim's snapshot shows them, in slot order.  set_stock() keeps at
// most 8 (claim_features checks the count it records).
constexpr int max_stock_slots = 8;
struct SeenStockSlot {
    int32 slot;
    bool has_unit;
};

int read_stock_slots(ClaimWriters &writers, Snapshot snapshot, const ClaimArgs &args,
                     SeenStockSlot (&seen)[max_stock_slots])
{
    ScanKeyData key;
    ScanKeyInit(&key, stock_chest_id + 1, BTEqualStrategyNumber, F_INT8EQ, args.chest_id);
    SysScanDesc scan =
        pg::begin_keyed_scan(writers.stock_slots.rel, RelationGetRelid(writers.stock_key), snapshot, &key, 1);
    int count = 0;
    for (HeapTuple tuple; (tuple = pg::next_keyed_row(scan)) != nullptr;) {
        if (count == max_stock_slots)
            elog(ERROR, "treasure: chest " INT64_FORMAT " has more than %d stock slots (set_stock() keeps at most %d)",
                 DatumGetInt64(args.chest_id), max_stock_slots, max_stock_slots);
        Datum values[4];
        bool nulls[4];
        heap_deform_tuple(tuple, RelationGetDescr(writers.stock_slots.rel), values, nulls);
        seen[count].slot = DatumGetInt32(values[stock_slot]);
        seen[count].has_unit = DatumGetInt64(values[stock_taken]) < DatumGetInt64(values[stock_capacity]);
        count++;
    }
    pg::end_keyed_scan(scan);
    return count;
}

bool stock_left(ClaimWriters &writers, Snapshot snapshot, const ClaimArgs &args)
{
    SeenStockSlot seen[max_stock_slots];
    const int count = read_stock_slots(writers, snapshot, args, seen);
    for (int i = 0; i < count; i++)
        if (seen[i].has_unit)
            return true;
    return false;
}

// Locks the slot (FOR UPDATE, or FOR UPDATE SKIP LOCKED) at its newest version and takes a unit if it still has
// one, as the ruled statement's `unit` and `unit_waited` UPDATEs do.
bool take_unit_from(EState *estate, ClaimWriters &writers, const ClaimArgs &args, int32 slot, bool skip_locked)
{
    WrittenTable &stock = writers.stock_slots;
    Datum key[] = {args.chest_id, Int32GetDatum(slot)};
    if (!fetch_by_key(stock.rel, writers.stock_key, estate->es_snapshot, key, stock.existing) ||
        !lock_for_select_for_update(stock.rel, estate, stock.existing, skip_locked, stock_key_columns, key, 2))
        return false;
    slot_getallattrs(stock.existing);
    if (DatumGetInt64(stock.existing->tts_values[stock_taken]) >=
        DatumGetInt64(stock.existing->tts_values[stock_capacity]))
        return false;
    begin_update(stock);
    set_column(stock.updated, stock_taken, Int64GetDatum(plus(stock.updated->tts_values[stock_taken], 1)));
    write_update(stock, estate);
    return true;
}

// A unit of the chest's stock for the player: from the slots with a unit in the snapshot, the player's own
// slot first (player_id % slots) and on from there, skipping slots other claims hold; only when every one is
// held, waiting for them in slot order (so that waiters cannot deadlock).  False: sold out.
bool take_stock_unit(EState *estate, ClaimWriters &writers, const ClaimArgs &args, int32 slot_count, int32 &taken_slot)
{
    SeenStockSlot seen[max_stock_slots];
    const int count = read_stock_slots(writers, estate->es_snapshot, args, seen);
    // The slots come in slot order (0 .. slot_count - 1, as set_stock() numbers them): the player's order is
    // that order rotated to start at the player's slot.
    const int32 first = static_cast<int32>(DatumGetInt64(args.player_id) % slot_count);
    int start = 0;
    while (start < count && seen[start].slot < first)
        start++;
    for (int k = 0; k < count; k++) {
        const SeenStockSlot &slot = seen[(start + k) % count];
        if (slot.has_unit && take_unit_from(estate, writers, args, slot.slot, true)) {
            taken_slot = slot.slot;
            return true;
        }
    }
    for (int i = 0; i < count; i++)
        if (seen[i].has_unit && take_unit_from(estate, writers, args, seen[i].slot, false)) {
            taken_slot = seen[i].slot;
            return true;
        }
    return false;
}

// Whether the snapshot already holds a claim of this request_id or of this player and chest: then a limited
// chest's claim takes no unit (the guard would refuse it), as the ruled statement's `unclaimed`.
bool claim_seen(ClaimWriters &writers, Snapshot snapshot, const ClaimArgs &args)
{
    Datum request[] = {args.request_id};
    Datum player_and_chest[] = {args.player_id, args.chest_id};
    return fetch_by_key(writers.claims.rel, writers.claim_request, snapshot, request, writers.claims.existing) ||
           fetch_by_key(writers.claims.rel, writers.claim_chest, snapshot, player_and_chest, writers.claims.existing);
}

// The claim itself, inside claim_directly()'s snapshot and EState.  False: declined.
bool claim_in(EState *estate, const InstalledSchema &schema, const ClaimArgs &args, ClaimTables &tables,
              ClaimWriters &writers, ClaimOutcome &outcome, MemoryContext result_context)
{
    if (!open_claim_tables(schema, tables))
        return false;
    ChestState &state = outcome.chest;
    Chest chest;
    Datum key_item;
    if (!read_chest(tables.chests, estate->es_snapshot, args, state, chest, key_item)) {
        outcome.result = ClaimOutcome::Result::unknown_chest;
        return true;
    }
    // 1.3.0: a featured chest is left to the statements (treasure.claim_featured()); stock, a claim limit and a
    // wallet cap are judged here as the ruled statement judges them; the item of any chest is recorded in
    // claim_awards.
    ClaimRoute route = {};
    if (schema.has_features) {
        if (!open_claim_features(schema, tables))
            return false;
        route = read_route(tables.claim_features, estate->es_snapshot, args);
        if (route.featured || (route.item_caps && state.gives_item) ||
            (state.gives_item && !open_claim_awards(schema, tables)) ||
            (route.stock_slots > 0 && !open_stock_slots(schema, tables)))
            return false;
    }
    RuledPayment rules = {route.has_limit || route.has_cap, false, route.has_limit, 0.0};
    if ((state.gives_item || state.needs_key) && !open_inventories(schema, tables))
        return false;
    if (!open_writers(estate, tables, writers))
        return false;

    outcome.result = ClaimOutcome::Result::refused;
    // A refusal: the look-up says why (a replay and an already claimed chest first, then what was judged here).
    auto refused = [&]() {
        look_up(estate, writers, args, outcome.lookup, result_context);
        return true;
    };
    auto refused_as = [&](Status judged) {
        outcome.judged_refused = true;
        outcome.judged_status = judged;
        return refused();
    };
    if (!state.is_open) {
        return refused();
    }
    bool wallet_locked = false;
    if (state.needs_key) {
        // Then, like the statements' next one, a new snapshot (which sees every key the player's earlier
        // claims spent, since they held the same lock) and the chest read again in it.
        outcome.keys_checked = true;
        wallet_locked = lock_player(estate, writers, args);
        take_new_snapshot(estate);
        if (!read_chest(tables.chests, estate->es_snapshot, args, state, chest, key_item)) {
            outcome.result = ClaimOutcome::Result::unknown_chest;
            return true;
        }
        if (!state.is_open) {
            return refused();
        }
    }
    // sold_out (a fact about the chest) before key_required.
    if (route.stock_slots > 0 && !stock_left(writers, estate->es_snapshot, args)) {
        return refused_as(Status::sold_out);
    }
    if (state.needs_key && (!wallet_locked || !holds_key(estate, writers, args, key_item))) {
        return refused();
    }

    const TimestampTz now = GetCurrentTransactionStartTimestamp();
    if (rules.ruled) {
        // As the ruled statement: the wallet locked (by the key's step already, for a chest that takes one) and
        // read at its newest version, the rules judged on it.
        rules.wallet_locked = state.needs_key ? wallet_locked : lock_player(estate, writers, args);
        TupleTableSlot *wallet = rules.wallet_locked ? writers.wallets.existing : nullptr;
        if (wallet != nullptr)
            slot_getallattrs(wallet);
        const int64 balance_before = wallet != nullptr ? DatumGetInt64(wallet->tts_values[wallets_balance]) : 0;
        const double tokens = route.has_limit ? claim_tokens_now(route, wallet, now) : 0.0;
        if (route.has_limit && tokens < 1)
            return refused_as(Status::rate_limited);
        if (route.has_cap && plus(Int64GetDatum(balance_before), chest.coins) > route.max_balance)
            return refused_as(Status::wallet_full);
        rules.tokens_after = tokens - 1;
    }
    bool unit_taken = false;
    int32 unit_slot = 0;
    if (route.stock_slots > 0) {
        if (claim_seen(writers, estate->es_snapshot, args)) {
            return refused();
        }
        unit_taken = take_stock_unit(estate, writers, args, route.stock_slots, unit_slot);
        if (!unit_taken) {
            return refused_as(Status::sold_out);
        }
    }

    // The guard: the first write.
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
    if (state.needs_key)
        set_column(claims.row, claims_key_used, key_item);
    set_column(claims.row, claims_claimed_at, TimestampTzGetDatum(now));
    store_row(claims.row);
    ItemPointerData conflict;
    if (!insert_unless_conflict(claims, estate, NIL, &conflict)) {
        outcome.unit_to_give_back = unit_taken;
        outcome.unit_slot = unit_slot;
        return refused();
    }

    const int64 balance = pay(estate, schema, writers, args, chest, key_item, now, claim_id, rules);

    outcome.result = ClaimOutcome::Result::claimed;
    ResultRow &row = outcome.row;
    row.set(result_claim_id, Int64GetDatum(claim_id));
    row.set(result_coins_awarded, Int64GetDatum(chest.coins));
    if (state.gives_item) {
        row.set(result_item_awarded, copy_to(result_context, chest.item, false));
        row.set(result_item_qty, Int32GetDatum(chest.item_qty));
    }
    if (state.needs_key)
        row.set(result_key_used, copy_to(result_context, key_item, false));
    row.set(result_balance, Int64GetDatum(balance));
    row.set(result_claimed_at, TimestampTzGetDatum(now));
    return true;
}

}  // namespace

bool claim_directly(const InstalledSchema &schema, const ClaimArgs &args, ClaimOutcome &outcome)
{
    if (schema.storage != AnalyticsStorage::wallet_row || IsolationUsesXactSnapshot() || XactReadOnly ||
        IsInParallelMode())
        return false;

    // What SPI does around a statement that writes: a new command and, under READ COMMITTED, a new
    // snapshot, so the claim sees everything committed before it and everything this transaction wrote.
    CommandCounterIncrement();
    PushActiveSnapshot(GetTransactionSnapshot());
    MemoryContext result_context = CurrentMemoryContext;
    EState *estate = CreateExecutorState();
    estate->es_snapshot = GetActiveSnapshot();
    estate->es_output_cid = GetCurrentCommandId(true);
    MemoryContext old = MemoryContextSwitchTo(estate->es_query_cxt);

    ClaimTables tables = {nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr};
    ClaimWriters writers = {};
    claim_begins();
    volatile bool claimed_here = false;
    PG_TRY();
    {
        claimed_here = claim_in(estate, schema, args, tables, writers, outcome, result_context);
    }
    PG_FINALLY();
    {
        claim_done();
    }
    PG_END_TRY();

    close_writers(writers);
    MemoryContextSwitchTo(old);
    pg::free_executor_state(estate);  // the slots' buffer pins first, then the tables
    close_claim_tables(tables);
    PopActiveSnapshot();
    CommandCounterIncrement();
    return claimed_here;
}

}  // namespace treasure

#endif  // TREASURE_DIRECT_PATH
