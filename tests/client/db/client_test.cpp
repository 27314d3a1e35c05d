// treasure::Client (the atomic path) against a real PostgreSQL with the extension installed.
#include "lib/client.hpp"

#include <atomic>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "lib/claim_error.hpp"
#include "lib/uuid.hpp"
#include "support/paid_once.hpp"
#include "support/test_database.hpp"

namespace treasure {
namespace {

using testing::create_test_database;
using testing::execute;
using testing::query_value;

class ClientTest : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        dsn_ = new std::string(create_test_database("treasure_client_test"));
        execute(*dsn_, "SELECT treasure.put_chest(1, 10);"
                       "SELECT treasure.put_chest(2, 5, 'gem', 2, 'key');"
                       "SELECT treasure.put_chest(3, 7, closes_at => now() - interval '1 hour', opens_at => now() - "
                       "interval '2 hours');"
                       "SELECT treasure.put_chest(4, 9223372036854775000);"
                       "SELECT treasure.put_chest(5, 1000);"
                       "SELECT treasure.put_chest(id, id) FROM generate_series(101, 110) AS id;");
    }
    static void TearDownTestSuite()
    {
        delete dsn_;
        dsn_ = nullptr;
    }

    static ClientOptions options(std::size_t pool = 2) { return ClientOptions{*dsn_, pool, RetryPolicy{}}; }
    static ClaimRequest tap(std::int64_t player, std::int64_t chest)
    {
        return ClaimRequest{player, chest, random_uuid_v4(), std::nullopt};
    }
    static ClaimError claim_error(Client &client, const ClaimRequest &request)
    {
        try {
            client.claim(request);
        } catch (const ClaimError &error) {
            return error;
        }
        ADD_FAILURE() << "expected a ClaimError";
        return ClaimError(ClaimErrorKind::internal, "none");
    }

    static std::string *dsn_;
};
std::string *ClientTest::dsn_ = nullptr;

TEST_F(ClientTest, ClaimsAndReplaysWithAnIdenticalRow)
{
    Client client(options());
    const ClaimRequest request{1001, 1, random_uuid_v4(), 42};
    const ClaimResult first = client.claim(request);
    EXPECT_EQ(first.status, ClaimStatus::claimed);
    EXPECT_FALSE(first.replayed);
    EXPECT_EQ(first.coins_awarded, 10);
    EXPECT_EQ(first.balance, 10);
    EXPECT_TRUE(first.claim_id.has_value());
    ASSERT_TRUE(first.claimed_at.has_value());
    EXPECT_EQ(first.claimed_at->size(), std::string("2024-01-01T00:00:00.000000Z").size()) << *first.claimed_at;
    EXPECT_EQ(first.path, PathKind::atomic);

    const ClaimResult again = client.claim(request);
    EXPECT_EQ(again.status, ClaimStatus::claimed);
    EXPECT_TRUE(again.replayed);
    EXPECT_EQ(again.claim_id, first.claim_id);
    EXPECT_EQ(again.coins_awarded, first.coins_awarded);
    EXPECT_EQ(again.balance, first.balance);
    EXPECT_EQ(again.claimed_at, first.claimed_at);
    EXPECT_EQ(query_value(*dsn_, "SELECT count(*) FROM treasure.claims WHERE player_id = 1001"), "1");
}

TEST_F(ClientTest, UppercaseRequestIdIsTheSameTap)
{
    Client client(options());
    ClaimRequest request = tap(1002, 1);
    client.claim(request);
    for (auto &c : request.request_id)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_TRUE(client.claim(request).replayed);
}

TEST_F(ClientTest, ASecondTapOnTheSameChestIsAlreadyClaimed)
{
    Client client(options());
    const ClaimResult first = client.claim(tap(1003, 1));
    const ClaimResult second = client.claim(tap(1003, 1));
    EXPECT_EQ(second.status, ClaimStatus::already_claimed);
    EXPECT_FALSE(second.replayed);
    EXPECT_EQ(second.coins_awarded, 0);
    EXPECT_EQ(second.claim_id, first.claim_id);
    EXPECT_EQ(second.balance, 10);
}

TEST_F(ClientTest, KeyRequiredThenClaimedWithTheKey)
{
    Client client(options());
    const ClaimResult locked = client.claim(tap(1004, 2));
    EXPECT_EQ(locked.status, ClaimStatus::key_required);
    EXPECT_FALSE(locked.claim_id.has_value());
    execute(*dsn_, "SELECT treasure.grant_item(1004, 'key', 1)");
    const ClaimResult opened = client.claim(tap(1004, 2));
    EXPECT_EQ(opened.status, ClaimStatus::claimed);
    EXPECT_EQ(opened.key_used, "key");
    EXPECT_EQ(opened.item_awarded, "gem");
    EXPECT_EQ(opened.item_qty, 2);
    EXPECT_EQ(opened.coins_awarded, 5);
}

TEST_F(ClientTest, ClosedChestIsChestClosed)
{
    Client client(options());
    EXPECT_EQ(client.claim(tap(1005, 3)).status, ClaimStatus::chest_closed);
}

TEST_F(ClientTest, UnknownChestIsP0002)
{
    Client client(options());
    const ClaimError error = claim_error(client, tap(1006, 999));
    EXPECT_EQ(error.kind(), ClaimErrorKind::unknown_chest);
    EXPECT_EQ(error.sqlstate(), "P0002");
    EXPECT_NE(std::string(error.what()).find("999"), std::string::npos) << error.what();
}

TEST_F(ClientTest, RequestIdReusedForAnotherChestIs23505)
{
    Client client(options());
    ClaimRequest request = tap(1007, 1);
    client.claim(request);
    request.chest_id = 5;
    const ClaimError error = claim_error(client, request);
    EXPECT_EQ(error.kind(), ClaimErrorKind::request_id_conflict);
    EXPECT_EQ(error.sqlstate(), "23505");
}

TEST_F(ClientTest, InvalidInputIsABadRequestBeforeAnyRoundTrip)
{
    Client client(options());
    EXPECT_EQ(claim_error(client, tap(0, 1)).kind(), ClaimErrorKind::bad_request);
    EXPECT_EQ(claim_error(client, tap(1, -5)).kind(), ClaimErrorKind::bad_request);
    EXPECT_EQ(claim_error(client, ClaimRequest{1, 1, "not-a-uuid", {}}).kind(), ClaimErrorKind::bad_request);
}

TEST_F(ClientTest, BalanceOverflowIsABadRequestWith22003)
{
    Client client(options());
    EXPECT_EQ(client.claim(tap(1008, 4)).status, ClaimStatus::claimed);
    const ClaimError error = claim_error(client, tap(1008, 5));
    EXPECT_EQ(error.kind(), ClaimErrorKind::bad_request);
    EXPECT_EQ(error.sqlstate(), "22003");
    EXPECT_EQ(query_value(*dsn_, "SELECT count(*) FROM treasure.claims WHERE player_id = 1008"), "1");
}

TEST_F(ClientTest, AnUnreachableDatabaseFailsAtStartWithTheReason)
{
    try {
        Client client(ClientOptions{testing::server_dsn() + " dbname=treasure_no_such_database", 1, RetryPolicy{}});
        FAIL() << "expected an exception";
    } catch (const std::runtime_error &error) {
        EXPECT_NE(std::string(error.what()).find("treasure_no_such_database"), std::string::npos) << error.what();
    }
}

// The point of the whole design: connections die mid-run (pg_terminate_backend from another session), the
// client retries with the same request_id, and every tap is credited exactly once.
TEST_F(ClientTest, TerminatedConnectionsStillCreditEveryClaimExactlyOnce)
{
    RetryPolicy patient;
    patient.max_attempts = 50;
    patient.deadline = std::chrono::seconds(60);
    Client client(ClientOptions{*dsn_ + " application_name=treasure_kill_test", 4, patient});

    constexpr int workers = 4;
    constexpr std::int64_t first_player = 500000;
    constexpr int min_claims_per_worker = 200;
    constexpr int min_kills = 40;  // about ten rounds of killing the whole pool
    testing::BackendKiller killer(*dsn_, "treasure_kill_test", min_kills);
    std::mutex mutex;
    std::map<std::int64_t, std::int64_t> expected_balance;
    std::set<std::string> request_ids;
    std::vector<std::string> failures;

    std::vector<std::thread> threads;
    for (int worker = 0; worker < workers; ++worker) {
        threads.emplace_back([&, worker] {
            for (int i = 0;; ++i) {
                if ((i >= min_claims_per_worker && killer.done()) || i >= 200000)
                    break;
                const std::int64_t player = first_player + worker * 100000 + i / 10;
                const std::int64_t chest = 101 + i % 10;  // chest n gives n coins
                const ClaimRequest request = tap(player, chest);
                try {
                    const ClaimResult result = client.claim(request);
                    std::lock_guard<std::mutex> lock(mutex);
                    if (result.status != ClaimStatus::claimed)
                        failures.push_back(std::string(to_string(result.status)) + " for " + request.request_id);
                    expected_balance[player] += chest;
                    request_ids.insert(request.request_id);
                } catch (const std::exception &error) {
                    std::lock_guard<std::mutex> lock(mutex);
                    failures.push_back(error.what());
                }
            }
        });
    }
    for (auto &thread : threads)
        thread.join();
    killer.stop();

    std::cout << "kills " << killer.kills() << ", retries " << client.stats().retries << ", reconnects "
              << client.stats().reconnects << ", claims " << request_ids.size() << "\n";
    ASSERT_TRUE(failures.empty()) << failures.size() << " claims failed, first: " << failures.front();
    EXPECT_GE(killer.kills(), min_kills);
    EXPECT_GT(client.stats().reconnects, 0u);

    testing::expect_paid_exactly_once(*dsn_,
                                      "player_id BETWEEN " + std::to_string(first_player) + " AND " +
                                          std::to_string(first_player + workers * 100000),
                                      request_ids, expected_balance);
}

}  // namespace
}  // namespace treasure
