// treasure-gateway's edge (issue 14) in-process over real HTTP, backed by a real database: every status the edge
// answers (200, 400, 401, 403, 429) with its headers and body, who may claim and read for whom, the refusals
// kept away from the database, the claim metrics and the breaker, key rotation and revocation by rewriting the
// files, and CORS.
#include <chrono>
#include <cmath>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "auth/jwt_signer.hpp"
#include "auth/unix_clock.hpp"
#include "lib/uuid.hpp"
#include "support/auth_test_keys.hpp"
#include "support/prometheus_text.hpp"
#include "support/running_gateway.hpp"
#include "support/test_database.hpp"

namespace treasure {
namespace {

using testing::RunningGateway;

constexpr int chest_count = 20;

nlohmann::json tap(std::int64_t player, std::int64_t chest)
{
    return nlohmann::json{{"player_id", player}, {"chest_id", chest}, {"request_id", random_uuid_v4()}};
}

httplib::Headers bearer(const std::string &token) { return {{"Authorization", "Bearer " + token}}; }

// Each key's text is "<name>-key" (write_keys()).
httplib::Headers api_key(const std::string &name) { return {{"X-Api-Key", name + "-key"}}; }

nlohmann::json body_of(const httplib::Result &response)
{
    return nlohmann::json::parse(response->body, nullptr, false);
}

httplib::Result post_claim(RunningGateway &server, const nlohmann::json &body, const httplib::Headers &headers)
{
    return server.http().Post("/v1/claims", headers, body.dump(), "application/json");
}

bool any_header_contains(const httplib::Response &response, const std::string &text)
{
    for (const auto &[name, value] : response.headers)
        if (value.find(text) != std::string::npos)
            return true;
    return false;
}

// Where a test key is, once written.
std::string key_file(const testing::TemporaryDirectory &directory, const std::string &name, const std::string &type)
{
    testing::write_private_key(directory.file(name), type);
    return directory.file(name);
}

// The suite's signers, made once: ec-1 (ES256) and rsa-1 (RS256) are in every test's JWKS, ec-2 only where a
// test rotates to it; the forger signs with ec-2's key under ec-1's kid (a signature that does not verify with
// the key the token names) and the stranger under a kid no JWKS lists.
struct SuiteKeys {
    testing::TemporaryDirectory directory;
    JwtSigner es256{key_file(directory, "ec.pem", "EC"), "ec-1", JwsAlg::es256};
    JwtSigner rs256{key_file(directory, "rsa.pem", "RSA"), "rsa-1", JwsAlg::rs256};
    JwtSigner second{key_file(directory, "ec2.pem", "EC"), "ec-2", JwsAlg::es256};
    JwtSigner forger{directory.file("ec2.pem"), "ec-1", JwsAlg::es256};
    JwtSigner stranger{directory.file("ec2.pem"), "ec-9", JwsAlg::es256};
};

class GatewayAuthTest : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        dsn_ = new std::string(testing::create_test_database("treasure_gateway_auth_test"));
        std::string chests;
        for (int chest = 1; chest <= chest_count; ++chest)
            chests += "SELECT treasure.put_chest(" + std::to_string(chest) + ", 10);";
        testing::execute(*dsn_, chests);
        keys_ = new SuiteKeys;
    }
    static void TearDownTestSuite()
    {
        delete keys_;
        delete dsn_;
        dsn_ = nullptr;
    }

    GatewayAuthTest()
    {
        write_jwks({&keys_->es256, &keys_->rs256});
        write_keys({{"claimer", "claim"}, {"reader", "read"}, {"scraper", "metrics"}, {"full", "claim\", \"read"}});
        edge.auth = "jwt,api-key";
        edge.jwks_path = files.file("jwks.json");
        edge.api_keys_path = files.file("keys.json");
    }

    void write_jwks(const std::vector<const JwtSigner *> &signers)
    {
        testing::write_file_atomically(files.file("jwks.json"), testing::jwks_of(signers));
    }
    // Each key's text is "<name>-key" (testing::api_keys_json).
    void write_keys(const std::vector<std::pair<std::string, std::string>> &keys)
    {
        testing::write_file_atomically(files.file("keys.json"), testing::api_keys_json(keys));
    }

    GatewayConfig config() const
    {
        GatewayConfig config;
        config.dsn = *dsn_;
        config.pool_size = 2;
        config.worker_threads = 4;
        config.saga = GatewayConfig::SagaMode::off;
        config.edge = edge;
        return config;
    }

    static std::string token(const JwtSigner &signer, std::int64_t player, std::int64_t issued_ago_s = 0)
    {
        return signer.mint(
            PlayerTokenClaims{player, SystemUnixClock::instance().now_seconds() - issued_ago_s, 3600, "", ""});
    }
    static long long claims_in_database()
    {
        return std::stoll(testing::query_value(*dsn_, "SELECT count(*) FROM treasure.claims"));
    }
    static bool has_claim(std::int64_t player, std::int64_t chest)
    {
        return testing::query_value(*dsn_,
                                    "SELECT count(*) FROM treasure.claims WHERE player_id = " + std::to_string(player) +
                                        " AND chest_id = " + std::to_string(chest)) == "1";
    }
    // /metrics read with the metrics-scoped key.
    static testing::PrometheusText metrics(RunningGateway &server)
    {
        auto response = server.http().Get("/metrics", api_key("scraper"));
        EXPECT_TRUE(response);
        if (!response)
            return {};
        EXPECT_EQ(response->status, 200) << response->body;
        auto parsed = testing::parse_prometheus_text(response->body);
        EXPECT_TRUE(parsed.bad_lines.empty()) << "not Prometheus text: " << parsed.bad_lines.front();
        return parsed;
    }
    static double sample(const testing::PrometheusText &metrics, const std::string &key)
    {
        const auto found = metrics.samples.find(key);
        EXPECT_NE(found, metrics.samples.end()) << key;
        return found == metrics.samples.end() ? -1.0 : found->second;
    }
    // The sum of every sample of a family (its name followed by '{', or alone).
    static double family_total(const testing::PrometheusText &metrics, const std::string &name)
    {
        double total = 0;
        for (const auto &[key, value] : metrics.samples)
            if (key == name || key.rfind(name + "{", 0) == 0)
                total += value;
        return total;
    }
    static std::string auth_failures(const std::string &reason)
    {
        return R"(treasure_auth_failures_total{reason=")" + reason + R"("})";
    }
    static std::string rate_limited(const std::string &scope)
    {
        return R"(treasure_rate_limited_total{scope=")" + scope + R"("})";
    }

    // A 401 with exactly {"error":"unauthenticated","reason":reason}, a challenge with or without
    // error="invalid_token", and the credential nowhere in the answer.
    static void expect_unauthenticated(const httplib::Result &response, const std::string &reason, bool invalid_token,
                                       const std::string &credential)
    {
        ASSERT_TRUE(response);
        EXPECT_EQ(response->status, 401) << response->body;
        EXPECT_EQ(body_of(response), (nlohmann::json{{"error", "unauthenticated"}, {"reason", reason}}));
        EXPECT_EQ(response->get_header_value("Content-Type").rfind("application/json", 0), 0u);
        ASSERT_TRUE(response->has_header("WWW-Authenticate"));
        const std::string challenge = response->get_header_value("WWW-Authenticate");
        EXPECT_EQ(challenge.rfind(R"(Bearer realm="treasure")", 0), 0u) << challenge;
        EXPECT_EQ(challenge.find(R"(error="invalid_token")") != std::string::npos, invalid_token) << challenge;
        if (!invalid_token) {
            EXPECT_EQ(challenge.find("error="), std::string::npos) << challenge;
        }
        if (!credential.empty()) {
            EXPECT_EQ(response->body.find(credential), std::string::npos) << "the credential is echoed";
            EXPECT_FALSE(any_header_contains(*response, credential)) << "the credential is echoed in a header";
            // Nor its signature alone (a token's distinctive part).
            const std::string tail = credential.substr(credential.rfind('.') + 1);
            if (tail.size() > 16) {
                EXPECT_EQ(response->body.find(tail), std::string::npos);
            }
        }
    }
    static void expect_forbidden(const httplib::Result &response, const std::string &reason)
    {
        ASSERT_TRUE(response);
        EXPECT_EQ(response->status, 403) << response->body;
        auto body = body_of(response);
        EXPECT_EQ(body["error"], "forbidden") << response->body;
        EXPECT_EQ(body["reason"], reason) << response->body;
        EXPECT_TRUE(body["message"].is_string()) << response->body;
        EXPECT_FALSE(response->has_header("WWW-Authenticate"));
    }
    // A 429 with Retry-After in whole seconds (>= 1, the ceiling of retry_after_ms) and exactly
    // {"error":"rate_limited","retry_after_ms":N}, 0 < N <= max_ms.
    static void expect_rate_limited(const httplib::Result &response, long long max_ms)
    {
        ASSERT_TRUE(response);
        EXPECT_EQ(response->status, 429) << response->body;
        auto body = body_of(response);
        ASSERT_TRUE(body.is_object()) << response->body;
        EXPECT_EQ(body.size(), 2u) << response->body;
        EXPECT_EQ(body["error"], "rate_limited");
        ASSERT_TRUE(body["retry_after_ms"].is_number_integer()) << response->body;
        const long long ms = body["retry_after_ms"].get<long long>();
        EXPECT_GT(ms, 0);
        EXPECT_LE(ms, max_ms);
        const std::string retry_after = response->get_header_value("Retry-After");
        ASSERT_FALSE(retry_after.empty());
        ASSERT_EQ(retry_after.find_first_not_of("0123456789"), std::string::npos) << retry_after;
        const long long seconds = std::stoll(retry_after);
        EXPECT_GE(seconds, 1);
        EXPECT_EQ(seconds, std::max(1LL, (ms + 999) / 1000)) << "Retry-After is retry_after_ms rounded up";
    }

    // Polls path with headers every 50 ms until it answers status; the time it took, or -1 ms after limit.
    static std::chrono::milliseconds time_until(RunningGateway &server, const std::string &path,
                                                const httplib::Headers &headers, int status,
                                                std::chrono::milliseconds limit = std::chrono::milliseconds(3000))
    {
        const auto start = std::chrono::steady_clock::now();
        while (std::chrono::steady_clock::now() - start < limit) {
            auto response = server.http().Get(path.c_str(), headers);
            if (response && response->status == status)
                return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        return std::chrono::milliseconds(-1);
    }

    testing::TemporaryDirectory files;
    EdgeOptions edge;
    static std::string *dsn_;
    static SuiteKeys *keys_;
};
std::string *GatewayAuthTest::dsn_ = nullptr;
SuiteKeys *GatewayAuthTest::keys_ = nullptr;

TEST_F(GatewayAuthTest, Es256AndRs256TokensClaimForTheirPlayer)
{
    RunningGateway server(config());
    for (const auto &[signer, player] :
         {std::pair<JwtSigner *, std::int64_t>{&keys_->es256, 5001}, {&keys_->rs256, 5002}}) {
        auto response = post_claim(server, tap(player, 1), bearer(token(*signer, player)));
        ASSERT_TRUE(response);
        EXPECT_EQ(response->status, 200) << response->body;
        auto body = body_of(response);
        EXPECT_EQ(body["status"], "claimed");
        EXPECT_EQ(body["coins_awarded"], 10);
        EXPECT_EQ(body["path"], "atomic");
        EXPECT_FALSE(response->has_header("WWW-Authenticate"));
        EXPECT_TRUE(has_claim(player, 1)) << player;
    }
}

TEST_F(GatewayAuthTest, ATokensClaimWithoutPlayerIdIsForTheTokensPlayer)
{
    RunningGateway server(config());
    const std::string request_id = random_uuid_v4();
    auto response = post_claim(server, nlohmann::json{{"chest_id", 1}, {"request_id", request_id}},
                               bearer(token(keys_->es256, 5003)));
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200) << response->body;
    EXPECT_EQ(body_of(response)["status"], "claimed");
    EXPECT_EQ(
        testing::query_value(*dsn_, "SELECT player_id FROM treasure.claims WHERE request_id = '" + request_id + "'"),
        "5003");
}

// The body's syntax (step 4) comes before authorization (step 5): an impossible player_id is a 400, whoever sends it.
TEST_F(GatewayAuthTest, AnImpossiblePlayerIdIs400BeforeAnyPlayerMismatch)
{
    RunningGateway server(config());
    for (const long long impossible : {-5LL, 0LL}) {
        auto response = post_claim(
            server, nlohmann::json{{"player_id", impossible}, {"chest_id", 1}, {"request_id", random_uuid_v4()}},
            bearer(token(keys_->es256, 5007)));
        ASSERT_TRUE(response);
        EXPECT_EQ(response->status, 400) << response->body;
        EXPECT_EQ(body_of(response)["error"], "bad_request") << response->body;
    }
    EXPECT_EQ(testing::query_value(*dsn_, "SELECT count(*) FROM treasure.claims WHERE player_id = 5007"), "0");
}

TEST_F(GatewayAuthTest, MissingCredentialsAre401WithAChallengeWithoutAnError)
{
    RunningGateway server(config());
    const long long before = claims_in_database();
    expect_unauthenticated(post_claim(server, tap(5004, 1), {}), "missing", false, "");
    expect_unauthenticated(server.http().Get("/v1/leaderboard"), "missing", false, "");
    expect_unauthenticated(server.http().Get("/v1/players/5001"), "missing", false, "");
    auto challenge = post_claim(server, tap(5004, 1), {})->get_header_value("WWW-Authenticate");
    EXPECT_NE(challenge.find(R"(ApiKey realm="treasure")"), std::string::npos) << "both kinds are on: " << challenge;
    EXPECT_EQ(claims_in_database(), before);
}

TEST_F(GatewayAuthTest, RefusedTokensAre401InvalidTokenAndAreNeverEchoed)
{
    RunningGateway server(config());
    const long long before = claims_in_database();
    const std::vector<std::pair<std::string, std::string>> cases{
        {token(keys_->forger, 5005), "bad_signature"},
        {token(keys_->es256, 5005, 7200), "expired"},  // exp an hour ago, far beyond the 30 s leeway
        {token(keys_->stranger, 5005), "unknown_key"},
        {testing::unsigned_token(R"({"alg":"none","kid":"ec-1"})", R"({"sub":"5005","exp":9999999999})"),
         "alg_not_allowed"},
        {"not.a-token.at-all", "malformed"},
    };
    for (const auto &[refused, reason] : cases) {
        SCOPED_TRACE(reason);
        expect_unauthenticated(post_claim(server, tap(5005, 1), bearer(refused)), reason, true, refused);
        expect_unauthenticated(server.http().Get("/v1/players/5005", bearer(refused)), reason, true, refused);
    }
    EXPECT_EQ(claims_in_database(), before);
    EXPECT_FALSE(has_claim(5005, 1));
}

TEST_F(GatewayAuthTest, AnUnknownApiKeyIs401WithoutInvalidToken)
{
    RunningGateway server(config());
    const long long before = claims_in_database();
    auto response = post_claim(server, tap(5006, 1), api_key("nobody"));
    expect_unauthenticated(response, "unknown_key", false, "nobody-key");
    EXPECT_NE(response->get_header_value("WWW-Authenticate").find(R"(ApiKey realm="treasure")"), std::string::npos);
    // Both a token and a key: ambiguous, never resolved by a preference.
    httplib::Headers both = bearer(token(keys_->es256, 5006));
    both.emplace("X-Api-Key", "claimer-key");
    auto ambiguous = post_claim(server, tap(5006, 1), both);
    ASSERT_TRUE(ambiguous);
    EXPECT_EQ(ambiguous->status, 401);
    EXPECT_EQ(body_of(ambiguous)["reason"], "ambiguous");
    EXPECT_NE(ambiguous->get_header_value("WWW-Authenticate").find(R"(error="invalid_request")"), std::string::npos);
    EXPECT_EQ(claims_in_database(), before);
}

TEST_F(GatewayAuthTest, APlayerClaimsAndReadsOnlyForItself)
{
    RunningGateway server(config());
    const auto own = bearer(token(keys_->es256, 5010));
    expect_forbidden(post_claim(server, tap(5011, 1), own), "player_mismatch");
    EXPECT_FALSE(has_claim(5011, 1)) << "the other player's claim reached the database";
    EXPECT_FALSE(has_claim(5010, 1));

    auto claimed = post_claim(server, tap(5010, 1), own);
    ASSERT_TRUE(claimed);
    EXPECT_EQ(claimed->status, 200) << claimed->body;
    EXPECT_TRUE(has_claim(5010, 1));

    auto wallet = server.http().Get("/v1/players/5010", own);
    ASSERT_TRUE(wallet);
    EXPECT_EQ(wallet->status, 200) << wallet->body;
    EXPECT_EQ(body_of(wallet)["balance"], 10);
    EXPECT_EQ(body_of(wallet)["claims"], 1);
    auto events = server.http().Get("/v1/players/5010/events", own);
    ASSERT_TRUE(events);
    EXPECT_EQ(events->status, 200) << events->body;

    // Another player's wallet, existing or not: 403 either way, never 404.
    ASSERT_EQ(post_claim(server, tap(5012, 1), bearer(token(keys_->rs256, 5012)))->status, 200);
    expect_forbidden(server.http().Get("/v1/players/5012", own), "player_mismatch");
    expect_forbidden(server.http().Get("/v1/players/5012/events", own), "player_mismatch");
    expect_forbidden(server.http().Get("/v1/players/987654321", own), "player_mismatch");

    // The leaderboard is for any player, with a wallet or not, ES256 or RS256.
    for (const auto &reader : {own, bearer(token(keys_->rs256, 5999))}) {
        auto board = server.http().Get("/v1/leaderboard", reader);
        ASSERT_TRUE(board);
        EXPECT_EQ(board->status, 200) << board->body;
        EXPECT_TRUE(body_of(board).is_object()) << board->body;
    }
}

TEST_F(GatewayAuthTest, ApiKeysAreConfinedToTheirScopes)
{
    RunningGateway server(config());
    auto claimed = post_claim(server, tap(5020, 1), api_key("claimer"));
    ASSERT_TRUE(claimed);
    EXPECT_EQ(claimed->status, 200) << claimed->body;
    EXPECT_TRUE(has_claim(5020, 1));

    // A key without "claim".
    expect_forbidden(post_claim(server, tap(5021, 1), api_key("reader")), "missing_scope");
    EXPECT_FALSE(has_claim(5021, 1));

    // A key's claim must name its player.
    const long long before = claims_in_database();
    auto unnamed =
        post_claim(server, nlohmann::json{{"chest_id", 2}, {"request_id", random_uuid_v4()}}, api_key("claimer"));
    ASSERT_TRUE(unnamed);
    EXPECT_EQ(unnamed->status, 400) << unnamed->body;
    EXPECT_EQ(body_of(unnamed)["error"], "bad_request");
    EXPECT_NE(body_of(unnamed)["message"].get<std::string>().find("player_id"), std::string::npos) << unnamed->body;
    EXPECT_EQ(claims_in_database(), before);

    // Reads need "read".
    expect_forbidden(server.http().Get("/v1/players/5020", api_key("claimer")), "missing_scope");
    expect_forbidden(server.http().Get("/v1/leaderboard", api_key("claimer")), "missing_scope");
    expect_forbidden(server.http().Get("/v1/players/5020", api_key("scraper")), "missing_scope");
    for (const char *reader : {"reader", "full"}) {
        auto wallet = server.http().Get("/v1/players/5020", api_key(reader));
        ASSERT_TRUE(wallet);
        EXPECT_EQ(wallet->status, 200) << reader << ": " << wallet->body;
        EXPECT_EQ(body_of(wallet)["balance"], 10);
        auto board = server.http().Get("/v1/leaderboard", api_key(reader));
        ASSERT_TRUE(board);
        EXPECT_EQ(board->status, 200) << reader << ": " << board->body;
    }
}

TEST_F(GatewayAuthTest, HealthzIsOpenAndMetricsNeedsAMetricsScopedKey)
{
    RunningGateway server(config());
    int status = 0;
    EXPECT_EQ(server.get_json("/healthz", &status)["status"], "ok") << "no credentials needed";
    EXPECT_EQ(status, 200);

    expect_unauthenticated(server.http().Get("/metrics"), "missing", false, "");
    expect_forbidden(server.http().Get("/metrics", bearer(token(keys_->es256, 5030))), "missing_scope");
    expect_forbidden(server.http().Get("/metrics", api_key("full")), "missing_scope");
    const auto scraped = metrics(server);
    EXPECT_EQ(scraped.types.at("treasure_auth_failures_total"), "counter");
    EXPECT_EQ(scraped.types.at("treasure_rate_limited_total"), "counter");
    EXPECT_EQ(scraped.types.at("treasure_claims_total"), "counter");
    EXPECT_EQ(sample(scraped, auth_failures("missing")), 1);
    EXPECT_EQ(sample(scraped, auth_failures("missing_scope")), 2);
}

TEST_F(GatewayAuthTest, PerPlayerLimitIs429WithRetryAfterWhateverTheCredential)
{
    edge.rate_per_player = "0.1:2";  // slow enough that no token comes back during the test
    RunningGateway server(config());
    const auto player = bearer(token(keys_->es256, 5040));
    ASSERT_EQ(post_claim(server, tap(5040, 1), player)->status, 200);
    ASSERT_EQ(post_claim(server, tap(5040, 2), player)->status, 200);
    const long long before = claims_in_database();
    expect_rate_limited(post_claim(server, tap(5040, 3), player), 10000);
    // The limit is the player's, not the token's: a game server claiming for 5040 is limited too.
    expect_rate_limited(post_claim(server, tap(5040, 4), api_key("claimer")), 10000);
    EXPECT_EQ(claims_in_database(), before);
    EXPECT_FALSE(has_claim(5040, 3));
    EXPECT_FALSE(has_claim(5040, 4));
    // Another player has a bucket of its own.
    EXPECT_EQ(post_claim(server, tap(5041, 3), bearer(token(keys_->rs256, 5041)))->status, 200);

    const auto scraped = metrics(server);
    EXPECT_EQ(sample(scraped, rate_limited("player")), 2);
    EXPECT_EQ(sample(scraped, rate_limited("client")), 0);
    EXPECT_EQ(sample(scraped, R"(treasure_claims_total{path="atomic",status="claimed"})"), 3);
    EXPECT_EQ(family_total(scraped, "treasure_claims_total"), 3) << "a 429 is not a claim";
}

TEST_F(GatewayAuthTest, PerClientLimitIs429PerApiKeyAndPerAddressForPlayers)
{
    edge.rate_per_client = "0.1:3";
    RunningGateway server(config());
    for (int i = 0; i < 3; ++i)
        ASSERT_EQ(post_claim(server, tap(5050 + i, 1), api_key("claimer"))->status, 200) << i;
    const long long before = claims_in_database();
    expect_rate_limited(post_claim(server, tap(5053, 1), api_key("claimer")), 10000);
    EXPECT_FALSE(has_claim(5053, 1));
    // Reads count against the same bucket.
    expect_rate_limited(server.http().Get("/v1/leaderboard", api_key("claimer")), 10000);
    EXPECT_EQ(claims_in_database(), before);
    // Another key has its own bucket.
    EXPECT_EQ(post_claim(server, tap(5053, 1), api_key("full"))->status, 200);

    // Player tokens share their address's bucket (all of them come from 127.0.0.1 here), whoever the player.
    for (int i = 0; i < 3; ++i)
        ASSERT_EQ(post_claim(server, tap(5060 + i, 1), bearer(token(keys_->es256, 5060 + i)))->status, 200) << i;
    expect_rate_limited(post_claim(server, tap(5063, 1), bearer(token(keys_->es256, 5063))), 10000);
    EXPECT_FALSE(has_claim(5063, 1));

    const auto scraped = metrics(server);
    EXPECT_EQ(sample(scraped, rate_limited("client")), 3);
    EXPECT_EQ(sample(scraped, rate_limited("player")), 0);
    EXPECT_EQ(family_total(scraped, "treasure_claims_total"), 7);
}

TEST_F(GatewayAuthTest, EdgeRefusalsNeverReachTheDatabaseNorTheClaimMetrics)
{
    edge.rate_per_player = "0.01:1";
    RunningGateway server(config());
    ASSERT_EQ(post_claim(server, tap(5070, 1), bearer(token(keys_->es256, 5070)))->status, 200);
    const long long before = claims_in_database();

    const std::vector<std::pair<httplib::Headers, int>> refusals{
        {{}, 401},                                         // missing
        {{{"Authorization", "Basic dXNlcjpwYXNz"}}, 401},  // a scheme that is not Bearer: malformed
        {bearer(token(keys_->forger, 5071)), 401},         // bad_signature
        {bearer(token(keys_->es256, 5071, 7200)), 401},    // expired
        {bearer(token(keys_->stranger, 5071)), 401},       // unknown_key
        {api_key("nobody"), 401},                          // unknown_key
        {bearer(token(keys_->es256, 5072)), 403},          // player_mismatch
        {api_key("reader"), 403},                          // missing_scope
    };
    for (const auto &[headers, status] : refusals) {
        auto response = post_claim(server, tap(5071, 1), headers);
        ASSERT_TRUE(response);
        EXPECT_EQ(response->status, status) << response->body;
    }
    auto unnamed =
        post_claim(server, nlohmann::json{{"chest_id", 1}, {"request_id", random_uuid_v4()}}, api_key("claimer"));
    EXPECT_EQ(unnamed->status, 400) << unnamed->body;
    auto limited = post_claim(server, tap(5070, 2), bearer(token(keys_->es256, 5070)));
    EXPECT_EQ(limited->status, 429) << limited->body;

    EXPECT_EQ(claims_in_database(), before) << "an edge refusal reached the database";
    EXPECT_FALSE(has_claim(5071, 1));
    EXPECT_FALSE(has_claim(5070, 2));
    const auto scraped = metrics(server);
    EXPECT_EQ(family_total(scraped, "treasure_claims_total"), 1) << "only the first claim is a claim";
    EXPECT_EQ(family_total(scraped, "treasure_claim_duration_seconds_count"), 1);
    EXPECT_EQ(sample(scraped, auth_failures("missing")), 1);
    EXPECT_EQ(sample(scraped, auth_failures("malformed")), 1);
    EXPECT_EQ(sample(scraped, auth_failures("bad_signature")), 1);
    EXPECT_EQ(sample(scraped, auth_failures("expired")), 1);
    EXPECT_EQ(sample(scraped, auth_failures("unknown_key")), 2);
    EXPECT_EQ(sample(scraped, auth_failures("player_mismatch")), 1);
    EXPECT_EQ(sample(scraped, auth_failures("missing_scope")), 1);
    EXPECT_EQ(family_total(scraped, "treasure_auth_failures_total"), 8);
    EXPECT_EQ(sample(scraped, rate_limited("player")), 1);
    EXPECT_EQ(sample(scraped, rate_limited("client")), 0);
}

TEST_F(GatewayAuthTest, AFloodOf401sLeavesTheBreakerClosed)
{
    GatewayConfig fragile = config();
    fragile.breaker.min_calls = 3;  // three failures would open it
    RunningGateway server(fragile);
    const auto forged = bearer(token(keys_->forger, 5080));
    for (int i = 0; i < 100; ++i) {
        auto response = post_claim(server, tap(5080, 1 + i % chest_count), forged);
        ASSERT_TRUE(response);
        ASSERT_EQ(response->status, 401) << i;
    }
    EXPECT_EQ(server.gateway().breaker().state(), CircuitState::closed);
    auto health = server.http().Get("/healthz");
    EXPECT_EQ(body_of(health)["circuit"], "closed");
    auto claimed = post_claim(server, tap(5080, 1), bearer(token(keys_->es256, 5080)));
    ASSERT_TRUE(claimed);
    EXPECT_EQ(claimed->status, 200) << claimed->body;
    EXPECT_EQ(body_of(claimed)["path"], "atomic");
    const auto scraped = metrics(server);
    EXPECT_EQ(sample(scraped, "treasure_circuit_state"), 0);
    EXPECT_EQ(family_total(scraped, "treasure_circuit_transitions_total"), 0);
    EXPECT_EQ(sample(scraped, auth_failures("bad_signature")), 100);
}

TEST_F(GatewayAuthTest, RewritingTheJwksRotatesKeysWithinASecond)
{
    write_jwks({&keys_->es256, &keys_->second});
    RunningGateway server(config());
    const auto retiring = bearer(token(keys_->second, 5090));
    const auto staying = bearer(token(keys_->es256, 5091));
    const auto arriving = bearer(token(keys_->rs256, 5092));
    ASSERT_EQ(server.http().Get("/v1/leaderboard", retiring)->status, 200);  // now cached as verified
    ASSERT_EQ(server.http().Get("/v1/leaderboard", staying)->status, 200);
    expect_unauthenticated(server.http().Get("/v1/leaderboard", arriving), "unknown_key", true, "");

    write_jwks({&keys_->es256, &keys_->rs256});
    const auto dropped = time_until(server, "/v1/leaderboard", retiring, 401);
    EXPECT_GE(dropped.count(), 0) << "the dropped key's token was still accepted after 3 s";
    EXPECT_LE(dropped.count(), 1500) << "the dropped key took " << dropped.count() << " ms";
    expect_unauthenticated(server.http().Get("/v1/leaderboard", retiring), "unknown_key", true, "");
    const auto added = time_until(server, "/v1/leaderboard", arriving, 200);
    EXPECT_GE(added.count(), 0) << "the added key's token was still refused";
    EXPECT_EQ(server.http().Get("/v1/leaderboard", staying)->status, 200) << "a kept key keeps working";

    const long long before = claims_in_database();
    expect_unauthenticated(post_claim(server, tap(5090, 1), retiring), "unknown_key", true, "");
    EXPECT_EQ(claims_in_database(), before);
    EXPECT_EQ(post_claim(server, tap(5092, 1), arriving)->status, 200);
    EXPECT_TRUE(has_claim(5092, 1));
}

TEST_F(GatewayAuthTest, RewritingTheKeysFileRevokesAnApiKey)
{
    RunningGateway server(config());
    ASSERT_EQ(server.http().Get("/v1/leaderboard", api_key("full"))->status, 200);
    write_keys({{"claimer", "claim"}, {"reader", "read"}, {"scraper", "metrics"}});
    const auto revoked = time_until(server, "/v1/leaderboard", api_key("full"), 401);
    EXPECT_GE(revoked.count(), 0) << "the revoked key was still accepted after 3 s";
    EXPECT_LE(revoked.count(), 1500) << "revocation took " << revoked.count() << " ms";
    const long long before = claims_in_database();
    expect_unauthenticated(post_claim(server, tap(5093, 1), api_key("full")), "unknown_key", false, "full-key");
    EXPECT_EQ(claims_in_database(), before);
    EXPECT_EQ(server.http().Get("/v1/leaderboard", api_key("reader"))->status, 200) << "the others still work";
    EXPECT_EQ(post_claim(server, tap(5093, 1), api_key("claimer"))->status, 200);
}

TEST_F(GatewayAuthTest, CorsAllowsExactlyTheConfiguredOrigins)
{
    const std::string allowed = "https://play.example.com";
    const std::string other = "https://evil.example.com";
    edge.cors_origins = {allowed};
    RunningGateway server(config());

    // A preflight needs no credentials and is answered by the edge.
    auto preflight = server.http().Options("/v1/claims", {{"Origin", allowed},
                                                          {"Access-Control-Request-Method", "POST"},
                                                          {"Access-Control-Request-Headers", "authorization"}});
    ASSERT_TRUE(preflight);
    EXPECT_EQ(preflight->status, 204) << preflight->body;
    EXPECT_EQ(preflight->get_header_value_count("Access-Control-Allow-Origin"), 1u);
    EXPECT_EQ(preflight->get_header_value("Access-Control-Allow-Origin"), allowed);
    EXPECT_NE(preflight->get_header_value("Access-Control-Allow-Methods").find("POST"), std::string::npos);
    EXPECT_NE(preflight->get_header_value("Access-Control-Allow-Headers").find("Authorization"), std::string::npos);
    EXPECT_NE(preflight->get_header_value("Vary").find("Origin"), std::string::npos);
    EXPECT_FALSE(any_header_contains(*preflight, "*")) << "no wildcard anywhere";
    EXPECT_TRUE(preflight->body.empty());

    auto refused = server.http().Options("/v1/claims", {{"Origin", other}, {"Access-Control-Request-Method", "POST"}});
    ASSERT_TRUE(refused);
    EXPECT_NE(refused->status, 204);
    EXPECT_FALSE(refused->has_header("Access-Control-Allow-Origin"));
    EXPECT_FALSE(refused->has_header("Access-Control-Allow-Methods"));

    // Answers carry the origin for an allowed page, refusals included, so that it can read them.
    httplib::Headers from_page = bearer(token(keys_->es256, 5095));
    from_page.emplace("Origin", allowed);
    auto claimed = post_claim(server, tap(5095, 1), from_page);
    ASSERT_TRUE(claimed);
    EXPECT_EQ(claimed->status, 200) << claimed->body;
    EXPECT_EQ(claimed->get_header_value("Access-Control-Allow-Origin"), allowed);
    auto unauthenticated = post_claim(server, tap(5095, 2), {{"Origin", allowed}});
    ASSERT_TRUE(unauthenticated);
    EXPECT_EQ(unauthenticated->status, 401);
    EXPECT_EQ(unauthenticated->get_header_value("Access-Control-Allow-Origin"), allowed);

    httplib::Headers from_elsewhere = bearer(token(keys_->es256, 5096));
    from_elsewhere.emplace("Origin", other);
    auto elsewhere = post_claim(server, tap(5096, 1), from_elsewhere);
    ASSERT_TRUE(elsewhere);
    EXPECT_EQ(elsewhere->status, 200) << "CORS is the browser's business; the claim itself is authenticated";
    EXPECT_FALSE(elsewhere->has_header("Access-Control-Allow-Origin"));
    auto health = server.http().Get("/healthz", {{"Origin", other}});
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
    EXPECT_FALSE(health->has_header("Access-Control-Allow-Origin"));
}

}  // namespace
}  // namespace treasure
