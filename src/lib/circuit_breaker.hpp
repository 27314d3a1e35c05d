#pragma once
// Flips claims to the fallback path when the atomic path's 5xx-class failure rate gets too high.
//
// Closed: every call goes through; outcomes land in one-second buckets (30 of them by default). The breaker
// opens when, over the window, failures / calls > failure_rate_threshold AND calls >= min_calls.
// Open: no call goes through until open_duration has passed; then half-open.
// Half-open: the first half_open_probes calls go through as probes; all of them succeeding closes the breaker
// (with an empty window), any of them failing opens it again.
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string_view>
#include <vector>

#include "lib/clock.hpp"

namespace treasure {

enum class CircuitState { closed = 0, open = 1, half_open = 2 };
std::string_view to_string(CircuitState state);

struct CircuitBreakerOptions {
    int window_buckets = 30;
    std::chrono::milliseconds bucket_width{1000};
    // Parts per million, so that "exactly 0.3%" is exact: 3000 ppm = 0.3%.
    std::int64_t failure_rate_threshold_ppm = 3000;
    std::int64_t min_calls = 1000;
    std::chrono::milliseconds open_duration{30000};
    int half_open_probes = 5;
};

class CircuitBreaker {
public:
    using TransitionListener = std::function<void(CircuitState from, CircuitState to)>;

    // What allow() hands out; pass it back to record() so an outcome is counted against the state it was
    // admitted in (a slow call admitted while closed must not close a half-open breaker).
    struct Ticket {
        bool allowed = false;
        std::uint64_t generation = 0;
        bool probe = false;
    };

    explicit CircuitBreaker(CircuitBreakerOptions options = {}, const Clock &clock = SteadyClock::instance());

    // Called on every transition, outside the breaker's lock.
    void on_transition(TransitionListener listener);

    Ticket allow();
    void record(const Ticket &ticket, bool server_fault);

    CircuitState state() const { return state_.load(std::memory_order_acquire); }
    const CircuitBreakerOptions &options() const { return options_; }

    struct WindowTotals {
        std::int64_t calls = 0;
        std::int64_t failures = 0;
    };
    WindowTotals window_totals() const;

private:
    struct Bucket {
        std::int64_t index = -1;  // which bucket_width-long slice of time it counts
        std::int64_t calls = 0;
        std::int64_t failures = 0;
    };
    struct Transition {
        CircuitState from;
        CircuitState to;
    };

    std::int64_t bucket_index(Clock::time_point at) const;
    WindowTotals totals_locked(std::int64_t current_index) const;
    void move_locked(CircuitState to, std::vector<Transition> &transitions);
    void notify(const std::vector<Transition> &transitions);

    const CircuitBreakerOptions options_;
    const Clock &clock_;
    std::atomic<CircuitState> state_{CircuitState::closed};

    mutable std::mutex mutex_;
    std::vector<Bucket> buckets_;
    std::atomic<std::uint64_t> generation_{0};
    Clock::time_point opened_at_{};
    int probes_admitted_ = 0;
    int probes_succeeded_ = 0;
    TransitionListener listener_;
};

}  // namespace treasure
