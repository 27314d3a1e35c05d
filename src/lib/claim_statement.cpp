#include "lib/claim_statement.hpp"

namespace treasure {

namespace {

#define TREASURE_CLAIM_COLUMNS                                                                                      \
    "SELECT c.status, c.replayed, c.claim_id, c.coins_awarded, c.item_awarded, c.item_qty, c.key_used, c.balance, " \
    "to_char(c.claimed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
#define TREASURE_CLAIM_CALL " FROM public.claim_treasure($1::bigint, $2::bigint, $3::uuid, $4::bigint) c"

constexpr const char *statement_sql = TREASURE_CLAIM_COLUMNS TREASURE_CLAIM_CALL;
constexpr const char *statement_with_details_sql =
    TREASURE_CLAIM_COLUMNS ", treasure.claim_details($1::bigint, c.claim_id, c.status)::text" TREASURE_CLAIM_CALL;

}  // namespace

const char *claim_statement_sql(bool with_details) { return with_details ? statement_with_details_sql : statement_sql; }

}  // namespace treasure
