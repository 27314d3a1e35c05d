#include "lib/player_reader.hpp"

#include <chrono>

#include <pqxx/except>
#include <pqxx/nontransaction>

#include "lib/claim_error.hpp"

namespace treasure {

namespace {
constexpr const char* statement_name = "treasure_player";
constexpr const char* statement_sql =
    "SELECT w.balance, coalesce(s.claims, 0), coalesce(s.coins_awarded, 0), "
    "to_char(s.last_claim_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') "
    "FROM treasure.wallets w LEFT JOIN treasure.player_stats s ON s.player_id = w.player_id "
    "WHERE w.player_id = $1";
}  // namespace

PlayerReader::PlayerReader(const std::string& dsn, std::size_t pool_size)
    : pool_(dsn, pool_size, [](pqxx::connection& connection) { connection.prepare(statement_name, statement_sql); }) {}

std::optional<PlayerSummary> PlayerReader::find(std::int64_t player_id) {
    auto lease = pool_.acquire(std::chrono::steady_clock::now() + std::chrono::seconds(2));
    try {
        pqxx::nontransaction transaction(lease.connection());
        const pqxx::result rows = transaction.exec_prepared(statement_name, player_id);
        if (rows.empty()) return std::nullopt;
        PlayerSummary summary;
        summary.player_id = player_id;
        summary.balance = rows[0][0].as<std::int64_t>();
        summary.claims = rows[0][1].as<std::int64_t>();
        summary.coins_awarded = rows[0][2].as<std::int64_t>();
        if (!rows[0][3].is_null()) summary.last_claim_at = rows[0][3].as<std::string>();
        return summary;
    } catch (const pqxx::broken_connection& error) {
        lease.discard();
        throw ClaimError(ClaimErrorKind::unavailable, std::string("replica connection lost: ") + error.what());
    } catch (const pqxx::sql_error& error) {
        throw ClaimError(ClaimErrorKind::internal, error.what(), error.sqlstate());
    }
}

}  // namespace treasure
