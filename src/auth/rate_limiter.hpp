#pragma once
// Token buckets keyed by a 64-bit id (a player id, or rate_limit_key() of an API key's name or a remote
// address), on an injectable clock, thread-safe with one lock per shard (64 shards by default).
//
// Memory is bounded.  A bucket left alone for burst/rate seconds is full again, exactly like a bucket that does
// not exist, so it is dropped (idle eviction, checked at the least recently used end of the shard on each
// take).  On top of that each shard holds at most max_entries/shards buckets: when a new id arrives at a full
// shard, its least recently used bucket is evicted.  So size() <= max_entries always; about 100 bytes a bucket.
//
// What a flood of distinct ids does: it can only push other ids' buckets out early, and an evicted id comes
// back with a full bucket.  The limiter fails open for the ids it forgets (a victim gains up to one burst, never
// loses taps), rather than refusing new ids when full (which would let a flood lock everyone out).  A flooder
// rotating ids is not slowed by per-id buckets at all: that is the per-client limit's job (by API key or remote
// address), whose ids the flooder cannot mint.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "auth/rate_limit.hpp"
#include "lib/clock.hpp"

namespace treasure {

struct RateDecision {
    bool allowed = true;
    std::chrono::milliseconds retry_after{0};  // when refused: until the next tap would be allowed (>= 1 ms)
    // Retry-After in whole seconds, rounded up, at least 1.
    long long retry_after_seconds() const;
};

struct RateLimiterOptions {
    std::size_t max_entries = 262144;  // ~26 MB at most
    std::size_t shards = 64;
};

// A well-spread id for a name or an address (the first 64 bits of its SHA-256), so nobody can pick an address
// whose bucket is another's.
std::uint64_t rate_limit_key(std::string_view text);

class RateLimiter {
public:
    // Throws std::invalid_argument when max_entries < shards or shards == 0.
    RateLimiter(RateLimit limit, const Clock &clock = SteadyClock::instance(), RateLimiterOptions options = {});

    // Takes one tap from id's bucket if it has one.
    RateDecision take(std::uint64_t id);

    std::size_t size() const;
    std::size_t capacity() const { return capacity_per_shard_ * shards_.size(); }

private:
    struct Bucket {
        double tokens;
        Clock::time_point updated;
        std::list<std::uint64_t>::iterator in_order;
    };
    struct Shard {
        mutable std::mutex mutex;
        std::unordered_map<std::uint64_t, Bucket> buckets;
        std::list<std::uint64_t> order;  // least recently used first
    };
    void evict_idle(Shard &shard, Clock::time_point now) const;

    const RateLimit limit_;
    const Clock &clock_;
    const Clock::duration refill_time_;  // burst / rate: an idle bucket is full after this long
    const std::size_t capacity_per_shard_;
    std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace treasure
