// Seeded random test of the authentication layer's header parsing (src/auth/authenticator.cpp and what it
// calls): random bytes and mutations of a valid Authorization or X-Api-Key header, and forgeries built from a
// valid token's parts.  Nothing may crash or throw, and nothing is accepted but the valid credential itself: a
// mutated header is accepted only if an independent oracle (RFC 6750's "Bearer" SP token, the scheme in any
// case, spaces and tabs around) finds the unchanged token in it.  TREASURE_FUZZ_ITERATIONS (default 20000 per
// test) and TREASURE_FUZZ_SEED (default 20240607) make a run repeatable; a failure prints the seed.
#include <cctype>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "auth/authenticator.hpp"
#include "auth/jwt_signer.hpp"
#include "fuzz/fuzz_settings.hpp"
#include "support/auth_test_keys.hpp"

namespace {

using treasure::Caller;
using treasure::CredentialHeaders;
using treasure::GameServer;
using treasure::Player;

using treasure::testing::fuzz_iterations;
using treasure::testing::fuzz_seed;
using treasure::testing::mutated;

const std::string server_key = "k3y-for-the-fuzz-0123456789";

class AuthHeaderFuzz : public ::testing::Test {
protected:
    AuthHeaderFuzz()
    {
        treasure::testing::write_private_key(directory.file("ec.pem"), "EC");
        treasure::testing::write_private_key(directory.file("rsa.pem"), "RSA");
        ec = std::make_unique<treasure::JwtSigner>(directory.file("ec.pem"), "ec-1", treasure::JwsAlg::es256);
        rsa = std::make_unique<treasure::JwtSigner>(directory.file("rsa.pem"), "rsa-1", treasure::JwsAlg::rs256);
        treasure::testing::write_file_atomically(directory.file("jwks.json"),
                                                 treasure::testing::jwks_of({ec.get(), rsa.get()}));
        treasure::testing::write_file_atomically(directory.file("keys.json"),
                                                 R"({"keys": [{"name": "gs", "sha256": ")" +
                                                     treasure::testing::sha256_hex(server_key) + R"("}]})");
        treasure::AuthOptions options;
        options.jwt = options.api_key = true;
        options.jwt_options.jwks_path = directory.file("jwks.json");
        options.jwt_options.hs256_secret_path = "";
        options.api_keys_path = directory.file("keys.json");
        auth = std::make_unique<treasure::Authenticator>(options, clock, unix_clock);
        const treasure::PlayerTokenClaims claims{42, unix_clock.now_seconds(), 3600, "", ""};
        tokens = {ec->mint(claims), rsa->mint(claims)};
    }

    // Calls the layer; any exception fails the test.
    Caller authenticate(const CredentialHeaders &headers)
    {
        try {
            return auth->authenticate(headers);
        } catch (const std::exception &error) {
            ADD_FAILURE() << "authenticate threw " << error.what() << " seed " << fuzz_seed();
            return treasure::Refusal{treasure::RefusalReason::malformed};
        }
    }
    static CredentialHeaders bearer(const std::string &authorization)
    {
        CredentialHeaders headers;
        headers.authorization = authorization;
        return headers;
    }
    static CredentialHeaders api_key(const std::string &key)
    {
        CredentialHeaders headers;
        headers.api_key = key;
        return headers;
    }

    treasure::testing::TemporaryDirectory directory;
    treasure::ManualClock clock;
    treasure::ManualUnixClock unix_clock;
    std::unique_ptr<treasure::JwtSigner> ec, rsa;
    std::unique_ptr<treasure::Authenticator> auth;
    std::vector<std::string> tokens;
};

std::string stripped(const std::string &text)
{
    const auto first = text.find_first_not_of(" \t");
    if (first == std::string::npos)
        return "";
    return text.substr(first, text.find_last_not_of(" \t") - first + 1);
}

// The oracle: is `header` "Bearer" (any case), one space, optional blanks, exactly `token`, optional blanks?
bool names_token(const std::string &header, const std::string &token)
{
    const std::string value = stripped(header);
    if (value.size() < 7 || value[6] != ' ')
        return false;
    for (std::size_t i = 0; i < 6; ++i) {
        if (std::tolower(static_cast<unsigned char>(value[i])) != "bearer"[i])
            return false;
    }
    return stripped(value.substr(7)) == token;
}

const std::string token_alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.= \t+/\x00\xff";

TEST_F(AuthHeaderFuzz, RandomBytesAreNeverAccepted)
{
    std::mt19937_64 rng(fuzz_seed());
    std::uniform_int_distribution<int> byte(0, 255), length(0, 300);
    for (long i = 0; i < fuzz_iterations(); ++i) {
        std::string value(static_cast<std::size_t>(length(rng)), '\0');
        for (char &c : value)
            c = static_cast<char>(byte(rng));
        const std::string header = (i % 2 == 0 ? "Bearer " : "") + value;
        ASSERT_TRUE(std::holds_alternative<treasure::Refusal>(authenticate(bearer(header)))) << "seed " << fuzz_seed();
        ASSERT_TRUE(std::holds_alternative<treasure::Refusal>(authenticate(api_key(value)))) << "seed " << fuzz_seed();
    }
}

TEST_F(AuthHeaderFuzz, AMutatedBearerHeaderIsAcceptedOnlyIfItStillNamesTheToken)
{
    std::mt19937_64 rng(fuzz_seed() + 1);
    long accepted = 0, refused = 0;
    for (long i = 0; i < fuzz_iterations(); ++i) {
        const std::string &token = tokens[static_cast<std::size_t>(i) % tokens.size()];
        // Mutations of the whole header in one half, of the token alone in the other.
        const std::string header = i % 4 == 0 ? mutated("Bearer " + token, rng, "Bb \t", 4)
                                              : "Bearer " + mutated(token, rng, token_alphabet, 4);
        const Caller caller = authenticate(bearer(header));
        const bool expected = names_token(header, token);
        ASSERT_EQ(std::holds_alternative<Player>(caller), expected)
            << "header '" << stripped(header).substr(0, 40) << "...' seed " << fuzz_seed();
        if (expected) {
            ASSERT_EQ(std::get<Player>(caller).player_id, 42);
            ++accepted;
        } else {
            ++refused;
        }
    }
    EXPECT_GT(accepted, 0) << "no mutation kept the token: acceptance was never tested";
    EXPECT_GT(refused, fuzz_iterations() / 2);
}

TEST_F(AuthHeaderFuzz, AMutatedApiKeyIsAcceptedOnlyIfUnchanged)
{
    std::mt19937_64 rng(fuzz_seed() + 2);
    long accepted = 0;
    for (long i = 0; i < fuzz_iterations(); ++i) {
        const std::string key = mutated(server_key, rng, server_key + " \t\x00", 4);
        const Caller caller = authenticate(api_key(key));
        const bool expected = stripped(key) == server_key;
        ASSERT_EQ(std::holds_alternative<GameServer>(caller), expected) << "seed " << fuzz_seed();
        accepted += expected ? 1 : 0;
    }
    EXPECT_GT(accepted, 0);
}

// A valid token's signature under other headers and claims: re-encoded parts, swapped algorithms and kids.
TEST_F(AuthHeaderFuzz, ForgeriesFromAValidTokensPartsAreRefused)
{
    std::mt19937_64 rng(fuzz_seed() + 3);
    const char *algs[] = {"none", "HS256", "RS256", "ES256", "ES384", "", "rs256"};
    const char *kids[] = {"ec-1", "rsa-1", "", "../../etc/passwd", "ec-2"};
    const char *subs[] = {"42", "43", "1", "9223372036854775807"};
    for (long i = 0; i < fuzz_iterations() / 4; ++i) {
        const std::string &token = tokens[static_cast<std::size_t>(i) % tokens.size()];
        const std::string signature = token.substr(token.rfind('.') + 1);
        const std::string header =
            std::string(R"({"alg":")") + algs[rng() % 7] + R"(","kid":")" + kids[rng() % 5] + R"(","typ":"JWT"})";
        const std::string claims = std::string(R"({"sub":")") + subs[rng() % 4] + R"(","exp":)" +
                                   std::to_string(unix_clock.now_seconds() + 3600) + "}";
        const std::string forged = treasure::testing::base64url(header) + "." + treasure::testing::base64url(claims) +
                                   "." + (rng() % 2 ? signature : std::string());
        if (forged == token)
            continue;
        ASSERT_TRUE(std::holds_alternative<treasure::Refusal>(authenticate(bearer("Bearer " + forged))))
            << header << " " << claims << " seed " << fuzz_seed();
    }
}

}  // namespace
