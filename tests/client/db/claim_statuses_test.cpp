// treasure 1.3.0 outside the database, against the installed extension through a real gateway and the real CLI:
// every claim answer lists its awards, GET /v1/players/{id}/claims/{claim_id}/awards reads them, and (once the
// extension has treasure.claim_details()) sold_out is 410, the database's rate_limited 429 with Retry-After,
// wallet_full/inventory_full 422, and the CLI's exit codes 13/42/14/15.  The 1.2.0 half runs on either version:
// gateways are upgraded before the extension.
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "gateway/gateway.hpp"
#include "lib/uuid.hpp"
#include "support/running_gateway.hpp"
#include "support/test_database.hpp"

namespace treasure {
namespace {

using testing::create_test_database;
using testing::execute;
using testing::query_value;

GatewayConfig gateway_config(const std::string &dsn)
{
    GatewayConfig config;
    config.dsn = dsn;
    config.pool_size = 2;
    config.worker_threads = 2;
    config.saga = GatewayConfig::SagaMode::off;
    return config;
}

// A gateway on dsn, and one tap through it.
class ServedGateway {
public:
    explicit ServedGateway(const std::string &dsn) : running_(gateway_config(dsn)) {}
    httplib::Result claim(std::int64_t player, std::int64_t chest, const std::string &request_id = random_uuid_v4())
    {
        const nlohmann::json body{{"player_id", player}, {"chest_id", chest}, {"request_id", request_id}};
        return running_.http().Post("/v1/claims", body.dump(), "application/json");
    }
    httplib::Result get(const std::string &path) { return running_.http().Get(path.c_str()); }

private:
    testing::RunningGateway running_;
};

nlohmann::json body_of(const httplib::Result &response) { return nlohmann::json::parse(response->body); }

bool has_claim_details(const std::string &dsn)
{
    return query_value(dsn, "SELECT to_regprocedure('treasure.claim_details(bigint,bigint,text)') IS NOT NULL") == "t";
}

// `treasure claim` against the database; its exit status.
int cli_claim(const std::string &dsn, std::int64_t player, std::int64_t chest)
{
    const char *build = std::getenv("TREASURE_BUILD_DIR");
    const std::string command = std::string(build ? build : "build") + "/treasure claim --dsn '" + dsn + "' --player " +
                                std::to_string(player) + " --chest " + std::to_string(chest) + " >/dev/null 2>&1";
    const int status = std::system(command.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(ClaimStatusesTest, EveryClaimAnswerListsItsAwardsAndTheAwardsRouteReadsThem)
{
    const std::string dsn = create_test_database("treasure_awards_test");
    execute(dsn, "SELECT treasure.put_chest(1, 10); SELECT treasure.put_chest(2, 5, 'gem', 2);");
    ServedGateway server(dsn);

    const auto plain = server.claim(4001, 1);
    ASSERT_TRUE(plain);
    ASSERT_EQ(plain->status, 200);
    EXPECT_EQ(body_of(plain)["awards"], nlohmann::json::array());

    const std::string request_id = random_uuid_v4();
    const auto gem = server.claim(4001, 2, request_id);
    ASSERT_EQ(gem->status, 200);
    const auto gem_body = body_of(gem);
    const auto gem_awards = nlohmann::json::parse(R"([{"item": "gem", "qty": 2, "source": "guaranteed"}])");
    EXPECT_EQ(gem_body["awards"], gem_awards);
    EXPECT_EQ(body_of(server.claim(4001, 2, request_id))["awards"], gem_awards) << "a replay lists the same awards";
    EXPECT_EQ(body_of(server.claim(4001, 2))["awards"], nlohmann::json::array()) << "already_claimed awards nothing";

    const std::int64_t claim_id = gem_body["claim_id"];
    const auto read = server.get("/v1/players/4001/claims/" + std::to_string(claim_id) + "/awards");
    ASSERT_TRUE(read);
    ASSERT_EQ(read->status, 200) << read->body;
    const auto awards = body_of(read);
    EXPECT_EQ(awards["player_id"], 4001);
    EXPECT_EQ(awards["claim_id"], claim_id);
    EXPECT_EQ(awards["chest_id"], 2);
    EXPECT_EQ(awards["awards"], gem_awards);
    EXPECT_TRUE(awards.contains("served_by"));

    const auto other_player = server.get("/v1/players/4002/claims/" + std::to_string(claim_id) + "/awards");
    EXPECT_EQ(other_player->status, 404);
    EXPECT_EQ(body_of(other_player)["error"], "unknown_claim");
    EXPECT_EQ(server.get("/v1/players/4001/claims/x/awards")->status, 404);
    EXPECT_EQ(server.get("/v1/players/4001/claims/1/awards/more")->status, 404);
}

class ClaimStatuses130Test : public ::testing::Test {
protected:
    void SetUp() override
    {
        dsn_ = create_test_database("treasure_statuses_test");
        if (!has_claim_details(dsn_))
            GTEST_SKIP() << "the installed extension has no treasure.claim_details() (1.3.0)";
    }
    std::string dsn_;
};

TEST_F(ClaimStatuses130Test, SoldOutIs410AndTheCliExitsThirteen)
{
    execute(dsn_, "SELECT treasure.put_chest(1, 10); SELECT treasure.set_stock(1, 2);");
    ServedGateway server(dsn_);
    EXPECT_EQ(server.claim(5001, 1)->status, 200);
    EXPECT_EQ(server.claim(5002, 1)->status, 200);
    const auto sold = server.claim(5003, 1);
    ASSERT_EQ(sold->status, 410) << sold->body;
    const auto body = body_of(sold);
    EXPECT_EQ(body["status"], "sold_out");
    EXPECT_EQ(body["claim_id"], nullptr);
    EXPECT_EQ(body["awards"], nlohmann::json::array());
    EXPECT_EQ(cli_claim(dsn_, 5004, 1), 13);
    EXPECT_EQ(query_value(dsn_, "SELECT count(*) FROM treasure.claims WHERE chest_id = 1"), "2");
}

TEST_F(ClaimStatuses130Test, TheDatabasesRateLimitIs429WithRetryAfterAndTheCliExitsFortyTwo)
{
    execute(dsn_,
            "SELECT treasure.put_chest(1, 10); SELECT treasure.put_chest(2, 10); SELECT treasure.put_chest(3, 10);"
            "SELECT treasure.set_claim_limit(1, interval '1 hour');");
    ServedGateway server(dsn_);
    EXPECT_EQ(server.claim(6001, 1)->status, 200);
    const auto limited = server.claim(6001, 2);
    ASSERT_EQ(limited->status, 429) << limited->body;
    const auto body = body_of(limited);
    EXPECT_EQ(body["error"], "rate_limited");
    EXPECT_EQ(body["decided_by"], "database");
    EXPECT_EQ(body["status"], "rate_limited");
    const std::int64_t retry_after_ms = body["retry_after_ms"];
    EXPECT_GT(retry_after_ms, 60 * 60 * 1000 - 60 * 1000);
    const long long retry_after = std::stoll(limited->get_header_value("Retry-After"));
    EXPECT_EQ(retry_after, (retry_after_ms + 999) / 1000);
    EXPECT_EQ(cli_claim(dsn_, 6001, 3), 42);
    EXPECT_EQ(query_value(dsn_, "SELECT count(*) FROM treasure.claims WHERE player_id = 6001"), "1");
}

TEST_F(ClaimStatuses130Test, CapsAre422AndTheCliExitsFourteenAndFifteen)
{
    execute(dsn_, "SELECT treasure.put_chest(1, 10); SELECT treasure.put_chest(2, 10);"
                  "SELECT treasure.put_chest(3, 0, 'gem', 3); SELECT treasure.put_chest(4, 0, 'gem', 3);"
                  "SELECT treasure.set_wallet_cap(15); SELECT treasure.set_item_cap('gem', 4);");
    ServedGateway server(dsn_);
    EXPECT_EQ(server.claim(7001, 1)->status, 200);
    const auto wallet = server.claim(7001, 2);
    ASSERT_EQ(wallet->status, 422) << wallet->body;
    EXPECT_EQ(body_of(wallet)["status"], "wallet_full");
    EXPECT_EQ(cli_claim(dsn_, 7001, 2), 14);

    EXPECT_EQ(server.claim(7001, 3)->status, 200);
    const auto inventory = server.claim(7001, 4);
    ASSERT_EQ(inventory->status, 422) << inventory->body;
    EXPECT_EQ(body_of(inventory)["status"], "inventory_full");
    EXPECT_EQ(cli_claim(dsn_, 7001, 4), 15);
}

TEST_F(ClaimStatuses130Test, ABundleListsEveryItemInTheAnswerAndOnTheAwardsRoute)
{
    execute(dsn_, "SELECT treasure.put_chest(1, 10, 'gem', 2); SELECT treasure.put_chest_item(1, 'potion', 3);");
    ServedGateway server(dsn_);
    const auto claimed = server.claim(8001, 1);
    ASSERT_EQ(claimed->status, 200) << claimed->body;
    const auto body = body_of(claimed);
    const auto expected = nlohmann::json::parse(
        R"([{"item": "gem", "qty": 2, "source": "guaranteed"}, {"item": "potion", "qty": 3, "source": "guaranteed"}])");
    EXPECT_EQ(body["awards"], expected);
    EXPECT_EQ(body["item_awarded"], "gem");
    const auto read =
        server.get("/v1/players/8001/claims/" + std::to_string(body["claim_id"].get<std::int64_t>()) + "/awards");
    ASSERT_EQ(read->status, 200);
    EXPECT_EQ(body_of(read)["awards"], expected);
}

}  // namespace
}  // namespace treasure
