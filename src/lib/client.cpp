#include "lib/client.hpp"

#include <random>
#include <thread>
#include <utility>

#include <pqxx/except>
#include <pqxx/nontransaction>

#include "lib/claim_error.hpp"
#include "lib/claim_row.hpp"
#include "lib/sqlstate.hpp"

namespace treasure {

namespace {

constexpr const char* statement_name = "treasure_claim";

// A nontransaction sends just this statement: claim_treasure() commits on its own, so one round trip.
// claimed_at comes back as RFC 3339 UTC whatever the session's TimeZone and DateStyle.
constexpr const char* statement_sql =
    "SELECT status, replayed, claim_id, coins_awarded, item_awarded, item_qty, key_used, balance, "
    "to_char(claimed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') "
    "FROM public.claim_treasure($1::bigint, $2::bigint, $3::uuid, $4::bigint)";

// Why an attempt failed, when another attempt may succeed.
enum class Retry { none, same_connection, new_connection };

}  // namespace

Client::Client(ClientOptions options)
    : options_(std::move(options)),
      pool_(options_.dsn, options_.pool_size, [](pqxx::connection& connection) {
          connection.prepare(statement_name, statement_sql);
      }) {
    if (options_.retry.max_attempts < 1) throw std::invalid_argument("retry policy: max_attempts must be at least 1");
}

Client::Stats Client::stats() const {
    return Stats{retries_.load(), pool_.reconnects()};
}

ClaimResult Client::attempt(ConnectionPool::Lease& lease, const ClaimRequest& request) {
    pqxx::connection& connection = lease.connection();
    pqxx::nontransaction transaction(connection);
    const std::string session = request.session_id ? std::to_string(*request.session_id) : std::string();
    const pqxx::result rows =
        transaction.exec_prepared(statement_name, request.player_id, request.chest_id, request.request_id,
                                  request.session_id ? session.c_str() : static_cast<const char*>(nullptr));
    if (rows.size() != 1)
        throw ClaimError(ClaimErrorKind::internal,
                         "claim_treasure() returned " + std::to_string(rows.size()) + " rows instead of 1");
    return claim_result_from_row(rows[0], 0, PathKind::atomic);
}

ClaimResult Client::claim(const ClaimRequest& original) {
    ClaimRequest request = original;
    validate(request);

    thread_local std::mt19937_64 random{std::random_device{}()};
    const auto started = std::chrono::steady_clock::now();
    const auto deadline = started + options_.retry.deadline;
    std::string last_failure;

    for (int attempt_number = 1;; ++attempt_number) {
        ConnectionPool::Lease lease = pool_.acquire(deadline);
        Retry retry = Retry::none;
        try {
            return attempt(lease, request);
        } catch (const pqxx::broken_connection& error) {
            retry = Retry::new_connection;
            last_failure = "connection lost: " + primary_error_message(error.what());
        } catch (const pqxx::in_doubt_error& error) {
            retry = Retry::new_connection;
            last_failure = "commit in doubt: " + primary_error_message(error.what());
        } catch (const pqxx::sql_error& error) {
            const std::string& sqlstate = error.sqlstate();
            switch (classify_sqlstate(sqlstate)) {
            case SqlstateMeaning::retry:
                retry = Retry::same_connection;
                break;
            case SqlstateMeaning::connection_lost:
                retry = Retry::new_connection;
                break;
            case SqlstateMeaning::bad_request:
                throw ClaimError(ClaimErrorKind::bad_request, primary_error_message(error.what()), sqlstate);
            case SqlstateMeaning::unknown_chest:
                throw ClaimError(ClaimErrorKind::unknown_chest, primary_error_message(error.what()), sqlstate);
            case SqlstateMeaning::request_id_conflict:
                throw ClaimError(ClaimErrorKind::request_id_conflict, primary_error_message(error.what()), sqlstate);
            case SqlstateMeaning::other:
                // A server that is going away can report its last error with any SQLSTATE.
                if (!lease.connection().is_open()) {
                    retry = Retry::new_connection;
                    break;
                }
                throw ClaimError(ClaimErrorKind::internal, "SQLSTATE " + sqlstate + ": " + primary_error_message(error.what()), sqlstate);
            }
            last_failure = "SQLSTATE " + sqlstate + ": " + primary_error_message(error.what());
        }
        if (retry == Retry::new_connection) lease.discard();

        if (attempt_number >= options_.retry.max_attempts)
            throw ClaimError(ClaimErrorKind::unavailable,
                             "claim not confirmed after " + std::to_string(attempt_number) +
                                 " attempts; last failure: " + last_failure);
        const auto pause = options_.retry.backoff(attempt_number - 1, random);
        if (std::chrono::steady_clock::now() + pause >= deadline)
            throw ClaimError(ClaimErrorKind::unavailable,
                             "claim not confirmed within " + std::to_string(options_.retry.deadline.count()) +
                                 " ms (" + std::to_string(attempt_number) + " attempts); last failure: " + last_failure);
        ++retries_;
        {
            // Give the connection back while sleeping so other claims can use it.
            ConnectionPool::Lease released = std::move(lease);
        }
        std::this_thread::sleep_for(pause);
    }
}

}  // namespace treasure
