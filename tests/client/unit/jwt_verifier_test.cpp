// The JWT half of the authentication layer on manual clocks: each refusal reason, the RS256->HS256 confusion,
// exp and nbf exactly at the leeway's edge, key rotation and removal by rewriting the JWKS, and the cache.
#include "auth/jwt_verifier.hpp"

#include <chrono>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include "auth/jose.hpp"

#include "auth/jwt_signer.hpp"
#include "support/auth_test_keys.hpp"

namespace treasure {
namespace {

using std::chrono::milliseconds;
using testing::TemporaryDirectory;

constexpr std::int64_t start = 1700000000;

class JwtVerifierTest : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        directory = new TemporaryDirectory;
        rsa_key = new testing::PrivateKey(testing::write_private_key(directory->file("rsa.pem"), "RSA"));
        testing::write_private_key(directory->file("ec.pem"), "EC");
        testing::write_private_key(directory->file("ec-other.pem"), "EC");
    }
    static void TearDownTestSuite()
    {
        delete rsa_key;
        delete directory;
    }

    void SetUp() override
    {
        jwks_path = directory->file("jwks.json");
        testing::write_file_atomically(jwks_path, testing::jwks_of({&rsa, &ec}));
    }

    JwtVerifier make_verifier(JwtClaimRules rules = {}, std::string hs256_secret_path = "")
    {
        JwtOptions options;
        options.jwks_path = jwks_path;
        options.hs256_secret_path = std::move(hs256_secret_path);
        options.claims = std::move(rules);
        options.check_interval = milliseconds(200);
        return JwtVerifier(options, clock, unix_clock);
    }

    static std::string claims(const std::string &extra = "", std::int64_t exp = start + 600)
    {
        return R"({"sub": "42", "exp": )" + std::to_string(exp) + (extra.empty() ? "" : ", " + extra) + "}";
    }

    static Player expect_player(JwtVerifier &verifier, const std::string &token)
    {
        const auto answer = verifier.verify(token);
        if (const auto *refusal = std::get_if<Refusal>(&answer)) {
            ADD_FAILURE() << "refused: " << refusal_reason_name(refusal->reason);
            return {};
        }
        return std::get<Player>(answer);
    }
    static std::string reason(JwtVerifier &verifier, const std::string &token)
    {
        const auto answer = verifier.verify(token);
        if (std::holds_alternative<Player>(answer))
            return "accepted";
        return std::string(refusal_reason_name(std::get<Refusal>(answer).reason));
    }
    void after_the_check_interval() { clock.advance(milliseconds(250)); }

    static TemporaryDirectory *directory;
    static testing::PrivateKey *rsa_key;
    JwtSigner rsa{directory->file("rsa.pem"), "rsa-1", JwsAlg::rs256};
    JwtSigner ec{directory->file("ec.pem"), "ec-1", JwsAlg::es256};
    ManualClock clock;
    ManualUnixClock unix_clock{start};
    std::string jwks_path;
};

TemporaryDirectory *JwtVerifierTest::directory = nullptr;
testing::PrivateKey *JwtVerifierTest::rsa_key = nullptr;

TEST_F(JwtVerifierTest, AcceptsRs256AndEs256AndNamesThePlayerFromSub)
{
    auto verifier = make_verifier();
    EXPECT_EQ(expect_player(verifier, rsa.sign(claims())).player_id, 42);
    EXPECT_EQ(expect_player(verifier, ec.sign(R"({"sub": 7, "exp": 1700000600})")).player_id, 7);
    EXPECT_EQ(expect_player(verifier, ec.mint(PlayerTokenClaims{9000000000, start, 60, "", ""})).player_id, 9000000000);
}

TEST_F(JwtVerifierTest, APlayerClaimOtherThanSubCanBeNamed)
{
    JwtClaimRules rules;
    rules.player_claim = "player_id";
    auto verifier = make_verifier(rules);
    EXPECT_EQ(expect_player(verifier, ec.sign(claims(R"("player_id": "77")"))).player_id, 77);
    EXPECT_EQ(reason(verifier, ec.sign(claims())), "invalid_player");
}

TEST_F(JwtVerifierTest, RefusesAlgNoneAndAlgorithmsNotEnabled)
{
    auto verifier = make_verifier();
    EXPECT_EQ(reason(verifier, testing::unsigned_token(R"({"alg":"none","kid":"rsa-1"})", claims())),
              "alg_not_allowed");
    EXPECT_EQ(reason(verifier, testing::unsigned_token(R"({"alg":"None"})", claims())), "alg_not_allowed");
    EXPECT_EQ(reason(verifier, testing::unsigned_token(R"({"alg":"RS512","kid":"rsa-1"})", claims())),
              "alg_not_allowed");
    EXPECT_EQ(reason(verifier, testing::hs256_token(R"({"alg":"HS256"})", claims(), std::string(40, 'k'))),
              "alg_not_allowed");
}

// The classic attack: the RSA public key (public, after all) used as the HMAC secret of an HS256 token.
TEST_F(JwtVerifierTest, RefusesTheRs256ToHs256KeyConfusion)
{
    const std::string pem = testing::public_pem(rsa_key->get());
    const std::string forged = testing::hs256_token(R"({"alg":"HS256","kid":"rsa-1"})", claims(), pem);
    auto without_secret = make_verifier();
    EXPECT_EQ(reason(without_secret, forged), "alg_not_allowed");

    // With HS256 enabled, the HMAC is checked with the configured secret only, never a JWKS key.
    const std::string secret_path = directory->file("hs256.secret");
    testing::write_file_atomically(secret_path, std::string(48, 's') + "\n");
    auto with_secret = make_verifier({}, secret_path);
    EXPECT_EQ(reason(with_secret, forged), "bad_signature");
    EXPECT_EQ(
        reason(with_secret, testing::hs256_token(R"({"alg":"HS256","kid":"rsa-1"})", claims(), rsa.public_jwk_json())),
        "bad_signature");
    EXPECT_EQ(expect_player(with_secret, testing::hs256_token(R"({"alg":"HS256"})", claims(), std::string(48, 's')))
                  .player_id,
              42);
}

TEST_F(JwtVerifierTest, RefusesAnAlgorithmThatDoesNotMatchTheKeyType)
{
    auto verifier = make_verifier();
    // ES256 in the header, the RSA key's kid: refused before any signature check.
    JwtSigner ec_as_rsa(directory->file("ec.pem"), "rsa-1", JwsAlg::es256);
    EXPECT_EQ(reason(verifier, ec_as_rsa.sign(claims())), "alg_not_allowed");
    JwtSigner rsa_as_ec(directory->file("rsa.pem"), "ec-1", JwsAlg::rs256);
    EXPECT_EQ(reason(verifier, rsa_as_ec.sign(claims())), "alg_not_allowed");
}

TEST_F(JwtVerifierTest, AnHs256SecretIsNeverTakenFromTheJwks)
{
    const std::string secret = std::string(40, 'x');
    testing::write_file_atomically(jwks_path, R"({"keys": [{"kty": "oct", "kid": "oct-1", "k": ")" +
                                                  testing::base64url(secret) + R"("}, )" + ec.public_jwk_json() + "]}");
    auto verifier = make_verifier();
    EXPECT_EQ(reason(verifier, testing::hs256_token(R"({"alg":"HS256","kid":"oct-1"})", claims(), secret)),
              "alg_not_allowed");
    EXPECT_EQ(expect_player(verifier, ec.sign(claims())).player_id, 42);
}

TEST_F(JwtVerifierTest, RefusesUnknownAndMissingKids)
{
    auto verifier = make_verifier();
    JwtSigner stranger(directory->file("ec-other.pem"), "ec-2", JwsAlg::es256);
    EXPECT_EQ(reason(verifier, stranger.sign(claims())), "unknown_key");
    const std::string signed_part = ec.sign(claims());
    const std::string no_kid =
        testing::unsigned_token(R"({"alg":"ES256"})", claims()) + signed_part.substr(signed_part.rfind('.') + 1);
    EXPECT_EQ(reason(verifier, no_kid), "unknown_key");
}

TEST_F(JwtVerifierTest, RefusesABadSignature)
{
    auto verifier = make_verifier();
    // Signed by another key under a kid the JWKS knows.
    JwtSigner impostor(directory->file("ec-other.pem"), "ec-1", JwsAlg::es256);
    EXPECT_EQ(reason(verifier, impostor.sign(claims())), "bad_signature");
    // A valid signature moved onto other claims.
    const std::string good = rsa.sign(claims());
    const std::string other = rsa.sign(R"({"sub": "43", "exp": 1700000600})");
    const std::string spliced = other.substr(0, other.rfind('.')) + good.substr(good.rfind('.'));
    EXPECT_EQ(reason(verifier, spliced), "bad_signature");
    // An empty signature.
    EXPECT_EQ(reason(verifier, good.substr(0, good.rfind('.') + 1)), "bad_signature");
}

TEST_F(JwtVerifierTest, RefusesMalformedTokens)
{
    auto verifier = make_verifier();
    const std::string good = ec.sign(claims());
    for (const std::string &token :
         {std::string("abc"), std::string("a.b"), good + ".x", std::string(".."), "!" + good.substr(1),
          good.substr(0, good.find('.')) + "=" + good.substr(good.find('.')),
          testing::base64url("[1]") + "." + testing::base64url(claims()) + ".AAAA",
          testing::base64url(R"({"alg":"ES256","kid":"ec-1"})") + "." + testing::base64url("not json") + ".AAAA",
          testing::unsigned_token(R"({"alg":"ES256","alg":"none","kid":"ec-1"})", claims()) + "AAAA",
          testing::unsigned_token(R"({"alg":5,"kid":"ec-1"})", claims()) + "AAAA",
          testing::unsigned_token(R"({"alg":"ES256","kid":"ec-1","crit":["exp"]})", claims()) + "AAAA"})
        EXPECT_EQ(reason(verifier, token), "malformed") << token;
    // A signature whose last character differs only in bits base64url leaves unused: not the same token.
    const std::string signature = good.substr(good.rfind('.') + 1);
    ASSERT_EQ(signature.size(), 86U);  // 64 bytes: the last character carries 4 unused bits
    const std::string alphabet = JOSE_B64_MAP;
    std::string altered = good;
    altered.back() = alphabet[alphabet.find(altered.back()) ^ 1];
    EXPECT_EQ(reason(verifier, altered), "malformed");
    // Valid signatures over claims that break the rules' syntax.
    EXPECT_EQ(reason(verifier, ec.sign(R"({"sub": "42"})")), "malformed");
    EXPECT_EQ(reason(verifier, ec.sign(R"({"sub": "42", "exp": "1700000600"})")), "malformed");
    EXPECT_EQ(reason(verifier, ec.sign(claims(R"("nbf": "soon")"))), "malformed");
}

TEST_F(JwtVerifierTest, RefusesATokenOverEightKibibytes)
{
    auto verifier = make_verifier();
    const std::string padding(8192, 'p');
    EXPECT_EQ(reason(verifier, ec.sign(claims(R"("pad": ")" + padding + R"(")"))), "token_too_large");
    EXPECT_EQ(reason(verifier, std::string(8193, 'A')), "token_too_large");
    EXPECT_EQ(reason(verifier, std::string(8192, 'A')), "malformed");
}

TEST_F(JwtVerifierTest, ExpiresExactlyAtExpPlusLeeway)
{
    auto verifier = make_verifier();  // leeway 30 s
    const std::string token = ec.sign(claims("", start));
    EXPECT_EQ(expect_player(verifier, token).player_id, 42);  // at exp, inside the leeway
    unix_clock.set(start + 29);
    EXPECT_EQ(expect_player(verifier, token).player_id, 42);
    unix_clock.set(start + 30);
    EXPECT_EQ(reason(verifier, token), "expired");
    EXPECT_EQ(reason(verifier, ec.sign(claims("", start - 31))), "expired");
    unix_clock.set(start);
    JwtClaimRules strict;
    strict.leeway_seconds = 0;
    auto no_leeway = make_verifier(strict);
    EXPECT_EQ(reason(no_leeway, token), "expired");
    EXPECT_EQ(expect_player(no_leeway, ec.sign(claims("", start + 1))).player_id, 42);
}

TEST_F(JwtVerifierTest, IsNotYetValidUntilNbfMinusLeeway)
{
    auto verifier = make_verifier();
    const std::string token = ec.sign(claims("\"nbf\": " + std::to_string(start + 100)));
    unix_clock.set(start + 69);
    EXPECT_EQ(reason(verifier, token), "not_yet_valid");
    unix_clock.set(start + 70);
    EXPECT_EQ(expect_player(verifier, token).player_id, 42);
}

TEST_F(JwtVerifierTest, ChecksTheIssuerWhenConfigured)
{
    JwtClaimRules rules;
    rules.issuer = "https://id.example";
    auto verifier = make_verifier(rules);
    EXPECT_EQ(expect_player(verifier, ec.sign(claims(R"("iss": "https://id.example")"))).player_id, 42);
    EXPECT_EQ(reason(verifier, ec.sign(claims(R"("iss": "https://evil.example")"))), "wrong_issuer");
    EXPECT_EQ(reason(verifier, ec.sign(claims())), "wrong_issuer");
    auto unchecked = make_verifier();
    EXPECT_EQ(expect_player(unchecked, ec.sign(claims(R"("iss": "anyone")"))).player_id, 42);
}

TEST_F(JwtVerifierTest, ChecksTheAudienceAsAStringOrAnArray)
{
    JwtClaimRules rules;
    rules.audience = "treasure";
    auto verifier = make_verifier(rules);
    EXPECT_EQ(expect_player(verifier, ec.sign(claims(R"("aud": "treasure")"))).player_id, 42);
    EXPECT_EQ(expect_player(verifier, ec.sign(claims(R"("aud": ["shop", "treasure"])"))).player_id, 42);
    EXPECT_EQ(reason(verifier, ec.sign(claims(R"("aud": ["shop", "chat"])"))), "wrong_audience");
    EXPECT_EQ(reason(verifier, ec.sign(claims(R"("aud": "shop")"))), "wrong_audience");
    EXPECT_EQ(reason(verifier, ec.sign(claims())), "wrong_audience");
    EXPECT_EQ(reason(verifier, ec.sign(claims(R"("aud": 1)"))), "wrong_audience");
}

TEST_F(JwtVerifierTest, ThePlayerMustBeAPositiveBigint)
{
    auto verifier = make_verifier();
    for (const char *sub : {"0", "-1", "\"0\"", "\"-1\"", "\"+1\"", "\"01\"", "\"1.0\"", "1.5", "\"abc\"", "\"\"",
                            "\"9223372036854775808\"", "null", "[1]", "true"})
        EXPECT_EQ(reason(verifier, ec.sign(R"({"exp": 1700000600, "sub": )" + std::string(sub) + "}")),
                  "invalid_player")
            << sub;
    EXPECT_EQ(reason(verifier, ec.sign(R"({"exp": 1700000600})")), "invalid_player");
    EXPECT_EQ(expect_player(verifier, ec.sign(R"({"exp": 1700000600, "sub": "9223372036854775807"})")).player_id,
              9223372036854775807LL);
}

TEST_F(JwtVerifierTest, RotatesKeysByRewritingTheJwks)
{
    auto verifier = make_verifier();
    JwtSigner next(directory->file("ec-other.pem"), "ec-2", JwsAlg::es256);
    const std::string old_token = ec.sign(claims());
    const std::string new_token = next.sign(claims());
    EXPECT_EQ(expect_player(verifier, old_token).player_id, 42);
    EXPECT_EQ(reason(verifier, new_token), "unknown_key");

    // Both keys during the rotation, then the old one removed.
    testing::write_file_atomically(jwks_path, testing::jwks_of({&ec, &next}));
    after_the_check_interval();
    EXPECT_EQ(expect_player(verifier, new_token).player_id, 42);
    EXPECT_EQ(expect_player(verifier, old_token).player_id, 42);
    testing::write_file_atomically(jwks_path, testing::jwks_of({&next}));
    after_the_check_interval();
    EXPECT_EQ(reason(verifier, old_token), "unknown_key");  // at once, though it was cached
    EXPECT_EQ(expect_player(verifier, new_token).player_id, 42);
}

TEST_F(JwtVerifierTest, ABrokenJwksKeepsTheLastGoodKeys)
{
    auto verifier = make_verifier();
    testing::write_file_atomically(jwks_path, "{\"keys\": [");
    after_the_check_interval();
    EXPECT_EQ(expect_player(verifier, ec.sign(claims())).player_id, 42);
    testing::write_file_atomically(jwks_path, "[]");
    EXPECT_FALSE(verifier.reload_if_changed());
    EXPECT_EQ(expect_player(verifier, rsa.sign(claims())).player_id, 42);
}

TEST_F(JwtVerifierTest, StartUpRefusesMissingOrBrokenKeyFiles)
{
    testing::write_file_atomically(jwks_path, "{\"keys\": 1}");
    EXPECT_THROW(make_verifier(), std::runtime_error);
    testing::write_file_atomically(jwks_path, testing::jwks_of({&ec, &ec}));
    EXPECT_THROW(make_verifier(), std::runtime_error);
    jwks_path = directory->file("absent.json");
    EXPECT_THROW(make_verifier(), std::runtime_error);
    SetUp();
    const std::string secret_path = directory->file("short.secret");
    testing::write_file_atomically(secret_path, "too short\n");
    EXPECT_THROW(make_verifier({}, secret_path), std::runtime_error);
}

TEST_F(JwtVerifierTest, CachesAVerifiedTokenUntilItsExp)
{
    auto verifier = make_verifier();
    const std::string token = ec.sign(claims("", start + 100));
    EXPECT_EQ(expect_player(verifier, token).player_id, 42);
    EXPECT_EQ(verifier.cached_tokens(), 1U);
    EXPECT_EQ(expect_player(verifier, token).player_id, 42);
    EXPECT_EQ(verifier.cached_tokens(), 1U);
    unix_clock.set(start + 130);
    EXPECT_EQ(reason(verifier, token), "expired");  // answered from the cache
    EXPECT_EQ(reason(verifier, ec.sign(claims("", start + 100))), "expired");
    EXPECT_EQ(verifier.cached_tokens(), 1U);  // refusals are not cached
}

TEST_F(JwtVerifierTest, TheCacheIsBounded)
{
    JwtOptions options;
    options.jwks_path = jwks_path;
    options.cache_capacity = 32;
    JwtVerifier verifier(options, clock, unix_clock);
    for (int player = 1; player <= 200; ++player)
        EXPECT_EQ(
            expect_player(verifier, ec.sign(R"({"exp": 1700000600, "sub": )" + std::to_string(player) + "}")).player_id,
            player);
    EXPECT_LE(verifier.cached_tokens(), 32U);
    EXPECT_GT(verifier.cached_tokens(), 0U);
}

}  // namespace
}  // namespace treasure
