// How a claim stays correct under READ COMMITTED with as few statements as possible.
//
// A claim statement does the whole claim in one statement: the INSERT into claims is the guard (primary key
// (player_id, chest_id) and UNIQUE request_id, ON CONFLICT DO NOTHING), and every other write reads from
// the guard's RETURNING, so when the guard inserts nothing, nothing at all is written.  A fresh claim on a
// chest without a key is therefore a single statement.
//
// A key cannot be gated that way: two claims of one player on two chests needing the same last key would
// both see it in their snapshots.  So key-consuming claims serialise on the player's wallet row:
// lock_player_statement locks it, and general_claim_statement then runs again with player_locked = true;
// its new snapshot sees every key consumed by the player's earlier claims, since all of them held that
// lock.  A player without a wallet holds no item (grant_item() opens the wallet), hence no key.
//
// Lock order within a player is always wallet, then inventory rows (then, before 1.2.0, the stats row): the
// inventory, event and stats writes select FROM wallet, so they cannot run before the wallet row is locked.
// No deadlock.
//
// When the guard inserted nothing, lookup_statement (a new snapshot, which sees the conflicting claim
// because ON CONFLICT waited for it to commit) tells a replay from an already claimed chest from a
// request_id bound elsewhere.
#include "claim_statements.hpp"

namespace treasure {
namespace {

// The claim statements are assembled from these parts on a backend's first claim.  The general statement
// serves any chest; the two narrower ones leave out the CTEs that a chest without a key (and without an
// item) never needs, which spares their executor start-up on most taps.  Their guard refuses a chest of
// another shape, and then, as for any refused claim, nothing is written: the caller sees the chest's real
// shape in the result and runs the general protocol.  Each exists for both places the analytics counters
// have lived: the wallet row (1.2.0) and the player_stats table (1.0.0, 1.1.0).
constexpr char chest_head[] = R"SQL(
WITH chest AS (
    SELECT c.coins, c.item, c.item_qty, c.key_item,
           (c.opens_at IS NULL OR c.opens_at <= pg_catalog.now())
           AND (c.closes_at IS NULL OR pg_catalog.now() < c.closes_at) AS is_open,)SQL";

// 1.3.0: treasure.claim_features routes the claim.  featured: the chest's items or loot, or an item under a cap:
// treasure.claim_featured() claims it.  ruled: a claim limit, a wallet cap or stock applies: the ruled
// statement claims it.  The other statements' guards refuse both, writing nothing.
constexpr char routed_chest[] = R"SQL(
           COALESCE(f.featured, false) OR (COALESCE(r.featured, false) AND c.item IS NOT NULL) AS featured,
           COALESCE(f.stock_slots, 0) > 0 OR r.max_claims IS NOT NULL OR r.max_balance IS NOT NULL AS ruled,
           COALESCE(f.stock_slots, 0) AS stock_slots, r.max_claims, r.refill_seconds, r.max_balance
      FROM treasure.chests c
      LEFT JOIN treasure.claim_features f ON f.chest_id = c.chest_id
      LEFT JOIN treasure.claim_features r ON r.chest_id = 0)SQL";
constexpr char unrouted_chest[] = R"SQL(
           false AS featured, false AS ruled
      FROM treasure.chests c)SQL";

constexpr char chest_tail[] = R"SQL(
     WHERE c.chest_id = $2)SQL";

constexpr char claim_head[] = R"SQL(
), claim AS (
    INSERT INTO treasure.claims AS k
           (player_id, chest_id, request_id, session_id, coins_awarded, item_awarded, item_qty, key_used,
            claimed_at)
    SELECT $1, $2, $3, $4, chest.coins, chest.item,
           CASE WHEN chest.item IS NOT NULL THEN chest.item_qty END, chest.key_item, pg_catalog.now()
      FROM chest
     WHERE chest.is_open AND NOT chest.featured AND NOT chest.ruled
)SQL";

constexpr char any_chest[] = R"SQL(
       AND (chest.key_item IS NULL
            OR ($5 AND EXISTS (SELECT FROM treasure.inventories i
                                WHERE i.player_id = $1 AND i.item = chest.key_item AND i.qty > 0))))SQL";
constexpr char chest_without_key[] = " AND chest.key_item IS NULL";
constexpr char chest_of_coins_only[] = " AND chest.key_item IS NULL AND chest.item IS NULL";

constexpr char guard[] = R"SQL(
    ON CONFLICT DO NOTHING
    RETURNING k.claim_id, k.coins_awarded, k.item_awarded, k.item_qty, k.key_used, k.claimed_at
))SQL";

// One row, one HOT update: the balance and the analytics counters.
constexpr char wallet_with_counters[] = R"SQL(, wallet AS (
    INSERT INTO treasure.wallets AS w (player_id, balance, claims, coins_awarded, last_claim_at)
    SELECT $1, claim.coins_awarded, 1, claim.coins_awarded, claim.claimed_at FROM claim
    ON CONFLICT (player_id) DO UPDATE
       SET balance = w.balance + EXCLUDED.balance, claims = w.claims + 1,
           coins_awarded = w.coins_awarded + EXCLUDED.coins_awarded,
           last_claim_at = GREATEST(w.last_claim_at, EXCLUDED.last_claim_at)
    RETURNING w.balance
))SQL";

constexpr char wallet_balance_only[] = R"SQL(, wallet AS (
    INSERT INTO treasure.wallets AS w (player_id, balance)
    SELECT $1, claim.coins_awarded FROM claim
    ON CONFLICT (player_id) DO UPDATE SET balance = w.balance + EXCLUDED.balance
    RETURNING w.balance
))SQL";

constexpr char key_taken[] = R"SQL(, key_taken AS (
    -- The key as an InitPlan rather than a join: with a join the planner probes the player's inventory for
    -- every claim (its estimate of claim is one row); this way a claim without a key compares with NULL and
    -- the index scan stops before reading a page.  The wallet is still locked first.
    UPDATE treasure.inventories i SET qty = i.qty - 1
     WHERE i.player_id = $1 AND i.item = (SELECT claim.key_used FROM claim, wallet)
    RETURNING 1
))SQL";

constexpr char item_given[] = R"SQL(, item_given AS (
    INSERT INTO treasure.inventories AS i (player_id, item, qty)
    SELECT $1, claim.item_awarded, claim.item_qty FROM claim, wallet WHERE claim.item_awarded IS NOT NULL
    ON CONFLICT (player_id, item) DO UPDATE SET qty = i.qty + EXCLUDED.qty
    RETURNING 1
))SQL";

// 1.3.0: the item of a chest without features, recorded like every award.
constexpr char award_recorded[] = R"SQL(, award AS (
    INSERT INTO treasure.claim_awards (player_id, claim_id, source, item, qty)
    SELECT $1, claim.claim_id, 'guaranteed', claim.item_awarded, claim.item_qty FROM claim
     WHERE claim.item_awarded IS NOT NULL
    RETURNING 1
))SQL";

constexpr char event[] = R"SQL(, event AS (
    INSERT INTO treasure.claim_events (player_id, claim_id, chest_id, coins_awarded, balance_after, occurred_at)
    SELECT $1, claim.claim_id, $2, claim.coins_awarded, wallet.balance, claim.claimed_at FROM claim, wallet
    RETURNING 1
))SQL";

constexpr char stats_table[] = R"SQL(, stats AS (
    INSERT INTO treasure.player_stats AS s (player_id, claims, coins_awarded, last_claim_at)
    SELECT $1, 1, claim.coins_awarded, claim.claimed_at FROM claim, wallet
    ON CONFLICT (player_id) DO UPDATE
       SET claims = s.claims + 1, coins_awarded = s.coins_awarded + EXCLUDED.coins_awarded,
           last_claim_at = GREATEST(s.last_claim_at, EXCLUDED.last_claim_at)
    RETURNING 1
))SQL";

// 1.3.0: the ruled statement, for a chest under a claim limit, a wallet cap or stock, judged in the documented
// order after the look-up's replay and already_claimed: chest_closed, sold_out, key_required, rate_limited,
// wallet_full.  A key is judged as by the general statement: only with $5 (player_locked, the wallet locked by
// an earlier statement, whose snapshot this one's is later than); without it a chest that needs one is refused
// with no verdict, and the caller locks the player and runs it again.  A rule is judged on the player's wallet row,
// locked first and read at its newest version, so the player's concurrent claims queue there and each sees the tokens
// and the balance the others left.  The stock unit is taken before the guard, from the player's own slot first,
// skipping slots other claims hold and waiting only when every slot with units is held (in slot order, so waiters
// cannot deadlock); only a claim that passed every rule and that no claim in the snapshot already made takes one.
// Should the guard still refuse (the same claim made concurrently), the caller gives the unit back.  The bucket's
// arithmetic is treasure.claim_tokens_now()'s, operation for operation, and the direct path's (direct_claim.cpp).
constexpr char ruled_claim[] = R"SQL(
), locked AS (
    SELECT w.balance, w.claim_tokens, w.claim_tokens_at FROM treasure.wallets w
     WHERE w.player_id = $1
       AND (SELECT chest.is_open AND NOT chest.featured
                   AND (chest.max_claims IS NOT NULL OR chest.max_balance IS NOT NULL) FROM chest)
       FOR NO KEY UPDATE
), judged AS (
    SELECT chest.*, l.balance IS NOT NULL AS wallet_locked, COALESCE(l.balance, 0) AS balance_before,
           CASE WHEN chest.max_claims IS NULL THEN NULL
                WHEN l.claim_tokens IS NULL OR l.claim_tokens_at IS NULL THEN chest.max_claims::double precision
                ELSE LEAST(chest.max_claims::double precision,
                           l.claim_tokens + GREATEST(0, extract(epoch FROM pg_catalog.now() - l.claim_tokens_at)::double precision)
                                            * chest.max_claims / chest.refill_seconds) END AS tokens
      FROM chest LEFT JOIN locked l ON true
), refusals AS (
    SELECT judged.*,
           CASE WHEN NOT judged.is_open THEN 'chest_closed'
                WHEN judged.stock_slots > 0
                     AND NOT EXISTS (SELECT FROM treasure.stock_slots s WHERE s.chest_id = $2 AND s.taken < s.capacity)
                     THEN 'sold_out'
                WHEN judged.key_item IS NOT NULL AND NOT $5 THEN NULL  -- judged once the player is locked
                WHEN judged.key_item IS NOT NULL
                     AND NOT EXISTS (SELECT FROM treasure.inventories i
                                      WHERE i.player_id = $1 AND i.item = judged.key_item AND i.qty > 0)
                     THEN 'key_required'
                WHEN judged.tokens < 1 THEN 'rate_limited'
                WHEN judged.balance_before + judged.coins > judged.max_balance THEN 'wallet_full'
           END AS refusal
      FROM judged
), verdict AS (
    SELECT refusals.*, refusals.refusal IS NULL AND NOT refusals.featured AND (refusals.key_item IS NULL OR $5) AS admitted,
           refusals.max_claims IS NOT NULL OR refusals.max_balance IS NOT NULL AS has_rules
      FROM refusals
), unclaimed AS (
    SELECT verdict.stock_slots FROM verdict
     WHERE verdict.admitted AND verdict.stock_slots > 0
       AND NOT EXISTS (SELECT FROM treasure.claims k WHERE k.request_id = $3)
       AND NOT EXISTS (SELECT FROM treasure.claims k WHERE k.player_id = $1 AND k.chest_id = $2)
), unit AS (
    UPDATE treasure.stock_slots s SET taken = s.taken + 1
     WHERE (s.chest_id, s.slot) = (SELECT q.chest_id, q.slot FROM treasure.stock_slots q, unclaimed u
                                    WHERE q.chest_id = $2 AND q.taken < q.capacity
                                    ORDER BY (q.slot + u.stock_slots - ($1 % u.stock_slots)::integer) % u.stock_slots
                                    LIMIT 1 FOR UPDATE OF q SKIP LOCKED)
    RETURNING s.slot
), unit_waited AS (
    UPDATE treasure.stock_slots s SET taken = s.taken + 1
     WHERE (s.chest_id, s.slot) = (SELECT q.chest_id, q.slot FROM treasure.stock_slots q, unclaimed u
                                    WHERE q.chest_id = $2 AND q.taken < q.capacity AND NOT EXISTS (SELECT FROM unit)
                                    ORDER BY q.slot
                                    LIMIT 1 FOR UPDATE OF q)
    RETURNING s.slot
), claim AS (
    INSERT INTO treasure.claims AS k
           (player_id, chest_id, request_id, session_id, coins_awarded, item_awarded, item_qty, key_used,
            claimed_at)
    SELECT $1, $2, $3, $4, verdict.coins, verdict.item,
           CASE WHEN verdict.item IS NOT NULL THEN verdict.item_qty END, verdict.key_item, pg_catalog.now()
      FROM verdict
     WHERE verdict.admitted
       AND (verdict.stock_slots = 0 OR EXISTS (SELECT FROM unit) OR EXISTS (SELECT FROM unit_waited))
    ON CONFLICT DO NOTHING
    RETURNING k.claim_id, k.coins_awarded, k.item_awarded, k.item_qty, k.key_used, k.claimed_at
), wallet AS (
    -- Under a rule, only the wallet locked above is updated: one another claim opened meanwhile refuses
    -- the update (the caller's 40001), since the rules were judged without it.
    INSERT INTO treasure.wallets AS w
           (player_id, balance, claims, coins_awarded, last_claim_at, claim_tokens, claim_tokens_at)
    SELECT $1, claim.coins_awarded, 1, claim.coins_awarded, claim.claimed_at, verdict.tokens - 1,
           CASE WHEN verdict.max_claims IS NOT NULL THEN claim.claimed_at END
      FROM claim, verdict
    ON CONFLICT (player_id) DO UPDATE
       SET balance = w.balance + EXCLUDED.balance, claims = w.claims + 1,
           coins_awarded = w.coins_awarded + EXCLUDED.coins_awarded,
           last_claim_at = GREATEST(w.last_claim_at, EXCLUDED.last_claim_at),
           claim_tokens = CASE WHEN EXCLUDED.claim_tokens_at IS NULL THEN w.claim_tokens ELSE EXCLUDED.claim_tokens END,
           claim_tokens_at = COALESCE(EXCLUDED.claim_tokens_at, w.claim_tokens_at)
     WHERE (SELECT verdict.wallet_locked OR NOT verdict.has_rules FROM verdict)
    RETURNING w.balance
))SQL";

constexpr char ruled_result[] = R"SQL(
SELECT verdict.is_open, verdict.key_item, verdict.item IS NOT NULL, claim.claim_id, claim.coins_awarded,
       claim.item_awarded, claim.item_qty, claim.key_used, wallet.balance, claim.claimed_at,
       EXISTS (SELECT FROM key_taken), verdict.featured, verdict.ruled, verdict.refusal, verdict.stock_slots > 0,
       COALESCE((SELECT unit.slot FROM unit), (SELECT unit_waited.slot FROM unit_waited))
  FROM verdict LEFT JOIN claim ON true LEFT JOIN wallet ON true
)SQL";

constexpr char result_columns[] = R"SQL(
SELECT chest.is_open, chest.key_item, chest.item IS NOT NULL, claim.claim_id, claim.coins_awarded,
       claim.item_awarded, claim.item_qty, claim.key_used, wallet.balance, claim.claimed_at, )SQL";
constexpr char result_from[] =
    ", chest.featured, chest.ruled\n  FROM chest LEFT JOIN claim ON true LEFT JOIN wallet ON true\n";

SavedStatement claim_statement(const char *name, const std::string &sql)
{
    return {name, sql.c_str(), 5, {INT8OID, INT8OID, UUIDOID, INT8OID, BOOLOID}, nullptr};
}

// The three claim statements for one place of the analytics counters: their texts and, pointing into
// them, the statements with their saved plans.  Never copied (the statements point into the texts).
struct ClaimStatementSet {
    const std::string general_sql;
    const std::string without_key_sql;
    const std::string coins_only_sql;
    const std::string ruled_sql;
    ClaimStatements statements;

    // wallet_and_counters: the wallet CTE, followed by the stats CTE where the counters have their own table;
    // features: the schema has 1.3.0's routed claims and records awards.
    ClaimStatementSet(const std::string &wallet_and_counters, bool features)
        : general_sql(head(features) + any_chest + guard + wallet_and_counters + key_taken + item_given +
                      awards(features) + event + result_columns + "EXISTS (SELECT FROM key_taken)" + result_from),
          without_key_sql(head(features) + chest_without_key + guard + wallet_and_counters + item_given +
                          awards(features) + event + result_columns + "false" + result_from),
          coins_only_sql(head(features) + chest_of_coins_only + guard + wallet_and_counters + event + result_columns +
                         "false" + result_from),
          ruled_sql(features ? std::string(chest_head) + routed_chest + chest_tail + ruled_claim + key_taken +
                                   item_given + award_recorded + event + ruled_result
                             : std::string()),
          statements{claim_statement("claim", general_sql),
                     claim_statement("claim (chest without a key)", without_key_sql),
                     claim_statement("claim (chest of coins only)", coins_only_sql),
                     claim_statement("claim (ruled chest)", features ? ruled_sql : general_sql)}
    {}
    static std::string head(bool features)
    {
        return std::string(chest_head) + (features ? routed_chest : unrouted_chest) + chest_tail + claim_head;
    }
    static const char *awards(bool features) { return features ? award_recorded : ""; }
    ClaimStatementSet(const ClaimStatementSet &) = delete;
    ClaimStatementSet &operator=(const ClaimStatementSet &) = delete;
};

}  // namespace

ClaimStatements &claim_statements(const InstalledSchema &schema)
{
    // Built on the first claim (inside the SQL function's wall: building allocates and could throw) and kept,
    // with the plans saved in them, for the backend's life.
    static ClaimStatementSet with_features(wallet_with_counters, true);
    static ClaimStatementSet counters_on_wallet(wallet_with_counters, false);
    static ClaimStatementSet counters_in_table(std::string(wallet_balance_only) + stats_table, false);
    if (schema.has_features)
        return with_features.statements;
    return schema.storage == AnalyticsStorage::wallet_row ? counters_on_wallet.statements
                                                          : counters_in_table.statements;
}

SavedStatement featured_claim_statement = {
    "featured claim", "SELECT * FROM treasure.claim_featured($1, $2, $3, $4)", 4, {INT8OID, INT8OID, UUIDOID, INT8OID},
    nullptr,
};

SavedStatement give_back_unit_statement = {
    "give back a stock unit",
    "UPDATE treasure.stock_slots s SET taken = s.taken - 1 WHERE s.chest_id = $1 AND s.slot = $2",
    2,
    {INT8OID, INT4OID},
    nullptr,
};

SavedStatement lock_player_statement = {
    "lock player", "SELECT FROM treasure.wallets w WHERE w.player_id = $1 FOR NO KEY UPDATE", 1, {INT8OID}, nullptr,
};

SavedStatement lookup_statement = {
    "lookup",
    R"SQL(
SELECT wallet.balance, k.claim_id, k.request_id = $3, k.player_id = $1 AND k.chest_id = $2,
       k.coins_awarded, k.item_awarded, k.item_qty, k.key_used, e.balance_after, k.claimed_at
  FROM (SELECT COALESCE((SELECT w.balance FROM treasure.wallets w WHERE w.player_id = $1), 0) AS balance) wallet
  LEFT JOIN (treasure.claims k
             LEFT JOIN treasure.claim_events e ON e.player_id = k.player_id AND e.claim_id = k.claim_id)
    ON k.request_id = $3 OR (k.player_id = $1 AND k.chest_id = $2)
)SQL",   3, {INT8OID, INT8OID, UUIDOID}, nullptr,
};

}  // namespace treasure
