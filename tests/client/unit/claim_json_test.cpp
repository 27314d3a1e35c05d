// POST /v1/claims' body, parsed once: its syntax and values (step 4) before anyone judges who it is for.
#include "gateway/claim_json.hpp"

#include <gtest/gtest.h>

namespace treasure {
namespace {

constexpr const char *uuid = "8f14e45f-ceea-4e7a-9b0c-2d3f4a5b6c7d";

ClaimErrorKind refusal_kind(const std::string &body, std::string_view key = "")
{
    try {
        parse_claim_request(body, key);
    } catch (const ClaimError &error) {
        return error.kind();
    }
    ADD_FAILURE() << "accepted " << body;
    return ClaimErrorKind::internal;
}

TEST(ClaimJsonTest, ReadsThePlayerIdWhenThereIsOne)
{
    const ClaimBody named =
        parse_claim_request(R"({"player_id": 42, "chest_id": 7, "request_id": ")" + std::string(uuid) + "\"}", "");
    EXPECT_EQ(named.player_id, 42);
    EXPECT_EQ(named.request.chest_id, 7);
    EXPECT_EQ(named.request.request_id, uuid);
    EXPECT_EQ(parse_claim_request(R"({"chest_id": 7})", uuid).player_id, std::nullopt);
    EXPECT_EQ(parse_claim_request(R"({"player_id": null, "chest_id": 7})", uuid).player_id, std::nullopt);
}

TEST(ClaimJsonTest, RefusesEveryBadBodyBeforeAnyoneAuthorizesIt)
{
    for (const char *body :
         {"", "[1]", "{", R"({"player_id": "42", "chest_id": 7})", R"({"player_id": 1.5, "chest_id": 7})",
          R"({"player_id": 9223372036854775808, "chest_id": 7})", R"({"player_id": -5, "chest_id": 7})",
          R"({"player_id": 0, "chest_id": 7})", R"({"chest_id": 0})", R"({"player_id": 1})",
          R"({"chest_id": 7, "session_id": "x"})"})
        EXPECT_EQ(refusal_kind(body, uuid), ClaimErrorKind::bad_request) << body;
    EXPECT_EQ(refusal_kind(R"({"chest_id": 7})"), ClaimErrorKind::bad_request);
    EXPECT_EQ(refusal_kind(R"({"chest_id": 7})", "not-a-uuid"), ClaimErrorKind::bad_request);
    EXPECT_EQ(refusal_kind(R"({"chest_id": 7, "request_id": "not-a-uuid"})", ""), ClaimErrorKind::bad_request);
    EXPECT_EQ(refusal_kind(R"({"chest_id": 7, "request_id": "00000000-0000-4000-8000-000000000000"})", uuid),
              ClaimErrorKind::bad_request);
}

TEST(ClaimJsonTest, TheAuthorizedPlayerMakesTheValidRequest)
{
    const ValidClaimRequest valid = for_player(
        parse_claim_request(R"({"chest_id": 7, "session_id": 3})", "8F14E45F-CEEA-4E7A-9B0C-2D3F4A5B6C7D"), 42);
    EXPECT_EQ(valid->player_id, 42);
    EXPECT_EQ(valid->chest_id, 7);
    EXPECT_EQ(valid->session_id, 3);
    EXPECT_EQ(valid->request_id, uuid);
}

}  // namespace
}  // namespace treasure
