// Which schema the database has installed, so that one build of the library serves every version of the
// extension a database may still run between a package upgrade and ALTER EXTENSION treasure UPDATE.
#pragma once

#include "postgres.hpp"

namespace treasure {

// Where the analytics counters live: the player_stats table (1.0.0, 1.1.0) or the wallet row (1.2.0).
enum class AnalyticsStorage { stats_table, wallet_row };

// The storage of the installed schema, with treasure.wallets locked ROW EXCLUSIVE (the lock every claim
// takes anyway) so that the schema cannot change under the claim.  Looked up in the catalog on first use
// and again after any relation cache invalidation (ALTER EXTENSION UPDATE sends them); otherwise cached.
AnalyticsStorage lock_installed_schema();

}  // namespace treasure
