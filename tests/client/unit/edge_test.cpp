// The gateway's edge on a manual clock: every step of the order of judgement with its status, headers and body.
#include "gateway/edge.hpp"

#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <prometheus/registry.h>

#include "auth/jwt_signer.hpp"
#include "lib/claim_metrics.hpp"
#include "support/answer_headers.hpp"
#include "support/auth_test_keys.hpp"
#include "support/prometheus_text.hpp"

namespace treasure {
namespace {

using testing::header_value;

class EdgeTest : public ::testing::Test {
protected:
    EdgeTest()
    {
        testing::write_private_key(directory.file("ec.pem"), "EC");
        signer = std::make_unique<JwtSigner>(directory.file("ec.pem"), "ec-1", JwsAlg::es256);
        testing::write_file_atomically(directory.file("jwks.json"), testing::jwks_of({signer.get()}));
        write_keys({{"claimer", "claim"}, {"reader", "read"}, {"scraper", "metrics"}, {"full", "claim\", \"read"}});
        options.auth = "jwt,api-key";
        options.jwks_path = directory.file("jwks.json");
        options.api_keys_path = directory.file("keys.json");
        options.cors_origins = {"https://play.example.com"};
        options.trusted_proxies = {"10.0.0.0/8", "fd00::/8"};
    }

    // Each key's text is "<name>-key" (testing::api_keys_json).
    void write_keys(const std::vector<std::pair<std::string, std::string>> &keys)
    {
        testing::write_file_atomically(directory.file("keys.json"), testing::api_keys_json(keys));
    }

    Edge &edge()
    {
        if (!edge_)
            edge_ = std::make_unique<Edge>(options, registry, clock, unix_clock,
                                           [this](const std::string &line) { log.push_back(line); });
        return *edge_;
    }
    std::string token(std::int64_t player) const
    {
        return signer->mint(PlayerTokenClaims{player, unix_clock.now_seconds(), 3600, "", ""});
    }
    static EdgeRequest head(std::string method, std::string target)
    {
        EdgeRequest head;
        head.method = std::move(method);
        head.target = std::move(target);
        head.peer_address = "203.0.113.9";
        return head;
    }
    EdgeRequest as_player(std::int64_t player, std::string method = "POST", std::string target = "/v1/claims") const
    {
        EdgeRequest request = head(std::move(method), std::move(target));
        request.authorization = "Bearer " + token(player);
        return request;
    }
    static EdgeRequest as_key(const std::string &name, std::string method = "POST", std::string target = "/v1/claims")
    {
        EdgeRequest request = head(std::move(method), std::move(target));
        request.api_key = name + "-key";
        return request;
    }
    // The admitted caller, failing the test when the head was answered instead.
    Admitted admitted(const EdgeRequest &request)
    {
        HeadJudgement judgement = edge().judge_head(request);
        if (const auto *answer = std::get_if<Answer>(&judgement)) {
            ADD_FAILURE() << "answered " << answer->status << " " << answer->body;
            return Admitted{};
        }
        return std::get<Admitted>(std::move(judgement));
    }
    Answer answered(const EdgeRequest &request)
    {
        HeadJudgement judgement = edge().judge_head(request);
        if (const auto *answer = std::get_if<Answer>(&judgement))
            return *answer;
        ADD_FAILURE() << "admitted " << request.method << " " << request.target;
        return Answer{};
    }
    static Answer refusal(const ClaimAuthorization &authorization)
    {
        if (const auto *answer = std::get_if<Answer>(&authorization))
            return *answer;
        ADD_FAILURE() << "authorized player " << std::get<std::int64_t>(authorization);
        return Answer{};
    }
    double sample(const std::string &series)
    {
        const auto text = testing::parse_prometheus_text(serialize_metrics(registry));
        const auto found = text.samples.find(series);
        return found == text.samples.end() ? -1 : found->second;
    }
    static nlohmann::json body(const Answer &answer) { return nlohmann::json::parse(answer.body); }

    testing::TemporaryDirectory directory;
    std::unique_ptr<JwtSigner> signer;
    ManualClock clock;
    ManualUnixClock unix_clock;
    prometheus::Registry registry;
    std::vector<std::string> log;
    EdgeOptions options;
    std::unique_ptr<Edge> edge_;
};

// Step 0: preflights, before anything else (a browser sends no credentials with them).
TEST_F(EdgeTest, PreflightsAreAnsweredForAllowedOriginsOnly)
{
    EdgeRequest preflight = head("OPTIONS", "/v1/claims");
    preflight.origin = "https://play.example.com";
    preflight.access_control_request_method = "POST";
    preflight.access_control_request_headers = "authorization, content-type";
    const Answer allowed = answered(preflight);
    EXPECT_EQ(allowed.status, 204);
    EXPECT_EQ(header_value(allowed.headers, "Access-Control-Allow-Origin"), "https://play.example.com");
    EXPECT_EQ(header_value(allowed.headers, "Vary"), "Origin");
    preflight.origin = "https://evil.example.com";
    const Answer refused = answered(preflight);
    EXPECT_EQ(refused.status, 403);
    EXPECT_FALSE(testing::has_access_control_header(refused.headers));
    for (const Answer &answer : {allowed, refused})
        for (const auto &entry : answer.headers)
            EXPECT_NE(entry.second, "*") << entry.first;
}

// Step 1: the declared length, judged before the credentials.
TEST_F(EdgeTest, ADeclaredBodyOverTheLimitGets413BeforeCredentials)
{
    EdgeRequest request = head("POST", "/v1/claims");
    request.content_length = options.max_body_bytes + 1;
    const Answer answer = answered(request);
    EXPECT_EQ(answer.status, 413);
    EXPECT_EQ(body(answer)["error"], "payload_too_large");
    request.content_length = options.max_body_bytes;
    EXPECT_EQ(answered(request).status, 401);
    options.max_body_bytes = 100;
    edge_.reset();
    request = as_key("full");
    request.content_length = 101;
    EXPECT_EQ(answered(request).status, 413);
}

// Step 2: no credentials: a plain challenge, no error code (RFC 6750 §3.1).
TEST_F(EdgeTest, MissingCredentialsGet401WithAPlainChallenge)
{
    const Answer answer = answered(head("POST", "/v1/claims"));
    EXPECT_EQ(answer.status, 401);
    EXPECT_EQ(header_value(answer.headers, "WWW-Authenticate"), "Bearer realm=\"treasure\", ApiKey realm=\"treasure\"");
    EXPECT_EQ(body(answer), (nlohmann::json{{"error", "unauthenticated"}, {"reason", "missing"}}));
}

TEST_F(EdgeTest, AForgedTokenGets401InvalidTokenWithoutEchoingIt)
{
    EdgeRequest request = as_player(42);
    std::string forged = token(42);
    const auto signature = forged.rfind('.') + 5;
    forged[signature] = forged[signature] == 'A' ? 'B' : 'A';
    request.authorization = "Bearer " + forged;
    const Answer answer = answered(request);
    EXPECT_EQ(answer.status, 401);
    EXPECT_EQ(header_value(answer.headers, "WWW-Authenticate"),
              "Bearer realm=\"treasure\", error=\"invalid_token\", ApiKey realm=\"treasure\"");
    EXPECT_EQ(body(answer)["reason"], "bad_signature");
    EXPECT_EQ(answer.body.find(forged.substr(0, 20)), std::string::npos);
    ASSERT_EQ(log.size(), 1u);
    EXPECT_EQ(log[0], "treasure-gateway: refused 401 bad_signature peer=203.0.113.9 client=203.0.113.9 route=POST "
                      "/v1/claims");
    EXPECT_EQ(sample(R"(treasure_auth_failures_total{reason="bad_signature"})"), 1);
}

TEST_F(EdgeTest, BadKeysAndTwoCredentialsGet401)
{
    EdgeRequest request = as_key("unknown");
    Answer answer = answered(request);
    EXPECT_EQ(answer.status, 401);
    EXPECT_EQ(body(answer)["reason"], "unknown_key");
    EXPECT_EQ(header_value(answer.headers, "WWW-Authenticate"), "Bearer realm=\"treasure\", ApiKey realm=\"treasure\"");
    EXPECT_EQ(answer.body.find("unknown-key"), std::string::npos);
    request = as_player(42);
    request.api_key = "full-key";
    answer = answered(request);
    EXPECT_EQ(body(answer)["reason"], "ambiguous");
    EXPECT_NE(header_value(answer.headers, "WWW-Authenticate").find("error=\"invalid_request\""), std::string::npos);
    for (const auto &line : log)
        EXPECT_EQ(line.find("-key"), std::string::npos) << line;
}

TEST_F(EdgeTest, OpenRoutesNeedNoCredentials)
{
    for (const char *target : {"/healthz", "/play", "/play/index.html", "/web/app.js", "/healthz?verbose=1"}) {
        const Admitted caller = admitted(head("GET", target));
        EXPECT_TRUE(std::holds_alternative<Anonymous>(caller.caller)) << target;
        EXPECT_EQ(edge().authorize_read(caller, RouteKind::open, std::nullopt), std::nullopt) << target;
    }
    for (const char *target : {"/web/../v1/players/7", "/web/%2e%2e/metrics", "//healthz", "/v1/leaderboard"})
        EXPECT_EQ(answered(head("GET", target)).status, 401) << target;
    // An anonymous admission is not a pass to a route the server reads differently.
    const Admitted open = admitted(head("GET", "/healthz"));
    EXPECT_EQ(edge().authorize_read(open, RouteKind::player_read, 7)->status, 401);
    EXPECT_EQ(refusal(edge().authorize_claim(open, 7)).status, 401);
}

// Step 3: the per-client limit, by key name.
TEST_F(EdgeTest, APerKeyLimitGets429WithRetryAfter)
{
    options.rate_per_client = "1:2";
    for (int i = 0; i < 2; ++i)
        admitted(as_key("full"));
    Answer answer = answered(as_key("full"));
    EXPECT_EQ(answer.status, 429);
    EXPECT_EQ(header_value(answer.headers, "Retry-After"), "1");
    EXPECT_EQ(body(answer), (nlohmann::json{{"error", "rate_limited"}, {"retry_after_ms", 1000}}));
    admitted(as_key("claimer"));  // another key, its own bucket, whatever the address
    clock.advance(std::chrono::milliseconds(999));
    EXPECT_EQ(answered(as_key("full")).status, 429);
    clock.advance(std::chrono::milliseconds(1));
    admitted(as_key("full"));
    EXPECT_EQ(sample(R"(treasure_rate_limited_total{scope="client"})"), 2);
    EXPECT_EQ(sample(R"(treasure_rate_limited_total{scope="player"})"), 0);
}

// ... and by address for player tokens: one bucket per IPv4 address or IPv6 /64, behind a trusted proxy too.
TEST_F(EdgeTest, PlayerTokensAreLimitedPerClientAddress)
{
    options.rate_per_client = "0.5:1";
    admitted(as_player(1));
    Answer answer = answered(as_player(2));  // another player, same address
    EXPECT_EQ(answer.status, 429);
    EXPECT_EQ(header_value(answer.headers, "Retry-After"), "2");
    EXPECT_EQ(body(answer)["retry_after_ms"], 2000);

    EdgeRequest proxied = as_player(3);
    proxied.peer_address = "10.0.0.1";
    proxied.forwarded_for = "203.0.113.9";  // the same client, through our proxy
    EXPECT_EQ(answered(proxied).status, 429);
    proxied.forwarded_for = "203.0.113.9, 198.51.100.4";  // a spoofed left entry does not pick the bucket
    EXPECT_EQ(admitted(proxied).client_address, "198.51.100.4");

    EdgeRequest spoofed = as_player(4);
    spoofed.forwarded_for = "198.51.100.77";  // from an untrusted peer: ignored
    EXPECT_EQ(answered(spoofed).status, 429);

    EdgeRequest v6 = as_player(5);
    v6.peer_address = "2001:db8:1:2::1";
    admitted(v6);
    v6.peer_address = "2001:db8:1:2:dead:beef::9";  // the same /64
    EXPECT_EQ(answered(v6).status, 429);
    v6.peer_address = "2001:db8:1:3::1";
    admitted(v6);
}

// Steps 4-6 for a game server: the body names the player, the key needs "claim".
TEST_F(EdgeTest, KeysMustNameThePlayerAndHoldTheClaimScope)
{
    const Admitted full = admitted(as_key("full"));
    Answer answer = refusal(edge().authorize_claim(full, std::nullopt));
    EXPECT_EQ(answer.status, 400);
    EXPECT_EQ(body(answer)["error"], "bad_request");
    EXPECT_EQ(std::get<std::int64_t>(edge().authorize_claim(full, 7)), 7);

    const Admitted reader = admitted(as_key("reader"));
    EXPECT_EQ(refusal(edge().authorize_claim(reader, std::nullopt)).status, 400);  // step 4 before step 5
    answer = refusal(edge().authorize_claim(reader, 7));
    EXPECT_EQ(answer.status, 403);
    EXPECT_EQ(body(answer)["reason"], "missing_scope");
    EXPECT_EQ(sample(R"(treasure_auth_failures_total{reason="missing_scope"})"), 1);
}

// Steps 5 for a player: only its own player, and an omitted player_id is its own.
TEST_F(EdgeTest, APlayerClaimsOnlyForItself)
{
    const Admitted player = admitted(as_player(42));
    EXPECT_TRUE(std::holds_alternative<Player>(player.caller));
    EXPECT_EQ(std::get<std::int64_t>(edge().authorize_claim(player, std::nullopt)), 42);
    EXPECT_EQ(std::get<std::int64_t>(edge().authorize_claim(player, 42)), 42);
    const Answer answer = refusal(edge().authorize_claim(player, 43));
    EXPECT_EQ(answer.status, 403);
    EXPECT_EQ(body(answer)["reason"], "player_mismatch");
    EXPECT_EQ(sample(R"(treasure_auth_failures_total{reason="player_mismatch"})"), 1);
}

// Step 6: the per-player limit, whoever claims for the player.
TEST_F(EdgeTest, APerPlayerLimitGets429)
{
    options.rate_per_player = "1:1";
    const Admitted player = admitted(as_player(42));
    EXPECT_EQ(std::get<std::int64_t>(edge().authorize_claim(player, std::nullopt)), 42);
    Answer answer = refusal(edge().authorize_claim(player, std::nullopt));
    EXPECT_EQ(answer.status, 429);
    EXPECT_EQ(header_value(answer.headers, "Retry-After"), "1");
    EXPECT_EQ(body(answer), (nlohmann::json{{"error", "rate_limited"}, {"retry_after_ms", 1000}}));
    const Admitted server = admitted(as_key("full"));
    EXPECT_EQ(refusal(edge().authorize_claim(server, 42)).status, 429);
    EXPECT_EQ(std::get<std::int64_t>(edge().authorize_claim(server, 43)), 43);
    clock.advance(std::chrono::seconds(1));
    EXPECT_EQ(std::get<std::int64_t>(edge().authorize_claim(player, 42)), 42);
    EXPECT_EQ(sample(R"(treasure_rate_limited_total{scope="player"})"), 2);
    // A player mismatch is refused before it spends the other player's taps.
    EXPECT_EQ(refusal(edge().authorize_claim(admitted(as_player(43)), 44)).status, 403);
    EXPECT_EQ(std::get<std::int64_t>(edge().authorize_claim(admitted(as_key("full")), 44)), 44);
}

TEST_F(EdgeTest, ReadRoutesFollowTheTokenOrTheReadScope)
{
    const Admitted player = admitted(as_player(42, "GET", "/v1/players/42/stats"));
    EXPECT_EQ(player.route.kind, RouteKind::player_read);
    EXPECT_EQ(player.route.player_id, 42);
    EXPECT_EQ(edge().authorize_read(player, RouteKind::player_read, 42), std::nullopt);
    const auto other =
        edge().authorize_read(admitted(as_player(42, "GET", "/v1/players/43")), RouteKind::player_read, 43);
    ASSERT_TRUE(other);
    EXPECT_EQ(other->status, 403);
    EXPECT_EQ(body(*other)["reason"], "player_mismatch");
    EXPECT_EQ(
        edge().authorize_read(admitted(as_player(42, "GET", "/v1/leaderboard")), RouteKind::leaderboard, std::nullopt),
        std::nullopt);

    const Admitted claimer = admitted(as_key("claimer", "GET", "/v1/players/42/events"));
    const auto no_read = edge().authorize_read(claimer, RouteKind::player_read, 42);
    ASSERT_TRUE(no_read);
    EXPECT_EQ(no_read->status, 403);
    EXPECT_EQ(body(*no_read)["reason"], "missing_scope");
    EXPECT_TRUE(edge().authorize_read(claimer, RouteKind::leaderboard, std::nullopt));
    const Admitted reader = admitted(as_key("reader", "GET", "/v1/players/42/events"));
    EXPECT_EQ(edge().authorize_read(reader, RouteKind::player_read, 42), std::nullopt);
    EXPECT_EQ(edge().authorize_read(reader, RouteKind::leaderboard, std::nullopt), std::nullopt);
}

TEST_F(EdgeTest, MetricsOnTheMainAddressNeedTheMetricsScope)
{
    EXPECT_EQ(answered(head("GET", "/metrics")).status, 401);
    const Admitted player = admitted(as_player(42, "GET", "/metrics"));
    EXPECT_EQ(edge().authorize_read(player, RouteKind::metrics, std::nullopt)->status, 403);
    EXPECT_EQ(
        edge().authorize_read(admitted(as_key("reader", "GET", "/metrics")), RouteKind::metrics, std::nullopt)->status,
        403);
    EXPECT_EQ(edge().authorize_read(admitted(as_key("scraper", "GET", "/metrics")), RouteKind::metrics, std::nullopt),
              std::nullopt);
}

TEST_F(EdgeTest, MetricsListenServesMetricsOpenThereAndOnlyThere)
{
    options.metrics_listen = "127.0.0.1:9100";
    EdgeRequest scrape = head("GET", "/metrics");
    EXPECT_EQ(answered(scrape).status, 404);
    EXPECT_EQ(answered(as_key("scraper", "GET", "/metrics")).status, 404);
    scrape.on_metrics_listener = true;
    const Admitted scraper = admitted(scrape);
    EXPECT_EQ(edge().authorize_read(scraper, RouteKind::metrics, std::nullopt), std::nullopt);
    EdgeRequest claim = as_key("full");
    claim.on_metrics_listener = true;
    EXPECT_EQ(answered(claim).status, 404);
}

TEST_F(EdgeTest, WithAuthNoneEveryoneIsAnonymousAndTheLimitsStillHold)
{
    options = EdgeOptions{};
    options.rate_per_client = "1:1";
    options.rate_per_player = "1:1";
    const Admitted caller = admitted(head("POST", "/v1/claims"));
    EXPECT_TRUE(std::holds_alternative<Anonymous>(caller.caller));
    EXPECT_EQ(refusal(edge().authorize_claim(caller, std::nullopt)).status, 400);
    EXPECT_EQ(std::get<std::int64_t>(edge().authorize_claim(caller, 9)), 9);
    EXPECT_EQ(refusal(edge().authorize_claim(caller, 9)).status, 429);
    EXPECT_EQ(edge().authorize_read(caller, RouteKind::metrics, std::nullopt), std::nullopt);
    EXPECT_EQ(answered(head("GET", "/v1/leaderboard")).status, 429);
    EXPECT_FALSE(edge().authenticates());
    EXPECT_FALSE(edge().reload_if_changed());
}

TEST_F(EdgeTest, AnswersToAnAllowedOriginCarryCorsHeadersRefusalsToo)
{
    EdgeRequest request = head("POST", "/v1/claims");
    request.origin = "https://play.example.com";
    const Answer refused = answered(request);
    EXPECT_EQ(refused.status, 401);
    EXPECT_EQ(header_value(refused.headers, "Access-Control-Allow-Origin"), "https://play.example.com");
    EXPECT_EQ(header_value(refused.headers, "Access-Control-Expose-Headers"), "Retry-After, Idempotency-Replay");
    request = as_player(42);
    request.origin = "https://play.example.com";
    const Admitted player = admitted(request);
    EXPECT_EQ(header_value(player.cors_headers, "Access-Control-Allow-Origin"), "https://play.example.com");
    EXPECT_EQ(refusal(edge().authorize_claim(player, 1)).headers, refusal(edge().authorize_claim(player, 1)).headers);
    EXPECT_EQ(header_value(refusal(edge().authorize_claim(player, 1)).headers, "Access-Control-Allow-Origin"),
              "https://play.example.com");
    request.origin = "https://evil.example.com";
    EXPECT_FALSE(testing::has_access_control_header(edge().cors_headers(request)));
    EXPECT_FALSE(testing::has_access_control_header(admitted(request).cors_headers));
}

TEST_F(EdgeTest, ARevokedKeyStopsWorkingAtTheReload)
{
    admitted(as_key("claimer"));
    write_keys({{"reader", "read"}});
    EXPECT_TRUE(edge().reload_if_changed());
    EXPECT_EQ(body(answered(as_key("claimer")))["reason"], "unknown_key");
    admitted(as_key("reader"));
}

TEST_F(EdgeTest, RefusalsAtTheEdgeNeverTouchTheClaimCounters)
{
    options.rate_per_client = "1:1";
    answered(head("POST", "/v1/claims"));
    admitted(as_key("full"));
    answered(as_key("full"));
    EXPECT_EQ(sample(R"(treasure_auth_failures_total{reason="missing"})"), 1);
    EXPECT_EQ(sample(R"(treasure_rate_limited_total{scope="client"})"), 1);
    const auto text = testing::parse_prometheus_text(serialize_metrics(registry));
    EXPECT_TRUE(text.bad_lines.empty());
    for (const auto &[series, value] : text.samples)
        EXPECT_EQ(series.rfind("treasure_claims_total", 0), std::string::npos) << series;
}

// POST /v1/client-metrics is judged like a claim: credentials, the claim scope, the per-player rate in a bucket
// of its own (a report never spends a tap).
TEST_F(EdgeTest, ClientMetricsReportsNeedWhatAClaimNeeds)
{
    options.rate_per_player = "1:1";
    EXPECT_EQ(answered(head("POST", "/v1/client-metrics")).status, 401);
    const Admitted player = admitted(as_player(42, "POST", "/v1/client-metrics"));
    EXPECT_EQ(player.route.kind, RouteKind::client_metrics);
    EXPECT_EQ(edge().authorize_client_metrics(player), std::nullopt);
    EXPECT_EQ(edge().authorize_client_metrics(player)->status, 429);
    EXPECT_EQ(std::get<std::int64_t>(edge().authorize_claim(admitted(as_player(42)), std::nullopt)), 42);
    const auto reader = edge().authorize_client_metrics(admitted(as_key("reader", "POST", "/v1/client-metrics")));
    ASSERT_TRUE(reader);
    EXPECT_EQ(reader->status, 403);
    EXPECT_EQ(edge().authorize_client_metrics(admitted(as_key("claimer", "POST", "/v1/client-metrics"))), std::nullopt);
}

// GET /v1/chests: any player token or a key with read, like the leaderboard.
TEST_F(EdgeTest, TheChestGridIsReadLikeTheLeaderboard)
{
    const Admitted player = admitted(as_player(42, "GET", "/v1/chests"));
    EXPECT_EQ(player.route.kind, RouteKind::chests);
    EXPECT_EQ(edge().authorize_read(player, RouteKind::chests, std::nullopt), std::nullopt);
    EXPECT_EQ(edge().authorize_read(admitted(as_key("reader", "GET", "/v1/chests")), RouteKind::chests, std::nullopt),
              std::nullopt);
    EXPECT_EQ(edge()
                  .authorize_read(admitted(as_key("claimer", "GET", "/v1/chests")), RouteKind::chests, std::nullopt)
                  ->status,
              403);
    EXPECT_EQ(answered(head("GET", "/v1/chests")).status, 401);
    const Admitted inventory = admitted(as_player(42, "GET", "/v1/players/42/inventory"));
    EXPECT_EQ(inventory.route.kind, RouteKind::player_read);
    EXPECT_EQ(edge().authorize_read(inventory, RouteKind::player_read, 42), std::nullopt);
    EXPECT_EQ(edge().authorize_read(inventory, RouteKind::player_read, 43)->status, 403);
}

}  // namespace
}  // namespace treasure
