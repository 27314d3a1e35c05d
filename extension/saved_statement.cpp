#include "saved_statement.hpp"

namespace treasure {

static SPIPlanPtr prepared_plan(SavedStatement &statement)
{
    if (statement.plan != nullptr) {
        if (SPI_plan_is_valid(statement.plan))
            return statement.plan;
        SPI_freeplan(statement.plan);
        statement.plan = nullptr;
    }
    // Every statement here is a handful of primary-key probes, so one generic plan is right for all
    // arguments; it also spares each call the custom-versus-generic costing of the plan cache.
    SPIPlanPtr plan = SPI_prepare_cursor(statement.sql, statement.nargs, statement.argtypes, CURSOR_OPT_GENERIC_PLAN);
    if (plan == nullptr)
        ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("treasure: could not prepare statement \"%s\": %s",
                                                                statement.name, SPI_result_code_string(SPI_result))));
    if (SPI_keepplan(plan) != 0)
        ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                        errmsg("treasure: could not keep the plan of statement \"%s\"", statement.name)));
    statement.plan = plan;
    return plan;
}

uint64 execute_saved_statement(SavedStatement &statement, Datum *values, const char *nulls)
{
    SPIPlanPtr plan = prepared_plan(statement);
    // read_only = false: each statement takes a new snapshot, so under READ COMMITTED it sees every claim
    // committed before it started, which the claim protocol relies on.
    int rc = SPI_execute_plan(plan, values, nulls, false, 0);
    if (rc < 0)
        ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                        errmsg("treasure: statement \"%s\" failed: %s", statement.name, SPI_result_code_string(rc))));
    return SPI_processed;
}

}  // namespace treasure
