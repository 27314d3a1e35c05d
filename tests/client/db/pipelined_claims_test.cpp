// treasure::PipelinedClaims (libpq's pipeline mode) against a real PostgreSQL: the same answers as treasure::Client
// for the same taps, errors that stay with their own tap, and connections killed mid-pipeline that never pay twice.
#include "lib/pipelined_claims.hpp"

#include <atomic>
#include <iostream>
#include <map>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "lib/claim_details_statements.hpp"
#include "lib/client.hpp"
#include "lib/uuid.hpp"
#include "support/paid_once.hpp"
#include "support/test_database.hpp"

namespace treasure {
namespace {

using testing::create_test_database;
using testing::execute;
using testing::query_value;

class PipelinedClaimsTest : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        dsn_ = new std::string(create_test_database("treasure_pipelined_claims_test"));
        execute(*dsn_, "SELECT treasure.put_chest(1, 10);"
                       "SELECT treasure.put_chest(2, 5, 'gem', 2, 'key');"
                       "SELECT treasure.put_chest(3, 7, closes_at => now() - interval '1 hour', opens_at => now() - "
                       "interval '2 hours');"
                       "SELECT treasure.put_chest(4, 9223372036854775000);"
                       "SELECT treasure.put_chest(5, 1000);"
                       "SELECT treasure.put_chest(6, 3, 'sword', 1);"
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
    static PipelinedClaimsOptions options(int depth = max_pipeline_depth, RetryPolicy retry = RetryPolicy{})
    {
        return PipelinedClaimsOptions{*dsn_, depth, retry};
    }

    static std::string *dsn_;
};
std::string *PipelinedClaimsTest::dsn_ = nullptr;

// Every kind of answer in one pipeline, each tap after the one it depends on, for players first..first+3.  The
// errors sit in the middle so that the taps after them show they were not disturbed.
std::vector<ClaimRequest> every_answer(std::int64_t first)
{
    const ClaimRequest fresh{first, 1, random_uuid_v4(), 7};
    ClaimRequest conflicting = fresh;
    conflicting.chest_id = 5;  // the same request_id for another chest: 23505
    return {
        fresh,
        fresh,                                           // replayed
        {first, 1, random_uuid_v4(), std::nullopt},      // already_claimed
        {first + 1, 4, random_uuid_v4(), std::nullopt},  // a balance near the bigint's top
        {first + 1, 5, random_uuid_v4(), std::nullopt},  // 22003: the balance would overflow
        {first, 999, random_uuid_v4(), std::nullopt},    // P0002: no such chest
        conflicting,
        {first, 2, random_uuid_v4(), std::nullopt},  // key_required
        {first, 3, random_uuid_v4(), std::nullopt},  // chest_closed
        {first + 2, 6, random_uuid_v4(), 9},         // an item
        {first + 3, 101, random_uuid_v4(), std::nullopt},
        {first, 5, random_uuid_v4(), std::nullopt},  // the player of the errors still claims
    };
}

// What must be equal between the two paths: everything but the ids and times the database draws afresh.
struct Answer {
    std::string status;
    bool replayed = false;
    std::int64_t coins_awarded = 0;
    std::optional<std::string> item_awarded;
    std::optional<std::int32_t> item_qty;
    std::optional<std::string> key_used;
    std::optional<std::int64_t> balance;
    bool has_claim_id = false;
    bool has_claimed_at = false;
    std::vector<ClaimAward> awards;
    std::string error_kind;
    std::string sqlstate;

    bool operator==(const Answer &other) const
    {
        return std::tie(status, replayed, coins_awarded, item_awarded, item_qty, key_used, balance, has_claim_id,
                        has_claimed_at, awards, error_kind,
                        sqlstate) == std::tie(other.status, other.replayed, other.coins_awarded, other.item_awarded,
                                              other.item_qty, other.key_used, other.balance, other.has_claim_id,
                                              other.has_claimed_at, other.awards, other.error_kind, other.sqlstate);
    }
};

std::ostream &operator<<(std::ostream &out, const Answer &answer)
{
    out << "{" << answer.status << (answer.replayed ? " replayed" : "") << " coins " << answer.coins_awarded
        << " balance " << (answer.balance ? std::to_string(*answer.balance) : "null") << " item "
        << answer.item_awarded.value_or("null") << " key " << answer.key_used.value_or("null") << " awards "
        << answer.awards.size();
    if (!answer.error_kind.empty())
        out << " error " << answer.error_kind << " " << answer.sqlstate;
    return out << "}";
}

Answer answer_of(const ClaimResult &result)
{
    return Answer{std::string(status_name(result)),
                  result.replayed,
                  result.coins_awarded,
                  result.item_awarded,
                  result.item_qty,
                  result.key_used,
                  result.balance,
                  result.claim_id.has_value(),
                  result.claimed_at.has_value(),
                  result.awards,
                  {},
                  {}};
}

Answer answer_of(const ClaimError &error)
{
    Answer answer;
    answer.error_kind = to_string(error.kind());
    answer.sqlstate = error.sqlstate();
    return answer;
}

Answer answer_of(const PipelinedOutcome &outcome)
{
    EXPECT_NE(outcome.result.has_value(), outcome.error.has_value()) << "exactly one of result and error";
    return outcome.result ? answer_of(*outcome.result) : answer_of(*outcome.error);
}

std::vector<ValidClaimRequest> valid(const std::vector<ClaimRequest> &requests)
{
    return std::vector<ValidClaimRequest>(requests.begin(), requests.end());
}

TEST_F(PipelinedClaimsTest, EveryAnswerIsTheUnpipelinedClientsAnswer)
{
    const auto pipelined_taps = every_answer(2001);
    PipelinedClaims pipelined(options());
    const auto outcomes = pipelined.claim_all(valid(pipelined_taps));
    ASSERT_EQ(outcomes.size(), pipelined_taps.size());

    const auto client_taps = every_answer(3001);
    Client client(ClientOptions{*dsn_, 1, RetryPolicy{}});
    for (std::size_t i = 0; i < client_taps.size(); ++i) {
        Answer expected;
        try {
            expected = answer_of(client.claim(client_taps[i]));
        } catch (const ClaimError &error) {
            expected = answer_of(error);
        }
        EXPECT_EQ(answer_of(outcomes[i]), expected) << "tap " << i;
    }

    // The answers themselves, so that two paths broken the same way cannot agree.
    const std::vector<std::string> expected_statuses = {"claimed",
                                                        "claimed",
                                                        "already_claimed",
                                                        "claimed",
                                                        "bad_request 22003",
                                                        "unknown_chest P0002",
                                                        "request_id_conflict 23505",
                                                        "key_required",
                                                        "chest_closed",
                                                        "claimed",
                                                        "claimed",
                                                        "claimed"};
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
        const auto &outcome = outcomes[i];
        const std::string seen = outcome.result
                                     ? std::string(status_name(*outcome.result))
                                     : std::string(to_string(outcome.error->kind())) + " " + outcome.error->sqlstate();
        EXPECT_EQ(seen, expected_statuses[i]) << "tap " << i;
    }
    ASSERT_TRUE(outcomes[0].result && outcomes[1].result);
    EXPECT_FALSE(outcomes[0].result->replayed);
    EXPECT_TRUE(outcomes[1].result->replayed);
    EXPECT_EQ(outcomes[1].result->claim_id, outcomes[0].result->claim_id) << "a replay is the same claim";
    EXPECT_EQ(outcomes[1].result->claimed_at, outcomes[0].result->claimed_at);
    ASSERT_TRUE(outcomes[11].result);
    EXPECT_EQ(outcomes[11].result->balance, 1010) << "chest 1 then chest 5, nothing of the failed taps";
    ASSERT_TRUE(outcomes[9].result);
    EXPECT_EQ(outcomes[9].result->item_awarded, "sword");
    EXPECT_EQ(query_value(*dsn_, "SELECT count(*) FROM treasure.claims WHERE player_id = 2002"), "1")
        << "the overflowing tap wrote nothing";
    EXPECT_EQ(pipelined.stats().retries, 0u);
}

TEST_F(PipelinedClaimsTest, ErrorsInTheMiddleOfAFullPipelineLeaveTheirNeighboursAlone)
{
    // 32 in flight: every third tap overflows a wallet (22003); the others each pay a fresh player.
    std::vector<ClaimRequest> taps;
    execute(*dsn_, "SELECT public.claim_treasure(4000, 4, gen_random_uuid())");
    for (int i = 0; i < 96; ++i)
        taps.push_back(i % 3 == 1 ? tap(4000, 5) : tap(4001 + i, 101 + i % 10));
    PipelinedClaims pipelined(options());
    const auto outcomes = pipelined.claim_all(valid(taps));
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
    EXPECT_EQ(query_value(*dsn_, "SELECT count(*) FROM treasure.claims WHERE player_id BETWEEN 4000 AND 4100"), "65");
    EXPECT_EQ(query_value(*dsn_, "SELECT sum(balance) FROM treasure.wallets WHERE player_id BETWEEN 4001 AND 4100"),
              std::to_string(paid));
}

TEST_F(PipelinedClaimsTest, TheLedgerAddsUpAfterManyPipelinedTaps)
{
    std::vector<ClaimRequest> taps;
    std::map<std::int64_t, std::int64_t> expected_balance;
    for (int i = 0; i < 400; ++i) {
        taps.push_back(tap(5000 + i / 10, 101 + i % 10));
        expected_balance[taps.back().player_id] += taps.back().chest_id;
    }
    // Each tap once more (a client's retry after a lost answer): replayed, not paid again.
    const std::size_t originals = taps.size();
    for (std::size_t i = 0; i < originals; i += 4)
        taps.push_back(taps[i]);
    PipelinedClaims pipelined(options(8));
    const auto outcomes = pipelined.claim_all(valid(taps));
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
        ASSERT_TRUE(outcomes[i].result) << "tap " << i << ": " << outcomes[i].error->what();
        EXPECT_EQ(outcomes[i].result->status, ClaimStatus::claimed);
        EXPECT_EQ(outcomes[i].result->replayed, i >= originals) << "tap " << i;
    }
    pqxx::connection connection(*dsn_);
    pqxx::nontransaction check(connection);
    const std::string range = "player_id BETWEEN 5000 AND 5039";
    EXPECT_EQ(check.exec("SELECT count(*) FROM treasure.claims WHERE " + range)[0][0].as<std::size_t>(), originals);
    EXPECT_EQ(check.exec("SELECT count(*) FROM treasure.claim_events WHERE " + range)[0][0].as<std::size_t>(),
              originals);
    std::map<std::int64_t, std::int64_t> balances;
    for (const auto &row : check.exec("SELECT player_id, balance FROM treasure.wallets WHERE " + range))
        balances[row[0].as<std::int64_t>()] = row[1].as<std::int64_t>();
    EXPECT_EQ(balances, expected_balance);
}

TEST_F(PipelinedClaimsTest, ADepthOutside1To32IsRefused)
{
    EXPECT_THROW(PipelinedClaims(options(0)), std::invalid_argument);
    EXPECT_THROW(PipelinedClaims(options(max_pipeline_depth + 1)), std::invalid_argument);
    PipelinedClaims one_at_a_time(options(1));
    const auto outcomes = one_at_a_time.claim_all(valid({tap(6000, 1), tap(6000, 101)}));
    ASSERT_TRUE(outcomes[1].result);
    EXPECT_EQ(outcomes[1].result->balance, 111);
}

TEST_F(PipelinedClaimsTest, AnUnreachableDatabaseFailsAtStartWithTheReason)
{
    try {
        PipelinedClaims pipelined(
            PipelinedClaimsOptions{testing::server_dsn() + " dbname=treasure_no_such_database", 4, RetryPolicy{}});
        FAIL() << "expected an exception";
    } catch (const std::runtime_error &error) {
        EXPECT_NE(std::string(error.what()).find("treasure_no_such_database"), std::string::npos) << error.what();
    }
}

// Connections killed with up to 32 taps in flight (pg_terminate_backend from another session): every tap whose
// Sync was not read goes again with its own request_id, and each is paid exactly once.
TEST_F(PipelinedClaimsTest, ConnectionsKilledMidPipelineNeverPayTwice)
{
    RetryPolicy patient;
    patient.max_attempts = 50;
    patient.deadline = std::chrono::seconds(60);
    PipelinedClaims pipelined(
        PipelinedClaimsOptions{*dsn_ + " application_name=treasure_pipelined_kill_test", max_pipeline_depth, patient});

    constexpr std::int64_t first_player = 700000;
    constexpr int min_kills = 20;
    testing::BackendKiller killer(*dsn_, "treasure_pipelined_kill_test", min_kills);

    std::set<std::string> request_ids;
    std::map<std::int64_t, std::int64_t> expected_balance;
    std::vector<std::string> failures;
    int replayed = 0;
    int taps = 0;
    while ((!killer.done() || taps < 2000) && taps < 200000) {
        std::vector<ClaimRequest> batch;
        for (int i = 0; i < 256; ++i, ++taps)
            batch.push_back(tap(first_player + taps / 10, 101 + taps % 10));
        const auto outcomes = pipelined.claim_all(valid(batch));
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

    std::cout << "kills " << killer.kills() << ", retries " << pipelined.stats().retries << ", reconnects "
              << pipelined.stats().reconnects << ", replayed " << replayed << ", claims " << request_ids.size() << "\n";
    ASSERT_TRUE(failures.empty()) << failures.size() << " claims failed, first: " << failures.front();
    EXPECT_GE(killer.kills(), min_kills);
    EXPECT_GT(pipelined.stats().reconnects, 0u);
    EXPECT_GT(pipelined.stats().retries, 0u) << "some taps were in flight when their connection died";

    testing::expect_paid_exactly_once(
        *dsn_, "player_id BETWEEN " + std::to_string(first_player) + " AND " + std::to_string(first_player + taps / 10),
        request_ids, expected_balance);
}

// As Client does (extension_update_test.cpp): no tap fails on the way down to 1.2.0, where claim_details() is
// dropped under the prepared statement, and a bundle's awards appear within claim_details_reprobe_interval on the
// way back up, on the same connection.
TEST(PipelinedExtensionUpdate, ClaimsAcrossADowngradeAndSeesBundleAwardsAfterTheUpgrade)
{
    const std::string dsn = create_test_database("treasure_pipelined_extension_update_test");
    execute(dsn, "SELECT treasure.put_chest(1, 10)");
    PipelinedClaims pipelined(PipelinedClaimsOptions{dsn, 8, RetryPolicy{}});
    const auto claim_all = [&pipelined](std::int64_t first_player, int taps, std::int64_t chest) {
        std::vector<ValidClaimRequest> requests;
        for (int i = 0; i < taps; ++i)
            requests.emplace_back(ClaimRequest{first_player + i, chest, random_uuid_v4(), std::nullopt});
        return pipelined.claim_all(requests);
    };
    for (const auto &outcome : claim_all(1, 8, 1))
        ASSERT_TRUE(outcome.result && outcome.result->status == ClaimStatus::claimed);
    const int pid = pipelined.backend_pid();

    execute(dsn, "ALTER EXTENSION treasure UPDATE TO '1.2.0'");
    for (const auto &outcome : claim_all(11, 8, 1)) {
        ASSERT_TRUE(outcome.result) << outcome.error->what();
        EXPECT_EQ(outcome.result->status, ClaimStatus::claimed);
    }
    EXPECT_EQ(pipelined.stats().retries, 0u) << "the statement asked again is not a retry";

    execute(dsn, "ALTER EXTENSION treasure UPDATE TO '1.3.0';"
                 "SELECT treasure.put_chest(2, 5, 'gem', 1);"
                 "SELECT treasure.put_chest_item(2, 'ruby', 2);");
    const auto deadline = std::chrono::steady_clock::now() + claim_details_reprobe_interval + std::chrono::seconds(2);
    bool ruby = false;
    for (std::int64_t player = 100; !ruby && std::chrono::steady_clock::now() < deadline; ++player) {
        const auto outcomes = claim_all(player, 1, 2);
        ASSERT_TRUE(outcomes[0].result) << outcomes[0].error->what();
        for (const ClaimAward &award : outcomes[0].result->awards)
            ruby = ruby || (award.item == "ruby" && award.qty == 2);
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    EXPECT_TRUE(ruby) << "the bundle's ruby within claim_details_reprobe_interval of the upgrade";
    EXPECT_EQ(pipelined.backend_pid(), pid) << "on the same connection";
    EXPECT_EQ(pipelined.stats().reconnects, 0u);
}

}  // namespace
}  // namespace treasure
