// The player_id of a claim's body, read for the edge and filled in for a player's token.
#include "gateway/claim_body.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace treasure {
namespace {

TEST(ClaimBodyTest, ReadsThePlayerIdWhenThereIsOne)
{
    EXPECT_EQ(claim_body_player(R"({"player_id": 42, "chest_id": 1})").player_id, 42);
    const ClaimBodyPlayer omitted = claim_body_player(R"({"chest_id": 1})");
    EXPECT_TRUE(omitted.readable);
    EXPECT_EQ(omitted.player_id, std::nullopt);
    EXPECT_EQ(claim_body_player(R"({"player_id": null})").player_id, std::nullopt);
    for (const char *unreadable :
         {"", "[1]", "{", R"({"player_id": "42"})", R"({"player_id": 1.5})", R"({"player_id": 9223372036854775808})"})
        EXPECT_FALSE(claim_body_player(unreadable).readable) << unreadable;
}

TEST(ClaimBodyTest, FillsInThePlayerOfAToken)
{
    const auto filled = nlohmann::json::parse(claim_body_for(R"({"chest_id": 1, "request_id": "x"})", 42));
    EXPECT_EQ(filled, (nlohmann::json{{"chest_id", 1}, {"request_id", "x"}, {"player_id", 42}}));
    EXPECT_EQ(claim_body_for("not json", 42), "not json");
}

}  // namespace
}  // namespace treasure
