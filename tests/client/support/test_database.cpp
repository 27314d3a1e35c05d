#include "test_database.hpp"

#include <cstdlib>
#include <chrono>
#include <stdexcept>
#include <thread>

#include <pqxx/pqxx>

namespace treasure::testing {

std::string server_dsn()
{
    const char *dsn = std::getenv("TREASURE_TEST_DSN");
    return dsn ? dsn : "";
}

std::string create_test_database(const std::string &name)
{
    // In a libpq connection string a later keyword overrides an earlier one, so appending dbname is enough.
    const std::string admin = server_dsn() + " dbname=postgres";
    try {
        pqxx::connection connection(admin);
        pqxx::nontransaction transaction(connection);
        transaction.exec("DROP DATABASE IF EXISTS " + transaction.quote_name(name) + " WITH (FORCE)");
        transaction.exec("CREATE DATABASE " + transaction.quote_name(name));
    } catch (const std::exception &error) {
        throw std::runtime_error("cannot create test database " + name +
                                 " (is TREASURE_TEST_DSN or PGHOST set to a running server?): " + error.what());
    }
    const std::string dsn = server_dsn() + " dbname=" + name;
    execute(dsn, "CREATE EXTENSION treasure");
    return dsn;
}

void execute(const std::string &dsn, const std::string &sql)
{
    pqxx::connection connection(dsn);
    pqxx::nontransaction transaction(connection);
    transaction.exec(sql);
}

std::string query_value(const std::string &dsn, const std::string &sql)
{
    pqxx::connection connection(dsn);
    pqxx::nontransaction transaction(connection);
    const pqxx::result rows = transaction.exec(sql);
    if (rows.empty() || rows[0][0].is_null())
        return "";
    return rows[0][0].as<std::string>();
}

bool wait_for_a_lock_waiter(const std::string &dsn)
{
    pqxx::connection observer(dsn);
    for (int i = 0; i < 1000; ++i) {
        pqxx::nontransaction look(observer);
        if (!look.exec("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()")
                 .empty())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
}

}  // namespace treasure::testing
