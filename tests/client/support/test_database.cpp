#include "test_database.hpp"

#include <cstdlib>
#include <stdexcept>

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

}  // namespace treasure::testing
