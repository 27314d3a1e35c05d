// Running clients across ALTER EXTENSION treasure UPDATE TO '1.2.0' and back to '1.3.0' (issue 15): no claim
// fails on the way down, and every award of a bundle chest appears within claim_details_reprobe_interval on the
// way up, without a reconnect.
#include <chrono>
#include <functional>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lib/analytics_reader.hpp"
#include "lib/claim_details_statements.hpp"
#include "lib/client.hpp"
#include "lib/uuid.hpp"
#include "support/prometheus_text.hpp"
#include "support/running_gateway.hpp"
#include "support/test_database.hpp"

namespace treasure {
namespace {

using testing::create_test_database;
using testing::execute;

constexpr std::int64_t plain_chest = 1;
constexpr std::int64_t bundle_chest = 2;

// A 1.3.0 database with only what 1.2.0 can hold, so that the downgrade goes through.
std::string database_on_1_3_0(const std::string &name)
{
    const std::string dsn = create_test_database(name);
    execute(dsn, "SELECT treasure.put_chest(1, 10)");
    return dsn;
}

void upgrade_with_a_bundle_chest(const std::string &dsn)
{
    execute(dsn, "ALTER EXTENSION treasure UPDATE TO '1.3.0';"
                 "SELECT treasure.put_chest(2, 5, 'gem', 1);"
                 "SELECT treasure.put_chest_item(2, 'ruby', 2);");
}

bool has_ruby(const nlohmann::json &awards)
{
    for (const auto &award : awards)
        if (award.value("item", "") == "ruby" && award.value("qty", 0) == 2)
            return true;
    return false;
}

// Claims the bundle chest as new players (claim(player) returns the claim's awards) until the bundle's ruby
// appears or the re-probe interval (with room for scheduling) has passed; true when it appeared.
bool bundle_awards_appear(std::int64_t first_player, const std::function<nlohmann::json(std::int64_t)> &claim)
{
    const auto deadline = std::chrono::steady_clock::now() + claim_details_reprobe_interval + std::chrono::seconds(2);
    for (std::int64_t player = first_player; std::chrono::steady_clock::now() < deadline; ++player) {
        if (has_ruby(claim(player)))
            return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    return false;
}

TEST(ExtensionUpdate, ClientClaimsAcrossADowngradeAndSeesBundleAwardsAfterTheUpgrade)
{
    const std::string dsn = database_on_1_3_0("treasure_extension_update_client_test");
    Client client(ClientOptions{dsn, 2, RetryPolicy{}});
    const auto claim = [&client](std::int64_t player, std::int64_t chest) {
        return client.claim(ClaimRequest{player, chest, random_uuid_v4(), std::nullopt});
    };
    ASSERT_EQ(claim(1, plain_chest).status, ClaimStatus::claimed);
    ASSERT_EQ(claim(2, plain_chest).status, ClaimStatus::claimed);  // both connections on the 1.3.0 statement

    execute(dsn, "ALTER EXTENSION treasure UPDATE TO '1.2.0'");
    for (std::int64_t player = 11; player <= 14; ++player)
        EXPECT_EQ(claim(player, plain_chest).status, ClaimStatus::claimed);  // threw 42883 as internal before

    upgrade_with_a_bundle_chest(dsn);
    EXPECT_TRUE(bundle_awards_appear(100, [&claim](std::int64_t player) {
        nlohmann::json awards = nlohmann::json::array();
        for (const auto &award : claim(player, bundle_chest).awards)
            awards.push_back({{"item", award.item}, {"qty", award.qty}, {"source", award.source}});
        return awards;
    })) << "a connection opened on 1.2.0 never switched to claim_details()";
    EXPECT_EQ(client.stats().retries, 0u);
    EXPECT_EQ(client.stats().reconnects, 0u);
}

TEST(ExtensionUpdate, GatewayAnswers200AcrossADowngradeAndTheBreakerStaysClosed)
{
    const std::string dsn = database_on_1_3_0("treasure_extension_update_gateway_test");
    GatewayConfig config;
    config.dsn = dsn;
    config.pool_size = 2;
    config.worker_threads = 2;
    config.saga = GatewayConfig::SagaMode::off;
    config.breaker.min_calls = 2;  // two 500s would open it
    testing::RunningGateway server(config);
    auto http = server.client();
    const auto post = [&http](std::int64_t player, std::int64_t chest) {
        const nlohmann::json body{{"player_id", player}, {"chest_id", chest}, {"request_id", random_uuid_v4()}};
        auto response = http->Post("/v1/claims", body.dump(), "application/json");
        EXPECT_TRUE(response);
        if (!response)
            return nlohmann::json();
        EXPECT_EQ(response->status, 200) << response->body;
        return nlohmann::json::parse(response->body, nullptr, false);
    };
    post(1, plain_chest);
    post(2, plain_chest);

    execute(dsn, "ALTER EXTENSION treasure UPDATE TO '1.2.0'");
    for (std::int64_t player = 11; player <= 14; ++player)
        post(player, plain_chest);

    upgrade_with_a_bundle_chest(dsn);
    EXPECT_TRUE(bundle_awards_appear(100, [&post](std::int64_t player) {
        const nlohmann::json answer = post(player, bundle_chest);
        return answer.is_object() && answer.contains("awards") ? answer["awards"] : nlohmann::json::array();
    }));

    EXPECT_EQ(server.gateway().breaker().state(), CircuitState::closed);
    auto metrics_response = http->Get("/metrics");
    ASSERT_TRUE(metrics_response);
    const auto metrics = testing::parse_prometheus_text(metrics_response->body);
    const auto sample = [&metrics](const std::string &key) {
        const auto found = metrics.samples.find(key);
        return found == metrics.samples.end() ? 0.0 : found->second;
    };
    EXPECT_EQ(sample(R"(treasure_claims_total{path="atomic",status="internal"})"), 0);
    EXPECT_EQ(sample(R"(treasure_circuit_transitions_total{to="open"})"), 0);
    EXPECT_GE(sample(R"(treasure_claims_total{path="atomic",status="claimed"})"), 7);
}

// The awards read's 1.3.0 statement names treasure.claim_awards, which the downgrade drops (42P01).
TEST(ExtensionUpdate, TheAwardsReadAnswersAcrossADowngradeAndTheUpgrade)
{
    const std::string dsn = database_on_1_3_0("treasure_extension_update_awards_test");
    Client client(ClientOptions{dsn, 1, RetryPolicy{}});
    AnalyticsOptions options;
    options.primary_dsn = dsn;
    options.pool_size = 1;
    AnalyticsReader reader(options);
    const auto claim_id = [&client](std::int64_t player, std::int64_t chest) {
        return *client.claim(ClaimRequest{player, chest, random_uuid_v4(), std::nullopt}).claim_id;
    };
    const std::int64_t before = claim_id(1, plain_chest);
    ASSERT_TRUE(reader.claim_awards(1, before).value.has_value());

    execute(dsn, "ALTER EXTENSION treasure UPDATE TO '1.2.0'");
    const auto after_downgrade = reader.claim_awards(1, before).value;  // threw 42P01 as an error before
    ASSERT_TRUE(after_downgrade.has_value());
    EXPECT_EQ(after_downgrade->chest_id, plain_chest);

    upgrade_with_a_bundle_chest(dsn);
    const std::int64_t bundle_claim = claim_id(2, bundle_chest);
    const auto deadline = std::chrono::steady_clock::now() + claim_details_reprobe_interval + std::chrono::seconds(2);
    bool ruby = false;
    while (!ruby && std::chrono::steady_clock::now() < deadline) {
        const auto read = reader.claim_awards(2, bundle_claim).value;
        ASSERT_TRUE(read.has_value());
        nlohmann::json awards = nlohmann::json::array();
        for (const auto &award : read->awards)
            awards.push_back({{"item", award.item}, {"qty", award.qty}});
        ruby = has_ruby(awards);
        if (!ruby)
            std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    EXPECT_TRUE(ruby) << "the awards read never switched to treasure.claim_awards";
}

}  // namespace
}  // namespace treasure
