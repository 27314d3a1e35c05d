// shard_of()'s contract without a database; tests/client/db/shard_hash_test.cpp checks the values against
// PostgreSQL's hashint8().
#include "lib/shard_hash.hpp"

#include <cstdint>
#include <stdexcept>

#include <gtest/gtest.h>

namespace treasure {
namespace {

TEST(ShardOf, RefusesPartitionCountsPlProxyRefuses)
{
    for (int bad : {0, -1, -4, 3, 5, 6, 12, 1000})
        EXPECT_THROW(shard_of(42, bad), std::invalid_argument) << bad;
    for (int good : {1, 2, 4, 1024, 1 << 30})
        EXPECT_NO_THROW(shard_of(42, good)) << good;
}

TEST(ShardOf, IsAlwaysAPartitionOfTheClusterAndOnePartitionOwnsEveryone)
{
    for (std::int64_t player = -1000; player <= 1000; ++player) {
        EXPECT_EQ(shard_of(player, 1), 0);
        const int shard = shard_of(player, 8);
        ASSERT_GE(shard, 0);
        ASSERT_LT(shard, 8);
        // Halving the cluster keeps the low bits: a player's shard of 4 is its shard of 8 without the top bit.
        EXPECT_EQ(shard_of(player, 4), shard & 3);
    }
}

TEST(ShardOf, SpreadsConsecutivePlayersOverEveryShard)
{
    int owned[16] = {};
    for (std::int64_t player = 1; player <= 16000; ++player)
        ++owned[shard_of(player, 16)];
    for (int count : owned)
        EXPECT_GT(count, 800);  // 1000 each on average; a broken mix would pile them up
}

}  // namespace
}  // namespace treasure
