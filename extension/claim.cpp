// claim_treasure(): the SQL-callable hot path.  It validates the arguments, claims through the direct path
// (direct_claim.cpp) or, where that steps aside, through the statements (claim_statements.cpp, which also
// says why the protocol is correct), and turns what they found into the one result row.
#include "claim_statements.hpp"
#include "direct_claim.hpp"
#include "sql_function.hpp"

namespace treasure {

const char *status_name(Status status)
{
    switch (status) {
    case Status::claimed: return "claimed";
    case Status::already_claimed: return "already_claimed";
    case Status::key_required: return "key_required";
    case Status::chest_closed: return "chest_closed";
    }
    return "unknown";
}

namespace {

// What a claim statement needs to know about a chest: which CTEs it must run.
enum class ChestShape : uint8 { unknown, coins_only, gives_item, needs_key };

ChestShape shape_of(const ChestState &chest)
{
    if (chest.needs_key)
        return ChestShape::needs_key;
    return chest.gives_item ? ChestShape::gives_item : ChestShape::coins_only;
}

bool column_bool(HeapTuple tuple, TupleDesc desc, int column)
{
    bool isnull;
    Datum value = SPI_getbinval(tuple, desc, column, &isnull);
    return !isnull && DatumGetBool(value);
}

bool column_is_null(HeapTuple tuple, TupleDesc desc, int column)
{
    bool isnull;
    (void) SPI_getbinval(tuple, desc, column, &isnull);
    return isnull;
}

Attempt run_claim_statement(SavedStatement &statement, const ClaimArgs &args, bool player_locked, ChestState &chest,
                            ResultRow &row)
{
    Datum values[] = {args.player_id, args.chest_id, args.request_id, args.session_id,
                      BoolGetDatum(player_locked)};
    const char nulls[] = {' ', ' ', ' ', args.session_id_is_null ? 'n' : ' ', ' '};
    if (execute_saved_statement(statement, values, nulls) == 0)
        return Attempt::unknown_chest;

    HeapTuple tuple = SPI_tuptable->vals[0];
    TupleDesc desc = SPI_tuptable->tupdesc;
    chest.is_open = column_bool(tuple, desc, claim_col_is_open);
    chest.needs_key = !column_is_null(tuple, desc, claim_col_key_item);
    chest.gives_item = column_bool(tuple, desc, claim_col_gives_item);
    if (column_is_null(tuple, desc, claim_col_claim_id))
        return Attempt::not_claimed;

    // The key was seen in this statement's snapshot while the player's wallet was locked, so the UPDATE
    // that consumes it must have found it.  If it did not, abort rather than award without the key.
    if (!column_is_null(tuple, desc, claim_col_key_used) && !column_bool(tuple, desc, claim_col_key_taken))
        ereport(ERROR, (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
                        errmsg("the key for this chest was consumed by a concurrent claim"),
                        errhint("Retry with the same request_id.")));
    row.copy(result_claim_id, tuple, desc, claim_col_claim_id);
    row.copy(result_coins_awarded, tuple, desc, claim_col_coins_awarded);
    row.copy(result_item_awarded, tuple, desc, claim_col_item_awarded);
    row.copy(result_item_qty, tuple, desc, claim_col_item_qty);
    row.copy(result_key_used, tuple, desc, claim_col_key_used);
    row.copy(result_balance, tuple, desc, claim_col_balance);
    row.copy(result_claimed_at, tuple, desc, claim_col_claimed_at);
    return Attempt::claimed;
}

bool lock_player(const ClaimArgs &args)
{
    Datum values[] = {args.player_id};
    return execute_saved_statement(lock_player_statement, values, nullptr) > 0;
}

// The lookup statement: the claims bound to this request or to this player and chest, in a new snapshot.
void look_up_with_statement(const ClaimArgs &args, Lookup &lookup)
{
    Datum values[] = {args.player_id, args.chest_id, args.request_id};
    uint64 count = execute_saved_statement(lookup_statement, values, nullptr);
    TupleDesc desc = SPI_tuptable->tupdesc;
    bool isnull;
    lookup.current_balance = SPI_getbinval(SPI_tuptable->vals[0], desc, lookup_col_current_balance, &isnull);
    lookup.found = 0;
    for (uint64 i = 0; i < count && lookup.found < 2; i++) {
        HeapTuple tuple = SPI_tuptable->vals[i];
        if (column_is_null(tuple, desc, lookup_col_claim_id))
            continue;
        FoundClaim &claim = lookup.claims[lookup.found++];
        claim.same_request = column_bool(tuple, desc, lookup_col_same_request);
        claim.same_chest = column_bool(tuple, desc, lookup_col_same_chest);
        claim.claim_id = SPI_getbinval(tuple, desc, lookup_col_claim_id, &isnull);
        claim.coins_awarded = SPI_getbinval(tuple, desc, lookup_col_coins_awarded, &isnull);
        claim.item_awarded = SPI_getbinval(tuple, desc, lookup_col_item_awarded, &claim.item_awarded_null);
        claim.item_qty = SPI_getbinval(tuple, desc, lookup_col_item_qty, &claim.item_qty_null);
        claim.key_used = SPI_getbinval(tuple, desc, lookup_col_key_used, &claim.key_used_null);
        claim.balance_after = SPI_getbinval(tuple, desc, lookup_col_balance_after, &claim.balance_after_null);
        claim.claimed_at = SPI_getbinval(tuple, desc, lookup_col_claimed_at, &isnull);
    }
}

// The guard inserted nothing: find out why, in priority order (a replay, a request_id bound to another
// claim, a chest this player already claimed, a closed chest, a missing key).
void resolve_unclaimed(const ClaimArgs &args, const ChestState &chest, bool key_checked, const Lookup &lookup,
                       ResultRow &row)
{
    const FoundClaim *same_chest = nullptr;
    for (int i = 0; i < lookup.found; i++) {
        const FoundClaim &claim = lookup.claims[i];
        if (claim.same_request) {
            if (!claim.same_chest)
                ereport(ERROR,
                        (errcode(ERRCODE_UNIQUE_VIOLATION),
                         errmsg("request_id %s was already used for a different claim",
                                DatumGetCString(DirectFunctionCall1(uuid_out, args.request_id))),
                         errhint("Use a new request_id for every distinct tap; reuse one only to retry it.")));
            row.set(result_replayed, BoolGetDatum(true));
            row.set(result_claim_id, claim.claim_id);
            row.set(result_coins_awarded, claim.coins_awarded);
            row.set_or_null(result_item_awarded, claim.item_awarded, claim.item_awarded_null);
            row.set_or_null(result_item_qty, claim.item_qty, claim.item_qty_null);
            row.set_or_null(result_key_used, claim.key_used, claim.key_used_null);
            row.set_or_null(result_balance, claim.balance_after, claim.balance_after_null);
            row.set(result_claimed_at, claim.claimed_at);
            return;
        }
        if (claim.same_chest)
            same_chest = &claim;
    }

    row.set(result_balance, lookup.current_balance);
    if (same_chest != nullptr) {
        row.set_status(Status::already_claimed);
        row.set(result_claim_id, same_chest->claim_id);
        row.set(result_claimed_at, same_chest->claimed_at);
    } else if (!chest.is_open) {
        row.set_status(Status::chest_closed);
    } else if (chest.needs_key && key_checked) {
        row.set_status(Status::key_required);
    } else {
        // ON CONFLICT DO NOTHING only skips a row after the conflicting claim committed, and this newer
        // snapshot would see it.  Should that ever not hold, the caller's retry is safe: it replays.
        ereport(ERROR, (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
                        errmsg("could not determine the outcome of a concurrent claim"),
                        errhint("Retry with the same request_id.")));
    }
}

// The shape of the chests this backend claimed lately: a hint that chooses a statement and never decides an
// outcome.  A coins-only chest or one that gives an item without a key is claimed by a narrower statement
// with fewer CTEs.  A chest that needs a key would cost the general statement twice (the first attempt,
// without the player's lock, may not spend a key) plus the lock; with the hint the claim locks the player
// first and runs the statement once.  A stale hint is harmless: a narrow statement refuses a chest of
// another shape (writing nothing) and the general protocol follows; locking the player is always allowed
// (it is exactly what the second attempt does), and a chest that no longer needs a key is claimed by the
// locked attempt all the same.  Plain static data, so nothing here owns memory across SPI calls.
struct ChestHint {
    int64 chest_id;  // 0: empty slot (chest ids are positive)
    ChestShape shape;
};
constexpr int chest_hint_slots = 4096;
ChestHint chest_hints[chest_hint_slots];

ChestHint &chest_hint_slot(int64 chest_id) { return chest_hints[static_cast<uint64>(chest_id) % chest_hint_slots]; }

ChestShape hinted_shape(int64 chest_id)
{
    const ChestHint &hint = chest_hint_slot(chest_id);
    return hint.chest_id == chest_id ? hint.shape : ChestShape::unknown;
}

void remember_shape(int64 chest_id, ChestShape shape)
{
    ChestHint &hint = chest_hint_slot(chest_id);
    hint.chest_id = chest_id;
    hint.shape = shape;
}

// Claims the chest the cheapest way: directly (direct_claim.cpp), or when the direct path declines, by the
// statements the hinted shape chooses to start with.  key_checked tells resolve_unclaimed() whether the
// player's keys were looked at under the lock; looked_up, whether `lookup` is already filled for a refusal.
Attempt claim_chest(const InstalledSchema &schema, const ClaimArgs &args, ChestShape hinted, ChestState &chest,
                    bool &key_checked, Lookup &lookup, bool &looked_up, ResultRow &row)
{
    Attempt attempt = Attempt::not_claimed;
    if (claim_directly(schema, args, chest, key_checked, attempt, lookup, row) == DirectClaim::done) {
        looked_up = attempt == Attempt::not_claimed;
        return attempt;
    }

    ClaimStatements &statements = claim_statements(schema.storage);
    ChestShape shape = hinted;
    if (shape == ChestShape::coins_only || shape == ChestShape::gives_item) {
        SavedStatement &narrow = shape == ChestShape::coins_only ? statements.coins_only : statements.without_key;
        attempt = run_claim_statement(narrow, args, false, chest, row);
        // Claimed, an unknown chest, or refused for a reason resolve_unclaimed() reports.
        if (attempt != Attempt::not_claimed || shape_of(chest) == shape)
            return attempt;
        // Refused for being of another shape: the general protocol, knowing the real shape.
        shape = shape_of(chest);
    }
    if (shape == ChestShape::needs_key) {
        // Lock first; a player without a wallet holds no key, and the unlocked statement then reports why.
        key_checked = true;
        return run_claim_statement(statements.general, args, lock_player(args), chest, row);
    }
    attempt = run_claim_statement(statements.general, args, false, chest, row);
    if (attempt == Attempt::not_claimed && chest.is_open && chest.needs_key) {
        key_checked = true;
        if (lock_player(args))
            attempt = run_claim_statement(statements.general, args, true, chest, row);
    }
    return attempt;
}

void claim_error_context(void *arg)
{
    const ClaimArgs *args = static_cast<const ClaimArgs *>(arg);
    errcontext("claim_treasure(player_id => " INT64_FORMAT ", chest_id => " INT64_FORMAT ")",
               DatumGetInt64(args->player_id), DatumGetInt64(args->chest_id));
}

void require_argument(FunctionCallInfo fcinfo, int number, const char *name)
{
    if (PG_ARGISNULL(number))
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s must not be NULL", name)));
}

void require_positive_id(int64 value, const char *name)
{
    if (value <= 0)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("%s must be positive, got " INT64_FORMAT, name, value)));
}

}  // namespace
}  // namespace treasure

using namespace treasure;

TREASURE_SQL_FUNCTION(claim_treasure)
{
    require_argument(fcinfo, 0, "player_id");
    require_argument(fcinfo, 1, "chest_id");
    require_argument(fcinfo, 2, "request_id");
    require_positive_id(PG_GETARG_INT64(0), "player_id");
    require_positive_id(PG_GETARG_INT64(1), "chest_id");

    ClaimArgs args = {PG_GETARG_DATUM(0), PG_GETARG_DATUM(1), PG_GETARG_DATUM(2),
                      PG_ARGISNULL(3) ? (Datum) 0 : PG_GETARG_DATUM(3), PG_ARGISNULL(3)};

    // Before anything that would need undoing: the first call builds the statements, which may throw.
    const InstalledSchema &schema = lock_installed_schema();
    (void) claim_statements(schema.storage);

    ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
    InitMaterializedSRF(fcinfo, (rsinfo != nullptr && rsinfo->expectedDesc != nullptr)
                                    ? MAT_SRF_USE_EXPECTED_DESC
                                    : 0);

    ErrorContextCallback error_context;
    error_context.callback = claim_error_context;
    error_context.arg = &args;
    error_context.previous = error_context_stack;
    error_context_stack = &error_context;

    if (SPI_connect() != SPI_OK_CONNECT)
        ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("treasure: SPI_connect failed")));

    ResultRow row(Status::claimed);
    ChestState chest = {false, false, false};
    bool key_checked = false;
    Lookup lookup;
    bool looked_up = false;
    const int64 chest_id = DatumGetInt64(args.chest_id);
    Attempt attempt = claim_chest(schema, args, hinted_shape(chest_id), chest, key_checked, lookup, looked_up, row);
    if (attempt == Attempt::unknown_chest)
        ereport(ERROR, (errcode(ERRCODE_NO_DATA_FOUND), errmsg("chest " INT64_FORMAT " does not exist", chest_id)));
    remember_shape(chest_id, shape_of(chest));
    if (attempt == Attempt::not_claimed) {
        if (!looked_up)
            look_up_with_statement(args, lookup);
        resolve_unclaimed(args, chest, key_checked, lookup, row);
    }

    tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, row.values, row.nulls);
    SPI_finish();
    error_context_stack = error_context.previous;
    return (Datum) 0;
}
