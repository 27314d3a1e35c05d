// CORS: exact origins only, preflights answered or refused, never a wildcard.
#include "gateway/cors.hpp"

#include <stdexcept>

#include <gtest/gtest.h>

#include "support/answer_headers.hpp"

namespace treasure {
namespace {

using testing::has_access_control_header;

std::string header(const HeaderList &headers, const std::string &name) { return testing::header_value(headers, name); }

TEST(CorsTest, OriginsMustBeExact)
{
    for (const char *good :
         {"https://play.example.com", "http://localhost:5173", "https://[::1]:8443", "http://192.0.2.1"})
        EXPECT_NO_THROW(check_cors_origin(good)) << good;
    for (const char *bad : {"*", "https://*.example.com", "https://play.example.com/", "play.example.com",
                            "https://Play.Example.com", "ftp://example.com", "https://example.com:99999x", "null"})
        EXPECT_THROW(check_cors_origin(bad), std::invalid_argument) << bad;
    EXPECT_THROW(CorsPolicy({"*"}), std::invalid_argument);
}

TEST(CorsTest, APreflightFromAnAllowedOriginGets204WithThatOrigin)
{
    const CorsPolicy cors({"https://play.example.com"});
    const Answer answer = cors.preflight("https://play.example.com", "POST");
    EXPECT_EQ(answer.status, 204);
    EXPECT_EQ(answer.body, "");
    EXPECT_EQ(header(answer.headers, "Access-Control-Allow-Origin"), "https://play.example.com");
    EXPECT_EQ(header(answer.headers, "Access-Control-Allow-Methods"), "GET, POST");
    EXPECT_EQ(header(answer.headers, "Access-Control-Allow-Headers"),
              "Authorization, Content-Type, Idempotency-Key, X-Api-Key");
    EXPECT_EQ(header(answer.headers, "Access-Control-Max-Age"), "600");
    EXPECT_EQ(header(answer.headers, "Vary"), "Origin");
    EXPECT_EQ(header(answer.headers, "Access-Control-Allow-Credentials"), "<absent>");
}

TEST(CorsTest, OtherOriginsAndMethodsAreRefusedWithoutCorsHeaders)
{
    const CorsPolicy cors({"https://play.example.com"});
    for (const auto &[origin, method] :
         {std::pair{"https://evil.example.com", "POST"}, std::pair{"https://play.example.com.evil.com", "GET"},
          std::pair{"https://play.example.com", "DELETE"}}) {
        const Answer answer = cors.preflight(origin, method);
        EXPECT_EQ(answer.status, 403) << origin;
        EXPECT_FALSE(has_access_control_header(answer.headers)) << origin;
        EXPECT_EQ(header(answer.headers, "Vary"), "Origin");
    }
    EXPECT_EQ(CorsPolicy().preflight("https://play.example.com", "GET").status, 403);
}

TEST(CorsTest, OrdinaryAnswersNameOnlyAnAllowedOrigin)
{
    const CorsPolicy cors({"https://play.example.com", "http://localhost:5173"});
    const HeaderList allowed = cors.response_headers("http://localhost:5173");
    EXPECT_EQ(header(allowed, "Access-Control-Allow-Origin"), "http://localhost:5173");
    EXPECT_EQ(header(allowed, "Vary"), "Origin");
    EXPECT_EQ(header(allowed, "Access-Control-Expose-Headers"), "Retry-After, Idempotency-Replay");
    EXPECT_FALSE(has_access_control_header(cors.response_headers("https://evil.example.com")));
    EXPECT_FALSE(has_access_control_header(cors.response_headers("")));
    EXPECT_TRUE(CorsPolicy().response_headers("https://play.example.com").empty());
}

}  // namespace
}  // namespace treasure
