#include "lib/client.hpp"

#include <random>
#include <thread>
#include <utility>

#include <pqxx/except>
#include <pqxx/nontransaction>

#include "lib/claim_error.hpp"
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

template <typename T>
std::optional<T> optional_field(const pqxx::field& field) {
    if (field.is_null()) return std::nullopt;
    return field.as<T>();
}

ClaimResult read_row(const pqxx::row& row) {
    ClaimResult result;
    const auto status_text = row[0].as<std::string>();
    const auto status = parse_claim_status(status_text);
    if (!status) throw ClaimError(ClaimErrorKind::internal, "claim_treasure() returned unknown status '" + status_text + "'");
    result.status = *status;
    result.replayed = row[1].as<bool>();
    result.claim_id = optional_field<std::int64_t>(row[2]);
    result.coins_awarded = optional_field<std::int64_t>(row[3]).value_or(0);
    result.item_awarded = optional_field<std::string>(row[4]);
    result.item_qty = optional_field<std::int32_t>(row[5]);
    result.key_used = optional_field<std::string>(row[6]);
    result.balance = optional_field<std::int64_t>(row[7]);
    result.claimed_at = optional_field<std::string>(row[8]);
    result.path = PathKind::atomic;
    return result;
}

// libpq's "ERROR:  chest 9 does not exist\nCONTEXT: ..." reduced to "chest 9 does not exist".
std::string primary_message(const char* what) {
    std::string message(what);
    for (const char* prefix : {"ERROR:  ", "FATAL:  "}) {
        if (message.rfind(prefix, 0) == 0) message.erase(0, std::char_traits<char>::length(prefix));
    }
    const auto end_of_line = message.find('\n');
    if (end_of_line != std::string::npos) message.erase(end_of_line);
    return message;
}

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
    return read_row(rows[0]);
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
            last_failure = "connection lost: " + primary_message(error.what());
        } catch (const pqxx::in_doubt_error& error) {
            retry = Retry::new_connection;
            last_failure = "commit in doubt: " + primary_message(error.what());
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
                throw ClaimError(ClaimErrorKind::bad_request, primary_message(error.what()), sqlstate);
            case SqlstateMeaning::unknown_chest:
                throw ClaimError(ClaimErrorKind::unknown_chest, primary_message(error.what()), sqlstate);
            case SqlstateMeaning::request_id_conflict:
                throw ClaimError(ClaimErrorKind::request_id_conflict, primary_message(error.what()), sqlstate);
            case SqlstateMeaning::other:
                // A server that is going away can report its last error with any SQLSTATE.
                if (!lease.connection().is_open()) {
                    retry = Retry::new_connection;
                    break;
                }
                throw ClaimError(ClaimErrorKind::internal, "SQLSTATE " + sqlstate + ": " + primary_message(error.what()), sqlstate);
            }
            last_failure = "SQLSTATE " + sqlstate + ": " + primary_message(error.what());
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
