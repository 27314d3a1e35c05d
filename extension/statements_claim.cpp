#include "statements_claim.hpp"

#include "claim_statements.hpp"

namespace treasure {
namespace {

// What a claim statement needs to know about a chest: which CTEs it must run.
enum class ChestShape : uint8 { unknown, coins_only, gives_item, needs_key, featured, ruled, ruled_with_key };

ChestShape shape_of(const ChestState &chest)
{
    if (chest.featured)
        return ChestShape::featured;
    if (chest.ruled)
        return chest.needs_key ? ChestShape::ruled_with_key : ChestShape::ruled;
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

// Runs one claim statement: outcome.result says whether it claimed, and outcome.chest what it saw.
void run_claim_statement(SavedStatement &statement, const ClaimArgs &args, bool player_locked, ClaimOutcome &outcome)
{
    Datum values[] = {args.player_id, args.chest_id, args.request_id, args.session_id, BoolGetDatum(player_locked)};
    const char nulls[] = {' ', ' ', ' ', args.session_id_is_null ? 'n' : ' ', ' '};
    if (execute_saved_statement(statement, values, nulls) == 0) {
        outcome.result = ClaimOutcome::Result::unknown_chest;
        return;
    }

    HeapTuple tuple = SPI_tuptable->vals[0];
    TupleDesc desc = SPI_tuptable->tupdesc;
    outcome.chest.is_open = column_bool(tuple, desc, claim_col_is_open);
    outcome.chest.needs_key = !column_is_null(tuple, desc, claim_col_key_item);
    outcome.chest.gives_item = column_bool(tuple, desc, claim_col_gives_item);
    outcome.chest.featured = column_bool(tuple, desc, claim_col_featured);
    outcome.chest.ruled = column_bool(tuple, desc, claim_col_ruled);
    if (column_is_null(tuple, desc, claim_col_claim_id)) {
        outcome.result = ClaimOutcome::Result::refused;
        return;
    }

    // The key was seen in this statement's snapshot while the player's wallet was locked, so the UPDATE
    // that consumes it must have found it.
    if (!column_is_null(tuple, desc, claim_col_key_used) && !column_bool(tuple, desc, claim_col_key_taken))
        report_key_consumed_concurrently();
    ResultRow &row = outcome.row;
    row.copy(result_claim_id, tuple, desc, claim_col_claim_id);
    row.copy(result_coins_awarded, tuple, desc, claim_col_coins_awarded);
    row.copy(result_item_awarded, tuple, desc, claim_col_item_awarded);
    row.copy(result_item_qty, tuple, desc, claim_col_item_qty);
    row.copy(result_key_used, tuple, desc, claim_col_key_used);
    row.copy(result_balance, tuple, desc, claim_col_balance);
    row.copy(result_claimed_at, tuple, desc, claim_col_claimed_at);
    outcome.result = ClaimOutcome::Result::claimed;
}

// A featured chest: treasure.claim_featured() judges and writes the claim, and its row is the answer.
void run_featured_claim(const ClaimArgs &args, ClaimOutcome &outcome)
{
    Datum values[] = {args.player_id, args.chest_id, args.request_id, args.session_id};
    const char nulls[] = {' ', ' ', ' ', args.session_id_is_null ? 'n' : ' '};
    execute_saved_statement(featured_claim_statement, values, nulls);
    HeapTuple tuple = SPI_tuptable->vals[0];
    TupleDesc desc = SPI_tuptable->tupdesc;
    ResultRow &row = outcome.row;
    for (int column = 0; column < result_columns; column++)
        row.copy(static_cast<ResultColumn>(column), tuple, desc, column + 1);
    outcome.chest.featured = true;
    outcome.result = ClaimOutcome::Result::decided;
}

// The ruled statement (a chest under a claim limit, a wallet cap or stock).  Refused: the verdict it judged,
// and the stock unit it took given back if the guard refused after all.
void run_ruled_claim(SavedStatement &statement, const ClaimArgs &args, bool player_locked, ClaimOutcome &outcome)
{
    outcome.judged_refused = false;
    run_claim_statement(statement, args, player_locked, outcome);
    if (outcome.result == ClaimOutcome::Result::unknown_chest)
        return;
    HeapTuple tuple = SPI_tuptable->vals[0];
    TupleDesc desc = SPI_tuptable->tupdesc;
    if (outcome.result == ClaimOutcome::Result::claimed) {
        if (column_is_null(tuple, desc, claim_col_balance))
            report_wallet_opened_concurrently();
        return;
    }
    bool isnull;
    Datum refusal = SPI_getbinval(tuple, desc, claim_col_refusal, &isnull);
    if (!isnull) {
        outcome.judged_refused = true;
        outcome.judged_status = status_named(TextDatumGetCString(refusal));
    } else if (column_bool(tuple, desc, claim_col_limited) && !outcome.chest.featured &&
               (player_locked || !outcome.chest.needs_key)) {
        // Admitted, but no unit was left once the slots were locked; or the same claim was made meanwhile,
        // which the look-up finds first.
        outcome.judged_refused = true;
        outcome.judged_status = Status::sold_out;
    }
    Datum slot = SPI_getbinval(tuple, desc, claim_col_unit_slot, &isnull);
    if (!isnull) {
        give_back_stock_unit(args.chest_id, DatumGetInt32(slot));
        outcome.judged_refused = false;  // the guard refused: the look-up says why
    }
}

bool lock_player(const ClaimArgs &args)
{
    Datum values[] = {args.player_id};
    return execute_saved_statement(lock_player_statement, values, nullptr) > 0;
}

// A ruled chest, as the general protocol claims a key: a chest known to need a key locks the player first; one
// found to need a key once the unlocked statement refused it locks and runs it again.  A player without a
// wallet holds no key: then the unlocked statement's refusal stands, and it is key_required.
void claim_ruled(SavedStatement &ruled, const ClaimArgs &args, bool key_expected, ClaimOutcome &outcome)
{
    outcome.keys_checked = key_expected;
    run_ruled_claim(ruled, args, key_expected && lock_player(args), outcome);
    if (key_expected || outcome.result != ClaimOutcome::Result::refused || outcome.judged_refused ||
        !outcome.chest.ruled || outcome.chest.featured || !outcome.chest.needs_key || !outcome.chest.is_open)
        return;
    outcome.keys_checked = true;
    if (lock_player(args))
        run_ruled_claim(ruled, args, true, outcome);
}

// The lookup statement: the claims bound to this request or to this player and chest, in a new snapshot.
void look_up(const ClaimArgs &args, Lookup &lookup)
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

// The statements the hinted shape chooses to start with, then the general protocol.
void claim_with_statements(const InstalledSchema &schema, const ClaimArgs &args, ClaimOutcome &outcome)
{
    ClaimStatements &statements = claim_statements(schema);
    ChestShape shape = hinted_shape(DatumGetInt64(args.chest_id));
    bool general_ran = false;
    if (shape == ChestShape::ruled || shape == ChestShape::ruled_with_key) {
        claim_ruled(statements.ruled, args, shape == ChestShape::ruled_with_key, outcome);
        const ChestShape real = shape_of(outcome.chest);
        if (outcome.result != ClaimOutcome::Result::refused || real == ChestShape::ruled ||
            real == ChestShape::ruled_with_key)
            return;
        // No longer ruled: the general protocol, knowing the real shape.
        outcome.judged_refused = false;
        outcome.keys_checked = false;
        shape = shape_of(outcome.chest);
    } else if (shape == ChestShape::coins_only || shape == ChestShape::gives_item) {
        SavedStatement &first = shape == ChestShape::coins_only ? statements.coins_only : statements.without_key;
        run_claim_statement(first, args, false, outcome);
        // Claimed, an unknown chest, or refused for a reason the refusal's look-up explains.
        if (outcome.result != ClaimOutcome::Result::refused || shape_of(outcome.chest) == shape)
            return;
        // Refused for being of another shape: the general protocol, knowing the real shape.
        outcome.judged_refused = false;
        shape = shape_of(outcome.chest);
    } else {
        run_claim_statement(statements.general, args, shape == ChestShape::needs_key && lock_player(args), outcome);
        if (outcome.result != ClaimOutcome::Result::refused)
            return;
        outcome.keys_checked = shape == ChestShape::needs_key;
        general_ran = true;
        shape = shape_of(outcome.chest);
    }
    switch (shape) {
    case ChestShape::featured: run_featured_claim(args, outcome); return;
    case ChestShape::ruled:
    case ChestShape::ruled_with_key:
        claim_ruled(statements.ruled, args, shape == ChestShape::ruled_with_key, outcome);
        return;
    case ChestShape::needs_key:
        // Lock first; a player without a wallet holds no key, and the unlocked statement then reports why.
        if (!outcome.keys_checked && outcome.chest.is_open) {
            outcome.keys_checked = true;
            if (lock_player(args))
                run_claim_statement(statements.general, args, true, outcome);
        }
        return;
    case ChestShape::coins_only:
    case ChestShape::gives_item:
        if (!general_ran)  // a narrow statement of the other shape refused it
            run_claim_statement(statements.general, args, false, outcome);
        return;
    case ChestShape::unknown: return;
    }
}

}  // namespace

void build_claim_statements(const InstalledSchema &schema) { (void) claim_statements(schema); }

void give_back_stock_unit(Datum chest_id, int32 slot)
{
    Datum values[] = {chest_id, Int32GetDatum(slot)};
    execute_saved_statement(give_back_unit_statement, values, nullptr);
}

void claim_by_statements(const InstalledSchema &schema, const ClaimArgs &args, ClaimOutcome &outcome)
{
    claim_with_statements(schema, args, outcome);
    if (outcome.result == ClaimOutcome::Result::unknown_chest)
        return;
    // A featured chest is judged again by the general statement on its next claim (the hint would keep a chest
    // that lost its features on claim_featured() for the backend's life).
    remember_shape(DatumGetInt64(args.chest_id),
                   outcome.chest.featured ? ChestShape::unknown : shape_of(outcome.chest));
    if (outcome.result == ClaimOutcome::Result::refused)
        look_up(args, outcome.lookup);
}

}  // namespace treasure
