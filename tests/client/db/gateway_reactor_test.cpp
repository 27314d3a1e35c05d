// treasure-gateway's --claim-io reactor (gateway/claim_reactor.hpp) in-process over real HTTP on a real database:
// the same answers as the worker path, a backend terminated mid-claim, the breaker, the drain with taps in flight.
#include <future>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "gateway/gateway.hpp"
#include "lib/uuid.hpp"
#include "support/prometheus_text.hpp"
#include "support/running_gateway.hpp"
#include "support/test_database.hpp"

namespace treasure {
namespace {

using testing::create_test_database;
using testing::execute;
using testing::query_value;
using testing::RunningGateway;

nlohmann::json tap(std::int64_t player, std::int64_t chest)
{
    return nlohmann::json{{"player_id", player}, {"chest_id", chest}, {"request_id", random_uuid_v4()}};
}

httplib::Result post(httplib::Client &http, const nlohmann::json &body)
{
    return http.Post("/v1/claims", body.dump(), "application/json");
}

double sample(RunningGateway &server, const std::string &key)
{
    auto response = server.http().Get("/metrics");
    if (!response || response->status != 200)
        return -1.0;
    const auto metrics = testing::parse_prometheus_text(response->body);
    const auto found = metrics.samples.find(key);
    return found == metrics.samples.end() ? 0.0 : found->second;
}

const std::string answered = R"(treasure_claim_reactor_taps_total{outcome="answered"})";
const std::string to_workers = R"(treasure_claim_reactor_taps_total{outcome="to_workers"})";

// The reactor opens its connections on its first tap (which the workers answer): claims for fresh players until
// one was answered on the I/O thread.
void warm_up(RunningGateway &server, std::int64_t first_player)
{
    for (int i = 0; i < 200 && sample(server, answered) < 1; ++i) {
        ASSERT_EQ(post(server.http(), tap(first_player + i, 1))->status, 200);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_GE(sample(server, answered), 1) << "the reactor never answered a tap";
}

class GatewayReactorTest : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        dsn_ = new std::string(create_test_database("treasure_gateway_reactor_test"));
        execute(*dsn_, "SELECT treasure.put_chest(1, 10);"
                       "SELECT treasure.put_chest(2, 5, 'gem', 2, 'key');"
                       "SELECT treasure.put_chest(3, 7, opens_at => now() - interval '2 hours', closes_at => now() - "
                       "interval '1 hour');"
                       "SELECT treasure.put_chest(4, 10); SELECT treasure.put_chest(5, 10);"
                       "SELECT treasure.put_chest(6, 10);");
    }
    static void TearDownTestSuite()
    {
        delete dsn_;
        dsn_ = nullptr;
    }
    static GatewayConfig config(GatewayConfig::ClaimIo claim_io)
    {
        GatewayConfig config;
        config.dsn = *dsn_;
        config.pool_size = 2;
        config.worker_threads = 4;
        config.saga = GatewayConfig::SagaMode::off;
        config.claim_io = claim_io;
        return config;
    }
    static std::string *dsn_;
};
std::string *GatewayReactorTest::dsn_ = nullptr;

// What a client sees of one answer, without what differs between two players' identical taps.
struct Seen {
    int status = 0;
    std::string replay_header;
    nlohmann::json body;
    bool operator==(const Seen &other) const
    {
        return status == other.status && replay_header == other.replay_header && body == other.body;
    }
};

void PrintTo(const Seen &seen, std::ostream *out)
{
    *out << seen.status << " [" << seen.replay_header << "] " << seen.body.dump();
}

// The same taps for one player: fresh, replay, already claimed, key required, closed, unknown chest (a SQLSTATE),
// a request_id reused for another player (a SQLSTATE).
std::vector<Seen> claim_every_outcome(httplib::Client &http, std::int64_t player)
{
    const nlohmann::json fresh = tap(player, 1);
    nlohmann::json reused = fresh;
    reused["player_id"] = player + 1;
    const std::vector<nlohmann::json> taps{
        fresh, fresh, tap(player, 1), tap(player, 2), tap(player, 3), tap(player, 404404), reused};
    std::vector<Seen> seen;
    for (const auto &body : taps) {
        auto response = post(http, body);
        if (!response) {
            seen.push_back(Seen{-1, "", nullptr});
            continue;
        }
        nlohmann::json answer = nlohmann::json::parse(response->body, nullptr, false);
        for (const char *differs : {"claim_id", "claimed_at", "player_id", "message"})
            answer.erase(differs);
        seen.push_back(Seen{response->status, response->get_header_value("Idempotency-Replay"), answer});
    }
    return seen;
}

TEST_F(GatewayReactorTest, AnswersAndMetricsEqualTheWorkerPaths)
{
    RunningGateway reactor(config(GatewayConfig::ClaimIo::reactor));
    RunningGateway workers(config(GatewayConfig::ClaimIo::workers));
    warm_up(reactor, 41000);
    const std::vector<std::string> counted{
        R"(treasure_claims_total{path="atomic",status="claimed"})",
        R"(treasure_claims_total{path="atomic",status="already_claimed"})",
        R"(treasure_claims_total{path="atomic",status="key_required"})",
        R"(treasure_claims_total{path="atomic",status="chest_closed"})",
        R"(treasure_claims_total{path="atomic",status="unknown_chest"})",
        R"(treasure_claims_total{path="atomic",status="request_id_conflict"})",
        R"(treasure_flag_evaluations_total{flag="atomic_claims",variant="on"})",
    };
    std::map<std::string, double> reactor_before, workers_before;
    for (const auto &key : counted) {
        reactor_before[key] = sample(reactor, key);
        workers_before[key] = sample(workers, key);
    }
    const double answered_before = sample(reactor, answered);
    const double to_workers_before = sample(reactor, to_workers);

    const auto on_reactor = claim_every_outcome(reactor.http(), 42001);
    const auto on_workers = claim_every_outcome(workers.http(), 42011);
    EXPECT_EQ(on_reactor, on_workers);
    ASSERT_EQ(on_reactor.size(), 7u);
    EXPECT_EQ(on_reactor[0].status, 200);
    EXPECT_EQ(on_reactor[1].replay_header, "true");
    EXPECT_EQ(on_reactor[2].status, 409);
    EXPECT_EQ(on_reactor[5].status, 404);

    for (const auto &key : counted)
        EXPECT_EQ(sample(reactor, key) - reactor_before[key], sample(workers, key) - workers_before[key]) << key;
    EXPECT_EQ(sample(reactor, answered) - answered_before, 5) << "the five answers that are rows";
    EXPECT_EQ(sample(reactor, to_workers) - to_workers_before, 2) << "the two SQLSTATEs, answered by the workers";
    EXPECT_EQ(sample(workers, answered), 0) << "--claim-io workers has no reactor";
}

TEST_F(GatewayReactorTest, ABackendTerminatedMidClaimStillGetsItsAnswerAndIsPaidOnce)
{
    RunningGateway server(config(GatewayConfig::ClaimIo::reactor));
    warm_up(server, 43000);
    constexpr std::int64_t player = 43500;
    ASSERT_EQ(post(server.http(), tap(player, 1))->status, 200);
    const double handed_back = sample(server, to_workers);

    pqxx::connection blocker(*dsn_);
    pqxx::work hold(blocker);
    hold.exec("SELECT balance FROM treasure.wallets WHERE player_id = " + std::to_string(player) + " FOR UPDATE");
    const nlohmann::json held_tap = tap(player, 4);
    auto in_flight = std::async(std::launch::async, [&server, held_tap] {
        auto response = post(*server.client(), held_tap);
        return response ? response->status : -1;
    });
    ASSERT_TRUE(testing::wait_for_a_lock_waiter(*dsn_)) << "the claim never reached the database";
    const std::string terminated = query_value(
        *dsn_, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND "
               "datname = current_database()");
    EXPECT_EQ(terminated, "1");
    hold.abort();

    EXPECT_EQ(in_flight.get(), 200);
    EXPECT_EQ(query_value(*dsn_, "SELECT count(*) FROM treasure.claims WHERE request_id = '" +
                                     held_tap["request_id"].get<std::string>() + "'"),
              "1");
    EXPECT_EQ(query_value(*dsn_, "SELECT balance FROM treasure.wallets WHERE player_id = " + std::to_string(player)),
              "20")
        << "paid once";
    EXPECT_EQ(sample(server, to_workers) - handed_back, 1) << "the reactor handed the tap to the workers";
    // The reactor opens a connection again and answers the next taps itself.
    const double answered_before = sample(server, answered);
    for (int i = 0; i < 200 && sample(server, answered) == answered_before; ++i) {
        ASSERT_EQ(post(server.http(), tap(43600 + i, 1))->status, 200);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_GT(sample(server, answered), answered_before);
}

// The reactor hands errors to the workers, whose Router counts them against the breaker: it opens as before.
TEST_F(GatewayReactorTest, ServerErrorsOpenTheBreaker)
{
    const std::string broken = create_test_database("treasure_gateway_reactor_broken_test");
    execute(broken, "SELECT treasure.put_chest(1, 10)");
    GatewayConfig fragile = config(GatewayConfig::ClaimIo::reactor);
    fragile.dsn = broken;
    fragile.breaker.min_calls = 3;
    RunningGateway server(fragile);
    warm_up(server, 44000);
    const double failures_before = sample(server, R"(treasure_claims_total{path="atomic",status="internal"})");
    const double handed_back = sample(server, to_workers);
    execute(broken, "DROP EXTENSION treasure CASCADE");

    int failed = 0;
    while (server.gateway().breaker().state() == CircuitState::closed && failed < 10) {
        auto response = post(server.http(), tap(44500 + failed, 1));
        ASSERT_TRUE(response);
        EXPECT_EQ(response->status, 500);
        ++failed;
    }
    EXPECT_EQ(server.gateway().breaker().state(), CircuitState::open);
    EXPECT_EQ(sample(server, to_workers) - handed_back, failed) << "every failure was the workers' to answer";
    auto refused = post(server.http(), tap(44600, 1));
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 503);
    EXPECT_EQ(nlohmann::json::parse(refused->body)["error"], "no_path");
    EXPECT_EQ(sample(server, R"(treasure_claims_total{path="atomic",status="internal"})") - failures_before, failed);
    EXPECT_EQ(sample(server, "treasure_circuit_state"), 1);
}

// stop() is what SIGTERM calls: the taps the reactor has in flight are answered and written, then serve() returns.
TEST_F(GatewayReactorTest, TheDrainAnswersTapsInFlightThenServeReturns)
{
    Gateway gateway(config(GatewayConfig::ClaimIo::reactor));
    const int port = gateway.bind("127.0.0.1", 0);
    auto served = std::async(std::launch::async, [&gateway] { gateway.serve(); });
    httplib::Client http("127.0.0.1", port);
    http.set_read_timeout(std::chrono::seconds(30));
    const auto reactor_answered = [&http] {
        auto response = http.Get("/metrics");
        return response ? testing::parse_prometheus_text(response->body).samples[answered] : -1.0;
    };
    for (int i = 0; i < 200 && reactor_answered() < 1; ++i) {
        ASSERT_EQ(post(http, tap(45000 + i, 1))->status, 200);
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const double answered_before = reactor_answered();
    ASSERT_GE(answered_before, 1);

    constexpr std::int64_t player = 45500;
    ASSERT_EQ(post(http, tap(player, 1))->status, 200);
    pqxx::connection blocker(*dsn_);
    pqxx::work hold(blocker);
    hold.exec("SELECT balance FROM treasure.wallets WHERE player_id = " + std::to_string(player) + " FOR UPDATE");
    std::vector<std::future<std::pair<int, std::string>>> in_flight;
    for (std::int64_t chest : {4, 5, 6})
        in_flight.push_back(std::async(std::launch::async, [port, chest] {
            httplib::Client client("127.0.0.1", port);
            client.set_read_timeout(std::chrono::seconds(30));
            auto response = post(client, tap(player, chest));
            return response ? std::make_pair(response->status, response->get_header_value("Connection"))
                            : std::make_pair(-1, std::string());
        }));
    ASSERT_TRUE(testing::wait_for_a_lock_waiter(*dsn_));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // all three sent

    gateway.stop();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the drain began before the database answers
    EXPECT_EQ(served.wait_for(std::chrono::milliseconds(0)), std::future_status::timeout)
        << "serve() returned with taps in flight";
    hold.abort();
    for (auto &answer : in_flight) {
        const auto [status, connection] = answer.get();
        EXPECT_EQ(status, 200);
        EXPECT_EQ(connection, "close");
    }
    EXPECT_EQ(served.wait_for(std::chrono::seconds(15)), std::future_status::ready) << "serve() did not return";
    EXPECT_EQ(query_value(*dsn_, "SELECT balance FROM treasure.wallets WHERE player_id = " + std::to_string(player)),
              "40");
}

}  // namespace
}  // namespace treasure
