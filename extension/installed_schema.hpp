// Which schema the database has installed, so that one build of the library serves every version of the
// extension a database may still run between a package upgrade and ALTER EXTENSION treasure UPDATE.
#pragma once

#include <initializer_list>

#include "postgres.hpp"

extern "C" {
#include "storage/lockdefs.h"
}

namespace treasure {

// Where the analytics counters live: the player_stats table (1.0.0, 1.1.0) or the wallet row (1.2.0, 1.3.0).
enum class AnalyticsStorage { stats_table, wallet_row };

// The relations a claim touches (InvalidOid where the database has none of that name) and where the
// counters live.
struct InstalledSchema {
    uint64 generation;  // one more on every look-up: whatever was derived from an older one is stale
    AnalyticsStorage storage;
    Oid chests;
    Oid wallets;
    Oid inventories;
    Oid claims;
    Oid claim_events;
    Oid claim_id_seq;
    Oid event_id_seq;
    // 1.3.0: claims are routed by claim_features, every item award is recorded, stock is taken from stock_slots.
    bool has_features;
    Oid claim_features;
    Oid claim_awards;
    Oid claim_loot;
    Oid stock_slots;
};

// The installed schema, with treasure.wallets locked ROW EXCLUSIVE (the lock every claim takes anyway) so
// that the schema cannot change under the claim.  Looked up in the catalog on first use and again after any
// relation cache invalidation (ALTER EXTENSION UPDATE sends them); otherwise cached.
const InstalledSchema &lock_installed_schema();

// The installed schema with the relations it names in `relations` locked in `mode` (those the database has),
// looked up again until no invalidation arrived while a lock was waited for, so that the OIDs are the
// relations locked.
const InstalledSchema &lock_installed_relations(std::initializer_list<Oid InstalledSchema::*> relations, LOCKMODE mode);

// False once an invalidation arrived since the last look-up (lock_installed_schema() then looks again).
bool installed_schema_is_current();

// The relation cache invalidation callback that makes lock_installed_schema() look the schema up again.
void forget_installed_schema(Datum, Oid);

}  // namespace treasure
