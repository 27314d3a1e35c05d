#include "lib/client.hpp"

#include <random>
#include <thread>
#include <utility>

#include <pqxx/nontransaction>

#include "lib/claim_error.hpp"
#include "lib/claim_row.hpp"

namespace treasure {

namespace {

constexpr const char *statement_name = "treasure_claim";

// A nontransaction sends just this statement: claim_treasure() commits on its own, so one round trip.
// claimed_at comes back as RFC 3339 UTC whatever the session's TimeZone and DateStyle.
#define TREASURE_CLAIM_COLUMNS                                                                                      \
    "SELECT c.status, c.replayed, c.claim_id, c.coins_awarded, c.item_awarded, c.item_qty, c.key_used, c.balance, " \
    "to_char(c.claimed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
#define TREASURE_CLAIM_CALL " FROM public.claim_treasure($1::bigint, $2::bigint, $3::uuid, $4::bigint) c"

constexpr const char *statement_sql = TREASURE_CLAIM_COLUMNS TREASURE_CLAIM_CALL;
// 1.3.0: the same statement also returns claim_details(), which sees the claim's own writes (CONTRACT-1.3.0.md).
constexpr const char *statement_with_details_sql =
    TREASURE_CLAIM_COLUMNS ", treasure.claim_details($1::bigint, c.claim_id, c.status)::text" TREASURE_CLAIM_CALL;

}  // namespace

Client::Client(ClientOptions options)
    : options_(std::move(options)), statements_([](pqxx::connection &connection, bool with_details) {
          connection.unprepare(statement_name);
          connection.prepare(statement_name, with_details ? statement_with_details_sql : statement_sql);
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
