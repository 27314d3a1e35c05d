#include "auth/rate_limiter.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "auth/sha256.hpp"

namespace treasure {

namespace {

// Idle buckets dropped per take at most, so one tap never pays for a long sweep.
constexpr int idle_evictions_per_take = 4;

// murmur3's 64-bit finaliser: sequential player ids spread over the shards.
std::uint64_t mixed(std::uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

}  // namespace

long long RateDecision::retry_after_seconds() const
{
    return std::max<long long>(1, (retry_after.count() + 999) / 1000);
}

std::uint64_t rate_limit_key(std::string_view text) { return sha256_prefix64(text); }

RateLimiter::RateLimiter(RateLimit limit, const Clock &clock, RateLimiterOptions options)
    : limit_(limit), clock_(clock), refill_time_(std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(limit.burst / limit.rate_per_second))),
      capacity_per_shard_(options.shards == 0 ? 0 : options.max_entries / options.shards)
{
    if (options.shards == 0 || capacity_per_shard_ == 0)
        throw std::invalid_argument("rate limiter: max_entries must be at least the number of shards");
    for (std::size_t i = 0; i < options.shards; ++i)
        shards_.push_back(std::make_unique<Shard>());
}

void RateLimiter::evict_idle(Shard &shard, Clock::time_point now) const
{
    for (int i = 0; i < idle_evictions_per_take && !shard.order.empty(); ++i) {
        const auto oldest = shard.buckets.find(shard.order.front());
        if (oldest->second.updated + refill_time_ > now)
            return;
        shard.buckets.erase(oldest);
        shard.order.pop_front();
    }
}

RateDecision RateLimiter::take(std::uint64_t id)
{
    Shard &shard = *shards_[mixed(id) % shards_.size()];
    const auto now = clock_.now();
    std::lock_guard<std::mutex> lock(shard.mutex);
    evict_idle(shard, now);
    auto found = shard.buckets.find(id);
    if (found == shard.buckets.end()) {
        if (shard.buckets.size() >= capacity_per_shard_) {
            shard.buckets.erase(shard.order.front());
            shard.order.pop_front();
        }
        shard.order.push_back(id);
        found = shard.buckets.emplace(id, Bucket{limit_.burst, now, std::prev(shard.order.end())}).first;
    } else {
        shard.order.splice(shard.order.end(), shard.order, found->second.in_order);
    }
    Bucket &bucket = found->second;
    const double elapsed = std::chrono::duration<double>(now - bucket.updated).count();
    bucket.tokens = std::min(limit_.burst, bucket.tokens + std::max(0.0, elapsed) * limit_.rate_per_second);
    bucket.updated = now;
    if (bucket.tokens >= 1) {
        bucket.tokens -= 1;
        return RateDecision{};
    }
    // Rounded up to the millisecond, less a hair so that float error does not add one.
    const double wait_ms = std::ceil((1 - bucket.tokens) / limit_.rate_per_second * 1000 - 1e-6);
    return RateDecision{false, std::chrono::milliseconds(std::max(1LL, static_cast<long long>(wait_ms)))};
}

std::size_t RateLimiter::size() const
{
    std::size_t total = 0;
    for (const auto &shard : shards_) {
        std::lock_guard<std::mutex> lock(shard->mutex);
        total += shard->buckets.size();
    }
    return total;
}

}  // namespace treasure
