#pragma once
// Analytics reads (player stats, a player's recent claim events, a top-N by coins over a time range), sent to a
// streaming replica so that they take no capacity from the primary that confirms claims (SEED: "we added a
// read replica to absorb analytics reads").  Claims never come here: this class only holds read-only
// connections (default_transaction_read_only = on, application_name = 'treasure-analytics').
//
// Where a read goes: to the replica when one is configured, the lag monitor last saw it in recovery and its
// lag is at most max_lag; otherwise, or when the read fails on the replica (connection lost, recovery
// conflict), to the primary.  If the primary fails too and the replica is reachable but lagging, the
// replica answers anyway and says how stale it is.  Every answer carries its ReadOrigin.
//
// Queries (and the indexes they use; claim_events has only its primary key (player_id, claim_id)):
//   stats        the wallet row by its PK (player_stats is a view of it since 1.2.0; a table before).
//   events       claim_events PK prefix player_id: a player's events (at most one per chest), top-N sort.
//   awards       a claim's treasure.claim_awards rows (1.3.0; before, the claim's item_awarded): the claims' and
//                claim_awards' PK prefix player_id.
//   leaderboard  claim_events filtered on occurred_at, hash aggregate by player, top-N heapsort: a sequential
//                scan, on purpose: an index on occurred_at would cost every claim one more index insert on the
//                primary, and the replica exists to absorb exactly this kind of scan.
//
// Metrics (own registry, appended to the gateway's /metrics):
//   treasure_replica_lag_seconds                        gauge, refreshed by the monitor (see replica_lag.hpp); -1
//   unknown treasure_replica_up                                 gauge, 1 when the replica is reachable and in recovery
//   treasure_analytics_reads_total{query,served_by}     counter, served_by = replica | primary
//   treasure_analytics_fallbacks_total{reason}          counter, reads meant for the replica that it did not serve
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "lib/claim.hpp"
#include "lib/claim_details_statements.hpp"
#include "lib/connection_pool.hpp"
#include "lib/player_summary.hpp"
#include "lib/replica_lag.hpp"

namespace treasure {

enum class ReadSource { replica, primary };
std::string_view to_string(ReadSource source);

struct ReadOrigin {
    ReadSource served_by = ReadSource::primary;
    std::optional<double> lag_ms;  // replica: its last measured lag (nothing: unknown); primary: 0
    bool stale = false;            // the replica answered although its lag is over the bound (primary failed)
    // Why a read meant for the replica went to the primary: no_replica, replica_lag, replica_unreachable,
    // replica_not_in_recovery, replica_error; empty when the replica answered.
    std::string fallback_reason;
};

template <class T>
struct Served {
    T value;
    ReadOrigin origin;
};

struct ClaimEvent {
    std::int64_t event_id = 0;
    std::int64_t claim_id = 0;
    std::int64_t chest_id = 0;
    std::int64_t coins_awarded = 0;
    std::int64_t balance_after = 0;
    std::string occurred_at;  // RFC 3339 in UTC
};

struct LeaderboardEntry {
    std::int64_t rank = 0;
    std::int64_t player_id = 0;
    std::int64_t coins_awarded = 0;
    std::int64_t claims = 0;
};

struct Leaderboard {
    std::string from;  // the range actually used, [from, to), RFC 3339 in UTC
    std::string to;
    std::vector<LeaderboardEntry> players;
};

// A row of treasure.chests, for the chest grid (GET /v1/chests).
struct ChestSummary {
    std::int64_t chest_id = 0;
    std::int64_t coins = 0;
    std::optional<std::string> item;
    std::int32_t item_qty = 1;
    std::optional<std::string> key_item;
    std::optional<std::string> opens_at;  // RFC 3339 in UTC
    std::optional<std::string> closes_at;
    bool open = true;  // now() inside [opens_at, closes_at) on the server that answered
};

// A player's balance (none without a wallet) and the items held (qty > 0), by item.
struct Inventory {
    std::int64_t player_id = 0;
    std::optional<std::int64_t> balance;
    std::vector<std::pair<std::string, std::int64_t>> items;
};

struct ClaimAwards {
    std::int64_t player_id = 0;
    std::int64_t claim_id = 0;
    std::int64_t chest_id = 0;
    std::vector<ClaimAward> awards;  // guaranteed first, then loot, then by item
};

struct AnalyticsOptions {
    std::string primary_dsn;
    std::string replica_dsn;    // empty: every read goes to the primary (fallback_reason "no_replica")
    std::size_t pool_size = 2;  // per server; separate from the claim pool so analytics cannot starve claims
    std::chrono::milliseconds max_lag{1000};
    std::chrono::milliseconds lag_refresh{250};
    std::chrono::milliseconds statement_timeout{10000};
};

class AnalyticsReader {
public:
    static constexpr int max_limit = 1000;

    // Opens the primary's connections now (throws std::runtime_error); the replica's are opened when the lag
    // monitor first reaches it, so a replica that is down at start-up only sends reads to the primary.
    explicit AnalyticsReader(AnalyticsOptions options);
    ~AnalyticsReader();
    AnalyticsReader(const AnalyticsReader &) = delete;
    AnalyticsReader &operator=(const AnalyticsReader &) = delete;

    // Each throws ClaimError: bad_request (limit out of 1..max_limit, a time PostgreSQL cannot read),
    // unavailable (no server could answer), internal.
    Served<std::optional<PlayerSummary>> player_stats(std::int64_t player_id);
    // Newest first.
    Served<std::vector<ClaimEvent>> recent_events(std::int64_t player_id, int limit);
    // The awards of one of the player's claims; nothing when the player has no claim with that id.
    Served<std::optional<ClaimAwards>> claim_awards(std::int64_t player_id, std::int64_t claim_id);
    // Players by coins awarded in [from, to) (timestamptz text, ISO 8601); defaults: to = now, from = to - 1 day.
    Served<Leaderboard> leaderboard(const std::optional<std::string> &from, const std::optional<std::string> &to,
                                    int limit);

    // Chests by chest_id, the first limit of them; a player's inventory.  Sent unprepared, so that a role that
    // may not read treasure.chests only loses this read, not the reader's connections.
    Served<std::vector<ChestSummary>> chests(int limit);
    Served<Inventory> inventory(std::int64_t player_id);

    bool has_replica() const { return monitor_ != nullptr; }
    // The monitor's latest measurement (an unusable ReplicaLag without a replica).
    ReplicaLag replica_lag() const;
    // Blocks until the monitor's first probe (one-shot callers: the CLI); returns at once without a replica.
    ReplicaLag wait_for_replica_lag(std::chrono::milliseconds timeout) const;
    std::chrono::milliseconds max_lag() const { return options_.max_lag; }

    // Prometheus text of the metrics above.
    std::string serialize_metrics();

private:
    template <class Query>
    auto read(std::string_view query_name, Query &&query)
        -> Served<decltype(query(std::declval<pqxx::connection &>()))>;
    std::shared_ptr<ConnectionPool> replica_pool();
    void count_read(std::string_view query, ReadSource source);
    void count_fallback(std::string_view reason);

    const AnalyticsOptions options_;
    std::shared_ptr<prometheus::Registry> registry_;
    prometheus::Gauge &lag_gauge_;
    prometheus::Gauge &up_gauge_;
    prometheus::Family<prometheus::Counter> &reads_family_;
    prometheus::Family<prometheus::Counter> &fallbacks_family_;
    // The counters of every query and fallback reason, registered once so that a read builds no label set.
    std::map<std::string, std::array<prometheus::Counter *, 2>, std::less<>> reads_;  // by query, then ReadSource
    std::map<std::string, prometheus::Counter *, std::less<>> fallbacks_;             // by reason
    ClaimDetailsStatements awards_statements_;  // before the pools: their Setup uses it
    ConnectionPool primary_;
    std::mutex replica_mutex_;
    std::shared_ptr<ConnectionPool> replica_;
    std::unique_ptr<ReplicaLagMonitor> monitor_;  // last: its thread uses the gauges above
};

}  // namespace treasure
