// Property test: seeded random sequences of put_chest, grant_item and claim_treasure calls (valid and
// invalid) against a real database, each result compared with a small in-memory model of the contract,
// and at the end every table compared with the model.  A failure prints the seed and the step.
//
// Since 1.3.0 (sql/CONTRACT-1.3.0.md) the model also has bundles (put_chest_item), loot (put_loot), stock
// (set_stock), the per-player throttle (set_claim_limit, on for odd seeds), the caps (set_wallet_cap,
// set_item_cap) and reversals (reverse_claim), and reads every claim's awards with claim_details() in the
// claim's statement.  The model cannot know which loot a table rolls (the roll is the extension's own pure
// function of player, chest, table version and seed), so before a loot claim it asks the database: the same
// claim in a transaction with the caps and the limit lifted, with another request_id, rolled back.  The real
// claim must then award exactly that (the roll is not a function of the request_id), and the rolls must be
// consistent with the table (explain_claim(): one row per roll, an entry of the table, max_repeats kept).
// The model's assumptions where the contract is silent: put_chest leaves a chest's bundle, loot table and
// stock as they are; stock is set on a chest before its first claim; the limit is set once, before any claim
// (per 1 day, so no token refills during a run); a claim paying 0 coins to a wallet already over the cap may be
// either claimed or wallet_full.
#include <gtest/gtest.h>

#include <algorithm>
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

struct LootEntry {
    std::optional<std::string> item;
    int qty = 1;
    int64_t coins = 0;
    int weight = 1;
    std::optional<int> max_repeats;
};

struct LootTable {
    int rolls = 0;
    std::vector<LootEntry> entries;
};

struct Chest {
    int64_t coins = 0;
    std::optional<std::string> item;
    int item_qty = 1;
    std::optional<std::string> key;
    bool open = true;
    std::map<std::string, int> bundle;  // put_chest_item's items
    std::optional<LootTable> loot;
    std::optional<int64_t> stock;  // NULL: unlimited
    int64_t paid = 0;              // claims of this chest, the stock units spent
};

// (source, item) -> qty, as claim_awards and claim_details() hold them.
using Awards = std::map<std::pair<std::string, std::string>, int64_t>;

struct Claim {
    int64_t claim_id = 0;
    std::string request_id;
    int64_t coins = 0;
    std::optional<std::string> item;
    std::optional<int> item_qty;
    std::optional<std::string> key;
    int64_t balance_after = 0;
    Awards awards;
    bool reversed = false;
    int64_t coins_taken = 0;
};

// What the contract says the database holds.
struct Model {
    std::map<int64_t, Chest> chests;
    std::map<int64_t, int64_t> wallets;
    std::map<std::pair<int64_t, std::string>, int64_t> inventory;
    std::map<std::pair<int64_t, int64_t>, Claim> claims;
    std::map<std::string, std::pair<int64_t, int64_t>> requests;
    std::optional<int> claim_limit;  // max_claims per day, set before the first claim
    std::map<int64_t, int> payouts;  // fresh claims per player: the tokens spent
    std::optional<int64_t> wallet_cap;
    std::map<std::string, int64_t> item_caps;
    std::map<int64_t, int64_t> reversed_coins;  // per player: the coins reversals took back
    int64_t reversals = 0;
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
    Awards awards;  // claim_details()->'awards'
    int64_t loot_coins = 0;
    std::optional<int64_t> retry_after_ms;
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
    ContractModel(const std::string &dsn, uint32_t seed) : connection_(dsn), random_(seed), seed_(seed) {}

    void run(int steps)
    {
        if (seed_ % 2 == 1)
            set_claim_limit();
        for (step_ = 0; step_ < steps; step_++) {
            const int dice = pick(0, 99);
            if (dice < 5)
                put_chest();
            else if (dice < 10)
                grant_item();
            else if (dice < 15)
                invalid_claim();
            else if (dice < 19)
                put_chest_item();
            else if (dice < 22)
                put_loot();
            else if (dice < 24)
                set_stock();
            else if (dice < 27)
                set_caps();
            else if (dice < 32)
                reverse_claim();
            else if (dice < 34)
                invalid_admin_call();
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

    // Bundle and loot items: never a key, so a claim never awards the item it spends.
    std::string reward_item()
    {
        static const char *items[] = {"pearl", "ruby", "opal"};
        return items[pick(0, 2)];
    }

    void execute(const std::string &sql)
    {
        pqxx::nontransaction transaction(connection_);
        transaction.exec(sql);
    }

    // The SQLSTATE a statement fails with, or "" when it succeeds.
    std::string sqlstate_of(const std::string &sql)
    {
        try {
            execute(sql);
        } catch (const pqxx::sql_error &error) {
            return error.sqlstate();
        }
        return "";
    }

    void put_chest()
    {
        const int64_t chest_id = pick(1, 12);
        Chest chest = model_.chests.count(chest_id) ? model_.chests[chest_id] : Chest{};
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
        const std::string item = pick(0, 3) == 0 ? reward_item() : *some_item(0);
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

    Chest *random_chest(int64_t &chest_id)
    {
        if (model_.chests.empty())
            return nullptr;
        auto entry = std::next(model_.chests.begin(), pick(0, static_cast<int>(model_.chests.size()) - 1));
        chest_id = entry->first;
        return &entry->second;
    }

    void put_chest_item()
    {
        int64_t chest_id = 0;
        Chest *chest = random_chest(chest_id);
        if (!chest)
            return put_chest();
        const std::string item = reward_item();
        const int qty = pick(0, 3) == 0 ? 0 : pick(1, 3);
        const std::string call = "SELECT treasure.put_chest_item(" + std::to_string(chest_id) + ", " +
                                 connection_.quote(item) + ", " + std::to_string(qty) + ")";
        EXPECT_EQ(sqlstate_of(call), "") << where() << ": " << call;
        if (qty == 0)
            chest->bundle.erase(item);
        else
            chest->bundle[item] = qty;
    }

    static std::string loot_json(const LootTable &table)
    {
        std::ostringstream json;
        json << "[";
        for (std::size_t i = 0; i < table.entries.size(); i++) {
            const LootEntry &entry = table.entries[i];
            json << (i ? ", " : "") << "{\"item\": " << (entry.item ? "\"" + *entry.item + "\"" : "null")
                 << ", \"qty\": " << entry.qty << ", \"coins\": " << entry.coins << ", \"weight\": " << entry.weight;
            if (entry.max_repeats)
                json << ", \"max_repeats\": " << *entry.max_repeats;
            json << "}";
        }
        json << "]";
        return json.str();
    }

    void put_loot()
    {
        int64_t chest_id = 0;
        Chest *chest = random_chest(chest_id);
        if (!chest)
            return put_chest();
        LootTable table;
        table.rolls = pick(0, 5) == 0 ? 0 : pick(1, 4);
        const int entries = pick(1, 4);
        int repeat_room = 0;
        bool unbounded = false;
        for (int i = 0; i < entries; i++) {
            LootEntry entry;
            if (pick(0, 3) > 0)
                entry.item = reward_item();
            entry.qty = pick(1, 2);
            entry.coins = pick(0, 2) == 0 ? 0 : pick(1, 50);
            entry.weight = pick(1, 5);
            if (pick(0, 2) == 0) {
                entry.max_repeats = pick(1, 2);
                repeat_room += *entry.max_repeats;
            } else {
                unbounded = true;
            }
            table.entries.push_back(entry);
        }
        const bool fillable = unbounded || repeat_room >= table.rolls;
        const std::string call = "SELECT treasure.put_loot(" + std::to_string(chest_id) + ", " +
                                 std::to_string(table.rolls) + ", " + connection_.quote(loot_json(table)) +
                                 ", 'model seed " + std::to_string(seed_) + "')";
        const std::string got = sqlstate_of(call);
        if (table.rolls > 0 && !fillable) {
            EXPECT_EQ(got, "22023") << where() << ": max_repeats cannot fill the rolls: " << call;
            return;
        }
        EXPECT_EQ(got, "") << where() << ": " << call;
        if (table.rolls == 0)
            chest->loot.reset();
        else
            chest->loot = table;
    }

    void set_stock()
    {
        int64_t chest_id = 0;
        Chest *chest = random_chest(chest_id);
        if (!chest)
            return put_chest();
        if (chest->paid > 0 && !chest->stock) {
            // Stock is set before a chest's first claim (the model's assumption); a limited chest may grow or
            // shrink down to what it paid, never below.
            return;
        }
        const int64_t stock = pick(0, 3) == 0 ? chest->paid - 1 : chest->paid + pick(0, 3);
        const std::string call =
            "SELECT treasure.set_stock(" + std::to_string(chest_id) + ", " + std::to_string(stock) + ")";
        const std::string got = sqlstate_of(call);
        if (stock < chest->paid || stock < 0) {
            EXPECT_EQ(got, "22023") << where() << ": a stock below what is paid: " << call;
            return;
        }
        EXPECT_EQ(got, "") << where() << ": " << call;
        chest->stock = stock;
    }

    void set_claim_limit()
    {
        model_.claim_limit = pick(6, 10);
        execute("SELECT treasure.set_claim_limit(" + std::to_string(*model_.claim_limit) + ", interval '1 day')");
    }

    void set_caps()
    {
        if (pick(0, 1) == 0) {
            const bool none = pick(0, 2) == 0;
            const int64_t cap = pick(500, 6000);
            execute("SELECT treasure.set_wallet_cap(" + (none ? std::string("NULL") : std::to_string(cap)) + ")");
            if (none)
                model_.wallet_cap.reset();
            else
                model_.wallet_cap = cap;
        } else {
            const std::string item = pick(0, 1) == 0 ? reward_item() : *some_item(0);
            const bool none = pick(0, 2) == 0;
            const int cap = pick(1, 8);
            execute("SELECT treasure.set_item_cap(" + connection_.quote(item) + ", " +
                    (none ? std::string("NULL") : std::to_string(cap)) + ")");
            if (none)
                model_.item_caps.erase(item);
            else
                model_.item_caps[item] = cap;
        }
    }

    void invalid_admin_call()
    {
        struct Case {
            std::string sql, sqlstate;
        };
        const std::string chest = model_.chests.empty() ? "1" : std::to_string(model_.chests.begin()->first);
        const std::vector<Case> cases = {
            {"SELECT treasure.put_chest_item(" + std::to_string(pick(100, 200)) + ", 'pearl', 1)", "P0002"},
            {"SELECT treasure.put_chest_item(" + chest + ", NULL, 1)", "22004"},
            {"SELECT treasure.put_chest_item(" + chest + ", 'pearl', -1)", "22023"},
            {"SELECT treasure.put_loot(" + chest +
                 ", 33, '[{\"item\": \"ruby\", \"qty\": 1, \"coins\": 0, \"weight\": 1}]')",
             "22023"},
            {"SELECT treasure.put_loot(" + chest +
                 ", 1, '[{\"item\": \"ruby\", \"qty\": 1, \"coins\": 0, \"weight\": 0}]')",
             "22023"},
            {"SELECT treasure.put_loot(" + chest +
                 ", 1, '[{\"item\": \"ruby\", \"qty\": 0, \"coins\": 0, \"weight\": 1}]')",
             "22023"},
            {"SELECT treasure.put_loot(" + chest + ", 1, '[{\"item\": null, \"coins\": -1, \"weight\": 1}]')", "22023"},
            {"SELECT treasure.put_loot(" + chest + ", 1, '[]')", "22023"},
            {"SELECT treasure.set_stock(" + chest + ", -1)", "22023"},
            {"SELECT treasure.set_item_cap(NULL, 1)", "22004"},
            {"SELECT * FROM treasure.reverse_claim(1, " + connection_.quote(new_request_id()) + "::uuid, 'model')",
             "P0002"},
            {"SELECT * FROM treasure.reverse_claim(1, " + connection_.quote(new_request_id()) + "::uuid, NULL)",
             "22004"},
        };
        const Case &chosen = cases[pick(0, static_cast<int>(cases.size()) - 1)];
        EXPECT_EQ(sqlstate_of(chosen.sql), chosen.sqlstate) << where() << ": " << chosen.sql;
    }

    // The claim and its companion in one statement (sql/CONTRACT-1.3.0.md), awards read as rows.  On odd steps
    // the claim is the one tap of a treasure.claim_treasure_batch() call (1.4.0), whose row must mean the same,
    // its error the tap's sqlstate instead of the statement's.
    Outcome call_claim(pqxx::transaction_base &transaction, const std::string &player, const std::string &chest,
                       const std::string &request)
    {
        Outcome outcome;
        const std::string columns =
            "SELECT c.status, c.replayed, c.claim_id, c.coins_awarded, c.item_awarded, c.item_qty, c.key_used, "
            "c.balance, COALESCE((d.details->>'loot_coins')::bigint, 0), (d.details->>'retry_after_ms')::bigint, "
            "(SELECT string_agg(a.source || '|' || a.item || '|' || a.qty, ',' ORDER BY a.source, a.item) "
            "   FROM jsonb_to_recordset(COALESCE(d.details->'awards', '[]')) AS a(item text, qty bigint, source text))";
        const bool batched = step_ % 2 == 1;
        const pqxx::row row =
            batched ? transaction.exec1(columns + ", c.sqlstate FROM treasure.claim_treasure_batch(ARRAY[" + player +
                                        "]::bigint[], ARRAY[" + chest + "]::bigint[], ARRAY[" + request +
                                        "]::uuid[]) c, LATERAL (SELECT c.details) d")
                    : transaction.exec1(columns + " FROM claim_treasure(" + player + ", " + chest + ", " + request +
                                        ") c, LATERAL (SELECT treasure.claim_details(" + player +
                                        ", c.claim_id, c.status) AS details) d");
        if (batched && !row[11].is_null()) {
            outcome.sqlstate = row[11].as<std::string>();
            return outcome;
        }
        outcome.status = row[0].as<std::string>();
        outcome.replayed = row[1].as<bool>();
        outcome.claim_id = optional_field<int64_t>(row[2]);
        outcome.coins = row[3].as<int64_t>();
        outcome.item = optional_field<std::string>(row[4]);
        outcome.item_qty = optional_field<int>(row[5]);
        outcome.key = optional_field<std::string>(row[6]);
        outcome.balance = optional_field<int64_t>(row[7]);
        outcome.loot_coins = row[8].as<int64_t>();
        outcome.retry_after_ms = optional_field<int64_t>(row[9]);
        if (!row[10].is_null()) {
            std::istringstream list(row[10].as<std::string>());
            std::string award;
            while (std::getline(list, award, ',')) {
                const auto bar = award.find('|'), last = award.rfind('|');
                outcome.awards[{award.substr(0, bar), award.substr(bar + 1, last - bar - 1)}] +=
                    std::stoll(award.substr(last + 1));
            }
        }
        return outcome;
    }

    Outcome call_claim(const std::string &player, const std::string &chest, const std::string &request)
    {
        try {
            pqxx::work transaction(connection_);
            Outcome outcome = call_claim(transaction, player, chest, request);
            transaction.commit();
            return outcome;
        } catch (const pqxx::sql_error &error) {
            Outcome outcome;
            outcome.sqlstate = error.sqlstate();
            return outcome;
        }
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

    // What a loot chest rolls for this player: the same claim with the caps and the limit lifted and another
    // request_id, in a transaction rolled back.  Checks the rolls against the table (explain_claim()).
    std::optional<Outcome> probe_roll(int64_t player, int64_t chest_id, const Chest &chest, const std::string &call)
    {
        pqxx::work transaction(connection_);
        transaction.exec("SELECT treasure.set_wallet_cap(NULL), treasure.set_claim_limit(NULL, NULL)");
        for (const auto &[item, cap] : model_.item_caps)
            transaction.exec("SELECT treasure.set_item_cap(" + connection_.quote(item) + ", NULL)");
        const std::string request = new_request_id();
        const Outcome probe = call_claim(transaction, std::to_string(player), std::to_string(chest_id),
                                         connection_.quote(request) + "::uuid");
        EXPECT_EQ(probe.status, "claimed") << call << ": the probe with caps and limit lifted";
        if (probe.status != "claimed")
            return std::nullopt;
        const LootTable &table = *chest.loot;
        int rolls = 0;
        int64_t roll_coins = 0;
        std::map<std::string, int64_t> roll_items;
        std::map<std::size_t, int> times;
        for (const auto &row :
             transaction.exec("SELECT item, qty, coins FROM treasure.explain_claim(" + std::to_string(player) + ", " +
                              connection_.quote(request) + "::uuid) WHERE roll IS NOT NULL")) {
            rolls++;
            const std::optional<std::string> item = optional_field<std::string>(row[0]);
            const int64_t coins = row[2].as<int64_t>();
            const int qty = item ? row[1].as<int>() : 0;
            // Which entry it is: the first entry with these figures that may still repeat.
            std::optional<std::size_t> match;
            for (std::size_t i = 0; i < table.entries.size() && !match; i++) {
                const LootEntry &entry = table.entries[i];
                if (entry.item == item && entry.coins == coins && (!item || entry.qty == qty) &&
                    (!entry.max_repeats || times[i] < *entry.max_repeats))
                    match = i;
            }
            EXPECT_TRUE(match.has_value())
                << call << ": a roll that is no entry of the table (or over max_repeats): " << item.value_or("null")
                << " x" << qty << " +" << coins;
            if (match)
                times[*match]++;
            roll_coins += coins;
            if (item)
                roll_items[*item] += qty;
        }
        EXPECT_EQ(rolls, table.rolls) << call << ": explain_claim shows one row per roll";
        EXPECT_EQ(probe.loot_coins, roll_coins) << call << ": loot_coins is the rolls' coins";
        EXPECT_EQ(probe.coins, chest.coins + roll_coins) << call << ": coins_awarded = the chest's + the loot's";
        Awards loot;
        for (const auto &[item, qty] : roll_items)
            loot[{"loot", item}] = qty;
        Awards probe_loot;
        for (const auto &[key, qty] : probe.awards)
            if (key.first == "loot")
                probe_loot[key] = qty;
        EXPECT_EQ(probe_loot, loot) << call << ": the loot awards are the rolls' items";
        transaction.abort();
        return probe;
    }

    Awards guaranteed_awards(const Chest &chest)
    {
        Awards awards;
        if (chest.item)
            awards[{"guaranteed", *chest.item}] += chest.item_qty;
        for (const auto &[item, qty] : chest.bundle)
            awards[{"guaranteed", item}] += qty;
        return awards;
    }

    void claim()
    {
        if (model_.chests.empty())
            return put_chest();
        const int64_t player = pick(1, 8);
        auto chest_entry = std::next(model_.chests.begin(), pick(0, static_cast<int>(model_.chests.size()) - 1));
        const int64_t chest_id = chest_entry->first;
        Chest &chest = chest_entry->second;

        std::string request = new_request_id();
        const auto existing = model_.claims.find({player, chest_id});
        if (existing != model_.claims.end() && pick(0, 1) == 0)
            request = existing->second.request_id;  // the client retries the same tap
        const std::string call = where() + ": claim(" + std::to_string(player) + ", " + std::to_string(chest_id) + ")";
        const int64_t current_balance = model_.wallets.count(player) ? model_.wallets[player] : 0;
        const auto refused = [&](const Outcome &got, const char *status) {
            EXPECT_EQ(got.status, status) << call;
            EXPECT_FALSE(got.replayed) << call;
            EXPECT_EQ(got.coins, 0) << call;
            EXPECT_EQ(got.balance, current_balance) << call;
        };

        // Where the model expects the claim to reach the caps (rule 7), it needs the roll first.
        const bool reaches_caps = existing == model_.claims.end() && chest.open &&
                                  !(chest.stock && chest.paid >= *chest.stock) &&
                                  !(chest.key && model_.inventory[{player, *chest.key}] <= 0) &&
                                  !(model_.claim_limit && model_.payouts[player] >= *model_.claim_limit);
        std::optional<Outcome> rolled;
        if (reaches_caps && chest.loot) {
            rolled = probe_roll(player, chest_id, chest, call);
            if (!rolled)
                return;
        }

        const Outcome got =
            call_claim(std::to_string(player), std::to_string(chest_id), connection_.quote(request) + "::uuid");
        ASSERT_EQ(got.sqlstate, "") << call;

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
                EXPECT_EQ(got.awards, original.awards) << call << ": a replay returns the stored awards";
                if (!original.reversed) {
                    EXPECT_EQ(got.balance, original.balance_after) << call;
                }
            } else {
                EXPECT_EQ(got.status, "already_claimed") << call;
                EXPECT_EQ(got.claim_id, original.claim_id) << call;
                EXPECT_EQ(got.coins, 0) << call;
                EXPECT_EQ(got.balance, current_balance) << call;
            }
            return;
        }
        if (!chest.open)
            return refused(got, "chest_closed");
        if (chest.stock && chest.paid >= *chest.stock)
            return refused(got, "sold_out");
        if (chest.key && model_.inventory[{player, *chest.key}] <= 0)
            return refused(got, "key_required");
        if (model_.claim_limit && model_.payouts[player] >= *model_.claim_limit) {
            refused(got, "rate_limited");
            EXPECT_TRUE(got.retry_after_ms && *got.retry_after_ms >= 1) << call << ": rate_limited says when to retry";
            return;
        }

        Awards awards = guaranteed_awards(chest);
        int64_t coins = chest.coins;
        if (rolled) {
            coins = rolled->coins;
            for (const auto &[key, qty] : rolled->awards)
                if (key.first == "loot")
                    awards[key] = qty;
        }
        const bool over_wallet = model_.wallet_cap && current_balance + coins > *model_.wallet_cap;
        const bool wallet_edge = over_wallet && coins == 0;  // already over the cap, paying nothing: either answer
        std::map<std::string, int64_t> awarded_items;
        for (const auto &[key, qty] : awards)
            awarded_items[key.second] += qty;
        bool over_item = false;
        for (const auto &[item, qty] : awarded_items) {
            const auto cap = model_.item_caps.find(item);
            if (cap != model_.item_caps.end() && model_.inventory[{player, item}] + qty > cap->second)
                over_item = true;
        }
        if ((over_wallet && !wallet_edge) || over_item || (wallet_edge && got.status == "wallet_full")) {
            EXPECT_TRUE((over_wallet && got.status == "wallet_full") || (over_item && got.status == "inventory_full"))
                << call << ": got " << got.status << ", over the wallet cap " << over_wallet << ", over an item cap "
                << over_item;
            EXPECT_EQ(got.coins, 0) << call;
            EXPECT_EQ(got.balance, current_balance) << call;
            return;
        }

        Claim made;
        made.request_id = request;
        made.coins = coins;
        made.item = chest.item;
        made.item_qty = chest.item ? std::optional<int>(chest.item_qty) : std::nullopt;
        made.key = chest.key;
        made.balance_after = current_balance + coins;
        made.awards = awards;
        EXPECT_EQ(got.status, "claimed") << call;
        EXPECT_FALSE(got.replayed) << call;
        EXPECT_EQ(got.coins, made.coins) << call;
        EXPECT_EQ(got.item, made.item) << call;
        EXPECT_EQ(got.item_qty, made.item_qty) << call;
        EXPECT_EQ(got.key, made.key) << call;
        EXPECT_EQ(got.balance, made.balance_after) << call;
        EXPECT_EQ(got.awards, made.awards)
            << call << (rolled ? ": the same loot as the probe with another request_id" : ": the guaranteed items");
        ASSERT_TRUE(got.claim_id.has_value()) << call;
        made.claim_id = *got.claim_id;

        model_.wallets[player] = made.balance_after;
        if (chest.key)
            model_.inventory[{player, *chest.key}] -= 1;
        for (const auto &[item, qty] : awarded_items)
            model_.inventory[{player, item}] += qty;
        model_.claims[{player, chest_id}] = made;
        model_.requests[request] = {player, chest_id};
        model_.payouts[player]++;
        chest.paid++;
    }

    void reverse_claim()
    {
        if (model_.claims.empty())
            return claim();
        auto entry = std::next(model_.claims.begin(), pick(0, static_cast<int>(model_.claims.size()) - 1));
        const int64_t player = entry->first.first;
        Claim &claimed = entry->second;
        const bool force = pick(0, 4) == 0;
        const std::string call = where() + ": reverse_claim(" + std::to_string(player) + ", " + claimed.request_id +
                                 (force ? ", force" : "") + ")";
        std::string sqlstate, status;
        std::optional<int64_t> claim_id, balance;
        std::optional<std::string> key_returned;
        int64_t coins_taken = 0;
        try {
            pqxx::work transaction(connection_);
            const pqxx::row row = transaction.exec1(
                "SELECT status, claim_id, coins_taken, key_returned, balance FROM treasure.reverse_claim(" +
                std::to_string(player) + ", " + connection_.quote(claimed.request_id) + "::uuid, 'model test', " +
                (force ? "true" : "false") + ")");
            transaction.commit();
            status = row[0].as<std::string>();
            claim_id = optional_field<int64_t>(row[1]);
            coins_taken = row[2].is_null() ? 0 : row[2].as<int64_t>();
            key_returned = optional_field<std::string>(row[3]);
            balance = optional_field<int64_t>(row[4]);
        } catch (const pqxx::sql_error &error) {
            sqlstate = error.sqlstate();
        }
        if (claimed.reversed) {
            EXPECT_EQ(sqlstate, "") << call;
            EXPECT_EQ(status, "already_reversed") << call;
            EXPECT_EQ(claim_id, claimed.claim_id) << call;
            EXPECT_EQ(coins_taken, claimed.coins_taken) << call << ": a repeat shows the first reversal's figures";
            return;
        }
        int64_t &wallet = model_.wallets[player];
        std::map<std::string, int64_t> items;
        for (const auto &[key, qty] : claimed.awards)
            items[key.second] += qty;
        bool short_of_something = wallet < claimed.coins;
        for (const auto &[item, qty] : items)
            if (model_.inventory[{player, item}] < qty)
                short_of_something = true;
        if (short_of_something && !force) {
            EXPECT_EQ(sqlstate, "55000") << call << ": the player spent what must be taken back";
            return;
        }
        EXPECT_EQ(sqlstate, "") << call;
        EXPECT_EQ(status, "reversed") << call;
        EXPECT_EQ(claim_id, claimed.claim_id) << call;
        const int64_t taken = std::min(wallet, claimed.coins);
        EXPECT_EQ(coins_taken, taken) << call;
        EXPECT_EQ(key_returned, claimed.key) << call;
        wallet -= taken;
        EXPECT_EQ(balance, wallet) << call;
        for (const auto &[item, qty] : items) {
            int64_t &held = model_.inventory[{player, item}];
            held -= std::min(held, qty);
        }
        if (claimed.key)
            model_.inventory[{player, *claimed.key}] += 1;
        claimed.reversed = true;
        claimed.coins_taken = taken;
        model_.reversed_coins[player] += taken;
        model_.reversals++;
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
        EXPECT_EQ(claims, expected_claims) << "claims (a reversed claim stays: the chest stays claimed)";

        std::set<std::tuple<int64_t, int64_t, std::string, std::string, int64_t>> awards, expected_awards;
        for (const auto &row :
             transaction.exec("SELECT player_id, claim_id, source, item, qty FROM treasure.claim_awards"))
            awards.insert({row[0].as<int64_t>(), row[1].as<int64_t>(), row[2].as<std::string>(),
                           row[3].as<std::string>(), row[4].as<int64_t>()});
        for (const auto &[key, claim] : model_.claims)
            for (const auto &[award, qty] : claim.awards)
                expected_awards.insert({key.first, claim.claim_id, award.first, award.second, qty});
        EXPECT_EQ(awards, expected_awards) << "claim_awards: one row per (claim, source, item)";

        for (const auto &[chest_id, chest] : model_.chests) {
            const pqxx::row stock =
                transaction.exec1("SELECT stock, claimed FROM treasure.chest_stock(" + std::to_string(chest_id) + ")");
            EXPECT_EQ(optional_field<int64_t>(stock[0]), chest.stock) << "chest_stock(" << chest_id << ").stock";
            if (chest.stock) {
                EXPECT_EQ(stock[1].as<int64_t>(), chest.paid) << "chest_stock(" << chest_id << ").claimed";
            }
        }

        std::map<int64_t, std::pair<int64_t, int64_t>> stats, expected_stats;
        for (const auto &row : transaction.exec("SELECT player_id, claims, coins_awarded FROM treasure.player_stats"))
            if (!model_.reversed_coins.count(row[0].as<int64_t>()))  // what a reversal does to them is not specified
                stats[row[0].as<int64_t>()] = {row[1].as<int64_t>(), row[2].as<int64_t>()};
        for (const auto &[key, claim] : model_.claims) {
            if (model_.reversed_coins.count(key.first))
                continue;
            expected_stats[key.first].first += 1;
            expected_stats[key.first].second += claim.coins;
        }
        EXPECT_EQ(stats, expected_stats) << "player_stats";

        // Analytics equal wallets: one event per claim plus one (negative) per reversal.
        std::map<int64_t, int64_t> event_coins;
        for (const auto &row :
             transaction.exec("SELECT player_id, sum(coins_awarded) FROM treasure.claim_events GROUP BY 1"))
            event_coins[row[0].as<int64_t>()] = row[1].as<int64_t>();
        std::map<int64_t, int64_t> expected_event_coins;
        for (const auto &[key, claim] : model_.claims)
            expected_event_coins[key.first] += claim.coins - (claim.reversed ? claim.coins_taken : 0);
        EXPECT_EQ(event_coins, expected_event_coins) << "claim_events' coins per player = claims - reversals";
        const int64_t events = transaction.exec1("SELECT count(*) FROM treasure.claim_events")[0].as<int64_t>();
        EXPECT_EQ(events, static_cast<int64_t>(model_.claims.size()) + model_.reversals)
            << "one event per claim plus one per reversal";
        EXPECT_EQ(transaction.exec1("SELECT count(*) FROM treasure.reconcile()")[0].as<int64_t>(), 0)
            << "treasure.reconcile() finds no disagreement";
    }

    pqxx::connection connection_;
    std::mt19937 random_;
    uint32_t seed_;
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
