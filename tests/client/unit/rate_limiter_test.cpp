// Token buckets on a manual clock: RATE[:BURST], burst then refusal, refill, Retry-After rounding, idle
// eviction, and a million distinct ids held under the cap.
#include "auth/rate_limiter.hpp"

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace treasure {
namespace {

using std::chrono::milliseconds;

TEST(RateLimitTest, ParsesRateAndBurst)
{
    EXPECT_DOUBLE_EQ(parse_rate_limit("2").rate_per_second, 2);
    EXPECT_DOUBLE_EQ(parse_rate_limit("2").burst, 2);
    EXPECT_DOUBLE_EQ(parse_rate_limit("0.5").burst, 1);
    EXPECT_DOUBLE_EQ(parse_rate_limit("0.5:10").rate_per_second, 0.5);
    EXPECT_DOUBLE_EQ(parse_rate_limit("0.5:10").burst, 10);
    for (const char *bad : {"", ":", "0", "-1", "1:", ":5", "1:0.5", "abc", "1:2:3", "nan", "inf", "1x", " 1"})
        EXPECT_THROW(parse_rate_limit(bad), std::invalid_argument) << bad;
}

TEST(RateLimiterTest, AllowsTheBurstThenSaysWhenToRetry)
{
    ManualClock clock;
    RateLimiter limiter(parse_rate_limit("2:5"), clock);
    for (int i = 0; i < 5; ++i)
        EXPECT_TRUE(limiter.take(42).allowed) << i;
    const RateDecision refused = limiter.take(42);
    EXPECT_FALSE(refused.allowed);
    EXPECT_EQ(refused.retry_after, milliseconds(500));
    EXPECT_EQ(refused.retry_after_seconds(), 1);
    EXPECT_TRUE(limiter.take(43).allowed) << "another id has its own bucket";
}

TEST(RateLimiterTest, RefillsAtTheRateUpToTheBurst)
{
    ManualClock clock;
    RateLimiter limiter(parse_rate_limit("2:5"), clock);
    for (int i = 0; i < 5; ++i)
        limiter.take(1);
    clock.advance(milliseconds(499));
    EXPECT_FALSE(limiter.take(1).allowed);
    EXPECT_EQ(limiter.take(1).retry_after, milliseconds(1));
    clock.advance(milliseconds(1));
    EXPECT_TRUE(limiter.take(1).allowed);
    EXPECT_FALSE(limiter.take(1).allowed);
    clock.advance(std::chrono::hours(1));  // refills to the burst, not beyond
    for (int i = 0; i < 5; ++i)
        EXPECT_TRUE(limiter.take(1).allowed) << i;
    EXPECT_FALSE(limiter.take(1).allowed);
}

TEST(RateLimiterTest, RetryAfterIsWholeSecondsRoundedUp)
{
    ManualClock clock;
    RateLimiter slow(parse_rate_limit("0.4:1"), clock);  // one tap every 2.5 s
    EXPECT_TRUE(slow.take(7).allowed);
    const RateDecision refused = slow.take(7);
    EXPECT_EQ(refused.retry_after, milliseconds(2500));
    EXPECT_EQ(refused.retry_after_seconds(), 3);
    EXPECT_EQ((RateDecision{false, milliseconds(1)}).retry_after_seconds(), 1);
    EXPECT_EQ((RateDecision{false, milliseconds(1000)}).retry_after_seconds(), 1);
    EXPECT_EQ((RateDecision{false, milliseconds(1001)}).retry_after_seconds(), 2);
}

TEST(RateLimiterTest, EvictsBucketsOnceTheyAreFullAgain)
{
    ManualClock clock;
    RateLimiterOptions options;
    options.shards = 1;
    options.max_entries = 1000;
    RateLimiter limiter(parse_rate_limit("10:10"), clock, options);  // full again 1 s after the last tap
    for (std::uint64_t id = 0; id < 100; ++id)
        limiter.take(id);
    EXPECT_EQ(limiter.size(), 100U);
    clock.advance(milliseconds(999));
    limiter.take(1000);
    EXPECT_EQ(limiter.size(), 101U);
    clock.advance(milliseconds(1));
    for (int i = 0; i < 100; ++i)
        limiter.take(1000);
    EXPECT_EQ(limiter.size(), 1U) << "the 100 idle buckets leave a few per take";
}

TEST(RateLimiterTest, AMillionDistinctIdsStayUnderTheCap)
{
    ManualClock clock;
    RateLimiterOptions options;
    options.max_entries = 10000;
    RateLimiter limiter(parse_rate_limit("1:3"), clock, options);
    EXPECT_EQ(limiter.capacity(), 10000U - 10000U % options.shards);
    // A heavy user, drained before the flood.
    for (int i = 0; i < 3; ++i)
        EXPECT_TRUE(limiter.take(0).allowed);
    EXPECT_FALSE(limiter.take(0).allowed);
    for (std::uint64_t id = 1; id <= 1000000; ++id) {
        EXPECT_TRUE(limiter.take(id).allowed);
        if (id % 50000 == 0) {
            ASSERT_LE(limiter.size(), limiter.capacity()) << "after " << id << " ids";
        }
    }
    EXPECT_LE(limiter.size(), limiter.capacity());
    EXPECT_GE(limiter.size(), limiter.capacity() * 9 / 10);
    // The flood pushed the drained bucket out: it fails open, with a fresh burst, never shut out.
    EXPECT_TRUE(limiter.take(0).allowed);
}

TEST(RateLimiterTest, CountsEveryTapUnderConcurrency)
{
    ManualClock clock;
    RateLimiter limiter(parse_rate_limit("1:1000"), clock);
    std::atomic<int> allowed{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 500; ++i)
                allowed += limiter.take(99).allowed ? 1 : 0;
        });
    for (auto &thread : threads)
        thread.join();
    EXPECT_EQ(allowed.load(), 1000);
}

TEST(RateLimiterTest, KeysForNamesAndAddressesAreSpread)
{
    EXPECT_NE(rate_limit_key("203.0.113.7"), rate_limit_key("203.0.113.8"));
    EXPECT_EQ(rate_limit_key("eu-game-1"), rate_limit_key("eu-game-1"));
    EXPECT_THROW(RateLimiter(parse_rate_limit("1"), SteadyClock::instance(), RateLimiterOptions{10, 64}),
                 std::invalid_argument);
}

}  // namespace
}  // namespace treasure
