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
InstalledSchema schema = {0,          AnalyticsStorage::wallet_row,
                          InvalidOid, InvalidOid,
                          InvalidOid, InvalidOid,
                          InvalidOid, InvalidOid,
                          InvalidOid, false,
                          InvalidOid, InvalidOid,
                          InvalidOid, InvalidOid};

void look_up_schema()
{
    Oid namespace_oid = get_namespace_oid("treasure", true);
    auto relation = [namespace_oid](const char *name) {
        return OidIsValid(namespace_oid) ? get_relname_relid(name, namespace_oid) : InvalidOid;
    };
    schema.chests = relation("chests");
    schema.wallets = relation("wallets");
    schema.inventories = relation("inventories");
    schema.claims = relation("claims");
    schema.claim_events = relation("claim_events");
    schema.claim_id_seq = relation("claim_id_seq");
    schema.event_id_seq = relation("event_id_seq");
    Oid stats = relation("player_stats");
    schema.storage = OidIsValid(stats) && get_rel_relkind(stats) == RELKIND_RELATION ? AnalyticsStorage::stats_table
                                                                                     : AnalyticsStorage::wallet_row;
    schema.claim_features = relation("claim_features");
    schema.claim_awards = relation("claim_awards");
    schema.claim_loot = relation("claim_loot");
    schema.stock_slots = relation("stock_slots");
    schema.has_features = OidIsValid(schema.claim_features) && OidIsValid(schema.claim_awards) &&
                          schema.storage == AnalyticsStorage::wallet_row;
    schema.generation++;
    schema_known = true;
}

}  // namespace

bool installed_schema_is_current() { return schema_known; }

void forget_installed_schema(Datum, Oid) { schema_known = false; }

const InstalledSchema &lock_installed_relations(std::initializer_list<Oid InstalledSchema::*> relations, LOCKMODE mode)
{
    // Taking a lock processes pending invalidations: if an upgrade committed while this call waited for it,
    // the callback has run and the schema is looked up again (and the new relations locked).
    do {
        if (!schema_known)
            look_up_schema();
        for (Oid InstalledSchema::*relation : relations)
            if (OidIsValid(schema.*relation))
                LockRelationOid(schema.*relation, mode);
    } while (!schema_known);
    return schema;
}

// Without treasure.wallets there is no extension schema, and nothing is locked: the claim statement reports
// the missing relation.
const InstalledSchema &lock_installed_schema()
{
    return lock_installed_relations({&InstalledSchema::wallets}, RowExclusiveLock);
}

}  // namespace treasure
