#pragma once
// Throwaway databases for the tests that need PostgreSQL, on the server named by TREASURE_TEST_DSN (set by
// `make test`) or, without it, by the libpq environment (PGHOST, PGPORT, PGUSER).
#include <cstdint>
#include <string>

namespace treasure::testing {

// The server's connection string without a dbname.
std::string server_dsn();

// Drops and recreates database `name` with CREATE EXTENSION treasure; returns its connection string.
std::string create_test_database(const std::string &name);

// Runs SQL (several statements allowed) in database dsn; throws on error.
void execute(const std::string &dsn, const std::string &sql);

// The first column of the first row of a query, as text ("" for NULL).
std::string query_value(const std::string &dsn, const std::string &sql);

// Polls pg_stat_activity for up to ~10 s until a backend of dsn's database waits on a lock (a claim that reached
// the database and queued behind a held row); false when none did.
bool wait_for_a_lock_waiter(const std::string &dsn);

}  // namespace treasure::testing
