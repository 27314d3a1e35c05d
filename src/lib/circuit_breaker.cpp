#include "lib/circuit_breaker.hpp"

#include <stdexcept>
#include <utility>

namespace treasure {

std::string_view to_string(CircuitState state)
{
    switch (state) {
    case CircuitState::closed: return "closed";
    case CircuitState::open: return "open";
    case CircuitState::half_open: return "half_open";
    }
    return "closed";
}

CircuitBreaker::CircuitBreaker(CircuitBreakerOptions options, const Clock &clock) : options_(options), clock_(clock)
{
    if (options_.window_buckets <= 0)
        throw std::invalid_argument("circuit breaker: window_buckets must be positive");
    if (options_.bucket_width.count() <= 0)
        throw std::invalid_argument("circuit breaker: bucket_width must be positive");
    if (options_.failure_rate_threshold_ppm < 0 || options_.failure_rate_threshold_ppm > 1000000)
        throw std::invalid_argument("circuit breaker: failure rate threshold must be within 0..100%");
    if (options_.min_calls < 1)
        throw std::invalid_argument("circuit breaker: min_calls must be at least 1");
    if (options_.half_open_probes < 1)
        throw std::invalid_argument("circuit breaker: half_open_probes must be at least 1");
    if (options_.open_duration.count() < 0)
        throw std::invalid_argument("circuit breaker: open_duration must not be negative");
    buckets_.resize(static_cast<std::size_t>(options_.window_buckets));
}

void CircuitBreaker::on_transition(TransitionListener listener)
{
    std::lock_guard<std::mutex> lock(mutex_);
    listener_ = std::move(listener);
}

std::int64_t CircuitBreaker::bucket_index(Clock::time_point at) const
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count() /
           options_.bucket_width.count();
}

CircuitBreaker::WindowTotals CircuitBreaker::totals_locked(std::int64_t current_index) const
{
    WindowTotals totals;
    for (const auto &bucket : buckets_) {
        if (bucket.index > current_index - options_.window_buckets && bucket.index <= current_index) {
            totals.calls += bucket.calls;
            totals.failures += bucket.failures;
        }
    }
    return totals;
}

CircuitBreaker::WindowTotals CircuitBreaker::window_totals() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    return totals_locked(bucket_index(clock_.now()));
}

void CircuitBreaker::move_locked(CircuitState to, std::vector<Transition> &transitions)
{
    const CircuitState from = state_.load(std::memory_order_relaxed);
    if (from == to)
        return;
    generation_.fetch_add(1, std::memory_order_acq_rel);
    probes_admitted_ = 0;
    probes_succeeded_ = 0;
    if (to == CircuitState::open)
        opened_at_ = clock_.now();
    if (to == CircuitState::closed) {
        for (auto &bucket : buckets_)
            bucket = Bucket{};
    }
    state_.store(to, std::memory_order_release);
    transitions.push_back({from, to});
}

void CircuitBreaker::notify(const std::vector<Transition> &transitions)
{
    if (transitions.empty())
        return;
    TransitionListener listener;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        listener = listener_;
    }
    if (!listener)
        return;
    for (const auto &transition : transitions)
        listener(transition.from, transition.to);
}

CircuitBreaker::Ticket CircuitBreaker::allow()
{
    // Fast path, no lock: closed, and no transition completed while we looked.
    const std::uint64_t seen = generation_.load(std::memory_order_acquire);
    if (state_.load(std::memory_order_acquire) == CircuitState::closed &&
        generation_.load(std::memory_order_acquire) == seen) {
        return Ticket{true, seen, false};
    }
    std::vector<Transition> transitions;
    Ticket ticket;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        CircuitState current = state_.load(std::memory_order_relaxed);
        if (current == CircuitState::open && clock_.now() - opened_at_ >= options_.open_duration) {
            move_locked(CircuitState::half_open, transitions);
            current = CircuitState::half_open;
        }
        ticket.generation = generation_.load(std::memory_order_relaxed);
        if (current == CircuitState::closed) {
            ticket.allowed = true;
        } else if (current == CircuitState::half_open && probes_admitted_ < options_.half_open_probes) {
            ++probes_admitted_;
            ticket.allowed = true;
            ticket.probe = true;
        }
    }
    notify(transitions);
    return ticket;
}

void CircuitBreaker::record(const Ticket &ticket, bool server_fault)
{
    if (!ticket.allowed)
        return;
    std::vector<Transition> transitions;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (ticket.generation != generation_.load(std::memory_order_relaxed))
            return;  // admitted under a state that has since ended
        const CircuitState current = state_.load(std::memory_order_relaxed);
        if (current == CircuitState::half_open) {
            if (server_fault) {
                move_locked(CircuitState::open, transitions);
            } else if (++probes_succeeded_ >= options_.half_open_probes) {
                move_locked(CircuitState::closed, transitions);
            }
        } else if (current == CircuitState::closed) {
            const std::int64_t index = bucket_index(clock_.now());
            Bucket &bucket = buckets_[static_cast<std::size_t>(index % options_.window_buckets)];
            if (bucket.index != index)
                bucket = Bucket{index, 0, 0};
            ++bucket.calls;
            if (server_fault)
                ++bucket.failures;
            const WindowTotals totals = totals_locked(index);
            if (totals.calls >= options_.min_calls &&
                totals.failures * 1000000 > totals.calls * options_.failure_rate_threshold_ppm) {
                move_locked(CircuitState::open, transitions);
            }
        }
    }
    notify(transitions);
}

}  // namespace treasure
