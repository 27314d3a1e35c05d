#include "lib/flag_rule.hpp"

#include <set>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lib/feature_flags.hpp"

namespace treasure {
namespace {

FlagRule rule(const char *json) { return parse_flag_rule(nlohmann::json::parse(json), "atomic_claims"); }

bool enrolled(const FlagRule &flag, std::int64_t player, std::optional<std::int64_t> session = std::nullopt)
{
    return flag.evaluate(claim_context(player, session)).value;
}

TEST(FlagRule, OffAndOnIgnoreTheContext)
{
    for (std::int64_t player = 1; player < 100; ++player) {
        EXPECT_FALSE(enrolled(rule(R"({"rule": "off"})"), player, player * 3));
        EXPECT_TRUE(enrolled(rule(R"({"rule": "on"})"), player, player * 3));
    }
    EXPECT_EQ(rule(R"({"rule": "on"})").evaluate(claim_context(1, std::nullopt)).variant, "on");
    EXPECT_EQ(rule(R"({"rule": "off"})").evaluate(claim_context(1, std::nullopt)).variant, "off");
}

TEST(FlagRule, CanaryIsExactlySessionIdModuloSeven)
{
    const FlagRule canary = rule(R"({"rule": "canary"})");
    EXPECT_EQ(canary.canary_modulus, 7);
    for (std::int64_t session = -70; session <= 7000; ++session)
        ASSERT_EQ(enrolled(canary, 42, session), session % 7 == 0) << "session " << session;
}

TEST(FlagRule, CanaryWithoutASessionIsNotEnrolled)
{
    const auto details = rule(R"({"rule": "canary"})").evaluate(claim_context(42, std::nullopt));
    EXPECT_FALSE(details.value);
    EXPECT_EQ(details.reason, ResolutionReason::default_value);
}

TEST(FlagRule, CanaryModulusIsConfigurable)
{
    const FlagRule canary = rule(R"({"rule": "canary", "modulus": 3})");
    for (std::int64_t session = 0; session < 300; ++session)
        ASSERT_EQ(enrolled(canary, 1, session), session % 3 == 0);
}

double enrolled_fraction(const FlagRule &flag, std::int64_t players)
{
    std::int64_t in = 0;
    for (std::int64_t player = 1; player <= players; ++player)
        in += enrolled(flag, player) ? 1 : 0;
    return static_cast<double>(in) / static_cast<double>(players);
}

TEST(FlagRule, PercentHitsItsTargetWithinOnePointOver100kPlayers)
{
    for (double target : {1.0, 7.0, 14.0, 25.0, 50.0, 90.0}) {
        nlohmann::json json{{"rule", "percent"}, {"percent", target}};
        const double fraction = enrolled_fraction(parse_flag_rule(json, "atomic_claims"), 100000);
        EXPECT_NEAR(fraction * 100.0, target, 1.0) << "target " << target << "%";
    }
}

TEST(FlagRule, PercentZeroAndHundredAreExact)
{
    EXPECT_EQ(enrolled_fraction(rule(R"({"rule": "percent", "percent": 0})"), 20000), 0.0);
    EXPECT_EQ(enrolled_fraction(rule(R"({"rule": "percent", "percent": 100})"), 20000), 1.0);
}

TEST(FlagRule, PercentIsStickyForAPlayerAcrossSessions)
{
    const FlagRule percent = rule(R"({"rule": "percent", "percent": 30})");
    for (std::int64_t player = 1; player <= 2000; ++player) {
        const bool first = enrolled(percent, player, 1);
        for (std::int64_t session = 2; session <= 20; ++session)
            ASSERT_EQ(enrolled(percent, player, session), first);
        ASSERT_EQ(enrolled(percent, player), first);
    }
}

TEST(FlagRule, ChangingTheSaltDrawsADifferentCohort)
{
    const FlagRule a = rule(R"({"rule": "percent", "percent": 50, "salt": "rollout-a"})");
    const FlagRule b = rule(R"({"rule": "percent", "percent": 50, "salt": "rollout-b"})");
    int differ = 0;
    const int players = 20000;
    for (std::int64_t player = 1; player <= players; ++player)
        differ += enrolled(a, player) != enrolled(b, player);
    // Independent 50% cohorts disagree for about half of the players.
    EXPECT_NEAR(static_cast<double>(differ) / players, 0.5, 0.02);
}

TEST(FlagRule, GrowingThePercentOnlyAddsPlayers)
{
    const FlagRule small = rule(R"({"rule": "percent", "percent": 10})");
    const FlagRule large = rule(R"({"rule": "percent", "percent": 20})");
    for (std::int64_t player = 1; player <= 20000; ++player)
        if (enrolled(small, player)) {
            ASSERT_TRUE(enrolled(large, player)) << "player " << player;
        }
}

TEST(FlagRule, FractionalPercentUsesHundredths)
{
    EXPECT_EQ(rule(R"({"rule": "percent", "percent": 12.34})").percent_basis_points, 1234);
}

TEST(FlagRule, RejectsBadRulesWithAClearMessage)
{
    EXPECT_THROW(rule(R"({"rule": "sometimes"})"), std::invalid_argument);
    EXPECT_THROW(rule(R"({"rule": "percent"})"), std::invalid_argument);
    EXPECT_THROW(rule(R"({"rule": "percent", "percent": 101})"), std::invalid_argument);
    EXPECT_THROW(rule(R"({"rule": "canary", "modulus": 0})"), std::invalid_argument);
    EXPECT_THROW(rule(R"({"enabled": true})"), std::invalid_argument);
    try {
        rule(R"({"rule": "sometimes"})");
        FAIL() << "expected an exception";
    } catch (const std::invalid_argument &error) {
        EXPECT_NE(std::string(error.what()).find("sometimes"), std::string::npos) << error.what();
    }
}

TEST(StaticFlagProvider, UnknownFlagResolvesToTheDefault)
{
    StaticFlagProvider provider({{"atomic_claims", rule(R"({"rule": "on"})")}});
    EXPECT_TRUE(provider.resolve_boolean("atomic_claims", false, claim_context(1, std::nullopt)).value);
    const auto missing = provider.resolve_boolean("other", true, claim_context(1, std::nullopt));
    EXPECT_TRUE(missing.value);
    EXPECT_EQ(missing.reason, ResolutionReason::default_value);
}

}  // namespace
}  // namespace treasure
