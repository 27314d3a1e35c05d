// Which simulated players are bots (--bots, --bot-rate-multiplier): the choice depends on the player id alone, the
// fraction is exact, and a draw picks bots in proportion to their rate.
#include "lib/bot_players.hpp"

#include <cmath>
#include <random>
#include <stdexcept>

#include <gtest/gtest.h>

namespace treasure {
namespace {

TEST(BotPlayersTest, TheFractionIsExactAndEveryIdIsABotOrAHuman)
{
    for (std::int64_t players : {1, 2, 7, 1000, 3000, 50001}) {
        for (double fraction : {0.0, 0.001, 0.12, 0.2, 0.5, 0.9, 1.0}) {
            const BotPlayers mix(players, fraction, 50);
            std::int64_t bots = 0, next_bot = 0, next_human = 0;
            for (std::int64_t id = 1; id <= players; ++id) {
                if (mix.is_bot(id)) {
                    ++bots;
                    ASSERT_EQ(mix.bot(next_bot++), id) << players << " players, " << fraction;
                } else {
                    ASSERT_EQ(mix.human(next_human++), id) << players << " players, " << fraction;
                }
            }
            EXPECT_EQ(bots, std::llround(static_cast<double>(players) * fraction)) << players << ", " << fraction;
            EXPECT_EQ(mix.bots(), bots);
            EXPECT_EQ(mix.humans(), players - bots);
            EXPECT_FALSE(mix.is_bot(0));
            EXPECT_FALSE(mix.is_bot(players + 1));
        }
    }
}

TEST(BotPlayersTest, TheChoiceDependsOnThePlayerIdAlone)
{
    const BotPlayers one(3000, 0.2, 50), other(3000, 0.2, 2);
    for (std::int64_t id = 1; id <= 3000; ++id)
        ASSERT_EQ(one.is_bot(id), other.is_bot(id)) << id;
    // Spread evenly: every fifth player, not the first 600.
    EXPECT_TRUE(one.is_bot(1));
    EXPECT_TRUE(one.is_bot(6));
    EXPECT_FALSE(one.is_bot(2));
    std::int64_t in_second_half = 0;
    for (std::int64_t id = 1501; id <= 3000; ++id)
        in_second_half += one.is_bot(id);
    EXPECT_EQ(in_second_half, 300);
}

TEST(BotPlayersTest, IdsNearTheTopOfTheRangeDoNotOverflow)
{
    const std::int64_t players = INT64_MAX - 1;
    const BotPlayers mix(players, 0.5, 10);
    EXPECT_TRUE(mix.is_bot(mix.bot(mix.bots() - 1)));
    EXPECT_LE(mix.bot(mix.bots() - 1), players);
    EXPECT_FALSE(mix.is_bot(mix.human(mix.humans() - 1)));
    EXPECT_LE(mix.human(mix.humans() - 1), players);
}

TEST(BotPlayersTest, BotsAreDrawnInProportionToTheirRate)
{
    const BotPlayers mix(3000, 0.2, 50);
    EXPECT_DOUBLE_EQ(mix.load_factor(), 0.8 + 0.2 * 50);
    std::mt19937_64 random(7);
    constexpr int draws = 200000;
    int bot_taps = 0;
    std::vector<int> per_player(3001);
    for (int i = 0; i < draws; ++i) {
        const std::int64_t id = mix.pick(random);
        ASSERT_GE(id, 1);
        ASSERT_LE(id, 3000);
        bot_taps += mix.is_bot(id);
        ++per_player[static_cast<std::size_t>(id)];
    }
    // 600 bots at weight 50 against 2400 humans at weight 1.
    EXPECT_NEAR(static_cast<double>(bot_taps) / draws, 30000.0 / 32400.0, 0.005);
    // A bot taps about 50 times as often as a human: compare the two classes' mean taps per player.
    const double per_bot = static_cast<double>(bot_taps) / 600,
                 per_human = static_cast<double>(draws - bot_taps) / 2400;
    EXPECT_NEAR(per_bot / per_human, 50, 3);
}

TEST(BotPlayersTest, WithoutBotsTheDrawIsTheUniformOneOfBefore)
{
    const BotPlayers mix(2000, 0, 50);
    EXPECT_DOUBLE_EQ(mix.load_factor(), 1.0);
    std::mt19937_64 random(1), before(1);
    std::uniform_int_distribution<std::int64_t> pick_player(1, 2000);
    for (int i = 0; i < 1000; ++i)
        ASSERT_EQ(mix.pick(random), pick_player(before));
}

TEST(BotPlayersTest, OnlyBotsOrOnlyHumans)
{
    std::mt19937_64 random(3);
    const BotPlayers all_bots(100, 1.0, 5), no_bots(100, 0.0, 5);
    for (int i = 0; i < 1000; ++i) {
        EXPECT_TRUE(all_bots.is_bot(all_bots.pick(random)));
        EXPECT_FALSE(no_bots.is_bot(no_bots.pick(random)));
    }
}

TEST(BotPlayersTest, RefusesImpossibleSettings)
{
    EXPECT_THROW(BotPlayers(0, 0.1, 2), std::invalid_argument);
    EXPECT_THROW(BotPlayers(10, -0.1, 2), std::invalid_argument);
    EXPECT_THROW(BotPlayers(10, 1.5, 2), std::invalid_argument);
    EXPECT_THROW(BotPlayers(10, std::nan(""), 2), std::invalid_argument);
    EXPECT_THROW(BotPlayers(10, 0.1, 0.5), std::invalid_argument);
}

}  // namespace
}  // namespace treasure
