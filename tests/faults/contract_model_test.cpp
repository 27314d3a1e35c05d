// Property test: seeded random sequences of put_chest, grant_item and claim_treasure calls (valid and
// invalid) against a real database, each result compared with a small in-memory model of the contract,
// and at the end every table compared with the model.  A failure prints the seed and the step.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <pqxx/pqxx>

#include "support/test_database.hpp"

namespace {

struct Chest {
    int64_t coins = 0;
    std::optional<std::string> item;
    int item_qty = 1;
    std::optional<std::string> key;
    bool open = true;
};

struct Claim {
    int64_t claim_id = 0;
    std::string request_id;
    int64_t coins = 0;
    std::optional<std::string> item;
    std::optional<int> item_qty;
    std::optional<std::string> key;
    int64_t balance_after = 0;
};

// What the contract says the database holds.
struct Model {
    std::map<int64_t, Chest> chests;
    std::map<int64_t, int64_t> wallets;
    std::map<std::pair<int64_t, std::string>, int64_t> inventory;
    std::map<std::pair<int64_t, int64_t>, Claim> claims;
    std::map<std::string, std::pair<int64_t, int64_t>> requests;
};

// One row of claim_treasure(), or the SQLSTATE it failed with.
struct Outcome {
    std::string sqlstate;  // empty when the call returned a row
    std::string status;
    bool replayed = false;
    std::optional<int64_t> claim_id;
    int64_t coins = 0;
    std::optional<std::string> item;
    std::optional<int> item_qty;
    std::optional<std::string> key;
    std::optional<int64_t> balance;
};

template <typename T>
std::optional<T> optional_field(const pqxx::field &field)
{
    if (field.is_null())
        return std::nullopt;
    return field.as<T>();
}

std::string quoted_or_null(pqxx::connection &connection, const std::optional<std::string> &value)
{
    return value ? connection.quote(*value) : "NULL";
}

class ContractModel {
public:
    ContractModel(const std::string &dsn, uint32_t seed) : connection_(dsn), random_(seed) {}

    void run(int steps)
    {
        for (step_ = 0; step_ < steps; step_++) {
            const int dice = pick(0, 99);
            if (dice < 6)
                put_chest();
            else if (dice < 12)
                grant_item();
            else if (dice < 20)
                invalid_claim();
            else
                claim();
        }
        compare_tables();
    }

    std::string where() const { return "step " + std::to_string(step_); }

private:
    int pick(int low, int high) { return std::uniform_int_distribution<int>(low, high)(random_); }

    std::string new_request_id()
    {
        char text[37];
        std::snprintf(text, sizeof text, "%08x-0000-4000-8000-%012llx", static_cast<unsigned>(pick(0, 1 << 30)),
                      static_cast<unsigned long long>(++request_counter_));
        return text;
    }

    std::optional<std::string> some_item(int null_percent)
    {
        static const char *items[] = {"golden_key", "silver_key", "gem", "crown", "map"};
        if (pick(0, 99) < null_percent)
            return std::nullopt;
        return std::string(items[pick(0, 4)]);
    }

    void execute(const std::string &sql)
    {
        pqxx::nontransaction transaction(connection_);
        transaction.exec(sql);
    }

    void put_chest()
    {
        const int64_t chest_id = pick(1, 12);
        Chest chest;
        chest.coins = pick(0, 3) == 0 ? 0 : pick(1, 1000);
        chest.item = some_item(50);
        chest.item_qty = pick(1, 3);
        chest.key = some_item(60);
        if (chest.key && chest.key == chest.item)
            chest.key.reset();
        const int window = pick(0, 9);
        chest.open = window < 8;
        const std::string opens = window == 8 ? "now() + interval '1 hour'" : "now() - interval '1 hour'";
        const std::string closes = window == 9 ? "now() - interval '1 minute'" : "NULL";
        execute("SELECT treasure.put_chest(" + std::to_string(chest_id) + ", " + std::to_string(chest.coins) + ", " +
                quoted_or_null(connection_, chest.item) + ", " + std::to_string(chest.item_qty) + ", " +
                quoted_or_null(connection_, chest.key) + ", " + opens + ", " + closes + ")");
        model_.chests[chest_id] = chest;
    }

    void grant_item()
    {
        const int64_t player = pick(1, 8);
        const std::string item = *some_item(0);
        const int qty = pick(1, 3);
        pqxx::nontransaction transaction(connection_);
        const int returned = transaction
                                 .exec1("SELECT treasure.grant_item(" + std::to_string(player) + ", " +
                                        connection_.quote(item) + ", " + std::to_string(qty) + ")")[0]
                                 .as<int>();
        model_.wallets.emplace(player, 0);
        const int expected = static_cast<int>(model_.inventory[{player, item}] += qty);
        EXPECT_EQ(returned, expected) << where() << ": grant_item returns the new quantity";
    }

    Outcome call_claim(const std::string &player, const std::string &chest, const std::string &request)
    {
        Outcome outcome;
        try {
            pqxx::nontransaction transaction(connection_);
            const pqxx::row row = transaction.exec1(
                "SELECT status, replayed, claim_id, coins_awarded, item_awarded, item_qty, key_used, balance "
                "FROM claim_treasure(" +
                player + ", " + chest + ", " + request + ")");
            outcome.status = row[0].as<std::string>();
            outcome.replayed = row[1].as<bool>();
            outcome.claim_id = optional_field<int64_t>(row[2]);
            outcome.coins = row[3].as<int64_t>();
            outcome.item = optional_field<std::string>(row[4]);
            outcome.item_qty = optional_field<int>(row[5]);
            outcome.key = optional_field<std::string>(row[6]);
            outcome.balance = optional_field<int64_t>(row[7]);
        } catch (const pqxx::sql_error &error) {
            outcome.sqlstate = error.sqlstate();
        }
        return outcome;
    }

    void invalid_claim()
    {
        const std::string fresh = connection_.quote(new_request_id()) + "::uuid";
        struct Case {
            std::string player, chest, request, sqlstate;
        };
        std::vector<Case> cases = {
            {"NULL", "1", fresh, "22004"},
            {"1", "NULL", fresh, "22004"},
            {"1", "1", "NULL", "22004"},
            {std::to_string(-pick(0, 5)), "1", fresh, "22023"},
            {"1", std::to_string(-pick(0, 5)), fresh, "22023"},
            {std::to_string(pick(1, 8)), std::to_string(pick(100, 200)), fresh, "P0002"},
        };
        if (!model_.requests.empty()) {
            // A request_id bound to one claim, presented for another player or chest.
            auto bound = std::next(model_.requests.begin(), pick(0, static_cast<int>(model_.requests.size()) - 1));
            const auto [player, chest] = bound->second;
            const int64_t other_player = player % 8 + 1;
            if (model_.chests.count(chest))
                cases.push_back({std::to_string(other_player), std::to_string(chest),
                                 connection_.quote(bound->first) + "::uuid", "23505"});
        }
        const Case &chosen = cases[pick(0, static_cast<int>(cases.size()) - 1)];
        const Outcome outcome = call_claim(chosen.player, chosen.chest, chosen.request);
        EXPECT_EQ(outcome.sqlstate, chosen.sqlstate)
            << where() << ": claim_treasure(" << chosen.player << ", " << chosen.chest << ", " << chosen.request << ")";
    }

    void claim()
    {
        if (model_.chests.empty())
            return put_chest();
        const int64_t player = pick(1, 8);
        auto chest_entry = std::next(model_.chests.begin(), pick(0, static_cast<int>(model_.chests.size()) - 1));
        const int64_t chest_id = chest_entry->first;
        const Chest &chest = chest_entry->second;

        std::string request = new_request_id();
        const auto existing = model_.claims.find({player, chest_id});
        if (existing != model_.claims.end() && pick(0, 1) == 0)
            request = existing->second.request_id;  // the client retries the same tap

        const Outcome got =
            call_claim(std::to_string(player), std::to_string(chest_id), connection_.quote(request) + "::uuid");
        const std::string call = where() + ": claim(" + std::to_string(player) + ", " + std::to_string(chest_id) + ")";
        ASSERT_EQ(got.sqlstate, "") << call;
        const int64_t current_balance = model_.wallets.count(player) ? model_.wallets[player] : 0;

        if (existing != model_.claims.end()) {
            const Claim &original = existing->second;
            if (original.request_id == request) {
                EXPECT_EQ(got.status, "claimed") << call;
                EXPECT_TRUE(got.replayed) << call;
                EXPECT_EQ(got.claim_id, original.claim_id) << call;
                EXPECT_EQ(got.coins, original.coins) << call;
                EXPECT_EQ(got.item, original.item) << call;
                EXPECT_EQ(got.item_qty, original.item_qty) << call;
                EXPECT_EQ(got.key, original.key) << call;
                EXPECT_EQ(got.balance, original.balance_after) << call;
            } else {
                EXPECT_EQ(got.status, "already_claimed") << call;
                EXPECT_EQ(got.claim_id, original.claim_id) << call;
                EXPECT_EQ(got.coins, 0) << call;
                EXPECT_EQ(got.balance, current_balance) << call;
            }
            return;
        }
        if (!chest.open) {
            EXPECT_EQ(got.status, "chest_closed") << call;
            EXPECT_EQ(got.balance, current_balance) << call;
            return;
        }
        if (chest.key && model_.inventory[{player, *chest.key}] <= 0) {
            EXPECT_EQ(got.status, "key_required") << call;
            EXPECT_EQ(got.balance, current_balance) << call;
            return;
        }

        Claim made;
        made.request_id = request;
        made.coins = chest.coins;
        made.item = chest.item;
        made.item_qty = chest.item ? std::optional<int>(chest.item_qty) : std::nullopt;
        made.key = chest.key;
        made.balance_after = current_balance + chest.coins;
        EXPECT_EQ(got.status, "claimed") << call;
        EXPECT_FALSE(got.replayed) << call;
        EXPECT_EQ(got.coins, made.coins) << call;
        EXPECT_EQ(got.item, made.item) << call;
        EXPECT_EQ(got.item_qty, made.item_qty) << call;
        EXPECT_EQ(got.key, made.key) << call;
        EXPECT_EQ(got.balance, made.balance_after) << call;
        ASSERT_TRUE(got.claim_id.has_value()) << call;
        made.claim_id = *got.claim_id;

        model_.wallets[player] = made.balance_after;
        if (chest.key)
            model_.inventory[{player, *chest.key}] -= 1;
        if (chest.item)
            model_.inventory[{player, *chest.item}] += chest.item_qty;
        model_.claims[{player, chest_id}] = made;
        model_.requests[request] = {player, chest_id};
    }

    void compare_tables()
    {
        pqxx::nontransaction transaction(connection_);
        std::map<int64_t, int64_t> wallets;
        for (const auto &row : transaction.exec("SELECT player_id, balance FROM treasure.wallets"))
            wallets[row[0].as<int64_t>()] = row[1].as<int64_t>();
        EXPECT_EQ(wallets, model_.wallets) << "wallets";

        std::map<std::pair<int64_t, std::string>, int64_t> inventory;
        for (const auto &row : transaction.exec("SELECT player_id, item, qty FROM treasure.inventories"))
            inventory[{row[0].as<int64_t>(), row[1].as<std::string>()}] = row[2].as<int64_t>();
        std::map<std::pair<int64_t, std::string>, int64_t> expected_inventory;
        for (const auto &[key, qty] : model_.inventory)
            if (qty != 0 || inventory.count(key))  // a consumed key stays as a row with qty 0
                expected_inventory[key] = qty;
        EXPECT_EQ(inventory, expected_inventory) << "inventories";

        std::set<std::tuple<int64_t, int64_t, int64_t, std::string, int64_t>> claims, expected_claims;
        for (const auto &row : transaction.exec(
                 "SELECT player_id, chest_id, claim_id, request_id::text, coins_awarded FROM treasure.claims"))
            claims.insert({row[0].as<int64_t>(), row[1].as<int64_t>(), row[2].as<int64_t>(), row[3].as<std::string>(),
                           row[4].as<int64_t>()});
        for (const auto &[key, claim] : model_.claims)
            expected_claims.insert({key.first, key.second, claim.claim_id, claim.request_id, claim.coins});
        EXPECT_EQ(claims, expected_claims) << "claims";

        std::map<int64_t, std::pair<int64_t, int64_t>> stats, expected_stats;
        for (const auto &row : transaction.exec("SELECT player_id, claims, coins_awarded FROM treasure.player_stats"))
            stats[row[0].as<int64_t>()] = {row[1].as<int64_t>(), row[2].as<int64_t>()};
        for (const auto &[key, claim] : model_.claims) {
            expected_stats[key.first].first += 1;
            expected_stats[key.first].second += claim.coins;
        }
        EXPECT_EQ(stats, expected_stats) << "player_stats";

        const int64_t events_without_claim =
            transaction
                .exec1("SELECT count(*) FROM treasure.claim_events e LEFT JOIN treasure.claims c USING (player_id, "
                       "claim_id) "
                       "WHERE c.claim_id IS NULL OR e.coins_awarded <> c.coins_awarded")[0]
                .as<int64_t>();
        const int64_t events = transaction.exec1("SELECT count(*) FROM treasure.claim_events")[0].as<int64_t>();
        EXPECT_EQ(events_without_claim, 0) << "claim_events";
        EXPECT_EQ(events, static_cast<int64_t>(model_.claims.size())) << "one event per claim";
        EXPECT_EQ(transaction.exec1("SELECT count(*) FROM treasure.reconcile()")[0].as<int64_t>(), 0)
            << "treasure.reconcile() finds no disagreement";
    }

    pqxx::connection connection_;
    std::mt19937 random_;
    Model model_;
    int step_ = 0;
    uint64_t request_counter_ = 0;
};

class ContractModelTest : public ::testing::TestWithParam<uint32_t> {};

TEST_P(ContractModelTest, DatabaseFollowsTheModel)
{
    const uint32_t seed = GetParam();
    const std::string dsn = treasure::testing::create_test_database("treasure_model_" + std::to_string(seed));
    ContractModel model(dsn, seed);
    SCOPED_TRACE("seed " + std::to_string(seed));
    model.run(1500);
}

INSTANTIATE_TEST_SUITE_P(Seeds, ContractModelTest, ::testing::Values(1u, 7u, 2026u));

}  // namespace
