#pragma once
// Time as the breaker and the flag provider see it, injectable so tests can move it by hand.
#include <atomic>
#include <chrono>

namespace treasure {

class Clock {
public:
    using time_point = std::chrono::steady_clock::time_point;
    using duration = std::chrono::steady_clock::duration;
    virtual ~Clock() = default;
    virtual time_point now() const = 0;
};

class SteadyClock final : public Clock {
public:
    time_point now() const override { return std::chrono::steady_clock::now(); }
    static SteadyClock &instance()
    {
        static SteadyClock clock;
        return clock;
    }
};

// Starts at an arbitrary fixed point and moves only when told to.
class ManualClock final : public Clock {
public:
    time_point now() const override { return time_point(duration(ticks_.load())); }
    void advance(duration by) { ticks_ += by.count(); }

private:
    std::atomic<duration::rep> ticks_{std::chrono::duration_cast<duration>(std::chrono::hours(1)).count()};
};

}  // namespace treasure
