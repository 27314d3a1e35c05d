// treasure.claim_treasure_batch(): up to 32 taps claimed in one transaction, so that they share one commit
// (one WAL flush) instead of paying one each (issue 17, "Fewer round trips per tap").
//
// Every tap is claim_treasure()'s own claim (claim_tap.hpp), inside a subtransaction of its own, so that one
// tap's error rolls back that tap only and the others still commit.  The taps are claimed in the order of
// (player_id, position in the input): every batch locks its players' rows in ascending player_id order, so two
// batches over the same players cannot deadlock on each other.  At most one subtransaction is open at a time,
// and a batch leaves at most 32 committed ones (PostgreSQL caches 64 subtransaction ids per backend; beyond
// that every other backend's snapshots get slower).
//
// Errors a tap catches (its row carries the SQLSTATE and message; the tap wrote nothing): data exceptions
// (class 22, e.g. 22003 a counter's overflow, 22004/22023 a bad id), integrity violations (class 23, e.g.
// 23505 a request_id bound to another claim), PL/pgSQL's (class P0, e.g. P0002 an unknown chest), and 40001
// and 40P01, which that tap alone may retry with its own request_id (a deadlock's victim is the tap that was
// waiting: once its subtransaction is rolled back this backend waits for nothing, so the cycle is broken even
// where it ran through locks the batch's earlier taps hold).  Every other error aborts the whole batch, nothing
// of it committed: a cancel or statement_timeout (57014), lock_timeout (55P03), running out
// of memory, disk or another resource (53), a system or internal error (58, XX), and whatever else is not the
// tap's own fault.  The caller then retries the whole batch with the same request_ids.
#include "claim_tap.hpp"
#include "sql_function.hpp"
#include "statements_claim.hpp"

extern "C" {
#include "access/xact.h"
#include "catalog/namespace.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
#include "utils/resowner.h"
}

namespace treasure {
namespace {

constexpr int max_batch_taps = 32;

// Columns of the RETURNS TABLE: the tap's position, claim_treasure()'s nine, then details, sqlstate, message.
enum BatchColumn {
    batch_tap = 0,
    batch_first_claim_column = 1,
    batch_details = batch_first_claim_column + result_columns,
    batch_sqlstate,
    batch_message,
    batch_columns
};

struct Tap {
    int32 position;  // 1-based, as the tap column shows it
    ClaimArgs args;
    bool player_id_null;
    bool chest_id_null;
    bool request_id_null;
};

// What every tap's row is built with.  `rows_context` outlives the subtransactions (the function's
// per-query memory).
struct BatchOutput {
    TupleDesc desc;
    MemoryContext rows_context;
    bool has_details;
    FmgrInfo details;
};

// One input array's elements, checked to be one-dimensional (2202E) and of the batch's length.
struct Column {
    Datum *values;
    bool *nulls;
    int count;
};

Column column_of(FunctionCallInfo fcinfo, int number, const char *name, Oid element_type)
{
    Column column = {nullptr, nullptr, 0};
    if (PG_ARGISNULL(number))
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s must not be NULL", name)));
    ArrayType *array = PG_GETARG_ARRAYTYPE_P(number);
    if (ARR_NDIM(array) > 1)
        ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
                        errmsg("%s must be a one-dimensional array, got %d dimensions", name, ARR_NDIM(array))));
    int16 length;
    bool by_value;
    char align;
    get_typlenbyvalalign(element_type, &length, &by_value, &align);
    deconstruct_array(array, element_type, length, by_value, align, &column.values, &column.nulls, &column.count);
    return column;
}

void require_same_length(const Column &column, int count, const char *name)
{
    if (column.count != count)
        ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
                        errmsg("%s has %d elements and player_ids %d", name, column.count, count),
                        errdetail("Every array of a batch holds one element per tap, in the same order.")));
}

// Reads the batch into `taps`, sorted by (player_id, position): the order its claims lock players in.
// Errors with nothing written: 22004 for a NULL array, 2202E for arrays of other shapes or lengths, 22023
// for an empty batch and 54000 for more than 32 taps.
int read_taps(FunctionCallInfo fcinfo, Tap *taps)
{
    Column players = column_of(fcinfo, 0, "player_ids", INT8OID);
    Column chests = column_of(fcinfo, 1, "chest_ids", INT8OID);
    Column requests = column_of(fcinfo, 2, "request_ids", UUIDOID);
    bool all_sessions_null = PG_ARGISNULL(3);
    Column sessions =
        all_sessions_null ? Column{nullptr, nullptr, players.count} : column_of(fcinfo, 3, "session_ids", INT8OID);
    int count = players.count;
    require_same_length(chests, count, "chest_ids");
    require_same_length(requests, count, "request_ids");
    require_same_length(sessions, count, "session_ids");
    if (count == 0)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE), errmsg("a batch must hold at least one tap")));
    if (count > max_batch_taps)
        ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                        errmsg("a batch holds at most %d taps, got %d", max_batch_taps, count),
                        errhint("Split the taps into batches of at most %d.", max_batch_taps)));

    for (int i = 0; i < count; i++) {
        bool session_null = all_sessions_null || sessions.nulls[i];
        taps[i] = Tap{i + 1,
                      {players.values[i], chests.values[i], requests.values[i],
                       session_null ? (Datum) 0 : sessions.values[i], session_null},
                      players.nulls[i],
                      chests.nulls[i],
                      requests.nulls[i]};
    }
    // Insertion sort (at most 32 taps, no allocation); a NULL player_id sorts first and is refused unlocked.
    auto player_of = [](const Tap &tap) { return tap.player_id_null ? INT64_MIN : DatumGetInt64(tap.args.player_id); };
    for (int i = 1; i < count; i++) {
        Tap tap = taps[i];
        int j = i;
        for (; j > 0 && player_of(taps[j - 1]) > player_of(tap); j--)
            taps[j] = taps[j - 1];
        taps[j] = tap;
    }
    return count;
}

// treasure.claim_details(player_id, claim_id, status), whatever language it is written in; absent, the
// details column stays NULL.
void find_claim_details(BatchOutput &output)
{
    Oid argument_types[] = {INT8OID, INT8OID, TEXTOID};
    List *name = list_make2(makeString(pstrdup("treasure")), makeString(pstrdup("claim_details")));
    Oid function = LookupFuncName(name, 3, argument_types, true);
    output.has_details = OidIsValid(function);
    if (output.has_details)
        fmgr_info(function, &output.details);
}

Datum claim_details_of(BatchOutput &output, const Tap &tap, const ResultRow &row, bool *isnull)
{
    *isnull = true;
    if (!output.has_details)
        return (Datum) 0;
    LOCAL_FCINFO(call, 3);
    InitFunctionCallInfoData(*call, &output.details, 3, InvalidOid, nullptr, nullptr);
    call->args[0] = {tap.args.player_id, false};
    call->args[1] = {row.values[result_claim_id], row.nulls[result_claim_id]};
    call->args[2] = {row.values[result_status], row.nulls[result_status]};
    Datum details = FunctionCallInvoke(call);
    *isnull = call->isnull;
    return details;
}

// The tap's row, formed in the rows' memory: a claim's nine columns and its details, or an error's SQLSTATE
// and message with everything else NULL.
HeapTuple tap_row(BatchOutput &output, int32 position, const ResultRow *claim, Datum details, bool details_null,
                  const ErrorData *error)
{
    Datum values[batch_columns];
    bool nulls[batch_columns];
    for (int column = 0; column < batch_columns; column++) {
        values[column] = (Datum) 0;
        nulls[column] = true;
    }
    values[batch_tap] = Int32GetDatum(position);
    nulls[batch_tap] = false;
    MemoryContext old = MemoryContextSwitchTo(output.rows_context);
    if (claim != nullptr) {
        for (int column = 0; column < result_columns; column++) {
            values[batch_first_claim_column + column] = claim->values[column];
            nulls[batch_first_claim_column + column] = claim->nulls[column];
        }
        values[batch_details] = details;
        nulls[batch_details] = details_null;
    } else {
        values[batch_sqlstate] = CStringGetTextDatum(unpack_sql_state(error->sqlerrcode));
        nulls[batch_sqlstate] = false;
        values[batch_message] = CStringGetTextDatum(error->message != nullptr ? error->message : "");
        nulls[batch_message] = false;
    }
    HeapTuple row = heap_form_tuple(output.desc, values, nulls);
    MemoryContextSwitchTo(old);
    return row;
}

// The claim and its details, in the tap's subtransaction and SPI connection.
HeapTuple claim_and_describe(const InstalledSchema &schema, BatchOutput &output, const Tap &tap)
{
    require_claim_arguments(tap.args, tap.player_id_null, tap.chest_id_null, tap.request_id_null);
    if (SPI_connect() != SPI_OK_CONNECT)
        ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("treasure: SPI_connect failed")));
    ClaimOutcome outcome;
    claim_tap(schema, tap.args, outcome);
    CommandCounterIncrement();  // the details read what the claim wrote
    bool details_null;
    Datum details = claim_details_of(output, tap, outcome.row, &details_null);
    HeapTuple row = tap_row(output, tap.position, &outcome.row, details, details_null, nullptr);
    SPI_finish();
    return row;
}

bool is_taps_own_error(int sqlstate)
{
    switch (ERRCODE_TO_CATEGORY(sqlstate)) {
    case ERRCODE_DATA_EXCEPTION:
    case ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION:
    case ERRCODE_PLPGSQL_ERROR: return true;
    default: return sqlstate == ERRCODE_T_R_SERIALIZATION_FAILURE || sqlstate == ERRCODE_T_R_DEADLOCK_DETECTED;
    }
}

// One tap in a subtransaction of its own, the way PL/pgSQL runs a block with an EXCEPTION clause
// (exec_stmt_block in src/pl/plpgsql/src/pl_exec.c, REL_15_STABLE): the caller's memory context and resource
// owner restored after the subtransaction ends either way; on an error, the error copied out and flushed
// before the subtransaction is rolled back, then kept as the tap's row or thrown again for the whole batch.
HeapTuple claim_in_subtransaction(BatchOutput &output, const Tap &tap)
{
    // As claim_treasure() does before it claims: these may throw, so they stay outside the subtransaction.
    const InstalledSchema &schema = lock_installed_schema();
    build_claim_statements(schema);

    MemoryContext old_context = CurrentMemoryContext;
    ResourceOwner old_owner = CurrentResourceOwner;
    HeapTuple volatile row = nullptr;
    BeginInternalSubTransaction(nullptr);
    MemoryContextSwitchTo(old_context);
    PG_TRY();
    {
        row = claim_and_describe(schema, output, tap);
        ReleaseCurrentSubTransaction();
        MemoryContextSwitchTo(old_context);
        CurrentResourceOwner = old_owner;
    }
    PG_CATCH();
    {
        MemoryContextSwitchTo(output.rows_context);
        ErrorData *error = CopyErrorData();
        FlushErrorState();
        RollbackAndReleaseCurrentSubTransaction();
        MemoryContextSwitchTo(old_context);
        CurrentResourceOwner = old_owner;
        if (!is_taps_own_error(error->sqlerrcode))
            ReThrowError(error);
        row = tap_row(output, tap.position, nullptr, (Datum) 0, true, error);
        FreeErrorData(error);
    }
    PG_END_TRY();
    return row;
}

struct BatchErrorContext {
    const Tap *tap;
};

void batch_error_context(void *arg)
{
    const Tap *tap = static_cast<BatchErrorContext *>(arg)->tap;
    if (tap != nullptr)
        errcontext("claim_treasure_batch() tap %d", tap->position);
}

}  // namespace
}  // namespace treasure

using namespace treasure;

TREASURE_SQL_FUNCTION(claim_treasure_batch)
{
    Tap taps[max_batch_taps];
    int count = read_taps(fcinfo, taps);

    ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
    InitMaterializedSRF(fcinfo, (rsinfo != nullptr && rsinfo->expectedDesc != nullptr) ? MAT_SRF_USE_EXPECTED_DESC : 0);
    BatchOutput output;
    output.desc = rsinfo->setDesc;
    output.rows_context = rsinfo->econtext->ecxt_per_query_memory;
    find_claim_details(output);

    BatchErrorContext context_arg = {nullptr};
    ErrorContextCallback error_context;
    error_context.callback = batch_error_context;
    error_context.arg = &context_arg;
    error_context.previous = error_context_stack;
    error_context_stack = &error_context;

    HeapTuple rows[max_batch_taps];
    for (int i = 0; i < count; i++) {
        context_arg.tap = &taps[i];
        rows[taps[i].position - 1] = claim_in_subtransaction(output, taps[i]);
    }
    error_context_stack = error_context.previous;

    for (int position = 0; position < count; position++)
        tuplestore_puttuple(rsinfo->setResult, rows[position]);
    return (Datum) 0;
}
