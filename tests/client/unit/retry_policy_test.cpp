#include "lib/retry_policy.hpp"

#include <gtest/gtest.h>

#include "lib/sqlstate.hpp"

namespace treasure {
namespace {

TEST(RetryPolicy, BackoffIsJitteredWithinAnExponentialCeiling)
{
    RetryPolicy policy;
    policy.base_backoff = std::chrono::milliseconds(2);
    policy.max_backoff = std::chrono::milliseconds(50);
    std::mt19937_64 random(12345);
    for (int retry = 0; retry < 10; ++retry) {
        const long long ceiling = std::min(50000LL, 2000LL << retry);
        long long largest = 0;
        for (int i = 0; i < 2000; ++i) {
            const long long pause = policy.backoff(retry, random).count();
            ASSERT_GE(pause, 0);
            ASSERT_LE(pause, ceiling);
            largest = std::max(largest, pause);
        }
        EXPECT_GT(largest, ceiling / 2) << "jitter spreads over the whole range, retry " << retry;
    }
}

TEST(Sqlstate, MapsTheExtensionsErrors)
{
    EXPECT_EQ(classify_sqlstate("40001"), SqlstateMeaning::retry);
    EXPECT_EQ(classify_sqlstate("40P01"), SqlstateMeaning::retry);
    EXPECT_EQ(classify_sqlstate("08006"), SqlstateMeaning::connection_lost);
    EXPECT_EQ(classify_sqlstate("57P01"), SqlstateMeaning::connection_lost);
    EXPECT_EQ(classify_sqlstate("22004"), SqlstateMeaning::bad_request);
    EXPECT_EQ(classify_sqlstate("22023"), SqlstateMeaning::bad_request);
    EXPECT_EQ(classify_sqlstate("22003"), SqlstateMeaning::bad_request);
    EXPECT_EQ(classify_sqlstate("P0002"), SqlstateMeaning::unknown_chest);
    EXPECT_EQ(classify_sqlstate("23505"), SqlstateMeaning::request_id_conflict);
    EXPECT_EQ(classify_sqlstate("42883"), SqlstateMeaning::undefined_object);
    EXPECT_EQ(classify_sqlstate("42P01"), SqlstateMeaning::undefined_object);
    EXPECT_EQ(classify_sqlstate("42501"), SqlstateMeaning::other);
}

}  // namespace
}  // namespace treasure
