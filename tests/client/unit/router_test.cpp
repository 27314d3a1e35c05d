// The Router's decisions, with claim paths that answer from memory: what is under test is the choice of
// path, not the database (tests/client/db covers the real atomic path).
#include "lib/router.hpp"

#include <atomic>
#include <string>

#include <gtest/gtest.h>

#include "lib/claim_error.hpp"
#include "lib/uuid.hpp"

namespace treasure {
namespace {

class ScriptedPath final : public ClaimPath {
public:
    explicit ScriptedPath(PathKind kind) : kind_(kind) {}
    ClaimResult claim(const ValidClaimRequest &) override
    {
        ++calls;
        if (fail_with)
            throw ClaimError(*fail_with, "scripted failure");
        ClaimResult result;
        result.path = kind_;
        return result;
    }
    PathKind kind() const override { return kind_; }

    std::atomic<int> calls{0};
    std::optional<ClaimErrorKind> fail_with;

private:
    PathKind kind_;
};

class RouterTest : public ::testing::Test {
protected:
    RouterTest() : breaker(small_breaker(), clock) {}

    static CircuitBreakerOptions small_breaker()
    {
        CircuitBreakerOptions options;
        options.min_calls = 10;
        options.half_open_probes = 1;
        return options;
    }
    static StaticFlagProvider flags(const char *rule)
    {
        FlagRule parsed;
        parsed.kind = std::string(rule) == "on" ? RolloutKind::on : RolloutKind::off;
        return StaticFlagProvider({{"atomic_claims", parsed}});
    }
    static ClaimRequest request() { return ClaimRequest{1, 1, random_uuid_v4(), std::nullopt}; }

    static ClaimErrorKind error_kind(Router &router)
    {
        try {
            router.claim(request());
        } catch (const ClaimError &error) {
            return error.kind();
        }
        ADD_FAILURE() << "expected a ClaimError";
        return ClaimErrorKind::internal;
    }

    ManualClock clock;
    CircuitBreaker breaker;
    ScriptedPath atomic{PathKind::atomic};
    ScriptedPath saga{PathKind::saga};
    ClaimMetrics metrics;
};

TEST_F(RouterTest, FlagOnUsesTheAtomicPath)
{
    auto on = flags("on");
    Router router(atomic, &saga, on, breaker, &metrics);
    EXPECT_EQ(router.claim(request()).path, PathKind::atomic);
    EXPECT_EQ(atomic.calls, 1);
    EXPECT_EQ(saga.calls, 0);
}

TEST_F(RouterTest, FlagOffUsesTheFallback)
{
    auto off = flags("off");
    Router router(atomic, &saga, off, breaker, &metrics);
    EXPECT_EQ(router.claim(request()).path, PathKind::saga);
    EXPECT_EQ(atomic.calls, 0);
}

TEST_F(RouterTest, WithoutAFallbackTheSagaSideHasNoPath)
{
    auto off = flags("off");
    Router router(atomic, nullptr, off, breaker, &metrics);
    EXPECT_EQ(error_kind(router), ClaimErrorKind::no_path);
    EXPECT_EQ(atomic.calls, 0);
}

TEST_F(RouterTest, InvalidRequestsReachNoPath)
{
    auto on = flags("on");
    Router router(atomic, &saga, on, breaker, &metrics);
    EXPECT_THROW(router.claim(ClaimRequest{0, 1, random_uuid_v4(), {}}), ClaimError);
    EXPECT_EQ(atomic.calls, 0);
}

TEST_F(RouterTest, ServerFaultsOpenTheBreakerAndLaterRequestsFallBack)
{
    auto on = flags("on");
    Router router(atomic, &saga, on, breaker, &metrics);
    atomic.fail_with = ClaimErrorKind::unavailable;
    for (int i = 0; i < 10; ++i)
        EXPECT_EQ(error_kind(router), ClaimErrorKind::unavailable);
    EXPECT_EQ(breaker.state(), CircuitState::open);
    EXPECT_EQ(router.claim(request()).path, PathKind::saga);
    EXPECT_EQ(atomic.calls, 10) << "a failed atomic request is never re-sent to the saga path";
}

TEST_F(RouterTest, ClientErrorsDoNotOpenTheBreaker)
{
    auto on = flags("on");
    Router router(atomic, nullptr, on, breaker, &metrics);
    atomic.fail_with = ClaimErrorKind::unknown_chest;
    for (int i = 0; i < 50; ++i)
        EXPECT_EQ(error_kind(router), ClaimErrorKind::unknown_chest);
    EXPECT_EQ(breaker.state(), CircuitState::closed);
}

TEST_F(RouterTest, OpenBreakerWithoutFallbackIsNoPathUntilAProbeSucceeds)
{
    auto on = flags("on");
    Router router(atomic, nullptr, on, breaker, &metrics);
    atomic.fail_with = ClaimErrorKind::internal;
    for (int i = 0; i < 10; ++i)
        error_kind(router);
    ASSERT_EQ(breaker.state(), CircuitState::open);
    EXPECT_EQ(error_kind(router), ClaimErrorKind::no_path);
    atomic.fail_with.reset();
    clock.advance(std::chrono::seconds(30));
    EXPECT_EQ(router.claim(request()).path, PathKind::atomic);
    EXPECT_EQ(breaker.state(), CircuitState::closed);
}

TEST_F(RouterTest, MetricsCountEveryClaimByPathAndStatus)
{
    auto on = flags("on");
    Router router(atomic, nullptr, on, breaker, &metrics);
    router.claim(request());
    router.claim(request());
    atomic.fail_with = ClaimErrorKind::unknown_chest;
    error_kind(router);
    const std::string text = metrics.serialize();
    EXPECT_NE(text.find(R"(treasure_claims_total{path="atomic",status="claimed"} 2)"), std::string::npos) << text;
    EXPECT_NE(text.find(R"(treasure_claims_total{path="atomic",status="unknown_chest"} 1)"), std::string::npos);
    EXPECT_NE(text.find(R"(treasure_claim_duration_seconds_count{path="atomic",status="claimed"} 2)"),
              std::string::npos);
    EXPECT_NE(text.find(R"(treasure_flag_evaluations_total{flag="atomic_claims",variant="on"} 3)"), std::string::npos);
}

}  // namespace
}  // namespace treasure
