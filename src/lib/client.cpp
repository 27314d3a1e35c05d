#include "lib/client.hpp"

#include <random>
#include <thread>
#include <utility>

#include <pqxx/nontransaction>

#include "lib/claim_error.hpp"
#include "lib/claim_row.hpp"
#include "lib/claim_statement.hpp"

namespace treasure {

namespace {

constexpr const char *statement_name = "treasure_claim";

}  // namespace

Client::Client(ClientOptions options)
    : options_(std::move(options)), statements_([](pqxx::connection &connection, bool with_details) {
          connection.unprepare(statement_name);
          connection.prepare(statement_name, claim_statement_sql(with_details));
      }),
      pool_(options_.dsn, options_.pool_size, [this](pqxx::connection &connection) { statements_.setup(connection); })
{
    if (options_.retry.max_attempts < 1)
        throw std::invalid_argument("retry policy: max_attempts must be at least 1");
}

Client::Stats Client::stats() const { return Stats{retries_.load(), pool_.reconnects()}; }

ClaimResult Client::attempt(ConnectionPool::Lease &lease, const ClaimRequest &request)
{
    pqxx::connection &connection = lease.connection();
    const std::string session = request.session_id ? std::to_string(*request.session_id) : std::string();
    const pqxx::result rows = statements_.run(connection, [&] {
        // A nontransaction sends just the statement: claim_treasure() commits on its own, so one round trip.
        pqxx::nontransaction transaction(connection);
        return transaction.exec_prepared(statement_name, request.player_id, request.chest_id, request.request_id,
                                         request.session_id ? session.c_str() : static_cast<const char *>(nullptr));
    });
    if (rows.size() != 1)
        throw ClaimError(ClaimErrorKind::internal,
                         "claim_treasure() returned " + std::to_string(rows.size()) + " rows instead of 1");
    return claim_result_from_row(rows[0], 0, PathKind::atomic);
}

ClaimResult Client::claim(const ValidClaimRequest &request)
{
    thread_local std::mt19937_64 random{std::random_device{}()};
    const auto started = std::chrono::steady_clock::now();
    const auto deadline = started + options_.retry.deadline;

    for (int attempt_number = 1;; ++attempt_number) {
        ConnectionPool::Lease lease = pool_.acquire(deadline);
        RetryableFailure failure;
        try {
            return attempt(lease, *request);
        } catch (...) {
            failure = classify_failed_attempt([&lease] { return lease.connection().is_open(); }, OtherFailure::rethrow);
        }
        if (failure.reconnect)
            lease.discard();

        if (attempt_number >= options_.retry.max_attempts)
            throw ClaimError(ClaimErrorKind::unavailable, "claim not confirmed after " +
                                                              std::to_string(attempt_number) +
                                                              " attempts; last failure: " + failure.message);
        const auto pause = options_.retry.backoff(attempt_number - 1, random);
        if (std::chrono::steady_clock::now() + pause >= deadline)
            throw ClaimError(ClaimErrorKind::unavailable,
                             "claim not confirmed within " + std::to_string(options_.retry.deadline.count()) + " ms (" +
                                 std::to_string(attempt_number) + " attempts); last failure: " + failure.message);
        ++retries_;
        {
            // Give the connection back while sleeping so other claims can use it.
            ConnectionPool::Lease released = std::move(lease);
        }
        std::this_thread::sleep_for(pause);
    }
}

}  // namespace treasure
