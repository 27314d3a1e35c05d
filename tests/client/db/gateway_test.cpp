// treasure-gateway in-process over real HTTP on 127.0.0.1 (ephemeral port), backed by a real database.
#include "gateway/gateway.hpp"

#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "lib/uuid.hpp"
#include "support/prometheus_text.hpp"
#include "support/test_database.hpp"

namespace treasure {
namespace {

using testing::create_test_database;
using testing::execute;

// A gateway serving on a free port for the lifetime of the object.
class RunningGateway {
public:
    explicit RunningGateway(GatewayConfig config) : gateway_(std::move(config))
    {
        port_ = gateway_.bind("127.0.0.1", 0);
        thread_ = std::thread([this] { gateway_.serve(); });
        http_ = std::make_unique<httplib::Client>("127.0.0.1", port_);
        http_->set_read_timeout(std::chrono::seconds(30));
    }
    ~RunningGateway()
    {
        gateway_.stop();
        thread_.join();
    }
    httplib::Client &http() { return *http_; }
    Gateway &gateway() { return gateway_; }

    httplib::Result post_claim(const nlohmann::json &body, const httplib::Headers &headers = {})
    {
        return http_->Post("/v1/claims", headers, body.dump(), "application/json");
    }
    httplib::Result post_raw(const std::string &body) { return http_->Post("/v1/claims", body, "application/json"); }
    testing::PrometheusText metrics()
    {
        auto response = http_->Get("/metrics");
        EXPECT_TRUE(response);
        EXPECT_EQ(response->status, 200);
        return testing::parse_prometheus_text(response->body);
    }

private:
    Gateway gateway_;
    int port_ = 0;
    std::thread thread_;
    std::unique_ptr<httplib::Client> http_;
};

nlohmann::json tap(std::int64_t player, std::int64_t chest)
{
    return nlohmann::json{{"player_id", player}, {"chest_id", chest}, {"request_id", random_uuid_v4()}};
}

nlohmann::json body_of(const httplib::Result &response) { return nlohmann::json::parse(response->body); }

class GatewayTest : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        dsn_ = new std::string(create_test_database("treasure_gateway_test"));
        execute(*dsn_, "SELECT treasure.put_chest(1, 10);"
                       "SELECT treasure.put_chest(2, 5, 'gem', 2, 'key');"
                       "SELECT treasure.put_chest(3, 7, opens_at => now() - interval '2 hours', closes_at => now() - "
                       "interval '1 hour');");
    }
    static void TearDownTestSuite()
    {
        delete dsn_;
        dsn_ = nullptr;
    }
    static GatewayConfig config()
    {
        GatewayConfig config;
        config.dsn = *dsn_;
        config.pool_size = 2;
        config.worker_threads = 4;
        // These tests are about the atomic path and the 503 without a fallback; the saga fallback's own
        // tests start treasure-saga (tests/saga).
        config.saga = GatewayConfig::SagaMode::off;
        return config;
    }
    static std::string *dsn_;
};
std::string *GatewayTest::dsn_ = nullptr;

TEST_F(GatewayTest, ClaimedIs200AndAReplayCarriesTheReplayHeader)
{
    RunningGateway server(config());
    const auto request = tap(2001, 1);
    auto first = server.post_claim(request);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->status, 200);
    EXPECT_FALSE(first->has_header("Idempotency-Replay"));
    const auto fresh = body_of(first);
    EXPECT_EQ(fresh["status"], "claimed");
    EXPECT_EQ(fresh["replayed"], false);
    EXPECT_EQ(fresh["coins_awarded"], 10);
    EXPECT_EQ(fresh["balance"], 10);
    EXPECT_EQ(fresh["path"], "atomic");
    for (const char *column : {"claim_id", "item_awarded", "item_qty", "key_used", "claimed_at"})
        EXPECT_TRUE(fresh.contains(column)) << column;

    auto again = server.post_claim(request);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 200);
    EXPECT_EQ(again->get_header_value("Idempotency-Replay"), "true");
    auto replayed = body_of(again);
    EXPECT_EQ(replayed["replayed"], true);
    replayed["replayed"] = false;
    EXPECT_EQ(replayed, fresh) << "a replay returns the original row";
}

TEST_F(GatewayTest, IdempotencyKeyHeaderCarriesTheRequestId)
{
    RunningGateway server(config());
    const std::string key = random_uuid_v4();
    const nlohmann::json body{{"player_id", 2002}, {"chest_id", 1}};
    auto first = server.post_claim(body, {{"Idempotency-Key", key}});
    ASSERT_TRUE(first);
    EXPECT_EQ(first->status, 200);
    auto again = server.post_claim(body, {{"Idempotency-Key", key}});
    ASSERT_TRUE(again);
    EXPECT_EQ(again->get_header_value("Idempotency-Replay"), "true");

    auto mismatch = server.post_claim(tap(2002, 1), {{"Idempotency-Key", random_uuid_v4()}});
    ASSERT_TRUE(mismatch);
    EXPECT_EQ(mismatch->status, 400);
}

TEST_F(GatewayTest, OutcomesMapToStatusCodes)
{
    RunningGateway server(config());
    ASSERT_EQ(server.post_claim(tap(2003, 1))->status, 200);

    auto already = server.post_claim(tap(2003, 1));
    EXPECT_EQ(already->status, 409);
    EXPECT_EQ(body_of(already)["status"], "already_claimed");

    auto locked = server.post_claim(tap(2003, 2));
    EXPECT_EQ(locked->status, 422);
    EXPECT_EQ(body_of(locked)["status"], "key_required");

    auto closed = server.post_claim(tap(2003, 3));
    EXPECT_EQ(closed->status, 422);
    EXPECT_EQ(body_of(closed)["status"], "chest_closed");

    auto unknown = server.post_claim(tap(2003, 404404));
    EXPECT_EQ(unknown->status, 404);
    EXPECT_EQ(body_of(unknown)["error"], "unknown_chest");

    auto reused = tap(2004, 1);
    ASSERT_EQ(server.post_claim(reused)->status, 200);
    reused["player_id"] = 2005;
    auto conflict = server.post_claim(reused);
    EXPECT_EQ(conflict->status, 422);
    EXPECT_EQ(body_of(conflict)["error"], "request_id_conflict");
}

TEST_F(GatewayTest, MalformedRequestsAre400WithAReason)
{
    RunningGateway server(config());
    const std::string id = random_uuid_v4();
    const std::vector<std::pair<std::string, std::string>> cases{
        {"{not json", "not valid JSON"},
        {"[1, 2]", "JSON object"},
        {R"({"chest_id": 1, "request_id": ")" + id + R"("})", "player_id"},
        {R"({"player_id": 1, "request_id": ")" + id + R"("})", "chest_id"},
        {R"({"player_id": 1, "chest_id": 1})", "request_id"},
        {R"({"player_id": "1", "chest_id": 1, "request_id": ")" + id + R"("})", "integer"},
        {R"({"player_id": 1.5, "chest_id": 1, "request_id": ")" + id + R"("})", "integer"},
        {R"({"player_id": 1, "chest_id": 1, "request_id": 7})", "UUID"},
        {R"({"player_id": 1, "chest_id": 1, "request_id": "not-a-uuid"})", "UUID"},
        {R"({"player_id": 1, "chest_id": 1, "session_id": "x", "request_id": ")" + id + R"("})", "session_id"},
        {R"({"player_id": 18446744073709551615, "chest_id": 1, "request_id": ")" + id + R"("})", "64-bit"},
        {R"({"player_id": 0, "chest_id": 1, "request_id": ")" + id + R"("})", "player_id must be positive"},
        {R"({"player_id": 1, "chest_id": -3, "request_id": ")" + id + R"("})", "chest_id must be positive"},
    };
    for (const auto &[body, reason] : cases) {
        auto response = server.post_raw(body);
        ASSERT_TRUE(response) << body;
        EXPECT_EQ(response->status, 400) << body;
        const auto answer = body_of(response);
        EXPECT_EQ(answer["error"], "bad_request") << body;
        EXPECT_NE(answer["message"].get<std::string>().find(reason), std::string::npos)
            << body << " -> " << answer["message"];
    }
}

TEST_F(GatewayTest, BodyOver16KiBIs413)
{
    RunningGateway server(config());
    nlohmann::json body = tap(2006, 1);
    body["padding"] = std::string(16 * 1024, 'x');
    auto response = server.post_claim(body);
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 413);
    EXPECT_EQ(body_of(response)["error"], "payload_too_large");
    body.erase("padding");
    EXPECT_EQ(server.post_claim(body)->status, 200) << "the same tap without the padding goes through";
}

TEST_F(GatewayTest, HealthzAndUnknownRoutes)
{
    RunningGateway server(config());
    auto health = server.http().Get("/healthz");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
    EXPECT_EQ(body_of(health)["status"], "ok");
    EXPECT_EQ(body_of(health)["circuit"], "closed");
    auto missing = server.http().Get("/v2/nothing");
    ASSERT_TRUE(missing);
    EXPECT_EQ(missing->status, 404);
    EXPECT_EQ(body_of(missing)["error"], "not_found");
}

TEST_F(GatewayTest, PlayerEndpointReadsTheWallet)
{
    RunningGateway server(config());
    ASSERT_EQ(server.post_claim(tap(2007, 1))->status, 200);
    auto player = server.http().Get("/v1/players/2007");
    ASSERT_TRUE(player);
    EXPECT_EQ(player->status, 200);
    EXPECT_EQ(body_of(player)["balance"], 10);
    EXPECT_EQ(body_of(player)["claims"], 1);
    EXPECT_EQ(server.http().Get("/v1/players/987654321")->status, 404);
}

TEST_F(GatewayTest, MetricsParseAndCountEveryRequest)
{
    RunningGateway server(config());
    constexpr int claimed = 7;
    for (int i = 0; i < claimed; ++i)
        ASSERT_EQ(server.post_claim(tap(2100 + i, 1))->status, 200);
    ASSERT_EQ(server.post_claim(tap(2100, 1))->status, 409);
    ASSERT_EQ(server.post_claim(tap(2100, 404404))->status, 404);
    ASSERT_EQ(server.post_raw("{")->status, 400);

    const auto metrics = server.metrics();
    EXPECT_TRUE(metrics.bad_lines.empty()) << "not Prometheus text: " << metrics.bad_lines.front();
    EXPECT_EQ(metrics.types.at("treasure_claim_duration_seconds"), "histogram");
    EXPECT_EQ(metrics.types.at("treasure_claims_total"), "counter");
    EXPECT_EQ(metrics.types.at("treasure_circuit_state"), "gauge");
    EXPECT_EQ(metrics.types.at("treasure_circuit_transitions_total"), "counter");
    EXPECT_EQ(metrics.types.at("treasure_flag_evaluations_total"), "counter");

    auto sample = [&](const std::string &key) {
        auto found = metrics.samples.find(key);
        EXPECT_NE(found, metrics.samples.end()) << key;
        return found == metrics.samples.end() ? -1.0 : found->second;
    };
    EXPECT_EQ(sample(R"(treasure_claim_duration_seconds_count{path="atomic",status="claimed"})"), claimed);
    EXPECT_EQ(sample(R"(treasure_claims_total{path="atomic",status="claimed"})"), claimed);
    EXPECT_EQ(sample(R"(treasure_claim_duration_seconds_count{path="atomic",status="already_claimed"})"), 1);
    EXPECT_EQ(sample(R"(treasure_claim_duration_seconds_count{path="atomic",status="unknown_chest"})"), 1);
    EXPECT_EQ(sample(R"(treasure_claim_duration_seconds_count{path="none",status="bad_request"})"), 1);
    EXPECT_EQ(sample(R"(treasure_claim_duration_seconds_bucket{path="atomic",status="claimed",le="+Inf"})"), claimed);
    EXPECT_GE(sample(R"(treasure_claim_duration_seconds_bucket{path="atomic",status="claimed",le="2.5"})"),
              sample(R"(treasure_claim_duration_seconds_bucket{path="atomic",status="claimed",le="0.00025"})"))
        << "buckets span 0.25 ms to 2.5 s and are cumulative";
    EXPECT_EQ(sample(R"(treasure_flag_evaluations_total{flag="atomic_claims",variant="on"})"), claimed + 2);
    EXPECT_EQ(sample("treasure_circuit_state"), 0);
}

class FlagsFile {
public:
    FlagsFile()
    {
        char pattern[] = "/tmp/treasure-gateway-flags-XXXXXX";
        const int fd = ::mkstemp(pattern);
        EXPECT_GE(fd, 0);
        ::close(fd);
        path_ = pattern;
    }
    ~FlagsFile() { std::remove(path_.c_str()); }
    void write(const std::string &rule)
    {
        const std::string temporary = path_ + ".tmp";
        std::ofstream(temporary) << R"({"flags": {"atomic_claims": )" << rule << "}}";
        EXPECT_EQ(std::rename(temporary.c_str(), path_.c_str()), 0);
    }
    const std::string &path() const { return path_; }

private:
    std::string path_;
};

TEST_F(GatewayTest, SagaSideWithoutASagaPathIs503UntilTheFlagFlips)
{
    FlagsFile flags;
    flags.write(R"({"rule": "off"})");
    GatewayConfig with_flags = config();
    with_flags.flags_file = flags.path();
    RunningGateway server(with_flags);

    auto refused = server.post_claim(tap(2200, 1));
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 503);
    EXPECT_EQ(body_of(refused)["error"], "no_path");
    EXPECT_EQ(refused->get_header_value("Retry-After"), "1");

    flags.write(R"({"rule": "on"})");
    // The provider looks at the file every 200 ms; poll generously rather than assert a time.
    int status = 0;
    for (int attempt = 0; attempt < 100 && status != 200; ++attempt) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        status = server.post_claim(tap(2201 + attempt, 1))->status;
    }
    EXPECT_EQ(status, 200) << "the flip to on was not picked up without a restart";

    const auto metrics = server.metrics();
    EXPECT_GE(metrics.samples.at(R"(treasure_flag_evaluations_total{flag="atomic_claims",variant="off"})"), 1);
    EXPECT_GE(metrics.samples.at(R"(treasure_claims_total{path="none",status="no_path"})"), 1);
}

// A database that loses claim_treasure() under a running gateway: 500s, then the breaker opens and 503s.
TEST_F(GatewayTest, ServerErrorsAre500AndOpenTheBreaker)
{
    const std::string broken = create_test_database("treasure_gateway_broken_test");
    execute(broken, "SELECT treasure.put_chest(1, 10)");
    GatewayConfig fragile = config();
    fragile.dsn = broken;
    fragile.breaker.min_calls = 3;
    RunningGateway server(fragile);
    ASSERT_EQ(server.post_claim(tap(2300, 1))->status, 200);
    execute(broken, "DROP EXTENSION treasure CASCADE");

    for (int i = 0; i < 2; ++i) {
        auto failed = server.post_claim(tap(2301 + i, 1));
        ASSERT_TRUE(failed);
        EXPECT_EQ(failed->status, 500);
        EXPECT_EQ(body_of(failed)["error"], "internal");
    }
    // 2 failures in 3 calls: open.
    EXPECT_EQ(server.gateway().breaker().state(), CircuitState::open);
    auto refused = server.post_claim(tap(2310, 1));
    EXPECT_EQ(refused->status, 503);
    EXPECT_EQ(body_of(refused)["error"], "no_path");

    const auto metrics = server.metrics();
    EXPECT_EQ(metrics.samples.at("treasure_circuit_state"), 1);
    EXPECT_EQ(metrics.samples.at(R"(treasure_circuit_transitions_total{to="open"})"), 1);
    EXPECT_EQ(metrics.samples.at(R"(treasure_claims_total{path="atomic",status="internal"})"), 2);
}

}  // namespace
}  // namespace treasure
