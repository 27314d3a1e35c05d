#include "claim_tables.hpp"

#if TREASURE_DIRECT_PATH

extern "C" {
#include "access/sysattr.h"
#include "access/table.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "nodes/primnodes.h"
#include "rewrite/rewriteHandler.h"
#include "utils/acl.h"
#include "utils/fmgroids.h"
#include "utils/rel.h"
}

namespace treasure {
namespace {

struct Column {
    const char *name;
    Oid type;
    bool read_not_null;  // the direct path reads it and relies on NOT NULL
};

constexpr Column chests_layout[] = {
    {"chest_id", INT8OID, true},         {"coins", INT8OID, true},     {"item", TEXTOID, false},
    {"item_qty", INT4OID, true},         {"key_item", TEXTOID, false}, {"opens_at", TIMESTAMPTZOID, false},
    {"closes_at", TIMESTAMPTZOID, false}};
constexpr Column claims_layout[] = {{"player_id", INT8OID, false},    {"chest_id", INT8OID, false},
                                    {"claim_id", INT8OID, false},     {"request_id", UUIDOID, false},
                                    {"session_id", INT8OID, false},   {"coins_awarded", INT8OID, false},
                                    {"item_awarded", TEXTOID, false}, {"item_qty", INT4OID, false},
                                    {"key_used", TEXTOID, false},     {"claimed_at", TIMESTAMPTZOID, false}};
constexpr Column wallets_layout[] = {{"player_id", INT8OID, true},
                                     {"balance", INT8OID, true},
                                     {"claims", INT8OID, true},
                                     {"coins_awarded", INT8OID, true},
                                     {"last_claim_at", TIMESTAMPTZOID, false}};
// 1.3.0 adds the claim limit's bucket to the wallet row (NULL on a wallet the direct path opens: a full bucket;
// an update keeps it, since the direct path claims only while no limit is set).
constexpr Column wallets_layout_1_3[] = {{"player_id", INT8OID, true},
                                         {"balance", INT8OID, true},
                                         {"claims", INT8OID, true},
                                         {"coins_awarded", INT8OID, true},
                                         {"last_claim_at", TIMESTAMPTZOID, false},
                                         {"claim_tokens", FLOAT8OID, false},
                                         {"claim_tokens_at", TIMESTAMPTZOID, false}};
constexpr Column claim_features_layout[] = {{"chest_id", INT8OID, true},          {"featured", BOOLOID, true},
                                            {"stock_slots", INT4OID, true},       {"max_claims", INT4OID, false},
                                            {"refill_seconds", FLOAT8OID, false}, {"max_balance", INT8OID, false}};
constexpr Column claim_awards_layout[] = {{"player_id", INT8OID, false},
                                          {"claim_id", INT8OID, false},
                                          {"item", TEXTOID, false},
                                          {"qty", INT4OID, false},
                                          {"source", TEXTOID, false}};
constexpr Column stock_slots_layout[] = {
    {"chest_id", INT8OID, true}, {"slot", INT4OID, true}, {"capacity", INT8OID, true}, {"taken", INT8OID, true}};
constexpr Column inventories_layout[] = {{"player_id", INT8OID, true}, {"item", TEXTOID, true}, {"qty", INT4OID, true}};
constexpr Column events_layout[] = {{"player_id", INT8OID, false},         {"claim_id", INT8OID, false},
                                    {"event_id", INT8OID, false},          {"chest_id", INT8OID, false},
                                    {"coins_awarded", INT8OID, false},     {"balance_after", INT8OID, false},
                                    {"occurred_at", TIMESTAMPTZOID, false}};

template <size_t columns>
bool has_layout(Relation rel, const Column (&layout)[columns])
{
    TupleDesc desc = RelationGetDescr(rel);
    if (desc->natts != static_cast<int>(columns))
        return false;
    for (size_t i = 0; i < columns; i++) {
        Form_pg_attribute attribute = TupleDescAttr(desc, i);
        const Oid collation = layout[i].type == TEXTOID ? DEFAULT_COLLATION_OID : InvalidOid;
        if (attribute->attisdropped || attribute->atttypid != layout[i].type || attribute->atttypmod != -1 ||
            attribute->attcollation != collation || attribute->attidentity != '\0' || attribute->attgenerated != '\0' ||
            (layout[i].read_not_null && !attribute->attnotnull) ||
            strcmp(NameStr(attribute->attname), layout[i].name) != 0)
            return false;
    }
    return true;
}

// Opens the table and checks what only the table itself can say.  nullptr: decline.
template <size_t columns>
Relation open_plain_table(Oid relid, LOCKMODE lock, const Column (&layout)[columns], Relation &opened)
{
    opened = OidIsValid(relid) ? try_table_open(relid, lock) : nullptr;
    Relation rel = opened;
    if (rel == nullptr || rel->rd_rel->relkind != RELKIND_RELATION || rel->rd_rel->relispartition ||
        rel->trigdesc != nullptr || rel->rd_rules != nullptr || rel->rd_rel->relrowsecurity ||
        !OidIsValid(RelationGetPrimaryKeyIndex(rel)) || !has_layout(rel, layout))
        return nullptr;
    return rel;
}

// Opening a table processes the invalidations that arrived since the schema was looked up; one of them may
// have renamed or replaced a table.  Look again and go on only if every open table is still the one its
// name means.
bool still_the_installed_tables(const ClaimTables &tables)
{
    if (installed_schema_is_current())
        return true;
    const InstalledSchema &current = lock_installed_schema();
    auto same = [](Relation rel, Oid relid) { return rel == nullptr || RelationGetRelid(rel) == relid; };
    return current.storage == AnalyticsStorage::wallet_row && same(tables.chests, current.chests) &&
           same(tables.claims, current.claims) && same(tables.wallets, current.wallets) &&
           same(tables.claim_events, current.claim_events) && same(tables.inventories, current.inventories) &&
           same(tables.claim_features, current.claim_features) && same(tables.claim_awards, current.claim_awards) &&
           same(tables.stock_slots, current.stock_slots);
}

// The table privileges the claim statement's executor would find; without them the statements run and
// check column privileges too.  SELECT on every written table: with it ExecConstraints shows the whole
// failing row, as the statements' executor does, which without a range table entry it could not tell
// apart from the columns the statement supplied (ExecBuildSlotValueDescription).
bool has_privileges(Relation rel, AclMode required)
{
    return pg_class_aclmask(RelationGetRelid(rel), GetUserId(), required, ACLMASK_ALL) == required;
}

// The direct path gives claim_id and event_id the values of nextval() on the extension's sequences: right
// only while those are the columns' defaults, as installed.
bool default_is_nextval(Relation rel, int column, Oid sequence)
{
    Node *expression = build_column_default(rel, column + 1);
    if (expression == nullptr || !IsA(expression, FuncExpr))
        return false;
    const FuncExpr *call = castNode(FuncExpr, expression);
    if (call->funcid != F_NEXTVAL || list_length(call->args) != 1 || !IsA(linitial(call->args), Const))
        return false;
    const Const *argument = castNode(Const, linitial(call->args));
    return argument->consttype == REGCLASSOID && !argument->constisnull &&
           DatumGetObjectId(argument->constvalue) == sequence;
}

// Checked once per look-up of the schema: changing a default sends an invalidation, which makes the next
// claim look the schema up again.
uint64 defaults_checked_for = 0;
bool defaults_are_sequences = false;

bool defaults_are_the_sequences(const InstalledSchema &schema, const ClaimTables &tables)
{
    if (defaults_checked_for != schema.generation) {
        defaults_are_sequences = default_is_nextval(tables.claims, claims_claim_id, schema.claim_id_seq) &&
                                 default_is_nextval(tables.claim_events, events_event_id, schema.event_id_seq);
        defaults_checked_for = schema.generation;
    }
    return defaults_are_sequences;
}

// The chest is read by its primary key, which must be chest_id alone (the other tables' keys are checked
// where their indexes are opened, key_access.cpp).
bool keyed_by_chest_id(Relation chests)
{
    Bitmapset *key = RelationGetIndexAttrBitmap(chests, INDEX_ATTR_BITMAP_PRIMARY_KEY);
    return bms_num_members(key) == 1 && bms_is_member(chests_chest_id + 1 - FirstLowInvalidHeapAttributeNumber, key);
}

}  // namespace

bool open_claim_tables(const InstalledSchema &schema, ClaimTables &tables)
{
    if (open_plain_table(schema.chests, AccessShareLock, chests_layout, tables.chests) == nullptr ||
        !keyed_by_chest_id(tables.chests) ||
        open_plain_table(schema.claims, RowExclusiveLock, claims_layout, tables.claims) == nullptr ||
        (schema.has_features
             ? open_plain_table(schema.wallets, RowExclusiveLock, wallets_layout_1_3, tables.wallets) == nullptr
             : open_plain_table(schema.wallets, RowExclusiveLock, wallets_layout, tables.wallets) == nullptr) ||
        open_plain_table(schema.claim_events, RowExclusiveLock, events_layout, tables.claim_events) == nullptr ||
        !still_the_installed_tables(tables))
        return false;
    return has_privileges(tables.chests, ACL_SELECT) && has_privileges(tables.claims, ACL_INSERT | ACL_SELECT) &&
           has_privileges(tables.wallets, ACL_INSERT | ACL_UPDATE | ACL_SELECT) &&
           has_privileges(tables.claim_events, ACL_INSERT | ACL_SELECT) && defaults_are_the_sequences(schema, tables);
}

bool open_inventories(const InstalledSchema &schema, ClaimTables &tables)
{
    return open_plain_table(schema.inventories, RowExclusiveLock, inventories_layout, tables.inventories) != nullptr &&
           still_the_installed_tables(tables) &&
           has_privileges(tables.inventories, ACL_INSERT | ACL_UPDATE | ACL_SELECT);
}

bool open_claim_features(const InstalledSchema &schema, ClaimTables &tables)
{
    return open_plain_table(schema.claim_features, AccessShareLock, claim_features_layout, tables.claim_features) !=
               nullptr &&
           still_the_installed_tables(tables) && has_privileges(tables.claim_features, ACL_SELECT);
}

bool open_claim_awards(const InstalledSchema &schema, ClaimTables &tables)
{
    return open_plain_table(schema.claim_awards, RowExclusiveLock, claim_awards_layout, tables.claim_awards) !=
               nullptr &&
           still_the_installed_tables(tables) && has_privileges(tables.claim_awards, ACL_INSERT | ACL_SELECT);
}

bool open_stock_slots(const InstalledSchema &schema, ClaimTables &tables)
{
    return open_plain_table(schema.stock_slots, RowExclusiveLock, stock_slots_layout, tables.stock_slots) != nullptr &&
           still_the_installed_tables(tables) && has_privileges(tables.stock_slots, ACL_UPDATE | ACL_SELECT);
}

void close_claim_tables(ClaimTables &tables)
{
    for (Relation rel : {tables.chests, tables.claims, tables.wallets, tables.claim_events, tables.inventories,
                         tables.claim_features, tables.claim_awards, tables.stock_slots})
        if (rel != nullptr)
            table_close(rel, NoLock);
}

}  // namespace treasure

#endif  // TREASURE_DIRECT_PATH
