#pragma once
// The atomic path for many taps at once: up to 32 taps in one call of treasure.claim_treasure_batch() (1.4.0),
// one transaction and one commit for all of them, over one connection.  Each tap keeps the answer
// treasure::Client would give it (its row of the batch: claim_treasure()'s columns and claim_details(), or its
// own SQLSTATE), so one tap's 23505, P0002 or 22003 fails that tap alone.  Retries keep every tap's request_id:
//   * the batch failed as a whole (a lost connection, a commit in doubt, 40001/40P01 of the statement, a
//     server going away): every tap not yet final is sent again in a new batch, and the database replays the
//     taps of a batch that did commit;
//   * a tap answered 40001 or 40P01 in its row: only those taps are sent again;
// up to the RetryPolicy (attempts and deadline counted per call), then ClaimError(unavailable) for those left.
//
// The statement is prepared as "treasure_claim_batch" on every connection (the fault suite's proxy cuts its Binds).
//
// Not thread-safe: one thread calls it (the load generator runs one per connection).
#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <pqxx/connection>

#include "lib/claim.hpp"
#include "lib/claim_error.hpp"
#include "lib/retry_policy.hpp"

namespace treasure {

// treasure.claim_treasure_batch()'s own limit.
constexpr int max_batch_taps = 32;

struct BatchedClaimsOptions {
    std::string dsn;
    RetryPolicy retry;
};

// One tap's final answer: exactly one of result and error.
struct BatchedOutcome {
    std::optional<ClaimResult> result;
    std::optional<ClaimError> error;
};

class BatchedClaims {
public:
    // Connects now, so a wrong DSN fails here (std::runtime_error).
    explicit BatchedClaims(BatchedClaimsOptions options);
    ~BatchedClaims();
    BatchedClaims(const BatchedClaims &) = delete;
    BatchedClaims &operator=(const BatchedClaims &) = delete;

    // Claims 1..max_batch_taps taps (std::invalid_argument otherwise) and returns one outcome per request, in
    // the requests' order.  A request_id given twice is claimed once; the second tap replays the first.
    std::vector<BatchedOutcome> claim_batch(const std::vector<ValidClaimRequest> &requests);

    struct Stats {
        std::uint64_t batches_sent = 0;  // statements sent, retries included
        std::uint64_t retries = 0;       // batches sent again (whole or the taps answered 40001/40P01)
        std::uint64_t reconnects = 0;    // connections opened after a loss
    };
    Stats stats() const { return stats_; }

    // The server process of the current connection (0 while there is none): what pg_terminate_backend() takes.
    int backend_pid() const;

private:
    // Sends the taps `pending` (indices into requests) as one batch; final outcomes go into outcomes, the taps
    // answered 40001/40P01 into retry.  Throws what the whole batch failed with.
    void send(const std::vector<ValidClaimRequest> &requests, const std::vector<std::size_t> &pending,
              std::vector<BatchedOutcome> &outcomes, std::vector<std::size_t> &retry, std::string &last_failure);
    void connect();

    const BatchedClaimsOptions options_;
    std::unique_ptr<pqxx::connection> connection_;
    std::mt19937_64 random_{std::random_device{}()};
    Stats stats_;
};

}  // namespace treasure
