// Fixed SQL statements prepared once per backend (SPI_prepare + SPI_keepplan, as ri_triggers.c does) and
// rebuilt when PostgreSQL invalidates them (DDL on a table they use, DROP/CREATE EXTENSION).
#pragma once

#include "postgres.hpp"

namespace treasure {

constexpr int max_statement_args = 5;

struct SavedStatement {
    const char *name;  // names the statement in error messages
    const char *sql;   // fully schema-qualified: the plan must not depend on the caller's search_path
    int nargs;
    Oid argtypes[max_statement_args];
    SPIPlanPtr plan;  // kept in CacheMemoryContext for the backend's lifetime
};

// Runs the statement (preparing it on first use) inside the caller's SPI connection, with a fresh
// snapshot, and returns SPI_processed.  Any SPI failure becomes an ERROR naming the statement.
uint64 execute_saved_statement(SavedStatement &statement, Datum *values, const char *nulls);

}  // namespace treasure
