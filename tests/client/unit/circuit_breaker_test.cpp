#include "lib/circuit_breaker.hpp"

#include <chrono>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace treasure {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

class CircuitBreakerTest : public ::testing::Test {
protected:
    CircuitBreakerOptions options() const
    {
        CircuitBreakerOptions options;  // the defaults: 30 x 1 s, 0.3%, 1000 calls, 30 s open
        options.half_open_probes = 3;
        return options;
    }

    static void record(CircuitBreaker &breaker, int calls, bool server_fault)
    {
        for (int i = 0; i < calls; ++i) {
            auto ticket = breaker.allow();
            ASSERT_TRUE(ticket.allowed);
            breaker.record(ticket, server_fault);
        }
    }

    void open(CircuitBreaker &breaker)
    {
        record(breaker, 1000, false);
        record(breaker, 4, true);
        ASSERT_EQ(breaker.state(), CircuitState::open);
    }

    ManualClock clock;
};

TEST_F(CircuitBreakerTest, ExactlyAtThresholdStaysClosed)
{
    CircuitBreaker breaker(options(), clock);
    record(breaker, 997, false);
    record(breaker, 3, true);  // 3 failures in 1000 calls = exactly 0.3%
    EXPECT_EQ(breaker.state(), CircuitState::closed);
    record(breaker, 997, false);
    record(breaker, 3, true);  // 6 in 2000
    EXPECT_EQ(breaker.state(), CircuitState::closed);
    EXPECT_EQ(breaker.window_totals().calls, 2000);
    EXPECT_EQ(breaker.window_totals().failures, 6);
}

TEST_F(CircuitBreakerTest, JustAboveThresholdOpens)
{
    CircuitBreaker breaker(options(), clock);
    record(breaker, 1994, false);
    record(breaker, 6, true);
    ASSERT_EQ(breaker.state(), CircuitState::closed);
    record(breaker, 1, true);  // 7 in 2001 = 0.35%
    EXPECT_EQ(breaker.state(), CircuitState::open);
    EXPECT_FALSE(breaker.allow().allowed);
}

TEST_F(CircuitBreakerTest, OpensWhenASuccessReachesMinCallsWithRateAboveThreshold)
{
    CircuitBreaker breaker(options(), clock);
    record(breaker, 10, true);
    record(breaker, 989, false);
    ASSERT_EQ(breaker.state(), CircuitState::closed);  // 999 calls: below min_calls
    record(breaker, 1, false);
    EXPECT_EQ(breaker.state(), CircuitState::open);
}

TEST_F(CircuitBreakerTest, BelowMinCallsNeverOpens)
{
    CircuitBreaker breaker(options(), clock);
    record(breaker, 999, true);  // 100% failures, but only 999 calls
    EXPECT_EQ(breaker.state(), CircuitState::closed);
    EXPECT_EQ(breaker.window_totals().failures, 999);
}

TEST_F(CircuitBreakerTest, ClientErrorsAreNotFailures)
{
    CircuitBreaker breaker(options(), clock);
    record(breaker, 5000, false);  // 4xx outcomes are recorded as non-faults
    EXPECT_EQ(breaker.state(), CircuitState::closed);
    EXPECT_EQ(breaker.window_totals().failures, 0);
}

TEST_F(CircuitBreakerTest, StaysOpenForOpenDurationThenHalfOpens)
{
    CircuitBreaker breaker(options(), clock);
    open(breaker);
    clock.advance(seconds(30) - milliseconds(1));
    EXPECT_FALSE(breaker.allow().allowed);
    EXPECT_EQ(breaker.state(), CircuitState::open);
    clock.advance(milliseconds(1));
    auto probe = breaker.allow();
    EXPECT_TRUE(probe.allowed);
    EXPECT_TRUE(probe.probe);
    EXPECT_EQ(breaker.state(), CircuitState::half_open);
}

TEST_F(CircuitBreakerTest, HalfOpenAdmitsOnlyTheProbesAndClosesWhenTheyAllSucceed)
{
    CircuitBreaker breaker(options(), clock);
    open(breaker);
    clock.advance(seconds(30));
    std::vector<CircuitBreaker::Ticket> probes;
    for (int i = 0; i < 3; ++i)
        probes.push_back(breaker.allow());
    for (const auto &probe : probes)
        ASSERT_TRUE(probe.allowed);
    EXPECT_FALSE(breaker.allow().allowed) << "a fourth call must wait for the probes";
    breaker.record(probes[0], false);
    breaker.record(probes[1], false);
    EXPECT_EQ(breaker.state(), CircuitState::half_open);
    breaker.record(probes[2], false);
    EXPECT_EQ(breaker.state(), CircuitState::closed);
    EXPECT_EQ(breaker.window_totals().calls, 0) << "closing starts a fresh window";
    EXPECT_TRUE(breaker.allow().allowed);
}

TEST_F(CircuitBreakerTest, HalfOpenFailureReopens)
{
    CircuitBreaker breaker(options(), clock);
    open(breaker);
    clock.advance(seconds(30));
    auto first = breaker.allow();
    auto second = breaker.allow();
    breaker.record(first, false);
    breaker.record(second, true);
    EXPECT_EQ(breaker.state(), CircuitState::open);
    EXPECT_FALSE(breaker.allow().allowed);
    clock.advance(seconds(30));
    EXPECT_TRUE(breaker.allow().allowed);
    EXPECT_EQ(breaker.state(), CircuitState::half_open);
}

TEST_F(CircuitBreakerTest, OutcomeOfACallAdmittedBeforeATransitionIsIgnored)
{
    CircuitBreaker breaker(options(), clock);
    auto slow = breaker.allow();  // admitted while closed
    open(breaker);
    clock.advance(seconds(30));
    auto probe = breaker.allow();
    ASSERT_TRUE(probe.probe);
    breaker.record(slow, true);  // must not reopen the half-open breaker
    EXPECT_EQ(breaker.state(), CircuitState::half_open);
}

TEST_F(CircuitBreakerTest, BucketsExpireAfterTheWindow)
{
    CircuitBreaker breaker(options(), clock);
    record(breaker, 999, false);
    clock.advance(seconds(29));
    EXPECT_EQ(breaker.window_totals().calls, 999) << "29 s later the first bucket still counts";
    clock.advance(seconds(1));
    EXPECT_EQ(breaker.window_totals().calls, 0) << "30 s later it has left the window";
    record(breaker, 4, true);  // would open with the old 999 calls in the window
    EXPECT_EQ(breaker.state(), CircuitState::closed);
    EXPECT_EQ(breaker.window_totals().calls, 4);
}

TEST_F(CircuitBreakerTest, WindowSlidesBucketByBucket)
{
    CircuitBreaker breaker(options(), clock);
    for (int second = 0; second < 30; ++second) {
        record(breaker, 100, false);
        clock.advance(seconds(1));
    }
    // Now at second 30: the bucket of second 0 has left, the other 29 remain.
    EXPECT_EQ(breaker.window_totals().calls, 2900);
}

TEST_F(CircuitBreakerTest, ReportsTransitionsToTheListener)
{
    CircuitBreaker breaker(options(), clock);
    std::vector<std::pair<CircuitState, CircuitState>> seen;
    breaker.on_transition([&](CircuitState from, CircuitState to) { seen.emplace_back(from, to); });
    open(breaker);
    clock.advance(seconds(30));
    for (int i = 0; i < 3; ++i)
        breaker.record(breaker.allow(), false);
    const std::vector<std::pair<CircuitState, CircuitState>> expected{{CircuitState::closed, CircuitState::open},
                                                                      {CircuitState::open, CircuitState::half_open},
                                                                      {CircuitState::half_open, CircuitState::closed}};
    EXPECT_EQ(seen, expected);
}

TEST_F(CircuitBreakerTest, AllNumbersAreConfigurable)
{
    CircuitBreakerOptions custom;
    custom.window_buckets = 10;
    custom.failure_rate_threshold_ppm = 100000;  // 10%
    custom.min_calls = 10;
    custom.open_duration = seconds(5);
    custom.half_open_probes = 1;
    CircuitBreaker breaker(custom, clock);
    record(breaker, 9, false);
    record(breaker, 1, true);  // exactly 10%: stays closed
    EXPECT_EQ(breaker.state(), CircuitState::closed);
    record(breaker, 1, true);
    EXPECT_EQ(breaker.state(), CircuitState::open);
    clock.advance(seconds(5));
    breaker.record(breaker.allow(), false);
    EXPECT_EQ(breaker.state(), CircuitState::closed);
}

TEST_F(CircuitBreakerTest, RejectsNonsenseOptions)
{
    CircuitBreakerOptions bad;
    bad.min_calls = 0;
    EXPECT_THROW(CircuitBreaker(bad, clock), std::invalid_argument);
    bad = CircuitBreakerOptions{};
    bad.failure_rate_threshold_ppm = 2000000;
    EXPECT_THROW(CircuitBreaker(bad, clock), std::invalid_argument);
}

TEST_F(CircuitBreakerTest, CountsEveryCallFromManyThreads)
{
    CircuitBreakerOptions huge = options();
    huge.min_calls = 1000000000;
    CircuitBreaker breaker(huge, clock);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&breaker, t] {
            for (int i = 0; i < 5000; ++i)
                breaker.record(breaker.allow(), (i + t) % 10 == 0);
        });
    for (auto &thread : threads)
        thread.join();
    EXPECT_EQ(breaker.window_totals().calls, 20000);
    EXPECT_EQ(breaker.window_totals().failures, 2000);
}

}  // namespace
}  // namespace treasure
