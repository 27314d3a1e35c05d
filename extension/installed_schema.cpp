#include "installed_schema.hpp"

extern "C" {
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "storage/lmgr.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
}

namespace treasure {
namespace {

// Plain static data, reset by the invalidation callback.
bool schema_known = false;
Oid wallets_relid = InvalidOid;
AnalyticsStorage analytics_storage = AnalyticsStorage::wallet_row;

void forget_schema(Datum, Oid)
{
    schema_known = false;
}

void look_up_schema()
{
    Oid schema = get_namespace_oid("treasure", true);
    wallets_relid = OidIsValid(schema) ? get_relname_relid("wallets", schema) : InvalidOid;
    Oid stats = OidIsValid(schema) ? get_relname_relid("player_stats", schema) : InvalidOid;
    analytics_storage = OidIsValid(stats) && get_rel_relkind(stats) == RELKIND_RELATION
                            ? AnalyticsStorage::stats_table
                            : AnalyticsStorage::wallet_row;
    schema_known = true;
}

}  // namespace

AnalyticsStorage lock_installed_schema()
{
    // Taking the lock processes pending invalidations: if an upgrade committed while this claim waited for
    // it, the callback has run and the schema is looked up again (and the new wallets table locked).
    do {
        if (!schema_known)
            look_up_schema();
        if (!OidIsValid(wallets_relid))
            break;  // no extension schema: the claim statement reports the missing relation
        LockRelationOid(wallets_relid, RowExclusiveLock);
    } while (!schema_known);
    return analytics_storage;
}

}  // namespace treasure

// Once per process that loads the library (a backend, or the postmaster with shared_preload_libraries).
extern "C" void _PG_init(void)
{
    CacheRegisterRelcacheCallback(treasure::forget_schema, (Datum) 0);
}
