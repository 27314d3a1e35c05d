// Analytics reads without a replica (served by the primary, "no_replica") and with a replica that cannot be
// reached (the gateway still starts; reads go to the primary, "replica_unreachable"): the routes, their JSON,
// ordering, limits, time ranges and errors.  tests/client/db/replica_test.cpp covers a real standby.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lib/analytics_reader.hpp"
#include "lib/claim_error.hpp"
#include "lib/client.hpp"
#include "lib/uuid.hpp"
#include "support/prometheus_text.hpp"
#include "support/running_gateway.hpp"
#include "support/test_database.hpp"

namespace treasure {
namespace {

using testing::RunningGateway;

class AnalyticsTest : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        dsn_ = new std::string(testing::create_test_database("treasure_analytics_test"));
        // Players 1..3 claim chests 1..4 at fixed times through the real function, then the events are moved
        // to known instants so that the ranges below are exact.
        testing::execute(
            *dsn_, "SELECT treasure.put_chest(c, c * 10) FROM generate_series(1, 4) c;"
                   "SELECT claim_treasure(p, c, gen_random_uuid()) FROM generate_series(1, 3) p, "
                   "       generate_series(1, 4) c WHERE c <= p + 1;"
                   "UPDATE treasure.claim_events SET occurred_at = "
                   "       timestamptz '2026-01-01 00:00:00+00' + (player_id * 10 + chest_id) * interval '1 hour';");
        // Coins: player 1 chests 1-2 = 30; player 2 chests 1-3 = 60; player 3 chests 1-4 = 100.
    }
    static void TearDownTestSuite()
    {
        delete dsn_;
        dsn_ = nullptr;
    }
    static GatewayConfig config(const std::string &replica_dsn = "")
    {
        GatewayConfig config;
        config.dsn = *dsn_;
        config.replica_dsn = replica_dsn;
        config.pool_size = 2;
        config.worker_threads = 4;
        return config;
    }
    static std::string *dsn_;
};
std::string *AnalyticsTest::dsn_ = nullptr;

TEST_F(AnalyticsTest, StatsWithoutAReplicaComeFromThePrimaryAndSaySo)
{
    RunningGateway server(config());
    int status = 0;
    const auto stats = server.get_json("/v1/players/3/stats", &status);
    EXPECT_EQ(status, 200);
    EXPECT_EQ(stats["player_id"], 3);
    EXPECT_EQ(stats["balance"], 100);
    EXPECT_EQ(stats["claims"], 4);
    EXPECT_EQ(stats["coins_awarded"], 100);
    EXPECT_TRUE(stats["last_claim_at"].is_string());
    EXPECT_EQ(stats["served_by"], "primary");
    EXPECT_EQ(stats["lag_ms"], 0.0);
    EXPECT_EQ(stats["stale"], false);
    EXPECT_EQ(stats["fallback_reason"], "no_replica");

    // The original route is an alias.
    const auto alias = server.get_json("/v1/players/3", &status);
    EXPECT_EQ(status, 200);
    EXPECT_EQ(alias, stats);

    const auto unknown = server.get_json("/v1/players/999/stats", &status);
    EXPECT_EQ(status, 404);
    EXPECT_EQ(unknown["error"], "unknown_player");
    EXPECT_EQ(unknown["served_by"], "primary");

    const auto replica = server.get_json("/v1/replica", &status);
    EXPECT_EQ(status, 200);
    EXPECT_EQ(replica["configured"], false);
    EXPECT_EQ(replica["up"], false);
}

TEST_F(AnalyticsTest, EventsAreNewestFirstAndLimited)
{
    RunningGateway server(config());
    int status = 0;
    const auto all = server.get_json("/v1/players/3/events", &status);
    ASSERT_EQ(status, 200);
    EXPECT_EQ(all["player_id"], 3);
    ASSERT_EQ(all["events"].size(), 4u);
    const std::vector<int> chests{4, 3, 2, 1};
    for (std::size_t i = 0; i < chests.size(); ++i) {
        const auto &event = all["events"][i];
        EXPECT_EQ(event["chest_id"], chests[i]) << i;
        EXPECT_EQ(event["coins_awarded"], chests[i] * 10) << i;
        for (const char *field : {"event_id", "claim_id", "balance_after", "occurred_at"})
            EXPECT_TRUE(event.contains(field)) << field;
    }
    EXPECT_EQ(all["events"][0]["occurred_at"], "2026-01-02T10:00:00.000000Z");  // 1 Jan + 34 h
    EXPECT_EQ(all["served_by"], "primary");

    const auto two = server.get_json("/v1/players/3/events?limit=2", &status);
    ASSERT_EQ(status, 200);
    ASSERT_EQ(two["events"].size(), 2u);
    EXPECT_EQ(two["events"][0], all["events"][0]);
    EXPECT_EQ(two["events"][1], all["events"][1]);

    const auto none = server.get_json("/v1/players/999/events", &status);
    EXPECT_EQ(status, 200);
    EXPECT_TRUE(none["events"].empty());

    for (const char *bad : {"0", "1001", "-1", "x", "", "99999999999"}) {
        const auto error = server.get_json(std::string("/v1/players/3/events?limit=") + bad, &status);
        EXPECT_EQ(status, 400) << bad;
        EXPECT_EQ(error["error"], "bad_request") << bad;
    }
}

TEST_F(AnalyticsTest, LeaderboardRanksPlayersByCoinsInTheRange)
{
    RunningGateway server(config());
    int status = 0;
    const auto all = server.get_json("/v1/leaderboard?from=2026-01-01T00:00:00Z&to=2026-01-03T00:00:00Z", &status);
    ASSERT_EQ(status, 200) << all.dump();
    EXPECT_EQ(all["from"], "2026-01-01T00:00:00.000000Z");
    EXPECT_EQ(all["to"], "2026-01-03T00:00:00.000000Z");
    EXPECT_EQ(all["limit"], 10);
    ASSERT_EQ(all["players"].size(), 3u);
    EXPECT_EQ(all["players"][0],
              (nlohmann::json{{"rank", 1}, {"player_id", 3}, {"coins_awarded", 100}, {"claims", 4}}));
    EXPECT_EQ(all["players"][1], (nlohmann::json{{"rank", 2}, {"player_id", 2}, {"coins_awarded", 60}, {"claims", 3}}));
    EXPECT_EQ(all["players"][2], (nlohmann::json{{"rank", 3}, {"player_id", 1}, {"coins_awarded", 30}, {"claims", 2}}));
    EXPECT_EQ(all["served_by"], "primary");

    const auto top1 =
        server.get_json("/v1/leaderboard?from=2026-01-01T00:00:00Z&to=2026-01-03T00:00:00Z&limit=1", &status);
    ASSERT_EQ(top1["players"].size(), 1u);
    EXPECT_EQ(top1["players"][0]["player_id"], 3);

    // [from, to) is half-open: player 2's events are at 21..23 h, player 3's at 31..34 h.  From 22 h to 32 h:
    // player 2 chests 2,3 (20+30) and player 3 chest 1 (10); the event at exactly 32 h is excluded.
    const auto window = server.get_json("/v1/leaderboard?from=2026-01-01T22:00:00Z&to=2026-01-02T08:00:00Z", &status);
    ASSERT_EQ(status, 200);
    ASSERT_EQ(window["players"].size(), 2u);
    EXPECT_EQ(window["players"][0],
              (nlohmann::json{{"rank", 1}, {"player_id", 2}, {"coins_awarded", 50}, {"claims", 2}}));
    EXPECT_EQ(window["players"][1],
              (nlohmann::json{{"rank", 2}, {"player_id", 3}, {"coins_awarded", 10}, {"claims", 1}}));

    // Without a range: the last day before now, which holds none of these events.
    const auto recent = server.get_json("/v1/leaderboard", &status);
    EXPECT_EQ(status, 200);
    EXPECT_TRUE(recent["players"].empty());

    for (const char *bad : {"?from=yesterday-ish", "?to=2026-13-45", "?from=", "?limit=0"}) {
        const auto error = server.get_json(std::string("/v1/leaderboard") + bad, &status);
        EXPECT_EQ(status, 400) << bad;
        EXPECT_EQ(error["error"], "bad_request") << bad;
    }
}

TEST_F(AnalyticsTest, AnUnreachableReplicaDoesNotStopTheGatewayAndReadsGoToThePrimary)
{
    // A socket directory with no server: the lag monitor reports it down, the reads fall back.
    RunningGateway server(config("host=/nonexistent/treasure-replica port=5432 user=postgres dbname=x"));
    int status = 0;
    nlohmann::json replica;
    for (int i = 0; i < 100; ++i) {
        replica = server.get_json("/v1/replica", &status);
        if (replica["problem"].is_string())
            break;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ(replica["configured"], true);
    EXPECT_EQ(replica["up"], false);
    EXPECT_NE(replica["problem"].get<std::string>().find("unreachable"), std::string::npos) << replica.dump();

    const auto stats = server.get_json("/v1/players/2/stats", &status);
    EXPECT_EQ(status, 200);
    EXPECT_EQ(stats["balance"], 60);
    EXPECT_EQ(stats["served_by"], "primary");
    EXPECT_EQ(stats["fallback_reason"], "replica_unreachable");

    // Claims are unaffected.
    auto claim = server.http().Post(
        "/v1/claims", nlohmann::json{{"player_id", 50}, {"chest_id", 1}, {"request_id", random_uuid_v4()}}.dump(),
        "application/json");
    ASSERT_TRUE(claim);
    EXPECT_EQ(claim->status, 200);

    const auto metrics = testing::parse_prometheus_text(server.http().Get("/metrics")->body);
    EXPECT_TRUE(metrics.bad_lines.empty());
    EXPECT_EQ(metrics.samples.at("treasure_replica_up"), 0.0);
    EXPECT_GE(metrics.samples.at("treasure_analytics_fallbacks_total{reason=\"replica_unreachable\"}"), 1.0);
    EXPECT_GE(metrics.samples.at("treasure_analytics_reads_total{query=\"stats\",served_by=\"primary\"}"), 1.0);
    EXPECT_EQ(metrics.types.at("treasure_replica_lag_seconds"), "gauge");
    EXPECT_EQ(metrics.samples.at("treasure_replica_lag_seconds"), -1.0) << "unknown while the replica is down";
}

TEST_F(AnalyticsTest, TheReaderChecksLimitsAndNamesItsSessions)
{
    AnalyticsOptions options;
    options.primary_dsn = *dsn_;
    AnalyticsReader reader(options);
    const auto served = reader.player_stats(1);
    ASSERT_TRUE(served.value);
    EXPECT_EQ(served.value->balance, 30);
    EXPECT_EQ(served.origin.served_by, ReadSource::primary);
    EXPECT_THROW(reader.recent_events(1, 0), ClaimError);
    EXPECT_THROW(reader.leaderboard(std::nullopt, std::nullopt, AnalyticsReader::max_limit + 1), ClaimError);
    // The analytics session is named, so it can be told apart from the claim pool in pg_stat_activity.
    EXPECT_EQ(testing::query_value(*dsn_, "SELECT count(*) > 0 FROM pg_stat_activity WHERE application_name = "
                                          "'treasure-analytics' AND datname = current_database()"),
              "t");
}

}  // namespace
}  // namespace treasure
