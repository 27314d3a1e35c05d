// claim_treasure(): the SQL-callable hot path.  It validates the arguments, chooses the path that claims
// (direct_claim.cpp where it is built, on and willing, else statements_claim.cpp), resolves a refusal from
// what that path looked up, and emits the one result row.
#include "claim_tap.hpp"
#include "direct_claim.hpp"
#include "settings.hpp"
#include "sql_function.hpp"
#include "statements_claim.hpp"

namespace treasure {
namespace {

void report_null_argument(const char *name)
{
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s must not be NULL", name)));
}

void require_positive_id(int64 value, const char *name)
{
    if (value <= 0)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("%s must be positive, got " INT64_FORMAT, name, value)));
}

// Chooses the path and records it in treasure.last_claim_path: the direct one unless it is not built, off,
// or declines (before it writes or locks anything); then the statements.
void claim_chest(const InstalledSchema &schema, const ClaimArgs &args, ClaimOutcome &outcome)
{
#if TREASURE_DIRECT_PATH
    if (direct_claims_enabled) {
        record_claim_path(ClaimPath::direct);
        if (claim_directly(schema, args, outcome)) {
            if (outcome.unit_to_give_back)
                give_back_stock_unit(args.chest_id, outcome.unit_slot);
            return;
        }
    }
#endif
    record_claim_path(ClaimPath::statements);
    claim_by_statements(schema, args, outcome);
}

// The guard inserted nothing: find out why, in priority order (a replay, a request_id bound to another
// claim, a chest this player already claimed, then what a ruled claim judged (chest_closed, sold_out,
// rate_limited, wallet_full), a closed chest, a missing key), from what the path looked up.
void resolve_refusal(const ClaimArgs &args, ClaimOutcome &outcome)
{
    const Lookup &lookup = outcome.lookup;
    const ChestState &chest = outcome.chest;
    ResultRow &row = outcome.row;
    const FoundClaim *same_chest = nullptr;
    for (int i = 0; i < lookup.found; i++) {
        const FoundClaim &claim = lookup.claims[i];
        if (claim.same_request) {
            if (!claim.same_chest)
                ereport(ERROR, (errcode(ERRCODE_UNIQUE_VIOLATION),
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
    } else if (outcome.judged_refused) {
        row.set_status(outcome.judged_status);
    } else if (!chest.is_open) {
        row.set_status(Status::chest_closed);
    } else if (chest.needs_key && outcome.keys_checked) {
        row.set_status(Status::key_required);
    } else {
        // ON CONFLICT DO NOTHING only skips a row after the conflicting claim committed, and this newer
        // snapshot would see it.  Should that ever not hold, the caller's retry is safe: it replays.
        ereport(ERROR, (errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
                        errmsg("could not determine the outcome of a concurrent claim"),
                        errhint("Retry with the same request_id.")));
    }
}

}  // namespace

void claim_tap(const InstalledSchema &schema, const ClaimArgs &args, ClaimOutcome &outcome)
{
    claim_chest(schema, args, outcome);
    if (outcome.result == ClaimOutcome::Result::unknown_chest)
        ereport(ERROR, (errcode(ERRCODE_NO_DATA_FOUND),
                        errmsg("chest " INT64_FORMAT " does not exist", DatumGetInt64(args.chest_id))));
    if (outcome.result == ClaimOutcome::Result::refused)
        resolve_refusal(args, outcome);
}

void require_claim_arguments(const ClaimArgs &args, bool player_id_null, bool chest_id_null, bool request_id_null)
{
    if (player_id_null)
        report_null_argument("player_id");
    if (chest_id_null)
        report_null_argument("chest_id");
    if (request_id_null)
        report_null_argument("request_id");
    require_positive_id(DatumGetInt64(args.player_id), "player_id");
    require_positive_id(DatumGetInt64(args.chest_id), "chest_id");
}

namespace {

void claim_error_context(void *arg)
{
    const ClaimArgs *args = static_cast<const ClaimArgs *>(arg);
    errcontext("claim_treasure(player_id => " INT64_FORMAT ", chest_id => " INT64_FORMAT ")",
               DatumGetInt64(args->player_id), DatumGetInt64(args->chest_id));
}

}  // namespace
}  // namespace treasure

using namespace treasure;

TREASURE_SQL_FUNCTION(claim_treasure)
{
    ClaimArgs args = {PG_GETARG_DATUM(0), PG_GETARG_DATUM(1), PG_GETARG_DATUM(2),
                      PG_ARGISNULL(3) ? (Datum) 0 : PG_GETARG_DATUM(3), PG_ARGISNULL(3)};
    require_claim_arguments(args, PG_ARGISNULL(0), PG_ARGISNULL(1), PG_ARGISNULL(2));

    // Before anything that would need undoing: the first call builds the statements, which may throw.
    const InstalledSchema &schema = lock_installed_schema();
    build_claim_statements(schema);

    ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
    InitMaterializedSRF(fcinfo, (rsinfo != nullptr && rsinfo->expectedDesc != nullptr) ? MAT_SRF_USE_EXPECTED_DESC : 0);

    ErrorContextCallback error_context;
    error_context.callback = claim_error_context;
    error_context.arg = &args;
    error_context.previous = error_context_stack;
    error_context_stack = &error_context;

    if (SPI_connect() != SPI_OK_CONNECT)
        ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("treasure: SPI_connect failed")));

    ClaimOutcome outcome;
    claim_tap(schema, args, outcome);

    tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, outcome.row.values, outcome.row.nulls);
    SPI_finish();
    error_context_stack = error_context.previous;
    return (Datum) 0;
}
