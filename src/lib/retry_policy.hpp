#pragma once
// How hard a claim is retried when the database drops the connection or aborts it with 40001/40P01.
// Retrying is safe because every attempt carries the same request_id: claim_treasure() replays a claim that
// already committed instead of paying it twice.
#include <chrono>
#include <functional>
#include <random>
#include <string>

namespace treasure {

struct RetryPolicy {
    int max_attempts = 6;
    std::chrono::milliseconds deadline{3000};  // from the first attempt; no retry starts after it
    std::chrono::milliseconds base_backoff{2};
    std::chrono::milliseconds max_backoff{200};

    // "Full jitter": uniform in [0, min(max_backoff, base_backoff * 2^retry)], retry counting from 0.
    std::chrono::microseconds backoff(int retry, std::mt19937_64 &random) const;
};

// A failed attempt that another attempt (same request_id) may mend.
struct RetryableFailure {
    bool reconnect = false;  // the connection is gone: open a new one before the next attempt
    std::string message;     // "connection lost: ...", "SQLSTATE 40001: ...": the last failure in the final error
};

// What an attempt that failed with none of libpqxx's connection or SQL errors, nor a ClaimError, leads to: the
// atomic path lets the exception out (the Router answers internal); the saga path opens a new connection and
// tries again, since its connection's LISTEN state is then unknown.
enum class OtherFailure { rethrow, reconnect };

// Call only from a catch block: classifies the exception being handled, for the atomic and the saga path alike.
// Connection loss, a commit in doubt, 40001/40P01, and any SQLSTATE once connection_open() says the server went
// away, are retryable; any other SQLSTATE is thrown as the ClaimError it means; a ClaimError is rethrown; any
// other std::exception is rethrown or retried as `other` says.
RetryableFailure classify_failed_attempt(const std::function<bool()> &connection_open, OtherFailure other);

}  // namespace treasure
