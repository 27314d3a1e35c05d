// The refusal log: one line per refusal, at most a budget per second, the suppressed ones counted.
#include "gateway/refusal_log.hpp"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace treasure {
namespace {

TEST(RefusalLogTest, WritesTheReasonTheAddressesAndThePathOnly)
{
    ManualClock clock;
    std::vector<std::string> lines;
    RefusalLog log(10, clock, [&](const std::string &line) { lines.push_back(line); });
    log.refused(401, "bad_signature", "10.0.0.1", "198.51.100.7", "GET", "/v1/players/42?access_token=secret");
    log.refused(401, "malformed", "10.0.0.1", "198.51.100.7", "POST", "/v1/claims\r\nforged: line");
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[0],
              "treasure-gateway: refused 401 bad_signature peer=10.0.0.1 client=198.51.100.7 route=GET /v1/players/42");
    EXPECT_EQ(lines[1].find('\n'), std::string::npos);
    EXPECT_EQ(lines[1].find('\r'), std::string::npos);
}

TEST(RefusalLogTest, AFloodIsSuppressedAndCountedWhenLoggingResumes)
{
    ManualClock clock;
    std::vector<std::string> lines;
    RefusalLog log(20, clock, [&](const std::string &line) { lines.push_back(line); });
    for (int i = 0; i < 100000; ++i)
        log.refused(429, "rate_limited_client", "203.0.113.9", "203.0.113.9", "POST", "/v1/claims");
    EXPECT_EQ(lines.size(), 20u);
    EXPECT_EQ(log.suppressed_total(), 99980u);
    clock.advance(std::chrono::milliseconds(999));
    log.refused(429, "rate_limited_client", "203.0.113.9", "203.0.113.9", "POST", "/v1/claims");
    EXPECT_EQ(lines.size(), 20u);  // still the same second
    clock.advance(std::chrono::milliseconds(1));
    log.refused(401, "expired", "203.0.113.9", "203.0.113.9", "GET", "/v1/leaderboard");
    ASSERT_EQ(lines.size(), 22u);
    EXPECT_EQ(lines[20], "treasure-gateway: 99981 refusal lines suppressed");
    EXPECT_NE(lines[21].find("refused 401 expired"), std::string::npos);
    log.refused(401, "expired", "203.0.113.9", "203.0.113.9", "GET", "/v1/leaderboard");
    EXPECT_EQ(lines.size(), 23u);  // nothing more to report
}

}  // namespace
}  // namespace treasure
