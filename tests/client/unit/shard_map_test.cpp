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

TEST(ShardMapFromFile, OneConnectionStringPerLineInPartitionOrder)
{
    const ShardMap map = shard_map_from_file_text("# the four shards\n"
                                                  "  host=a dbname=s0  \n"
                                                  "\n"
                                                  "host=b dbname=s1 user=gw\n"
                                                  "\thost=c dbname=s2\n"
                                                  "host=d dbname=s3\n");
    ASSERT_EQ(map.partitions(), 4);
    EXPECT_EQ(map.shard_dsns[0], "host=a dbname=s0");
    EXPECT_EQ(map.shard_dsns[1], "host=b dbname=s1 user=gw");
    EXPECT_EQ(map.shard_dsns[2], "host=c dbname=s2");
    EXPECT_EQ(map.shard_dsns[3], "host=d dbname=s3");
}

TEST(ShardMapFromFile, RefusesACountThatIsNotAPowerOfTwo)
{
    EXPECT_THROW(shard_map_from_file_text(""), ShardMapError);
    EXPECT_THROW(shard_map_from_file_text("# nothing\n\n"), ShardMapError);
    EXPECT_THROW(shard_map_from_file_text("dbname=a\ndbname=b\ndbname=c\n"), ShardMapError);
    EXPECT_EQ(shard_map_from_file_text("dbname=a\n").partitions(), 1);
}

}  // namespace
}  // namespace treasure
