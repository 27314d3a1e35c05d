// treasure::BatchedClaims (treasure.claim_treasure_batch()) against a real PostgreSQL: the same answers as
// treasure::Client for the same taps claimed one by one in the batch's order, errors that stay with their own tap,
// and connections killed mid-batch that never pay twice.
#include "lib/batched_claims.hpp"

#include <algorithm>
#include <atomic>
#include <iostream>
#include <map>
#include <numeric>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "lib/client.hpp"
#include "lib/uuid.hpp"
#include "support/paid_once.hpp"
#include "support/test_database.hpp"

namespace treasure {
namespace {

using testing::create_test_database;
using testing::execute;
using testing::query_value;

class BatchedClaimsTest : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        dsn_ = new std::string(create_test_database("treasure_batched_claims_test"));
        execute(*dsn_, "SELECT treasure.put_chest(1, 10);"
                       "SELECT treasure.put_chest(2, 5, 'gem', 2, 'key');"
                       "SELECT treasure.put_chest(3, 7, closes_at => now() - interval '1 hour', opens_at => now() - "
                       "interval '2 hours');"
                       "SELECT treasure.put_chest(4, 9223372036854775000);"
                       "SELECT treasure.put_chest(5, 1000);"
                       "SELECT treasure.put_chest(6, 3, 'sword', 1);"
                       "SELECT treasure.put_chest_item(6, 'ruby', 2);"
                       "SELECT treasure.put_chest(id, id) FROM generate_series(101, 110) AS id;");
    }
    static void TearDownTestSuite()
    {
        delete dsn_;
        dsn_ = nullptr;
    }
    static ClaimRequest tap(std::int64_t player, std::int64_t chest)
    {
        return ClaimRequest{player, chest, random_uuid_v4(), std::nullopt};
    }

    static std::string *dsn_;
};
std::string *BatchedClaimsTest::dsn_ = nullptr;

// Every kind of answer in one batch for players first..first+3, the players interleaved so that the batch's
// order (player, then position) differs from the input's.
std::vector<ClaimRequest> every_answer(std::int64_t first)
{
    const ClaimRequest fresh{first, 1, random_uuid_v4(), 7};
    ClaimRequest conflicting = fresh;
    conflicting.chest_id = 5;  // the same request_id for another chest: 23505
    return {
        {first + 3, 101, random_uuid_v4(), std::nullopt},
        fresh,
        fresh,                                           // replayed, within the batch
        {first, 1, random_uuid_v4(), std::nullopt},      // already_claimed
        {first + 1, 4, random_uuid_v4(), std::nullopt},  // a balance near the bigint's top
        {first + 1, 5, random_uuid_v4(), std::nullopt},  // 22003: the balance would overflow
        {first, 999, random_uuid_v4(), std::nullopt},    // P0002: no such chest
        conflicting,
        {first, 2, random_uuid_v4(), std::nullopt},  // key_required
        {first, 3, random_uuid_v4(), std::nullopt},  // chest_closed
        {first + 2, 6, random_uuid_v4(), 9},         // an item and a bundle
        {first, 5, random_uuid_v4(), std::nullopt},  // the player of the errors still claims
    };
}

std::vector<ValidClaimRequest> valid(const std::vector<ClaimRequest> &requests)
{
    return std::vector<ValidClaimRequest>(requests.begin(), requests.end());
}

// What one tap answered, the ids and times the database draws afresh left out.
std::string answer_of(const ClaimResult &result)
{
    std::string awards;
    for (const ClaimAward &award : result.awards)
        awards += " " + award.item + "x" + std::to_string(award.qty) + "/" + award.source;
    return std::string(status_name(result)) + (result.replayed ? " replayed" : "") + " coins " +
           std::to_string(result.coins_awarded) + " balance " +
           (result.balance ? std::to_string(*result.balance) : "null") + " item " +
           result.item_awarded.value_or("null") + " key " + result.key_used.value_or("null") +
           (result.claim_id ? " with claim_id" : "") + (result.claimed_at ? " with claimed_at" : "") + awards;
}
std::string answer_of(const ClaimError &error) { return std::string(to_string(error.kind())) + " " + error.sqlstate(); }
std::string answer_of(const BatchedOutcome &outcome)
{
    EXPECT_NE(outcome.result.has_value(), outcome.error.has_value()) << "exactly one of result and error";
    return outcome.result ? answer_of(*outcome.result) : answer_of(*outcome.error);
}

TEST_F(BatchedClaimsTest, EveryAnswerIsTheClientsAnswerInTheBatchsOrder)
{
    const auto batch_taps = every_answer(2001);
    BatchedClaims batched(BatchedClaimsOptions{*dsn_, RetryPolicy{}});
    const auto outcomes = batched.claim_batch(valid(batch_taps));
    ASSERT_EQ(outcomes.size(), batch_taps.size());

    const auto client_taps = every_answer(3001);
    std::vector<std::size_t> order(client_taps.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::size_t a, std::size_t b) { return client_taps[a].player_id < client_taps[b].player_id; });
    std::vector<std::string> expected(client_taps.size());
    Client client(ClientOptions{*dsn_, 1, RetryPolicy{}});
    for (std::size_t i : order) {
        try {
            expected[i] = answer_of(client.claim(client_taps[i]));
        } catch (const ClaimError &error) {
            expected[i] = answer_of(error);
        }
    }
    for (std::size_t i = 0; i < outcomes.size(); ++i)
        EXPECT_EQ(answer_of(outcomes[i]), expected[i]) << "tap " << i;

    // The answers themselves, so that two paths broken the same way cannot agree.
    const std::vector<std::string> statuses = {"claimed",
                                               "claimed",
                                               "claimed",
                                               "already_claimed",
                                               "claimed",
                                               "bad_request 22003",
                                               "unknown_chest P0002",
                                               "request_id_conflict 23505",
                                               "key_required",
                                               "chest_closed",
                                               "claimed",
                                               "claimed"};
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
        const std::string seen =
            outcomes[i].result ? std::string(status_name(*outcomes[i].result)) : answer_of(*outcomes[i].error);
        EXPECT_EQ(seen, statuses[i]) << "tap " << i;
    }
    ASSERT_TRUE(outcomes[1].result && outcomes[2].result);
    EXPECT_FALSE(outcomes[1].result->replayed);
    EXPECT_TRUE(outcomes[2].result->replayed);
    EXPECT_EQ(outcomes[2].result->claim_id, outcomes[1].result->claim_id) << "a replay is the same claim";
    ASSERT_TRUE(outcomes[11].result);
    EXPECT_EQ(outcomes[11].result->balance, 1010) << "chest 1 then chest 5, nothing of the failed taps";
    ASSERT_TRUE(outcomes[10].result);
    EXPECT_EQ(outcomes[10].result->item_awarded, "sword");
    EXPECT_EQ(outcomes[10].result->awards.size(), 2u) << "claim_details(): the sword and the bundle's ruby";
    EXPECT_EQ(query_value(*dsn_, "SELECT count(*) FROM treasure.claims WHERE player_id = 2002"), "1")
        << "the overflowing tap wrote nothing";
    EXPECT_EQ(batched.stats().batches_sent, 1u);
    EXPECT_EQ(batched.stats().retries, 0u);
}

TEST_F(BatchedClaimsTest, ErrorsInAFullBatchLeaveTheirNeighboursAlone)
{
    execute(*dsn_, "SELECT public.claim_treasure(4000, 4, gen_random_uuid())");
    std::vector<ClaimRequest> taps;
    // Every third tap is player 4000's chest 5, which would overflow that wallet (22003) each time, since the
    // first attempt wrote nothing; the others each pay a fresh player.
    for (int i = 0; i < max_batch_taps; ++i)
        taps.push_back(i % 3 == 1 ? tap(4000, 5) : tap(4001 + i, 101 + i % 10));
    BatchedClaims batched(BatchedClaimsOptions{*dsn_, RetryPolicy{}});
    const auto outcomes = batched.claim_batch(valid(taps));
    std::int64_t paid = 0;
    for (std::size_t i = 0; i < taps.size(); ++i) {
        if (i % 3 == 1) {
            ASSERT_TRUE(outcomes[i].error) << "tap " << i;
            EXPECT_EQ(outcomes[i].error->sqlstate(), "22003");
        } else {
            ASSERT_TRUE(outcomes[i].result) << "tap " << i << ": " << outcomes[i].error->what();
            EXPECT_EQ(outcomes[i].result->status, ClaimStatus::claimed);
            EXPECT_EQ(outcomes[i].result->balance, taps[i].chest_id);
            paid += taps[i].chest_id;
        }
    }
    EXPECT_EQ(query_value(*dsn_, "SELECT count(*) FROM treasure.claims WHERE player_id BETWEEN 4000 AND 4100"), "22");
    EXPECT_EQ(query_value(*dsn_, "SELECT sum(balance) FROM treasure.wallets WHERE player_id BETWEEN 4001 AND 4100"),
              std::to_string(paid));
}

TEST_F(BatchedClaimsTest, ABatchOutside1To32IsRefusedBeforeAnythingIsSent)
{
    BatchedClaims batched(BatchedClaimsOptions{*dsn_, RetryPolicy{}});
    EXPECT_THROW(batched.claim_batch({}), std::invalid_argument);
    std::vector<ClaimRequest> too_many;
    for (int i = 0; i <= max_batch_taps; ++i)
        too_many.push_back(tap(6000 + i, 1));
    EXPECT_THROW(batched.claim_batch(valid(too_many)), std::invalid_argument);
    EXPECT_EQ(batched.stats().batches_sent, 0u);
    EXPECT_EQ(query_value(*dsn_, "SELECT count(*) FROM treasure.claims WHERE player_id BETWEEN 6000 AND 6100"), "0");
}

// Under REPEATABLE READ a tap whose chest a concurrent claim committed after the batch's snapshot answers 40001 in
// its row: only that tap is sent again (in a new transaction, where it is already_claimed); the tap that claimed
// keeps its first answer.
TEST_F(BatchedClaimsTest, OnlyTheTapsAnswered40001AreSentAgain)
{
    pqxx::connection holder(*dsn_);
    pqxx::work held(holder);
    held.exec("SELECT public.claim_treasure(8000, 1, gen_random_uuid())");  // uncommitted: the batch waits on it

    BatchedClaims batched(
        BatchedClaimsOptions{*dsn_ + " options='-c default_transaction_isolation=repeatable\\\\ read'", RetryPolicy{}});
    std::vector<BatchedOutcome> outcomes;
    std::thread batch([&] { outcomes = batched.claim_batch(valid({tap(7999, 101), tap(8000, 1)})); });
    const bool waited = testing::wait_for_a_lock_waiter(*dsn_);
    held.commit();
    batch.join();
    ASSERT_TRUE(waited) << "the batch never queued behind the held claim";

    ASSERT_EQ(outcomes.size(), 2u);
    ASSERT_TRUE(outcomes[0].result) << outcomes[0].error->what();
    EXPECT_EQ(outcomes[0].result->status, ClaimStatus::claimed);
    EXPECT_FALSE(outcomes[0].result->replayed) << "the first answer, not a replay from a resend of the whole batch";
    ASSERT_TRUE(outcomes[1].result) << outcomes[1].error->what();
    EXPECT_EQ(outcomes[1].result->status, ClaimStatus::already_claimed);
    EXPECT_EQ(batched.stats().batches_sent, 2u);
    EXPECT_EQ(batched.stats().retries, 1u);
    EXPECT_EQ(query_value(*dsn_, "SELECT count(*) FROM treasure.claims WHERE player_id IN (7999, 8000)"), "2");
}

// Connections killed while batches run (pg_terminate_backend from another session): every batch that failed is
// sent again whole with its request_ids, and each tap is paid exactly once.
TEST_F(BatchedClaimsTest, ConnectionsKilledMidBatchNeverPayTwice)
{
    RetryPolicy patient;
    patient.max_attempts = 50;
    patient.deadline = std::chrono::seconds(60);
    BatchedClaims batched(BatchedClaimsOptions{*dsn_ + " application_name=treasure_batched_kill_test", patient});

    constexpr std::int64_t first_player = 700000;
    constexpr int min_kills = 20;
    testing::BackendKiller killer(*dsn_, "treasure_batched_kill_test", min_kills);

    std::set<std::string> request_ids;
    std::map<std::int64_t, std::int64_t> expected_balance;
    std::vector<std::string> failures;
    int replayed = 0;
    int taps = 0;
    while ((!killer.done() || taps < 2000) && taps < 200000) {
        std::vector<ClaimRequest> batch;
        for (int i = 0; i < max_batch_taps; ++i, ++taps)
            batch.push_back(tap(first_player + taps / 10, 101 + taps % 10));
        const auto outcomes = batched.claim_batch(valid(batch));
        for (std::size_t i = 0; i < batch.size(); ++i) {
            if (!outcomes[i].result) {
                failures.push_back(outcomes[i].error->what());
                continue;
            }
            if (outcomes[i].result->status != ClaimStatus::claimed)
                failures.push_back(std::string(status_name(*outcomes[i].result)) + " for " + batch[i].request_id);
            replayed += outcomes[i].result->replayed;
            expected_balance[batch[i].player_id] += batch[i].chest_id;
            request_ids.insert(batch[i].request_id);
        }
    }
    killer.stop();

    std::cout << "kills " << killer.kills() << ", batches " << batched.stats().batches_sent << ", retries "
              << batched.stats().retries << ", reconnects " << batched.stats().reconnects << ", replayed " << replayed
              << ", claims " << request_ids.size() << "\n";
    ASSERT_TRUE(failures.empty()) << failures.size() << " claims failed, first: " << failures.front();
    EXPECT_GE(killer.kills(), min_kills);
    EXPECT_GT(batched.stats().reconnects, 0u);
    EXPECT_GT(batched.stats().retries, 0u) << "some batches were under way when their connection died";

    testing::expect_paid_exactly_once(
        *dsn_, "player_id BETWEEN " + std::to_string(first_player) + " AND " + std::to_string(first_player + taps / 10),
        request_ids, expected_balance);
}

}  // namespace
}  // namespace treasure
