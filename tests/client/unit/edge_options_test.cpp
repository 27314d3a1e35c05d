// The edge's flags: defaults, repeatable flags, and validate()'s refusals, --auth none off loopback above all.
#include "gateway/edge_options.hpp"

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <gtest/gtest.h>

#include "support/auth_test_keys.hpp"

namespace treasure {
namespace {

EdgeOptions parsed(std::vector<std::string> arguments)
{
    CLI::App app;
    EdgeOptions options;
    add_edge_flags(app, options);
    std::reverse(arguments.begin(), arguments.end());  // CLI11 takes them last first
    app.parse(arguments);
    return options;
}

const ListenAddress loopback{"127.0.0.1", 8080};
const ListenAddress everywhere{"0.0.0.0", 8080};

TEST(EdgeOptionsTest, DefaultsAreNoAuthLimitsOffAndTheGatewaysBodyLimit)
{
    const EdgeOptions options = parsed({});
    EXPECT_EQ(options.auth, "none");
    EXPECT_EQ(options.jwt_leeway_seconds, 30);
    EXPECT_EQ(options.jwt_player_claim, "sub");
    EXPECT_EQ(auth_options(options).jwt_options.cache_capacity, 100000u);
    EXPECT_EQ(options.rate_per_player, "");
    EXPECT_EQ(options.rate_per_client, "");
    EXPECT_FALSE(options.allow_unauthenticated);
    EXPECT_EQ(options.max_body_bytes, 16u * 1024u);
    EXPECT_NO_THROW(validate(options, loopback));
}

TEST(EdgeOptionsTest, ParsesEveryFlagAndRepeatsTheRepeatableOnes)
{
    testing::TemporaryDirectory directory;
    for (const char *name : {"jwks.json", "keys.json", "secret", "cert.pem", "key.pem"})
        testing::write_file_atomically(directory.file(name), "x");
    const EdgeOptions options = parsed({"--auth",
                                        "jwt,api-key",
                                        "--jwks",
                                        directory.file("jwks.json"),
                                        "--jwt-hs256-secret-file",
                                        directory.file("secret"),
                                        "--jwt-issuer",
                                        "https://id.example.com",
                                        "--jwt-audience",
                                        "treasure",
                                        "--jwt-leeway-s",
                                        "5",
                                        "--jwt-player-claim",
                                        "player",
                                        "--jwt-cache-entries",
                                        "0",
                                        "--api-keys",
                                        directory.file("keys.json"),
                                        "--rate-per-player",
                                        "0.5:10",
                                        "--rate-per-client",
                                        "200",
                                        "--trusted-proxy",
                                        "10.0.0.0/8",
                                        "--trusted-proxy",
                                        "fd00::/8",
                                        "--cors-origin",
                                        "https://play.example.com",
                                        "--cors-origin",
                                        "http://localhost:5173",
                                        "--metrics-listen",
                                        "127.0.0.1:9100",
                                        "--tls-cert",
                                        directory.file("cert.pem"),
                                        "--tls-key",
                                        directory.file("key.pem")});
    EXPECT_EQ(options.trusted_proxies, (std::vector<std::string>{"10.0.0.0/8", "fd00::/8"}));
    EXPECT_EQ(options.cors_origins, (std::vector<std::string>{"https://play.example.com", "http://localhost:5173"}));
    EXPECT_EQ(options.jwt_leeway_seconds, 5);
    EXPECT_EQ(options.rate_per_player, "0.5:10");
    EXPECT_NO_THROW(validate(options, everywhere));
    const AuthOptions auth = auth_options(options);
    EXPECT_TRUE(auth.jwt && auth.api_key);
    EXPECT_EQ(auth.jwt_options.claims.audience, "treasure");
    EXPECT_EQ(auth.jwt_options.claims.player_claim, "player");
    EXPECT_EQ(auth.jwt_options.cache_capacity, 0u);  // every token's signature is checked
}

TEST(EdgeOptionsTest, TheCommandLineRefusesMalformedValues)
{
    for (const auto &arguments : std::vector<std::vector<std::string>>{{"--auth", "jwt,jwt"},
                                                                       {"--auth", "basic"},
                                                                       {"--auth", "none,jwt"},
                                                                       {"--jwt-cache-entries", "-1"},
                                                                       {"--rate-per-player", "0"},
                                                                       {"--rate-per-client", "5:0.5"},
                                                                       {"--trusted-proxy", "10.0.0.0/40"},
                                                                       {"--cors-origin", "*"},
                                                                       {"--metrics-listen", "9100"},
                                                                       {"--jwks", "/nonexistent/jwks.json"}})
        EXPECT_THROW(parsed(arguments), CLI::ParseError) << arguments[0] << " " << arguments[1];
}

TEST(EdgeOptionsTest, AuthNoneIsRefusedOffLoopbackUnlessAllowed)
{
    EdgeOptions options;
    for (const char *host : {"127.0.0.1", "127.9.9.9", "::1", "localhost"})
        EXPECT_NO_THROW(validate(options, ListenAddress{host, 8080})) << host;
    for (const char *host : {"0.0.0.0", "::", "192.0.2.1", "gateway.example.com", ""})
        EXPECT_THROW(validate(options, ListenAddress{host, 8080}), std::invalid_argument) << host;
    options.allow_unauthenticated = true;
    EXPECT_NO_THROW(validate(options, everywhere));
}

TEST(EdgeOptionsTest, KeyFlagsMustMatchTheKindsThatAreOn)
{
    EdgeOptions options;
    options.auth = "jwt";
    EXPECT_THROW(validate(options, loopback), std::invalid_argument);  // no --jwks
    options.jwks_path = "jwks.json";
    EXPECT_NO_THROW(validate(options, everywhere));
    options.api_keys_path = "keys.json";
    EXPECT_THROW(validate(options, loopback), std::invalid_argument);  // --api-keys without api-key
    options.auth = "api-key";
    EXPECT_THROW(validate(options, loopback), std::invalid_argument);  // --jwks without jwt
    options.auth = "none";
    options.jwks_path.clear();
    EXPECT_THROW(validate(options, loopback), std::invalid_argument);  // --api-keys looks like auth, is none
}

TEST(EdgeOptionsTest, TlsFilesGoInPairsAndMetricsListenDiffersFromListen)
{
    EdgeOptions options;
    options.tls_cert_path = "cert.pem";
    EXPECT_THROW(validate(options, loopback), std::invalid_argument);
    options.tls_key_path = "key.pem";
    EXPECT_NO_THROW(validate(options, loopback));
    options.metrics_listen = "127.0.0.1:8080";
    EXPECT_THROW(validate(options, loopback), std::invalid_argument);
    options.metrics_listen = "127.0.0.1:9100";
    EXPECT_NO_THROW(validate(options, loopback));
}

}  // namespace
}  // namespace treasure
