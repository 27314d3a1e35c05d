#pragma once
// How far a streaming standby is behind its primary, measured in the background.
//
// The measure is the time a write takes to become visible on the replica: the monitor reads the primary's
// pg_current_wal_flush_lsn() at t0 (everything committed is flushed), then polls the replica's
// pg_last_wal_replay_lsn() until it reaches that position at t1; lag = t1 - t0.  While it has not arrived
// yet, the lag is at least now - t0, so that is published as soon as it exceeds the last measurement.
// An idle primary therefore shows 0 lag (its flush position is already replayed), unlike
// now() - pg_last_xact_replay_timestamp(), which grows for as long as nothing is written.  A paused or broken
// replay shows a lag that grows from the first write it misses.
//
// When the primary cannot be reached, the replica alone decides: replay caught up with what it received
// counts as 0, otherwise now() - pg_last_xact_replay_timestamp() (method "replica_only").
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

namespace treasure {

// An LSN ("16/B374D848") as a byte position; throws std::invalid_argument on other text.
std::uint64_t parse_lsn(std::string_view text);

struct ReplicaLag {
    bool reachable = false;        // the last probe reached the replica
    bool in_recovery = false;      // ... and it is a standby (a promoted replica is not a replica any more)
    bool replay_paused = false;    // pg_wal_replay_pause() is in force
    std::optional<double> lag_ms;  // nothing until the first measurement
    std::string method;            // "lsn" (against the primary) or "replica_only"
    std::string problem;           // why the replica is not usable, "" when it is
    std::chrono::steady_clock::time_point measured_at{};

    bool usable() const { return reachable && in_recovery; }
};

struct ReplicaLagOptions {
    std::string primary_dsn;
    std::string replica_dsn;
    std::chrono::milliseconds refresh{250};  // a new measurement this often
    std::chrono::milliseconds poll{2};       // first re-check while the replica has not caught up (backs off)
    // Called from the monitor's thread after every probe (e.g. to set a gauge).  Must not block.
    std::function<void(const ReplicaLag &)> on_update;
};

class ReplicaLagMonitor {
public:
    // Starts the background thread; never throws for an unreachable server (that is a measurement).
    explicit ReplicaLagMonitor(ReplicaLagOptions options);
    ~ReplicaLagMonitor();
    ReplicaLagMonitor(const ReplicaLagMonitor &) = delete;
    ReplicaLagMonitor &operator=(const ReplicaLagMonitor &) = delete;

    ReplicaLag current() const;
    // Waits until the first probe finished (for one-shot callers such as `treasure stats`).
    ReplicaLag wait_for_first_probe(std::chrono::milliseconds timeout) const;
    // Probe again now (a read just failed on the replica).
    void refresh_now();

private:
    void run();
    void publish(ReplicaLag lag);
    bool sleep_for(std::chrono::steady_clock::duration duration);  // false when stopping

    const ReplicaLagOptions options_;
    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    ReplicaLag current_;
    std::uint64_t probes_ = 0;
    bool stop_ = false;
    bool wake_ = false;
    std::thread thread_;
};

}  // namespace treasure
