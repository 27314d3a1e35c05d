// The layer as the gateway calls it: credential headers in, a caller out, for each kind switched on or off.
#include "auth/authenticator.hpp"

#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "auth/jwt_signer.hpp"
#include "support/auth_test_keys.hpp"

namespace treasure {
namespace {

class AuthenticatorTest : public ::testing::Test {
protected:
    AuthenticatorTest()
    {
        testing::write_private_key(directory.file("ec.pem"), "EC");
        signer = std::make_unique<JwtSigner>(directory.file("ec.pem"), "ec-1", JwsAlg::es256);
        testing::write_file_atomically(directory.file("jwks.json"), testing::jwks_of({signer.get()}));
        const std::string hex = testing::sha256_hex("server-key");
        testing::write_file_atomically(directory.file("keys.json"), R"({"keys": [{"name": "eu-1", "sha256": ")" + hex +
                                                                        R"(", "scopes": ["claim"]}]})");
        token = signer->mint(PlayerTokenClaims{42, unix_clock.now_seconds(), 3600, "", ""});
    }

    Authenticator make(bool jwt, bool api_key)
    {
        AuthOptions options;
        options.jwt = jwt;
        options.api_key = api_key;
        options.jwt_options.jwks_path = directory.file("jwks.json");
        options.api_keys_path = directory.file("keys.json");
        return Authenticator(options, clock, unix_clock);
    }
    static std::string reason(const Caller &caller)
    {
        if (const auto *refusal = std::get_if<Refusal>(&caller))
            return std::string(refusal_reason_name(refusal->reason));
        return std::holds_alternative<Player>(caller) ? "player" : "game_server";
    }
    static CredentialHeaders headers(std::string authorization, std::string api_key = "")
    {
        CredentialHeaders result;
        result.authorization = std::move(authorization);
        result.api_key = std::move(api_key);
        result.peer_address = "192.0.2.1";
        return result;
    }

    testing::TemporaryDirectory directory;
    std::unique_ptr<JwtSigner> signer;
    ManualClock clock;
    ManualUnixClock unix_clock;
    std::string token;
};

TEST_F(AuthenticatorTest, ABearerTokenIsItsPlayer)
{
    auto auth = make(true, true);
    const Caller caller = auth.authenticate(headers("Bearer " + token));
    ASSERT_TRUE(std::holds_alternative<Player>(caller)) << reason(caller);
    EXPECT_EQ(std::get<Player>(caller).player_id, 42);
    EXPECT_EQ(reason(auth.authenticate(headers("bearer  " + token + " "))), "player");
    EXPECT_EQ(reason(auth.authenticate(headers("BEARER\t" + token))), "malformed");
}

TEST_F(AuthenticatorTest, AnApiKeyIsItsGameServer)
{
    auto auth = make(true, true);
    const Caller caller = auth.authenticate(headers("", " server-key "));
    ASSERT_TRUE(std::holds_alternative<GameServer>(caller)) << reason(caller);
    EXPECT_EQ(std::get<GameServer>(caller).key_name, "eu-1");
    EXPECT_EQ(reason(auth.authenticate(headers("", "wrong-key"))), "unknown_key");
}

TEST_F(AuthenticatorTest, RefusesMissingAmbiguousAndMalformedCredentials)
{
    auto auth = make(true, true);
    EXPECT_EQ(reason(auth.authenticate(headers(""))), "missing");
    EXPECT_EQ(reason(auth.authenticate(headers(" \t "))), "missing");
    EXPECT_EQ(reason(auth.authenticate(headers("Bearer " + token, "server-key"))), "ambiguous");
    for (const std::string &value :
         std::vector<std::string>{"Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearertoken", "Bearer a b",
                                  "Token " + token, "Bearer " + token + " extra"})
        EXPECT_EQ(reason(auth.authenticate(headers(value))), "malformed") << value;
    EXPECT_EQ(reason(auth.authenticate(headers("Bearer " + std::string(9000, 'A')))), "token_too_large");
}

TEST_F(AuthenticatorTest, AKindThatIsOffIsNotLookedAt)
{
    auto jwt_only = make(true, false);
    EXPECT_EQ(reason(jwt_only.authenticate(headers("", "server-key"))), "missing");
    EXPECT_EQ(reason(jwt_only.authenticate(headers("Bearer " + token, "server-key"))), "player");
    auto keys_only = make(false, true);
    EXPECT_EQ(reason(keys_only.authenticate(headers("Bearer " + token))), "missing");
    EXPECT_EQ(reason(keys_only.authenticate(headers("Bearer " + token, "server-key"))), "game_server");
}

TEST_F(AuthenticatorTest, EveryReasonHasItsOwnName)
{
    std::set<std::string> names;
    for (int reason = 0; reason <= static_cast<int>(RefusalReason::invalid_player); ++reason)
        names.insert(std::string(refusal_reason_name(static_cast<RefusalReason>(reason))));
    EXPECT_EQ(names.size(), static_cast<std::size_t>(RefusalReason::invalid_player) + 1);
    EXPECT_EQ(refusal_reason_name(RefusalReason::bad_signature), "bad_signature");
}

}  // namespace
}  // namespace treasure
