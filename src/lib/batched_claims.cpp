#include "lib/batched_claims.hpp"

#include <chrono>
#include <stdexcept>
#include <thread>

#include <pqxx/connection>
#include <pqxx/except>
#include <pqxx/nontransaction>
#include <pqxx/result>

#include "lib/claim_row.hpp"

namespace treasure {

namespace {

// The nine columns in the text Client reads (claimed_at as RFC 3339 in UTC), then claim_details() as text, then
// the tap's own SQLSTATE and message.  The statement commits on its own: one round trip per batch.
constexpr const char *batch_sql =
    "SELECT b.tap, b.status, b.replayed, b.claim_id, b.coins_awarded, b.item_awarded, b.item_qty, b.key_used, "
    "b.balance, to_char(b.claimed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), b.details::text, "
    "b.sqlstate, b.message "
    "FROM treasure.claim_treasure_batch($1::bigint[], $2::bigint[], $3::uuid[], $4::bigint[]) b";
constexpr const char *batch_statement = "treasure_claim_batch";
constexpr pqxx::row::size_type first_claim_column = 1, sqlstate_column = 11, message_column = 12;

// The batch's four arrays as array literals (ids and UUIDs need no quoting).
struct BatchArrays {
    std::string players{"{"}, chests{"{"}, requests{"{"}, sessions{"{"};

    BatchArrays(const std::vector<ValidClaimRequest> &requests_in, const std::vector<std::size_t> &pending)
    {
        for (std::size_t i = 0; i < pending.size(); ++i) {
            const ClaimRequest &request = *requests_in[pending[i]];
            const char *separator = i == 0 ? "" : ",";
            players += separator + std::to_string(request.player_id);
            chests += separator + std::to_string(request.chest_id);
            requests += separator + request.request_id;
            sessions += separator + (request.session_id ? std::to_string(*request.session_id) : std::string("NULL"));
        }
        for (std::string *array : {&players, &chests, &requests, &sessions})
            *array += '}';
    }
};

}  // namespace

BatchedClaims::BatchedClaims(BatchedClaimsOptions options) : options_(std::move(options))
{
    if (options_.retry.max_attempts < 1)
        throw std::invalid_argument("retry policy: max_attempts must be at least 1");
    connect();
}

BatchedClaims::~BatchedClaims() = default;

void BatchedClaims::connect()
{
    connection_.reset();
    connection_ = std::make_unique<pqxx::connection>(options_.dsn);
    connection_->prepare(batch_statement, batch_sql);
}

int BatchedClaims::backend_pid() const { return connection_ && connection_->is_open() ? connection_->backendpid() : 0; }

void BatchedClaims::send(const std::vector<ValidClaimRequest> &requests, const std::vector<std::size_t> &pending,
                         std::vector<BatchedOutcome> &outcomes, std::vector<std::size_t> &retry,
                         std::string &last_failure)
{
    if (!connection_ || !connection_->is_open()) {
        ++stats_.reconnects;
        connect();
    }
    const BatchArrays arrays(requests, pending);
    ++stats_.batches_sent;
    pqxx::result rows;
    {
        pqxx::nontransaction transaction(*connection_);
        rows =
            transaction.exec_prepared(batch_statement, arrays.players, arrays.chests, arrays.requests, arrays.sessions);
    }
    if (rows.size() != pending.size())
        throw ClaimError(ClaimErrorKind::internal, "claim_treasure_batch() returned " + std::to_string(rows.size()) +
                                                       " rows for " + std::to_string(pending.size()) + " taps");
    for (const pqxx::row &row : rows) {
        const auto tap = row[0].as<std::size_t>();
        if (tap < 1 || tap > pending.size())
            throw ClaimError(ClaimErrorKind::internal,
                             std::string("claim_treasure_batch() answered for tap ") + row[0].c_str());
        BatchedOutcome &outcome = outcomes[pending[tap - 1]];
        if (row[sqlstate_column].is_null()) {
            try {
                outcome.result = claim_result_from_row(row, first_claim_column, PathKind::atomic);
            } catch (const ClaimError &error) {
                outcome.error = error;
            }
            continue;
        }
        // The tap's own error means what the same SQLSTATE means for Client's claim.
        const std::string sqlstate = row[sqlstate_column].c_str();
        try {
            throw pqxx::sql_error(row[message_column].c_str(), batch_sql, sqlstate.c_str());
        } catch (...) {
            try {
                last_failure = classify_failed_attempt([] { return true; }, OtherFailure::rethrow).message;
                retry.push_back(pending[tap - 1]);
            } catch (const ClaimError &error) {
                outcome.error = error;
            }
        }
    }
}

std::vector<BatchedOutcome> BatchedClaims::claim_batch(const std::vector<ValidClaimRequest> &requests)
{
    if (requests.empty() || requests.size() > static_cast<std::size_t>(max_batch_taps))
        throw std::invalid_argument("a batch holds 1.." + std::to_string(max_batch_taps) + " taps");
    std::vector<BatchedOutcome> outcomes(requests.size());
    std::vector<std::size_t> pending(requests.size());
    for (std::size_t i = 0; i < pending.size(); ++i)
        pending[i] = i;
    const auto deadline = std::chrono::steady_clock::now() + options_.retry.deadline;
    for (int attempt_number = 1;; ++attempt_number) {
        std::vector<std::size_t> retry;
        std::string failure;
        try {
            send(requests, pending, outcomes, retry, failure);
        } catch (...) {
            // The whole batch failed: none of its taps is final (a commit in doubt replays on the next attempt).
            retry.clear();
            try {
                const RetryableFailure whole = classify_failed_attempt(
                    [this] { return connection_ && connection_->is_open(); }, OtherFailure::rethrow);
                if (whole.reconnect)
                    connection_.reset();
                failure = whole.message;
                retry = pending;
            } catch (const ClaimError &error) {
                for (std::size_t index : pending)
                    outcomes[index] = BatchedOutcome{std::nullopt, error};
            }
        }
        if (retry.empty())
            return outcomes;
        const auto pause = options_.retry.backoff(attempt_number - 1, random_);
        std::string given_up;
        if (attempt_number >= options_.retry.max_attempts)
            given_up = "claim not confirmed after " + std::to_string(attempt_number) + " attempts; last failure: ";
        else if (std::chrono::steady_clock::now() + pause >= deadline)
            given_up = "claim not confirmed within " + std::to_string(options_.retry.deadline.count()) + " ms (" +
                       std::to_string(attempt_number) + " attempts); last failure: ";
        if (!given_up.empty()) {
            for (std::size_t index : retry)
                outcomes[index] =
                    BatchedOutcome{std::nullopt, ClaimError(ClaimErrorKind::unavailable, given_up + failure)};
            return outcomes;
        }
        ++stats_.retries;
        std::this_thread::sleep_for(pause);
        pending = std::move(retry);
    }
}

}  // namespace treasure
