// The tables of treasure 1.2.0 as the direct path (direct_claim.cpp) writes them, opened and checked to be
// exactly what it was written for: the claim statements handle anything else.
#pragma once

#include "installed_schema.hpp"
#include "pg_compat.hpp"

#if TREASURE_DIRECT_PATH

namespace treasure {

// Column numbers (0-based) in treasure 1.2.0.
enum ChestsColumn {
    chests_chest_id,
    chests_coins,
    chests_item,
    chests_item_qty,
    chests_key_item,
    chests_opens_at,
    chests_closes_at,
    chests_columns
};
enum ClaimsColumn {
    claims_player_id,
    claims_chest_id,
    claims_claim_id,
    claims_request_id,
    claims_session_id,
    claims_coins_awarded,
    claims_item_awarded,
    claims_item_qty,
    claims_key_used,
    claims_claimed_at
};
enum WalletsColumn {
    wallets_player_id,
    wallets_balance,
    wallets_claims,
    wallets_coins_awarded,
    wallets_last_claim_at,
    wallets_claim_tokens,     // 1.3.0
    wallets_claim_tokens_at,  // 1.3.0
};
// 1.3.0's treasure.claim_features.
enum ClaimFeaturesColumn {
    features_chest_id,
    features_featured,
    features_stock_slots,
    features_max_claims,
    features_refill_seconds,
    features_max_balance,
    features_columns
};
enum ClaimAwardsColumn { awards_player_id, awards_claim_id, awards_item, awards_qty, awards_source };
enum StockSlotsColumn { stock_chest_id, stock_slot, stock_capacity, stock_taken };
enum InventoriesColumn { inventories_player_id, inventories_item, inventories_qty };
enum EventsColumn {
    events_player_id,
    events_claim_id,
    events_event_id,
    events_chest_id,
    events_coins_awarded,
    events_balance_after,
    events_occurred_at
};

// The relations of one claim, open (and locked) for the length of the call; nullptr where not (yet) opened.
struct ClaimTables {
    Relation chests;
    Relation claims;
    Relation wallets;
    Relation claim_events;
    Relation inventories;
    Relation claim_features;  // 1.3.0
    Relation claim_awards;    // 1.3.0, for a chest that gives an item
    Relation stock_slots;     // 1.3.0, for a limited chest
};

// Opens chests (ACCESS SHARE), claims, wallets and claim_events (ROW EXCLUSIVE, as the statements lock
// them) and returns true if the direct path may claim with them: each is a plain table of the 1.2.0 columns
// (names, types without a typmod, the default collation for text, NOT NULL where the path reads a value,
// no identity or generated column) with a primary key and without triggers, rules or row-level security; they are still
// the tables the names in schema mean (opening them may have processed an invalidation); the claim's user holds the
// table privileges the statement needs; claim_id and event_id default to nextval() of the extension's
// sequences.  False: decline (whatever was opened is recorded in `tables`).
bool open_claim_tables(const InstalledSchema &schema, ClaimTables &tables);

// The same for inventories, which only a chest that gives an item needs.
bool open_inventories(const InstalledSchema &schema, ClaimTables &tables);

// 1.3.0: treasure.claim_features (ACCESS SHARE), read to tell a featured chest; false: decline.
bool open_claim_features(const InstalledSchema &schema, ClaimTables &tables);

// 1.3.0: treasure.claim_awards (ROW EXCLUSIVE), for a chest that gives an item; false: decline.
bool open_claim_awards(const InstalledSchema &schema, ClaimTables &tables);

// 1.3.0: treasure.stock_slots (ROW EXCLUSIVE), for a limited chest; false: decline.
bool open_stock_slots(const InstalledSchema &schema, ClaimTables &tables);

// Closes what was opened; the locks stay until the end of the transaction, as the executor's do.
void close_claim_tables(ClaimTables &tables);

}  // namespace treasure

#endif  // TREASURE_DIRECT_PATH
