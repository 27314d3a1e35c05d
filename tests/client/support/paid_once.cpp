#include "support/paid_once.hpp"

#include <chrono>
#include <utility>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

namespace treasure::testing {

BackendKiller::BackendKiller(std::string dsn, std::string application, int enough)
    : dsn_(std::move(dsn)), application_(std::move(application)), enough_(enough)
{
    thread_ = std::thread([this] {
        pqxx::connection connection(dsn_);
        while (!stopping_ && kills_ < enough_) {
            pqxx::nontransaction transaction(connection);
            kills_ += transaction
                          .exec("SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity "
                                "WHERE application_name = " +
                                transaction.quote(application_))[0][0]
                          .as<int>();
            std::this_thread::sleep_for(std::chrono::milliseconds(30));
        }
    });
}

BackendKiller::~BackendKiller() { stop(); }

void BackendKiller::stop()
{
    stopping_ = true;
    if (thread_.joinable())
        thread_.join();
}

void expect_paid_exactly_once(const std::string &dsn, const std::string &player_range,
                              const std::set<std::string> &request_ids,
                              const std::map<std::int64_t, std::int64_t> &expected_balance)
{
    pqxx::connection connection(dsn);
    pqxx::nontransaction check(connection);
    const std::string where = " WHERE " + player_range;
    std::set<std::string> stored;
    const auto claims = check.exec("SELECT request_id::text FROM treasure.claims" + where);
    for (const auto &row : claims)
        stored.insert(row[0].as<std::string>());
    EXPECT_EQ(claims.size(), request_ids.size()) << "one claims row per tap";
    EXPECT_EQ(stored, request_ids);
    EXPECT_EQ(check.exec("SELECT count(*) FROM treasure.claim_events" + where)[0][0].as<std::size_t>(),
              request_ids.size())
        << "one analytics event per claim";
    std::map<std::int64_t, std::int64_t> balances;
    for (const auto &row : check.exec("SELECT player_id, balance FROM treasure.wallets" + where))
        balances[row[0].as<std::int64_t>()] = row[1].as<std::int64_t>();
    EXPECT_EQ(balances, expected_balance) << "every wallet credited exactly once per claim";
}

}  // namespace treasure::testing
