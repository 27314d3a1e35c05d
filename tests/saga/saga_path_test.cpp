// SagaPath through libpqxx against a database whose treasure-saga workers run (tests/saga/saga_test.sh
// starts them and sets TREASURE_SAGA_DSN): the same ClaimResult as the atomic path, path = saga, the same
// statuses and errors, one request_id across both paths, and a race on one chest.
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/nontransaction>

#include "lib/claim_error.hpp"
#include "lib/client.hpp"
#include "saga/saga_path.hpp"

namespace treasure {
namespace {

std::string dsn()
{
    const char *value = std::getenv("TREASURE_SAGA_DSN");
    return value ? value : "";
}

std::string uuid(int n)
{
    char text[40];
    std::snprintf(text, sizeof text, "00000000-0000-0000-0000-%012d", 700000 + n);
    return text;
}

ClaimRequest tap(std::int64_t player, std::int64_t chest, int n)
{
    ClaimRequest request;
    request.player_id = player;
    request.chest_id = chest;
    request.request_id = uuid(n);
    return request;
}

class SagaPathTest : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        ASSERT_FALSE(dsn().empty()) << "set TREASURE_SAGA_DSN";
        pqxx::connection connection(dsn());
        pqxx::nontransaction transaction(connection);
        transaction.exec(
            "SELECT treasure.put_chest(101, 70), treasure.put_chest(102, 30, 'torch'), "
            "treasure.put_chest(103, 900, 'crown', 1, 'silver_key'), "
            "treasure.put_chest(104, 1, closes_at => now() - interval '1 day', opens_at => now() - interval '2 days')");
    }
    static std::string sql_value(const std::string &query)
    {
        pqxx::connection connection(dsn());
        pqxx::nontransaction transaction(connection);
        return transaction.exec(query)[0][0].as<std::string>();
    }

    SagaPath saga{SagaPathOptions{dsn(), 4, std::chrono::milliseconds(5000)}};
    Client atomic{ClientOptions{dsn(), 2, RetryPolicy{}}};
};

TEST_F(SagaPathTest, ClaimsWithPathSaga)
{
    const ClaimResult result = saga.claim(tap(9001, 102, 1));
    EXPECT_EQ(result.status, ClaimStatus::claimed);
    EXPECT_FALSE(result.replayed);
    EXPECT_EQ(result.path, PathKind::saga);
    EXPECT_EQ(result.coins_awarded, 30);
    EXPECT_EQ(result.item_awarded, std::optional<std::string>("torch"));
    EXPECT_EQ(result.item_qty, std::optional<std::int32_t>(1));
    EXPECT_EQ(result.balance, std::optional<std::int64_t>(30));
    ASSERT_TRUE(result.claimed_at.has_value());
    EXPECT_EQ(result.claimed_at->back(), 'Z');

    const ClaimResult replay = saga.claim(tap(9001, 102, 1));
    EXPECT_TRUE(replay.replayed);
    EXPECT_EQ(replay.claim_id, result.claim_id);
    EXPECT_EQ(replay.claimed_at, result.claimed_at);
    EXPECT_EQ(replay.balance, result.balance);
}

TEST_F(SagaPathTest, SameStatusesAsTheAtomicPath)
{
    EXPECT_EQ(saga.claim(tap(9002, 101, 2)).status, ClaimStatus::claimed);
    const ClaimResult again = saga.claim(tap(9002, 101, 3));
    EXPECT_EQ(again.status, ClaimStatus::already_claimed);
    EXPECT_EQ(again.coins_awarded, 0);
    EXPECT_EQ(again.balance, std::optional<std::int64_t>(70));
    EXPECT_EQ(saga.claim(tap(9002, 103, 4)).status, ClaimStatus::key_required);
    EXPECT_EQ(saga.claim(tap(9002, 104, 5)).status, ClaimStatus::chest_closed);
    try {
        saga.claim(tap(9002, 999, 6));
        FAIL() << "unknown chest accepted";
    } catch (const ClaimError &error) {
        EXPECT_EQ(error.kind(), ClaimErrorKind::unknown_chest);
    }
    try {
        saga.claim(tap(9003, 101, 2));  // request_id of player 9002's claim
        FAIL() << "request_id reused for another claim";
    } catch (const ClaimError &error) {
        EXPECT_EQ(error.kind(), ClaimErrorKind::request_id_conflict);
    }
}

TEST_F(SagaPathTest, AtomicThenSagaReplays)
{
    const ClaimResult first = atomic.claim(tap(9004, 101, 7));
    ASSERT_EQ(first.status, ClaimStatus::claimed);
    const ClaimResult retry = saga.claim(tap(9004, 101, 7));
    EXPECT_EQ(retry.status, ClaimStatus::claimed);
    EXPECT_TRUE(retry.replayed);
    EXPECT_EQ(retry.path, PathKind::saga);
    EXPECT_EQ(retry.claim_id, first.claim_id);
    EXPECT_EQ(retry.claimed_at, first.claimed_at);
    EXPECT_EQ(retry.balance, first.balance);
    EXPECT_EQ(sql_value("SELECT balance FROM treasure.wallets WHERE player_id = 9004"), "70");
}

TEST_F(SagaPathTest, SagaThenAtomicReplays)
{
    const ClaimResult first = saga.claim(tap(9005, 102, 8));
    ASSERT_EQ(first.status, ClaimStatus::claimed);
    const ClaimResult retry = atomic.claim(tap(9005, 102, 8));
    EXPECT_TRUE(retry.replayed);
    EXPECT_EQ(retry.path, PathKind::atomic);
    EXPECT_EQ(retry.claim_id, first.claim_id);
    EXPECT_EQ(retry.claimed_at, first.claimed_at);
    EXPECT_EQ(retry.balance, first.balance);
    EXPECT_EQ(retry.item_awarded, first.item_awarded);
    EXPECT_EQ(sql_value("SELECT balance || ' ' || (SELECT qty FROM treasure.inventories WHERE player_id = 9005) "
                        "FROM treasure.wallets WHERE player_id = 9005"),
              "30 1");
}

TEST_F(SagaPathTest, RaceOnOneChestPaysOnce)
{
    constexpr int taps = 8;
    std::vector<ClaimStatus> statuses(taps);
    std::vector<std::thread> threads;
    for (int i = 0; i < taps; ++i) {
        threads.emplace_back([&, i] {
            // Half through each path, every tap with its own request_id.
            statuses[i] =
                i % 2 ? saga.claim(tap(9006, 101, 100 + i)).status : atomic.claim(tap(9006, 101, 100 + i)).status;
        });
    }
    for (auto &thread : threads)
        thread.join();
    int claimed = 0;
    for (ClaimStatus status : statuses) {
        if (status == ClaimStatus::claimed)
            ++claimed;
        else
            EXPECT_EQ(status, ClaimStatus::already_claimed);
    }
    EXPECT_EQ(claimed, 1);
    EXPECT_EQ(sql_value("SELECT balance FROM treasure.wallets WHERE player_id = 9006"), "70");
}

TEST_F(SagaPathTest, ReconcileIsEmpty) { EXPECT_EQ(sql_value("SELECT count(*) FROM treasure.reconcile()"), "0"); }

}  // namespace
}  // namespace treasure
