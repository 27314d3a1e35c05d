// read_shard_map() against real PL/Proxy foreign servers in a throwaway router database: the partitions and the
// user mapping as PL/Proxy keeps them, the refusals, and a router that really routes (treasure_router on 4 shard
// databases), whose every player must live on the shard the map names.
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "lib/shard_map.hpp"
#include "support/test_database.hpp"

namespace treasure {
namespace {

class ShardMapTest : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        router_ = new std::string(testing::create_test_database("treasure_shard_map_test"));
        testing::execute(*router_, "CREATE EXTENSION plproxy;"
                                   "CREATE SERVER treasure FOREIGN DATA WRAPPER plproxy OPTIONS ("
                                   "  connection_lifetime '1800', p0 'dbname=s0 host=/tmp', p1 'dbname=s1',"
                                   "  p2 'dbname=s2', p3 'dbname=s3');"
                                   "CREATE USER MAPPING FOR PUBLIC SERVER treasure OPTIONS (user 'anyone');"
                                   "CREATE USER MAPPING FOR CURRENT_USER SERVER treasure"
                                   "  OPTIONS (user 'shard_owner', password 'pa''ss');"
                                   "CREATE SERVER public_only FOREIGN DATA WRAPPER plproxy"
                                   "  OPTIONS (partition_0 'dbname=only');"
                                   "CREATE USER MAPPING FOR PUBLIC SERVER public_only OPTIONS (user 'anyone');"
                                   "CREATE SERVER unmapped FOREIGN DATA WRAPPER plproxy OPTIONS (p0 'dbname=a');"
                                   "CREATE FOREIGN DATA WRAPPER not_plproxy;"
                                   "CREATE SERVER other FOREIGN DATA WRAPPER not_plproxy OPTIONS (p0 'dbname=a');");
    }
    static void TearDownTestSuite()
    {
        delete router_;
        router_ = nullptr;
    }
    static ShardMap read(const std::string &server)
    {
        pqxx::connection router(*router_);
        return read_shard_map(router, server);
    }
    static std::string *router_;
};
std::string *ShardMapTest::router_ = nullptr;

TEST_F(ShardMapTest, ThePartitionsWithTheSessionUsersOwnMapping)
{
    const ShardMap map = read("treasure");
    ASSERT_EQ(map.partitions(), 4);
    EXPECT_EQ(map.shard_dsns[0], "dbname=s0 host=/tmp user='shard_owner' password='pa\\'ss'");
    EXPECT_EQ(map.shard_dsns[3], "dbname=s3 user='shard_owner' password='pa\\'ss'");
}

TEST_F(ShardMapTest, ThePublicMappingWhenTheUserHasNoneAndTheSessionUserWithout)
{
    EXPECT_EQ(read("public_only").shard_dsns.at(0), "dbname=only user='anyone'");
    const std::string user = testing::query_value(*router_, "SELECT session_user");
    EXPECT_EQ(read("unmapped").shard_dsns.at(0), "dbname=a user='" + user + "'");
}

TEST_F(ShardMapTest, RefusesMissingServersOtherWrappersAndCountsThatAreNoPowerOfTwo)
{
    EXPECT_THROW(read("no_such_server"), ShardMapError);
    EXPECT_THROW(read("other"), ShardMapError);
    // PL/Proxy's validator refuses 3 partitions at CREATE SERVER; without it the catalog can still hold them.
    testing::execute(*router_, "ALTER FOREIGN DATA WRAPPER plproxy NO VALIDATOR;"
                               "CREATE SERVER three FOREIGN DATA WRAPPER plproxy"
                               "  OPTIONS (p0 'dbname=a', p1 'dbname=b', p2 'dbname=c');"
                               "ALTER FOREIGN DATA WRAPPER plproxy VALIDATOR plproxy_fdw_validator;");
    EXPECT_THROW(read("three"), ShardMapError);
}

// The router of scripts/shards.sh, in miniature: treasure_router on 4 shard databases of this server.  Players
// claim through the router (PL/Proxy picks the shard); each one's wallet must be on the shard the map names.
TEST(ShardMapOfARealRouter, NamesTheShardThatTheRouterPutEveryPlayerOn)
{
    const int shards = 4;
    std::string partitions;
    for (int k = 0; k < shards; ++k) {
        const std::string shard = testing::create_test_database("treasure_shard_map_shard_" + std::to_string(k));
        partitions += (k ? ", p" : "p") + std::to_string(k) + " " + pqxx::connection(shard).quote(shard);
    }
    const std::string admin = testing::server_dsn() + " dbname=postgres";
    testing::execute(admin, "DROP DATABASE IF EXISTS treasure_shard_map_router WITH (FORCE)");
    testing::execute(admin, "CREATE DATABASE treasure_shard_map_router");
    const std::string router_dsn = testing::server_dsn() + " dbname=treasure_shard_map_router";
    testing::execute(router_dsn, "CREATE EXTENSION plproxy; CREATE EXTENSION treasure_router;"
                                 "CREATE SERVER treasure FOREIGN DATA WRAPPER plproxy OPTIONS (" +
                                     partitions +
                                     "); CREATE USER MAPPING FOR PUBLIC SERVER treasure;"
                                     "SELECT treasure.put_chest(1, 5);"
                                     "SELECT count(*) FROM generate_series(1, 200) AS p,"
                                     "  claim_treasure(p, 1, gen_random_uuid())");

    pqxx::connection router(router_dsn);
    const ShardMap map = read_shard_map(router);
    ASSERT_EQ(map.partitions(), shards);
    std::set<int> used;
    for (int player = 1; player <= 200; ++player) {
        used.insert(map.shard_of(player));
        EXPECT_EQ(testing::query_value(map.dsn_of(player), "SELECT balance FROM treasure.wallets WHERE player_id = " +
                                                               std::to_string(player)),
                  "5")
            << "player " << player << " is not on shard " << map.shard_of(player);
    }
    EXPECT_EQ(used.size(), static_cast<std::size_t>(shards));
    int wallets = 0;
    for (const std::string &dsn : map.shard_dsns)
        wallets += std::stoi(testing::query_value(dsn, "SELECT count(*) FROM treasure.wallets"));
    EXPECT_EQ(wallets, 200);  // and nowhere else
}

}  // namespace
}  // namespace treasure
