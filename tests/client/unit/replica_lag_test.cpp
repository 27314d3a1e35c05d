#include "lib/replica_lag.hpp"

#include <stdexcept>

#include <gtest/gtest.h>

namespace treasure {
namespace {

TEST(ParseLsn, ReadsBothHalvesAsHex)
{
    EXPECT_EQ(parse_lsn("0/0"), 0u);
    EXPECT_EQ(parse_lsn("0/3000060"), 0x3000060u);
    EXPECT_EQ(parse_lsn("16/B374D848"), (std::uint64_t{0x16} << 32) | 0xB374D848u);
    EXPECT_EQ(parse_lsn("FFFFFFFF/FFFFFFFF"), ~std::uint64_t{0});
    EXPECT_LT(parse_lsn("0/FFFFFFFF"), parse_lsn("1/0"));
}

TEST(ParseLsn, RejectsAnythingElse)
{
    for (const char *bad : {"", "/", "0/", "/0", "12", "0/xyz", "123456789/0", "0/123456789", "-1/0"})
        EXPECT_THROW(parse_lsn(bad), std::invalid_argument) << bad;
}

}  // namespace
}  // namespace treasure
