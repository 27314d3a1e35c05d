// The 1.3.0 statuses outside the database: their names, what claim_details() adds, the gateway's answer to each
// (status, Retry-After, JSON), and that none of them is a server fault.  The claim paths answer from memory here:
// what is under test is the mapping (tests/client/db runs it against the extension).
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "gateway/claim_endpoint.hpp"
#include "gateway/claim_json.hpp"
#include "gateway/edge.hpp"
#include "gateway/http_status.hpp"
#include "lib/claim_row.hpp"
#include "lib/uuid.hpp"
#include "support/answer_headers.hpp"

namespace treasure {
namespace {

TEST(ClaimStatusTest, EveryKnownNameRoundTripsAndAnyOtherIsUnknown)
{
    for (const char *name : {"claimed", "already_claimed", "key_required", "chest_closed", "sold_out", "rate_limited",
                             "wallet_full", "inventory_full"})
        EXPECT_EQ(to_string(parse_claim_status(name)), name);
    ClaimResult result;
    set_status(result, "gift_wrapped");
    EXPECT_EQ(result.status, ClaimStatus::unknown);
    EXPECT_EQ(status_name(result), "gift_wrapped");
    set_status(result, "sold_out");
    EXPECT_EQ(result.status, ClaimStatus::sold_out);
    EXPECT_EQ(status_name(result), "sold_out");
}

TEST(ClaimStatusTest, NewStatusesMapToTheirHttpStatusesAndNeverTo5xx)
{
    EXPECT_EQ(http_status(ClaimStatus::sold_out), 410);
    EXPECT_EQ(http_status(ClaimStatus::rate_limited), 429);
    EXPECT_EQ(http_status(ClaimStatus::wallet_full), 422);
    EXPECT_EQ(http_status(ClaimStatus::inventory_full), 422);
    EXPECT_EQ(http_status(ClaimStatus::unknown), 422);
}

TEST(ClaimStatusTest, ClaimDetailsAddAwardsLootCoinsAndRetryAfter)
{
    ClaimResult result;
    result.awards.push_back(ClaimAward{"gem", 1, "guaranteed"});  // what a 1.2.0 row gives, replaced by the details
    add_claim_details(result, std::string_view(R"({"awards": [{"item": "gem", "qty": 2, "source": "guaranteed"},
        {"item": "crown", "qty": 1, "source": "loot"}], "loot_coins": 40, "future_key": true})"));
    ASSERT_EQ(result.awards.size(), 2u);
    EXPECT_EQ(result.awards[0], (ClaimAward{"gem", 2, "guaranteed"}));
    EXPECT_EQ(result.awards[1], (ClaimAward{"crown", 1, "loot"}));
    EXPECT_EQ(result.loot_coins, 40);
    EXPECT_EQ(result.retry_after_ms, std::nullopt);

    ClaimResult limited;
    add_claim_details(limited, std::string_view(R"({"retry_after_ms": 1200})"));
    EXPECT_EQ(limited.retry_after_ms, 1200);
    add_claim_details(limited, std::string_view("null"));
    EXPECT_EQ(limited.retry_after_ms, 1200) << "NULL details change nothing";

    for (const char *bad : {"[1]", R"({"awards": {}})", R"({"awards": [{"item": 1, "qty": 1, "source": "loot"}]})",
                            R"({"retry_after_ms": "soon"})", "not json"}) {
        ClaimResult ignored;
        try {
            add_claim_details(ignored, std::string_view(bad));
            ADD_FAILURE() << "accepted " << bad;
        } catch (const ClaimError &error) {
            EXPECT_EQ(error.kind(), ClaimErrorKind::internal) << bad;
        }
    }
}

TEST(ClaimStatusTest, EveryAnswerListsItsAwards)
{
    ClaimResult result;
    result.claim_id = 7;
    result.coins_awarded = 50;
    result.awards = {ClaimAward{"gem", 2, "guaranteed"}, ClaimAward{"crown", 1, "loot"}};
    result.loot_coins = 40;
    const auto json = to_json(result);
    EXPECT_EQ(json["status"], "claimed");
    EXPECT_EQ(json["awards"], nlohmann::ordered_json::parse(R"([{"item": "gem", "qty": 2, "source": "guaranteed"},
                                                         {"item": "crown", "qty": 1, "source": "loot"}])"));
    EXPECT_EQ(json["loot_coins"], 40);
    EXPECT_FALSE(json.contains("error"));

    ClaimResult sold;
    sold.status = ClaimStatus::sold_out;
    EXPECT_EQ(to_json(sold)["awards"], nlohmann::ordered_json::array());
    EXPECT_FALSE(to_json(sold).contains("loot_coins"));
}

TEST(ClaimStatusTest, RateLimitedLeadsWithTheLimiterShapeAndSaysWhereItWasDecided)
{
    ClaimResult result;
    result.status = ClaimStatus::rate_limited;
    result.retry_after_ms = 1200;
    result.balance = 30;
    const auto json = to_json(result);
    const auto begin = json.begin();
    EXPECT_EQ(begin.key(), "error");
    EXPECT_EQ(json["error"], "rate_limited");
    EXPECT_EQ(json["retry_after_ms"], 1200);
    EXPECT_EQ(json["decided_by"], "database");
    EXPECT_EQ(json["status"], "rate_limited");
    EXPECT_EQ(json["balance"], 30);
    EXPECT_EQ(retry_after_seconds(result), 2);
    result.retry_after_ms = 1;
    EXPECT_EQ(retry_after_seconds(result), 1);
    result.retry_after_ms = 0;
    EXPECT_EQ(retry_after_seconds(result), 1) << "Retry-After is at least 1 s";
    EXPECT_EQ(to_json(result)["retry_after_ms"], 1);
    result.retry_after_ms = 3000;
    EXPECT_EQ(retry_after_seconds(result), 3);
}

TEST(ClaimStatusTest, AnUnknownStatusNamesItself)
{
    ClaimResult result;
    set_status(result, "gift_wrapped");
    const auto json = to_json(result);
    EXPECT_EQ(json["error"], "unknown_status");
    EXPECT_EQ(json["status"], "gift_wrapped");
}

// A path that answers every claim with one scripted status.
class StatusPath final : public ClaimPath {
public:
    ClaimResult claim(const ValidClaimRequest &) override
    {
        ClaimResult result;
        set_status(result, status);
        result.retry_after_ms = retry_after_ms;
        return result;
    }
    PathKind kind() const override { return PathKind::atomic; }

    std::string status = "claimed";
    std::optional<std::int64_t> retry_after_ms;
};

TEST(ClaimStatusTest, TheGatewayAnswersEachNewStatusWithoutTrippingTheBreaker)
{
    ManualClock clock;
    CircuitBreakerOptions options;
    options.min_calls = 10;
    CircuitBreaker breaker(options, clock);
    FlagRule on;
    on.kind = RolloutKind::on;
    StaticFlagProvider flags({{"atomic_claims", on}});
    StatusPath path;
    ClaimMetrics metrics;
    Router router(path, nullptr, flags, breaker, &metrics);
    const ValidClaimRequest request(ClaimRequest{1, 1, random_uuid_v4(), std::nullopt});

    struct Expected {
        const char *status;
        int http;
    };
    for (const Expected expected :
         {Expected{"sold_out", 410}, Expected{"rate_limited", 429}, Expected{"wallet_full", 422},
          Expected{"inventory_full", 422}, Expected{"from_2030", 422}}) {
        path.status = expected.status;
        path.retry_after_ms =
            std::string(expected.status) == "rate_limited" ? std::optional<std::int64_t>(2500) : std::nullopt;
        for (int i = 0; i < 20; ++i) {
            const Answer answer = answer_claim(router, request);
            ASSERT_EQ(answer.status, expected.http) << expected.status;
            const auto body = nlohmann::json::parse(answer.body);
            EXPECT_EQ(body["status"], expected.status);
            EXPECT_TRUE(body["awards"].is_array());
            EXPECT_EQ(testing::header_value(answer.headers, "Retry-After"),
                      std::string(expected.status) == "rate_limited" ? "3" : "<absent>");
        }
    }
    EXPECT_EQ(breaker.state(), CircuitState::closed) << "no new status is a server fault";
}

TEST(ClaimStatusTest, TheAwardsRouteIsAPlayerRead)
{
    const Route route = classify_route("GET", "/v1/players/42/claims/7/awards");
    EXPECT_EQ(route.kind, RouteKind::player_read);
    EXPECT_EQ(route.player_id, 42);
}

}  // namespace
}  // namespace treasure
