// The client's copy of the router's partition function against the real one: PostgreSQL's own hashint8() over
// more than 100,000 bigints (extremes, every power of two and its neighbours, a dense range around 0 and a seeded
// random spread over the whole range), and shard_of() against hashint8(x) & (n - 1) for 1, 2, 4, 8 and 16 shards.
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <pqxx/pqxx>

#include "lib/shard_hash.hpp"
#include "support/test_database.hpp"

namespace treasure {
namespace {

std::vector<std::int64_t> values_to_hash()
{
    constexpr auto min = std::numeric_limits<std::int64_t>::min();
    constexpr auto max = std::numeric_limits<std::int64_t>::max();
    std::vector<std::int64_t> values{min, min + 1, max, max - 1, 0};
    for (int bit = 0; bit < 63; ++bit) {  // 2^31 +-1, 2^32 +-1, ... and their negatives
        const std::int64_t power = std::int64_t{1} << bit;
        for (const std::int64_t near : {power - 1, power, power + 1})
            values.insert(values.end(), {near, -near});
    }
    for (std::int64_t x = -5000; x <= 5000; ++x)
        values.push_back(x);
    std::mt19937_64 spread(20261201);  // seeded: a failure names values that can be tried again
    std::uniform_int_distribution<std::int64_t> anywhere(min, max);
    std::uniform_int_distribution<std::int64_t> player_ids(1, std::int64_t{1} << 40);
    for (int i = 0; i < 80000; ++i)
        values.push_back(anywhere(spread));
    for (int i = 0; i < 20000; ++i)
        values.push_back(player_ids(spread));
    return values;
}

std::string bigint_array_literal(const std::vector<std::int64_t> &values)
{
    std::string literal = "{";
    for (std::size_t i = 0; i < values.size(); ++i)
        literal += (i ? "," : "") + std::to_string(values[i]);
    return literal + "}";
}

TEST(ShardHash, EqualsPostgresHashint8AndTheRoutersMaskOnEveryValue)
{
    const std::vector<std::int64_t> values = values_to_hash();
    ASSERT_GE(values.size(), 100000u);
    pqxx::connection connection(testing::server_dsn() + " dbname=postgres");
    pqxx::nontransaction transaction(connection);
    const pqxx::result rows =
        transaction.exec_params("SELECT x, pg_catalog.hashint8(x), hashint8(x) & 0, hashint8(x) & 1, "
                                "       hashint8(x) & 3, hashint8(x) & 7, hashint8(x) & 15 "
                                "FROM pg_catalog.unnest($1::bigint[]) WITH ORDINALITY AS v(x, position) "
                                "ORDER BY position",
                                bigint_array_literal(values));
    ASSERT_EQ(rows.size(), values.size());

    const int partition_counts[] = {1, 2, 4, 8, 16};
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const auto x = rows[i][0].as<std::int64_t>();
        ASSERT_EQ(x, values[i]);
        const auto expected = rows[i][1].as<std::int32_t>();
        bool row_wrong = hashint8(x) != expected;
        for (int k = 0; k < 5; ++k)
            row_wrong |= shard_of(x, partition_counts[k]) != rows[i][2 + k].as<int>();
        if (row_wrong && ++wrong <= 10)
            ADD_FAILURE() << "x = " << x << ": hashint8 " << expected << " in PostgreSQL, " << hashint8(x)
                          << " here; shards of 16: " << rows[i][6].as<int>() << " vs " << shard_of(x, 16);
    }
    EXPECT_EQ(wrong, 0u) << "of " << rows.size() << " values";
}

}  // namespace
}  // namespace treasure
