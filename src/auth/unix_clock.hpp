#pragma once
// Wall-clock time in seconds since the Unix epoch, as JWT's exp, nbf and iat count it; injectable so tests can
// stand exactly on a token's exp.  (lib/clock.hpp's Clock is steady time, which a JWT cannot be compared with.)
#include <atomic>
#include <chrono>
#include <cstdint>

namespace treasure {

class UnixClock {
public:
    virtual ~UnixClock() = default;
    virtual std::int64_t now_seconds() const = 0;
};

class SystemUnixClock final : public UnixClock {
public:
    std::int64_t now_seconds() const override
    {
        return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    }
    static SystemUnixClock &instance()
    {
        static SystemUnixClock clock;
        return clock;
    }
};

// Moves only when told to.
class ManualUnixClock final : public UnixClock {
public:
    explicit ManualUnixClock(std::int64_t start = 1700000000) : seconds_(start) {}
    std::int64_t now_seconds() const override { return seconds_.load(); }
    void set(std::int64_t seconds) { seconds_ = seconds; }
    void advance(std::int64_t by) { seconds_ += by; }

private:
    std::atomic<std::int64_t> seconds_;
};

}  // namespace treasure
