#include "lib/analytics_reader.hpp"

#include <cmath>
#include <stdexcept>
#include <utility>

#include <pqxx/except>
#include <pqxx/nontransaction>
#include <pqxx/result>

#include "lib/claim_error.hpp"
#include "lib/claim_metrics.hpp"
#include "lib/claim_row.hpp"

namespace treasure {

namespace {

#define TREASURE_UTC_TEXT(column) "to_char(" column " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

constexpr const char *stats_statement = "treasure_analytics_stats";
constexpr const char *stats_sql =
    "SELECT w.balance, coalesce(s.claims, 0), coalesce(s.coins_awarded, 0), " TREASURE_UTC_TEXT(
        "s.last_claim_at") " FROM treasure.wallets w LEFT JOIN treasure.player_stats s ON s.player_id = w.player_id"
                           " WHERE w.player_id = $1";

// The primary key (player_id, claim_id) finds the player's events; at most one per chest, so the sort is small.
constexpr const char *events_statement = "treasure_analytics_events";
constexpr const char *events_sql =
    "SELECT event_id, claim_id, chest_id, coins_awarded, balance_after, " TREASURE_UTC_TEXT(
        "occurred_at") " FROM treasure.claim_events WHERE player_id = $1"
                       " ORDER BY occurred_at DESC, event_id DESC LIMIT $2";

// One pass over claim_events (sequential scan, see the header), hash aggregate, top-N heapsort.  The range is
// resolved once so the answer can say which one it used.
constexpr const char *leaderboard_statement = "treasure_analytics_leaderboard";
constexpr const char *leaderboard_sql =
    "WITH upper_end AS (SELECT coalesce($2::timestamptz, now()) AS upper_bound),"
    " bounds AS (SELECT coalesce($1::timestamptz, upper_bound - interval '1 day') AS lower_bound, upper_bound"
    "            FROM upper_end)"
    " SELECT " TREASURE_UTC_TEXT("b.lower_bound") ", " TREASURE_UTC_TEXT(
        "b.upper_bound") ","
                         "        t.player_id, t.coins, t.claims"
                         " FROM bounds b LEFT JOIN LATERAL ("
                         "   SELECT e.player_id, sum(e.coins_awarded)::bigint AS coins, count(*) AS claims"
                         "   FROM treasure.claim_events e"
                         "   WHERE e.occurred_at >= b.lower_bound AND e.occurred_at < b.upper_bound"
                         "   GROUP BY e.player_id ORDER BY coins DESC, e.player_id LIMIT $3) t ON true"
                         " ORDER BY t.coins DESC NULLS LAST, t.player_id";

constexpr const char *chests_sql =
    "SELECT chest_id, coins, item, item_qty, key_item, " TREASURE_UTC_TEXT("opens_at") ", " TREASURE_UTC_TEXT(
        "closes_at") ","
                     " (opens_at IS NULL OR opens_at <= now()) AND (closes_at IS NULL OR now() < closes_at)"
                     " FROM treasure.chests ORDER BY chest_id LIMIT $1";
constexpr const char *inventory_sql =
    "SELECT (SELECT balance FROM treasure.wallets WHERE player_id = $1), i.item, i.qty"
    " FROM (SELECT 1) one LEFT JOIN treasure.inventories i ON i.player_id = $1 AND i.qty > 0 ORDER BY i.item";

#undef TREASURE_UTC_TEXT

// A claim's awards: its rows in treasure.claim_awards (1.3.0), guaranteed first, then loot, then by item; one row
// with NULL item for a claim that awarded none; no row for a claim the player does not have.  The claims' PK
// prefix player_id finds the claim, claim_awards' PK (player_id, claim_id, ...) its awards.
constexpr const char *awards_statement = "treasure_analytics_awards";
constexpr const char *awards_sql =
    "SELECT c.chest_id, a.item, a.qty, a.source FROM treasure.claims c"
    " LEFT JOIN treasure.claim_awards a ON a.player_id = c.player_id AND a.claim_id = c.claim_id"
    " WHERE c.player_id = $1 AND c.claim_id = $2"
    " ORDER BY a.source <> 'guaranteed', a.source, a.item";
// A 1.2.0 database has no claim_awards: the claim's one item is its award.
constexpr const char *awards_before_1_3_sql =
    "SELECT c.chest_id, c.item_awarded, c.item_qty, 'guaranteed' FROM treasure.claims c"
    " WHERE c.player_id = $1 AND c.claim_id = $2";

ConnectionPool::Setup read_only_setup(std::chrono::milliseconds statement_timeout, ClaimDetailsStatements &awards)
{
    return [statement_timeout, &awards](pqxx::connection &connection) {
        {
            pqxx::nontransaction transaction(connection);
            transaction.exec("SET application_name = 'treasure-analytics'");
            transaction.exec("SET default_transaction_read_only = on");
            transaction.exec("SET statement_timeout = " + std::to_string(statement_timeout.count()));
        }
        connection.prepare(stats_statement, stats_sql);
        connection.prepare(events_statement, events_sql);
        connection.prepare(leaderboard_statement, leaderboard_sql);
        awards.setup(connection);
    };
}

bool is_transient(const std::string &sqlstate)
{
    // Connection trouble, shutdown, cancel (statement_timeout, recovery conflict on a standby), serialization.
    return sqlstate.rfind("08", 0) == 0 || sqlstate.rfind("57P0", 0) == 0 || sqlstate == "57014" ||
           sqlstate == "40001" || sqlstate == "40P01";
}

// Runs query on a leased connection, translating failures into ClaimErrors.
template <class Query>
auto run_on(ConnectionPool &pool, Query &query) -> decltype(query(std::declval<pqxx::connection &>()))
{
    auto lease = pool.acquire(std::chrono::steady_clock::now() + std::chrono::seconds(2));
    try {
        return query(lease.connection());
    } catch (const pqxx::broken_connection &error) {
        lease.discard();
        throw ClaimError(ClaimErrorKind::unavailable, std::string("connection lost: ") + error.what());
    } catch (const pqxx::in_doubt_error &error) {
        lease.discard();
        throw ClaimError(ClaimErrorKind::unavailable, std::string("connection lost: ") + error.what());
    } catch (const pqxx::sql_error &error) {
        const std::string sqlstate = error.sqlstate();
        if (sqlstate.rfind("22", 0) == 0)
            throw ClaimError(ClaimErrorKind::bad_request, primary_error_message(error.what()), sqlstate);
        if (is_transient(sqlstate)) {
            if (sqlstate.rfind("08", 0) == 0 || sqlstate.rfind("57P0", 0) == 0)
                lease.discard();
            throw ClaimError(ClaimErrorKind::unavailable, error.what(), sqlstate);
        }
        throw ClaimError(ClaimErrorKind::internal, error.what(), sqlstate);
    }
}

void check_limit(int limit)
{
    if (limit < 1 || limit > AnalyticsReader::max_limit)
        throw ClaimError(ClaimErrorKind::bad_request,
                         "limit must be between 1 and " + std::to_string(AnalyticsReader::max_limit));
}

}  // namespace

std::string_view to_string(ReadSource source) { return source == ReadSource::replica ? "replica" : "primary"; }

AnalyticsReader::AnalyticsReader(AnalyticsOptions options)
    : options_(std::move(options)), registry_(std::make_shared<prometheus::Registry>()),
      lag_gauge_(prometheus::BuildGauge()
                     .Name("treasure_replica_lag_seconds")
                     .Help("Time a write on the primary takes to become visible on the analytics replica (-1: unknown)")
                     .Register(*registry_)
                     .Add({})),
      up_gauge_(prometheus::BuildGauge()
                    .Name("treasure_replica_up")
                    .Help("1 when the analytics replica is reachable and in recovery")
                    .Register(*registry_)
                    .Add({})),
      reads_family_(prometheus::BuildCounter()
                        .Name("treasure_analytics_reads_total")
                        .Help("Analytics reads answered, by query and by the server that answered")
                        .Register(*registry_)),
      fallbacks_family_(prometheus::BuildCounter()
                            .Name("treasure_analytics_fallbacks_total")
                            .Help("Analytics reads meant for the replica that went to the primary, by reason")
                            .Register(*registry_)),
      awards_statements_([](pqxx::connection &connection, bool with_claim_awards) {
          connection.unprepare(awards_statement);
          connection.prepare(awards_statement, with_claim_awards ? awards_sql : awards_before_1_3_sql);
      }),
      primary_(options_.primary_dsn, options_.pool_size,
               read_only_setup(options_.statement_timeout, awards_statements_))
{
    lag_gauge_.Set(-1.0);
    for (const char *query : {"stats", "events", "leaderboard", "awards", "chests", "inventory"})
        for (auto source : {ReadSource::replica, ReadSource::primary})
            reads_[query][static_cast<std::size_t>(source)] =
                &reads_family_.Add({{"query", query}, {"served_by", std::string(to_string(source))}});
    if (options_.replica_dsn.empty())
        return;
    for (const char *reason : {"replica_lag", "replica_unreachable", "replica_not_in_recovery", "replica_error"})
        fallbacks_[reason] = &fallbacks_family_.Add({{"reason", reason}});
    ReplicaLagOptions lag_options;
    lag_options.primary_dsn = options_.primary_dsn;
    lag_options.replica_dsn = options_.replica_dsn;
    lag_options.refresh = options_.lag_refresh;
    lag_options.on_update = [this](const ReplicaLag &lag) {
        lag_gauge_.Set(lag.lag_ms ? *lag.lag_ms / 1000.0 : -1.0);
        up_gauge_.Set(lag.usable() ? 1.0 : 0.0);
    };
    monitor_ = std::make_unique<ReplicaLagMonitor>(std::move(lag_options));
}

AnalyticsReader::~AnalyticsReader() = default;

ReplicaLag AnalyticsReader::replica_lag() const
{
    if (!monitor_) {
        ReplicaLag none;
        none.problem = "no replica configured";
        return none;
    }
    return monitor_->current();
}

ReplicaLag AnalyticsReader::wait_for_replica_lag(std::chrono::milliseconds timeout) const
{
    if (!monitor_)
        return replica_lag();
    return monitor_->wait_for_first_probe(timeout);
}

std::string AnalyticsReader::serialize_metrics() { return treasure::serialize_metrics(*registry_); }

void AnalyticsReader::count_read(std::string_view query, ReadSource source)
{
    reads_.find(query)->second[static_cast<std::size_t>(source)]->Increment();
}

void AnalyticsReader::count_fallback(std::string_view reason) { fallbacks_.find(reason)->second->Increment(); }

std::shared_ptr<ConnectionPool> AnalyticsReader::replica_pool()
{
    std::lock_guard<std::mutex> lock(replica_mutex_);
    if (!replica_) {
        try {
            replica_ =
                std::make_shared<ConnectionPool>(options_.replica_dsn, options_.pool_size,
                                                 read_only_setup(options_.statement_timeout, awards_statements_));
        } catch (const std::exception &) {
            return nullptr;  // down: the caller falls back; the next read tries again
        }
    }
    return replica_;
}

template <class Query>
auto AnalyticsReader::read(std::string_view query_name, Query &&query)
    -> Served<decltype(query(std::declval<pqxx::connection &>()))>
{
    ReadOrigin origin;
    std::optional<double> replica_lag_ms;
    bool replica_reachable = false;
    if (!monitor_) {
        origin.fallback_reason = "no_replica";
    } else {
        const ReplicaLag lag = monitor_->current();
        replica_lag_ms = lag.lag_ms;
        replica_reachable = lag.usable();
        if (!lag.reachable) {
            origin.fallback_reason = "replica_unreachable";
        } else if (!lag.in_recovery) {
            origin.fallback_reason = "replica_not_in_recovery";
        } else if (!lag.lag_ms || *lag.lag_ms > static_cast<double>(options_.max_lag.count())) {
            origin.fallback_reason = "replica_lag";
        } else if (auto pool = replica_pool()) {
            try {
                auto value = run_on(*pool, query);
                count_read(query_name, ReadSource::replica);
                return {std::move(value), ReadOrigin{ReadSource::replica, lag.lag_ms, false, ""}};
            } catch (const ClaimError &error) {
                if (error.kind() == ClaimErrorKind::bad_request)
                    throw;  // the primary would say the same
                origin.fallback_reason = "replica_error";
                monitor_->refresh_now();
            }
        } else {
            origin.fallback_reason = "replica_unreachable";
            monitor_->refresh_now();
        }
        count_fallback(origin.fallback_reason);
    }
    try {
        auto value = run_on(primary_, query);
        count_read(query_name, ReadSource::primary);
        origin.served_by = ReadSource::primary;
        origin.lag_ms = 0.0;
        return {std::move(value), origin};
    } catch (const ClaimError &error) {
        // The primary is down but the replica is up, only behind: a stale answer that says so beats none.
        if (error.kind() != ClaimErrorKind::unavailable || origin.fallback_reason != "replica_lag" ||
            !replica_reachable)
            throw;
        auto pool = replica_pool();
        if (!pool)
            throw;
        auto value = run_on(*pool, query);
        count_read(query_name, ReadSource::replica);
        return {std::move(value), ReadOrigin{ReadSource::replica, replica_lag_ms, true, "primary_unavailable"}};
    }
}

Served<std::optional<PlayerSummary>> AnalyticsReader::player_stats(std::int64_t player_id)
{
    return read("stats", [player_id](pqxx::connection &connection) -> std::optional<PlayerSummary> {
        pqxx::nontransaction transaction(connection);
        const pqxx::result rows = transaction.exec_prepared(stats_statement, player_id);
        if (rows.empty())
            return std::nullopt;
        PlayerSummary summary;
        summary.player_id = player_id;
        summary.balance = rows[0][0].as<std::int64_t>();
        summary.claims = rows[0][1].as<std::int64_t>();
        summary.coins_awarded = rows[0][2].as<std::int64_t>();
        if (!rows[0][3].is_null())
            summary.last_claim_at = rows[0][3].as<std::string>();
        return summary;
    });
}

Served<std::vector<ClaimEvent>> AnalyticsReader::recent_events(std::int64_t player_id, int limit)
{
    check_limit(limit);
    return read("events", [player_id, limit](pqxx::connection &connection) {
        pqxx::nontransaction transaction(connection);
        const pqxx::result rows = transaction.exec_prepared(events_statement, player_id, limit);
        std::vector<ClaimEvent> events;
        events.reserve(rows.size());
        for (const auto &row : rows) {
            events.push_back(ClaimEvent{row[0].as<std::int64_t>(), row[1].as<std::int64_t>(), row[2].as<std::int64_t>(),
                                        row[3].as<std::int64_t>(), row[4].as<std::int64_t>(),
                                        row[5].as<std::string>()});
        }
        return events;
    });
}

Served<std::optional<ClaimAwards>> AnalyticsReader::claim_awards(std::int64_t player_id, std::int64_t claim_id)
{
    return read("awards", [this, player_id, claim_id](pqxx::connection &connection) -> std::optional<ClaimAwards> {
        const pqxx::result rows = awards_statements_.run(connection, [&] {
            pqxx::nontransaction transaction(connection);
            return transaction.exec_prepared(awards_statement, player_id, claim_id);
        });
        if (rows.empty())
            return std::nullopt;
        ClaimAwards awards{player_id, claim_id, rows[0][0].as<std::int64_t>(), {}};
        for (const auto &row : rows) {
            if (!row[1].is_null())
                awards.awards.push_back(ClaimAward{row[1].as<std::string>(),
                                                   row[2].is_null() ? 1 : row[2].as<std::int32_t>(),
                                                   row[3].as<std::string>()});
        }
        return awards;
    });
}

Served<Leaderboard> AnalyticsReader::leaderboard(const std::optional<std::string> &from,
                                                 const std::optional<std::string> &to, int limit)
{
    check_limit(limit);
    return read("leaderboard", [&from, &to, limit](pqxx::connection &connection) {
        pqxx::nontransaction transaction(connection);
        const pqxx::result rows =
            transaction.exec_prepared(leaderboard_statement, from ? from->c_str() : static_cast<const char *>(nullptr),
                                      to ? to->c_str() : static_cast<const char *>(nullptr), limit);
        Leaderboard board;
        board.from = rows[0][0].as<std::string>();
        board.to = rows[0][1].as<std::string>();
        std::int64_t rank = 0;
        for (const auto &row : rows) {
            if (row[2].is_null())
                continue;  // the range holds no events
            board.players.push_back(LeaderboardEntry{++rank, row[2].as<std::int64_t>(), row[3].as<std::int64_t>(),
                                                     row[4].as<std::int64_t>()});
        }
        return board;
    });
}

Served<std::vector<ChestSummary>> AnalyticsReader::chests(int limit)
{
    check_limit(limit);
    return read("chests", [limit](pqxx::connection &connection) {
        pqxx::nontransaction transaction(connection);
        const pqxx::result rows = transaction.exec_params(chests_sql, limit);
        const auto text = [](const pqxx::field &field) {
            return field.is_null() ? std::nullopt : std::optional<std::string>(field.as<std::string>());
        };
        std::vector<ChestSummary> chests;
        chests.reserve(rows.size());
        for (const auto &row : rows)
            chests.push_back(ChestSummary{row[0].as<std::int64_t>(), row[1].as<std::int64_t>(), text(row[2]),
                                          row[3].as<std::int32_t>(), text(row[4]), text(row[5]), text(row[6]),
                                          row[7].as<bool>()});
        return chests;
    });
}

Served<Inventory> AnalyticsReader::inventory(std::int64_t player_id)
{
    return read("inventory", [player_id](pqxx::connection &connection) {
        pqxx::nontransaction transaction(connection);
        const pqxx::result rows = transaction.exec_params(inventory_sql, player_id);
        Inventory inventory;
        inventory.player_id = player_id;
        if (!rows[0][0].is_null())
            inventory.balance = rows[0][0].as<std::int64_t>();
        for (const auto &row : rows)
            if (!row[1].is_null())
                inventory.items.emplace_back(row[1].as<std::string>(), row[2].as<std::int64_t>());
        return inventory;
    });
}

}  // namespace treasure
