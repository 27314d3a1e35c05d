// Analytics reads on a real streaming standby (started by tests/replica/replica_test.sh with replica_start, which
// sets TREASURE_REPLICA_DSN, and TREASURE_REPLICA_STOP_CMD / TREASURE_REPLICA_START_CMD to stop and restart
// it).  Without TREASURE_REPLICA_DSN every test here is skipped.
#include <cstdlib>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "lib/claim_error.hpp"
#include "lib/client.hpp"
#include "lib/uuid.hpp"
#include "support/prometheus_text.hpp"
#include "support/running_gateway.hpp"
#include "support/test_database.hpp"

namespace treasure {
namespace {

using Clock = std::chrono::steady_clock;
using testing::RunningGateway;

std::string environment(const char *name)
{
    const char *value = std::getenv(name);
    return value ? value : "";
}

// Polls condition every 10 ms until it holds or timeout passes; returns whether it held.
bool eventually(const std::function<bool()> &condition, std::chrono::milliseconds timeout = std::chrono::seconds(10))
{
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
        if (condition())
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return condition();
}

class ReplicaTest : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        if (environment("TREASURE_REPLICA_DSN").empty())
            return;
        primary_ = new std::string(testing::create_test_database("treasure_replica_test"));
        testing::execute(*primary_, "SELECT treasure.put_chest(c, 10) FROM generate_series(1, 50) c");
        replica_ = new std::string(environment("TREASURE_REPLICA_DSN") + " dbname=treasure_replica_test");
        // The new database reaches the standby through the WAL like everything else.
        ASSERT_TRUE(eventually([] {
            try {
                return testing::query_value(*replica_, "SELECT count(*) FROM treasure.chests") == "50";
            } catch (const std::exception &) {
                return false;
            }
        })) << "the test database did not appear on the replica";
    }
    static void TearDownTestSuite()
    {
        delete primary_;
        delete replica_;
        primary_ = replica_ = nullptr;
    }
    void SetUp() override
    {
        if (!replica_)
            GTEST_SKIP() << "TREASURE_REPLICA_DSN is not set (tests/replica/replica_test.sh starts a standby)";
    }
    static GatewayConfig config(std::chrono::milliseconds max_lag = std::chrono::milliseconds(1000))
    {
        GatewayConfig config;
        config.dsn = *primary_;
        config.replica_dsn = *replica_;
        config.replica_max_lag = max_lag;
        config.pool_size = 4;
        config.worker_threads = 8;
        return config;
    }
    static nlohmann::json claim(RunningGateway &server, std::int64_t player, std::int64_t chest, int *status)
    {
        auto response = server.http().Post(
            "/v1/claims",
            nlohmann::json{{"player_id", player}, {"chest_id", chest}, {"request_id", random_uuid_v4()}}.dump(),
            "application/json");
        *status = response ? response->status : -1;
        return response ? nlohmann::json::parse(response->body) : nlohmann::json();
    }
    // Waits until the lag monitor has seen the replica usable and within its bound.
    static bool replica_ready(RunningGateway &server)
    {
        return eventually([&server] {
            const auto lag = server.get_json("/v1/replica");
            return lag["up"] == true && lag["lag_ms"].is_number() && lag["lag_ms"] <= lag["max_lag_ms"];
        });
    }
    static std::string *primary_;
    static std::string *replica_;
};
std::string *ReplicaTest::primary_ = nullptr;
std::string *ReplicaTest::replica_ = nullptr;

TEST_F(ReplicaTest, TheReplicaIsAStandbyAndTheTestCanTellItFromThePrimary)
{
    EXPECT_EQ(testing::query_value(*replica_, "SELECT pg_is_in_recovery()"), "t");
    EXPECT_EQ(testing::query_value(*primary_, "SELECT pg_is_in_recovery()"), "f");
    // What a claim sent to the standby would produce: 25006 read_only_sql_transaction.  The gateway tests
    // below assert that no answer ever carries it.
    Client misdirected(ClientOptions{*replica_, 1, RetryPolicy{}});
    try {
        misdirected.claim(ClaimRequest{9999, 1, random_uuid_v4(), std::nullopt});
        FAIL() << "a standby accepted a claim";
    } catch (const ClaimError &error) {
        EXPECT_EQ(error.sqlstate(), "25006") << error.what();
    }
}

TEST_F(ReplicaTest, ClaimsGoToThePrimaryAndReadsComeFromTheReplica)
{
    RunningGateway server(config());
    ASSERT_TRUE(replica_ready(server));
    int status = 0;
    for (std::int64_t chest = 1; chest <= 5; ++chest) {
        const auto body = claim(server, 101, chest, &status);
        ASSERT_EQ(status, 200) << body.dump();
        EXPECT_EQ(body["path"], "atomic");
    }
    // Visible through the replica once replayed.
    nlohmann::json stats;
    ASSERT_TRUE(eventually([&] {
        stats = server.get_json("/v1/players/101/stats");
        return stats["served_by"] == "replica" && stats["balance"] == 50;
    })) << stats.dump();
    EXPECT_EQ(stats["claims"], 5);
    EXPECT_TRUE(stats["lag_ms"].is_number());
    EXPECT_EQ(stats["fallback_reason"], nullptr);

    const auto events = server.get_json("/v1/players/101/events?limit=3");
    EXPECT_EQ(events["served_by"], "replica");
    ASSERT_EQ(events["events"].size(), 3u);
    EXPECT_EQ(events["events"][0]["chest_id"], 5);
    const auto board = server.get_json("/v1/leaderboard?limit=1");
    EXPECT_EQ(board["served_by"], "replica");
    ASSERT_EQ(board["players"].size(), 1u);

    // Where each server's sessions come from: the analytics sessions are on the standby (which is in recovery,
    // so it could not have taken a write), the claims' rows exist on the primary.
    EXPECT_EQ(testing::query_value(
                  *replica_, "SELECT count(*) > 0 FROM pg_stat_activity WHERE application_name = 'treasure-analytics'"
                             " AND datname = current_database()"),
              "t");
    EXPECT_EQ(testing::query_value(
                  *replica_, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' AND "
                             "datname = current_database() AND pid <> pg_backend_pid() AND application_name NOT IN "
                             "('treasure-analytics', 'treasure-replica-lag')"),
              "0")
        << "only analytics and the lag probe connect to the replica";
    EXPECT_EQ(testing::query_value(*primary_, "SELECT count(*) FROM treasure.claims WHERE player_id = 101"), "5");

    const auto metrics = testing::parse_prometheus_text(server.http().Get("/metrics")->body);
    EXPECT_EQ(metrics.samples.at("treasure_replica_up"), 1.0);
    EXPECT_GE(metrics.samples.at("treasure_replica_lag_seconds"), 0.0);
    EXPECT_LT(metrics.samples.at("treasure_replica_lag_seconds"), 1.0);
    EXPECT_GE(metrics.samples.at("treasure_analytics_reads_total{query=\"stats\",served_by=\"replica\"}"), 1.0);
}

TEST_F(ReplicaTest, AnIdlePrimaryShowsNoLag)
{
    RunningGateway server(config());
    ASSERT_TRUE(replica_ready(server));
    // Nothing is written for a while: the lag stays near 0 (unlike now() - pg_last_xact_replay_timestamp()).
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    const auto lag = server.get_json("/v1/replica");
    EXPECT_EQ(lag["method"], "lsn");
    EXPECT_LT(lag["lag_ms"].get<double>(), 100.0) << lag.dump();
    EXPECT_EQ(server.get_json("/v1/players/101/stats")["served_by"], "replica");
}

TEST_F(ReplicaTest, PausedReplayMakesReadsFallBackToThePrimaryAndReportIt)
{
    RunningGateway server(config(std::chrono::milliseconds(200)));
    ASSERT_TRUE(replica_ready(server));
    testing::execute(*replica_, "SELECT pg_wal_replay_pause()");
    struct Resume {
        ~Resume() { testing::execute(*replica_, "SELECT pg_wal_replay_resume()"); }
    } resume;

    int status = 0;
    ASSERT_EQ(claim(server, 202, 1, &status)["status"], "claimed");
    // The write cannot be replayed: the measured lag grows past the bound and reads go to the primary, which
    // has the claim.
    nlohmann::json lag;
    ASSERT_TRUE(eventually([&] {
        lag = server.get_json("/v1/replica");
        return lag["lag_ms"].is_number() && lag["lag_ms"] > 200;
    })) << lag.dump();
    EXPECT_EQ(lag["replay_paused"], true);
    const auto stats = server.get_json("/v1/players/202/stats", &status);
    EXPECT_EQ(status, 200);
    EXPECT_EQ(stats["served_by"], "primary");
    EXPECT_EQ(stats["fallback_reason"], "replica_lag");
    EXPECT_EQ(stats["balance"], 10);
    EXPECT_EQ(testing::query_value(*replica_, "SELECT count(*) FROM treasure.wallets WHERE player_id = 202"), "0")
        << "the replica really is behind";
    const auto metrics = testing::parse_prometheus_text(server.http().Get("/metrics")->body);
    EXPECT_GT(metrics.samples.at("treasure_replica_lag_seconds"), 0.2);
    EXPECT_GE(metrics.samples.at("treasure_analytics_fallbacks_total{reason=\"replica_lag\"}"), 1.0);

    // Replay resumes: the replica catches up and serves again.
    testing::execute(*replica_, "SELECT pg_wal_replay_resume()");
    nlohmann::json again;
    ASSERT_TRUE(eventually([&] {
        again = server.get_json("/v1/players/202/stats");
        return again["served_by"] == "replica";
    })) << again.dump();
    EXPECT_EQ(again["balance"], 10);
}

TEST_F(ReplicaTest, AStoppedReplicaSendsReadsToThePrimaryAndClaimsNeverNoticeIt)
{
    const std::string stop = environment("TREASURE_REPLICA_STOP_CMD");
    const std::string start = environment("TREASURE_REPLICA_START_CMD");
    if (stop.empty() || start.empty())
        GTEST_SKIP() << "TREASURE_REPLICA_STOP_CMD / _START_CMD not set";
    RunningGateway server(config());
    ASSERT_TRUE(replica_ready(server));
    int status = 0;
    ASSERT_EQ(server.get_json("/v1/players/101/stats")["served_by"], "replica");

    ASSERT_EQ(std::system(stop.c_str()), 0) << stop;
    struct Restart {
        const std::string &command;
        bool done = false;
        ~Restart()
        {
            if (!done)
                (void) std::system(command.c_str());
        }
    } restart{start};

    // Reads right after the stop (before the monitor noticed) and after it: all answered by the primary.
    for (int i = 0; i < 20; ++i) {
        const auto stats = server.get_json("/v1/players/101/stats", &status);
        ASSERT_EQ(status, 200) << stats.dump();
        EXPECT_EQ(stats["served_by"], "primary");
        EXPECT_TRUE(stats["fallback_reason"] == "replica_unreachable" || stats["fallback_reason"] == "replica_error")
            << stats.dump();
        ASSERT_EQ(claim(server, 303, i + 1, &status)["status"], "claimed");
    }
    const auto lag = server.get_json("/v1/replica");
    EXPECT_EQ(lag["up"], false) << lag.dump();
    const auto metrics = testing::parse_prometheus_text(server.http().Get("/metrics")->body);
    EXPECT_EQ(metrics.samples.at("treasure_replica_up"), 0.0);

    ASSERT_EQ(std::system(start.c_str()), 0) << start;
    restart.done = true;
    nlohmann::json stats;
    ASSERT_TRUE(eventually(
        [&] {
            stats = server.get_json("/v1/players/303/stats");
            return stats["served_by"] == "replica" && stats["balance"] == 200;
        },
        std::chrono::seconds(30)))
        << stats.dump();
}

TEST_F(ReplicaTest, UnderConcurrentClaimsAndReadsNoClaimReachesTheReplica)
{
    RunningGateway server(config());
    ASSERT_TRUE(replica_ready(server));
    std::atomic<int> claimed{0}, read_only_errors{0}, other_failures{0}, replica_reads{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            auto http = server.client();
            for (int chest = 1; chest <= 50; ++chest) {
                const std::int64_t player = 400 + t;
                auto response = http->Post(
                    "/v1/claims",
                    nlohmann::json{{"player_id", player}, {"chest_id", chest}, {"request_id", random_uuid_v4()}}.dump(),
                    "application/json");
                if (!response) {
                    ++other_failures;
                    continue;
                }
                // (A 200's body may contain "25006" by chance, in claimed_at's microseconds: only errors count.)
                if (response->status != 200 && (response->body.find("25006") != std::string::npos ||
                                                response->body.find("read-only transaction") != std::string::npos))
                    ++read_only_errors;
                if (response->status == 200)
                    ++claimed;
                else
                    ++other_failures;
                auto read = http->Get(("/v1/players/" + std::to_string(player) + "/stats").c_str());
                if (read && read->status == 200 && nlohmann::json::parse(read->body)["served_by"] == "replica")
                    ++replica_reads;
            }
        });
    }
    for (auto &thread : threads)
        thread.join();
    EXPECT_EQ(read_only_errors.load(), 0);
    EXPECT_EQ(other_failures.load(), 0);
    EXPECT_EQ(claimed.load(), 200);
    EXPECT_GT(replica_reads.load(), 0);
    const auto metrics = testing::parse_prometheus_text(server.http().Get("/metrics")->body);
    EXPECT_EQ(metrics.samples.at("treasure_claims_total{path=\"atomic\",status=\"internal\"}"), 0.0);
    EXPECT_EQ(metrics.samples.at("treasure_claims_total{path=\"atomic\",status=\"claimed\"}"), 200.0);
    EXPECT_EQ(
        testing::query_value(*primary_, "SELECT count(*) FROM treasure.claims WHERE player_id BETWEEN 400 AND 403"),
        "200");
}

}  // namespace
}  // namespace treasure
