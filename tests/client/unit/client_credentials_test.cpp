// What the client tools send to an authenticated gateway: the header set for each kind of credential, and the
// per-player tokens of `treasure load --jwt-key` checked by the gateway's own layer (JwtVerifier, Authenticator).
#include "auth/client_credentials.hpp"

#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "auth/authenticator.hpp"
#include "auth/jwt_verifier.hpp"
#include "lib/clock.hpp"
#include "support/auth_test_keys.hpp"

namespace treasure {
namespace {

using testing::TemporaryDirectory;

class ClientCredentialsTest : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        directory = new TemporaryDirectory;
        testing::write_private_key(directory->file("rsa.pem"), "RSA");
        testing::write_private_key(directory->file("ec.pem"), "EC");
        testing::write_private_key(directory->file("ec-other.pem"), "EC");
    }
    static void TearDownTestSuite() { delete directory; }

    // The gateway's view: a JWKS with the public halves of the named keys.
    static std::string write_jwks(const std::vector<std::pair<std::string, JwsAlg>> &keys)
    {
        std::vector<JwtSigner> signers;
        signers.reserve(keys.size());
        for (const auto &[name, alg] : keys)
            signers.emplace_back(directory->file(name + ".pem"), name + "-1", alg);
        std::vector<const JwtSigner *> pointers;
        for (const auto &signer : signers)
            pointers.push_back(&signer);
        const std::string path = directory->file("jwks.json");
        testing::write_file_atomically(path, testing::jwks_of(pointers));
        return path;
    }

    static ClientCredentialOptions minting(const std::string &name, const std::string &alg)
    {
        ClientCredentialOptions options;
        options.jwt_key_path = directory->file(name + ".pem");
        options.jwt_kid = name + "-1";
        options.jwt_alg = alg;
        return options;
    }

    JwtVerifier verifier(const std::string &jwks_path, JwtClaimRules rules = {})
    {
        JwtOptions options;
        options.jwks_path = jwks_path;
        options.claims = std::move(rules);
        options.cache_capacity = 0;  // every token's signature is checked
        return JwtVerifier(options, SteadyClock::instance(), unix_clock);
    }

    static std::string bearer_of(const HeaderList &headers)
    {
        EXPECT_EQ(headers.size(), 1u);
        if (headers.size() != 1 || headers[0].first != "Authorization" || headers[0].second.rfind("Bearer ", 0) != 0)
            return {};
        return headers[0].second.substr(7);
    }

    static std::string verdict(JwtVerifier &jwt, const std::string &token)
    {
        const auto answer = jwt.verify(token);
        if (const auto *player = std::get_if<Player>(&answer))
            return "player " + std::to_string(player->player_id);
        return std::string(refusal_reason_name(std::get<Refusal>(answer).reason));
    }

    static TemporaryDirectory *directory;
    ManualUnixClock unix_clock{1700000000};
};

TemporaryDirectory *ClientCredentialsTest::directory = nullptr;

TEST_F(ClientCredentialsTest, WithoutCredentialsNothingIsSent)
{
    ClientCredentials none(ClientCredentialOptions{});
    EXPECT_TRUE(none.sends_nothing());
    EXPECT_TRUE(none.headers_for(42).empty());
    none.prepare(42);
    EXPECT_EQ(none.tokens_minted(), 0);
}

TEST_F(ClientCredentialsTest, AnApiKeyIsSentAsXApiKeyForEveryPlayer)
{
    ClientCredentialOptions options;
    options.api_key = "k-123";
    ClientCredentials key(options);
    EXPECT_FALSE(key.sends_nothing());
    EXPECT_FALSE(key.mints_tokens());
    const HeaderList expected{{"X-Api-Key", "k-123"}};
    EXPECT_EQ(key.headers_for(1), expected);
    EXPECT_EQ(key.headers_for(99), expected);
}

TEST_F(ClientCredentialsTest, AGivenTokenIsSentAsABearerForEveryPlayer)
{
    ClientCredentialOptions options;
    options.bearer_token = "a.b.c";
    ClientCredentials token(options);
    const HeaderList expected{{"Authorization", "Bearer a.b.c"}};
    EXPECT_EQ(token.headers_for(1), expected);
    EXPECT_EQ(token.headers_for(2), expected);
}

TEST_F(ClientCredentialsTest, EachPlayerGetsItsOwnTokenThatTheGatewayVerifies)
{
    const std::string jwks = write_jwks({{"ec", JwsAlg::es256}, {"rsa", JwsAlg::rs256}});
    for (const std::string alg : {"ES256", "RS256"}) {
        ClientCredentials credentials(minting(alg == "ES256" ? "ec" : "rsa", alg), unix_clock);
        ASSERT_TRUE(credentials.mints_tokens());
        JwtVerifier jwt = verifier(jwks);
        const std::string token_42 = bearer_of(credentials.headers_for(42));
        const std::string token_7 = bearer_of(credentials.headers_for(7));
        EXPECT_NE(token_42, token_7);
        EXPECT_EQ(verdict(jwt, token_42), "player 42") << alg;
        EXPECT_EQ(verdict(jwt, token_7), "player 7") << alg;
        EXPECT_EQ(credentials.tokens_minted(), 2);
    }
}

TEST_F(ClientCredentialsTest, IssuerAndAudienceAreTheGatewaysRules)
{
    const std::string jwks = write_jwks({{"ec", JwsAlg::es256}});
    ClientCredentialOptions options = minting("ec", "ES256");
    options.jwt.issuer = "treasure-auth";
    options.jwt.audience = "treasure-gateway";
    ClientCredentials credentials(options, unix_clock);
    const std::string token = bearer_of(credentials.headers_for(5));

    JwtVerifier both = verifier(jwks, JwtClaimRules{"treasure-auth", "treasure-gateway"});
    EXPECT_EQ(verdict(both, token), "player 5");
    JwtVerifier other_issuer = verifier(jwks, JwtClaimRules{"someone-else", ""});
    EXPECT_EQ(verdict(other_issuer, token), "wrong_issuer");
    JwtVerifier other_audience = verifier(jwks, JwtClaimRules{"", "another-service"});
    EXPECT_EQ(verdict(other_audience, token), "wrong_audience");
}

TEST_F(ClientCredentialsTest, AKeyTheGatewayDoesNotListIsRefused)
{
    const std::string jwks = write_jwks({{"ec", JwsAlg::es256}});
    ClientCredentialOptions options = minting("ec-other", "ES256");
    ClientCredentials credentials(options, unix_clock);
    JwtVerifier jwt = verifier(jwks);
    EXPECT_EQ(verdict(jwt, bearer_of(credentials.headers_for(5))), "unknown_key");

    options.jwt_kid = "ec-1";  // the listed kid, but not its key
    ClientCredentials impostor(options, unix_clock);
    EXPECT_EQ(verdict(jwt, bearer_of(impostor.headers_for(5))), "bad_signature");
}

TEST_F(ClientCredentialsTest, ATokenIsMintedOncePerPlayerAndAgainBeforeItExpires)
{
    const std::string jwks = write_jwks({{"ec", JwsAlg::es256}});
    ClientCredentialOptions options = minting("ec", "ES256");
    options.jwt.ttl_seconds = 400;
    ClientCredentials credentials(options, unix_clock);
    credentials.prepare(42);
    EXPECT_EQ(credentials.tokens_minted(), 1);
    const std::string first = bearer_of(credentials.headers_for(42));
    for (int tap = 0; tap < 100; ++tap)
        ASSERT_EQ(bearer_of(credentials.headers_for(42)), first);
    EXPECT_EQ(credentials.tokens_minted(), 1);

    unix_clock.advance(299);  // three quarters of the ttl less a second: still the same token
    EXPECT_EQ(bearer_of(credentials.headers_for(42)), first);
    unix_clock.advance(1);  // a quarter of the ttl left: a fresh token, valid after the first one's exp
    const std::string renewed = bearer_of(credentials.headers_for(42));
    EXPECT_NE(renewed, first);
    EXPECT_EQ(credentials.tokens_minted(), 2);
    unix_clock.advance(101 + 30);  // past the first token's exp + the gateway's leeway
    JwtVerifier jwt = verifier(jwks);
    EXPECT_EQ(verdict(jwt, first), "expired");
    EXPECT_EQ(verdict(jwt, renewed), "player 42");
}

TEST_F(ClientCredentialsTest, WorkersShareOnePlayersToken)
{
    const std::string jwks = write_jwks({{"ec", JwsAlg::es256}});
    ClientCredentials credentials(minting("ec", "ES256"), unix_clock);
    std::vector<std::vector<std::string>> seen(4);
    std::vector<std::thread> workers;
    for (std::size_t w = 0; w < seen.size(); ++w) {
        workers.emplace_back([&credentials, &seen, w] {
            for (std::int64_t player = 1; player <= 200; ++player)
                seen[w].push_back(bearer_of(credentials.headers_for(player)));
        });
    }
    for (auto &worker : workers)
        worker.join();
    JwtVerifier jwt = verifier(jwks);
    for (std::int64_t player = 1; player <= 200; ++player) {
        const std::string &kept = bearer_of(credentials.headers_for(player));
        EXPECT_EQ(verdict(jwt, kept), "player " + std::to_string(player));
    }
    // A race may mint a player's token twice, never more often than once per worker.
    EXPECT_GE(credentials.tokens_minted(), 200);
    EXPECT_LE(credentials.tokens_minted(), 800);
}

TEST_F(ClientCredentialsTest, TheHeaderSetAuthenticatesAtTheGatewaysLayer)
{
    const std::string jwks = write_jwks({{"ec", JwsAlg::es256}});
    const std::string keys = directory->file("api-keys.json");
    testing::write_file_atomically(keys, R"({"keys": [{"name": "eu-game-1", "sha256": ")" +
                                             testing::sha256_hex("k-123") + R"(", "scopes": ["claim"]}]})");
    AuthOptions auth;
    auth.jwt = auth.api_key = true;
    auth.jwt_options.jwks_path = jwks;
    auth.api_keys_path = keys;
    Authenticator authenticator(auth, SteadyClock::instance(), unix_clock);
    auto as_request = [](const HeaderList &headers) {
        CredentialHeaders request;
        request.peer_address = "127.0.0.1";
        for (const auto &[name, value] : headers) {
            if (name == "Authorization")
                request.authorization = value;
            else if (name == "X-Api-Key")
                request.api_key = value;
            else
                ADD_FAILURE() << "unexpected header " << name;
        }
        return request;
    };

    ClientCredentials player(minting("ec", "ES256"), unix_clock);
    const Caller caller = authenticator.authenticate(as_request(player.headers_for(31)));
    ASSERT_TRUE(std::holds_alternative<Player>(caller));
    EXPECT_EQ(std::get<Player>(caller).player_id, 31);

    ClientCredentialOptions key_options;
    key_options.api_key = "k-123";
    ClientCredentials game_server(key_options);
    const Caller server = authenticator.authenticate(as_request(game_server.headers_for(31)));
    ASSERT_TRUE(std::holds_alternative<GameServer>(server));
    EXPECT_EQ(std::get<GameServer>(server).key_name, "eu-game-1");

    const Caller nobody = authenticator.authenticate(as_request(ClientCredentials({}).headers_for(31)));
    ASSERT_TRUE(std::holds_alternative<Refusal>(nobody));
    EXPECT_EQ(std::get<Refusal>(nobody).reason, RefusalReason::missing);
}

TEST_F(ClientCredentialsTest, RefusesSettingsThatCannotWork)
{
    ClientCredentialOptions two_kinds = minting("ec", "ES256");
    two_kinds.api_key = "k";
    EXPECT_THROW(ClientCredentials{two_kinds}, std::invalid_argument);
    ClientCredentialOptions no_kid = minting("ec", "ES256");
    no_kid.jwt_kid.clear();
    EXPECT_THROW(ClientCredentials{no_kid}, std::invalid_argument);
    EXPECT_THROW(ClientCredentials(minting("ec", "HS256")), std::invalid_argument);
    EXPECT_THROW(ClientCredentials(minting("ec", "none")), std::invalid_argument);
    EXPECT_THROW(ClientCredentials(minting("ec", "RS256")), std::runtime_error);  // an EC key cannot sign RS256
    ClientCredentialOptions ttl = minting("ec", "ES256");
    ttl.jwt.ttl_seconds = 0;
    EXPECT_THROW(ClientCredentials{ttl}, std::invalid_argument);
}

}  // namespace
}  // namespace treasure
