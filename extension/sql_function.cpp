#include "sql_function.hpp"

namespace treasure {

void report_caught_exception(const CaughtException &caught)
{
    ereport(ERROR, (errcode(caught.sqlstate), errmsg("treasure: %s", caught.message)));
    pg_unreachable();
}

}  // namespace treasure
