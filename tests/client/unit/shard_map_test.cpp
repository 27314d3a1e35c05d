// How the router's SQL/MED options become one connection string per shard, without a database
// (tests/client/db/shard_map_test.cpp reads a real PL/Proxy server).
#include "lib/shard_map.hpp"

#include <gtest/gtest.h>

namespace treasure {
namespace {

TEST(ShardMapFromOptions, PartitionsInOrderWithTheUserMappingAndClusterOptionsLeftOut)
{
    const ShardMap map = shard_map_from_options(
        {{"connection_lifetime", "1800"}, {"p0", "host=a dbname=s0"}, {"p1", "host=b dbname=s1"}},
        {{"user", "shard"}, {"password", "it's \\ secret"}}, "gateway");
    ASSERT_EQ(map.partitions(), 2);
    EXPECT_EQ(map.shard_dsns[0], "host=a dbname=s0 user='shard' password='it\\'s \\\\ secret'");
    EXPECT_EQ(map.shard_dsns[1], "host=b dbname=s1 user='shard' password='it\\'s \\\\ secret'");
    EXPECT_EQ(map.dsn_of(7), map.shard_dsns[map.shard_of(7)]);
}

TEST(ShardMapFromOptions, WithoutAUserThePartitionConnectsAsTheSessionUserLikePlProxy)
{
    const ShardMap map =
        shard_map_from_options({{"partition_0", "dbname=s0"}, {"partition_1", "dbname=s1 user=x"}}, {}, "gateway");
    EXPECT_EQ(map.shard_dsns[0], "dbname=s0 user='gateway'");
    EXPECT_EQ(map.shard_dsns[1], "dbname=s1 user=x");
}

TEST(ShardMapFromOptions, RefusesWhatPlProxyRefuses)
{
    EXPECT_THROW(shard_map_from_options({{"connection_lifetime", "1"}}, {}, "u"), ShardMapError);  // none
    EXPECT_THROW(shard_map_from_options({{"p0", "a"}, {"p1", "b"}, {"p2", "c"}}, {}, "u"), ShardMapError);
    EXPECT_THROW(shard_map_from_options({{"p0", "a"}, {"p2", "b"}}, {}, "u"), ShardMapError);
    EXPECT_THROW(shard_map_from_options({{"p1", "a"}, {"p0", "b"}}, {}, "u"), ShardMapError);
    EXPECT_EQ(shard_map_from_options({{"p0", "a"}}, {}, "u").partitions(), 1);
}

}  // namespace
}  // namespace treasure
