#pragma once
// How hard a claim is retried when the database drops the connection or aborts it with 40001/40P01.
// Retrying is safe because every attempt carries the same request_id: claim_treasure() replays a claim that
// already committed instead of paying it twice.
#include <chrono>
#include <random>

namespace treasure {

struct RetryPolicy {
    int max_attempts = 6;
    std::chrono::milliseconds deadline{3000};  // from the first attempt; no retry starts after it
    std::chrono::milliseconds base_backoff{2};
    std::chrono::milliseconds max_backoff{200};

    // "Full jitter": uniform in [0, min(max_backoff, base_backoff * 2^retry)], retry counting from 0.
    std::chrono::microseconds backoff(int retry, std::mt19937_64& random) const;
};

}  // namespace treasure
