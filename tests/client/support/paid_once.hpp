#pragma once
// What the kill tests of the client paths (Client, PipelinedClaims, BatchedClaims) share: a thread that keeps
// terminating the backends of one application_name, and the check that every acknowledged tap was paid once.
#include <atomic>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <thread>

namespace treasure::testing {

// pg_terminate_backend() of every backend of dsn's server whose application_name is `application`, every 30 ms
// from a thread of its own, until it has killed `enough` or stop() is called.
class BackendKiller {
public:
    BackendKiller(std::string dsn, std::string application, int enough);
    ~BackendKiller();
    BackendKiller(const BackendKiller &) = delete;
    BackendKiller &operator=(const BackendKiller &) = delete;

    int kills() const { return kills_.load(); }
    bool done() const { return kills_.load() >= enough_; }
    // Stops the thread and waits for it.
    void stop();

private:
    const std::string dsn_, application_;
    const int enough_;
    std::atomic<int> kills_{0};
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

// Among the rows of `player_range` (an SQL condition on player_id): one claims row per request_id (exactly these),
// one claim_events row per claim, and each wallet's balance as expected_balance says (gtest expectations).
void expect_paid_exactly_once(const std::string &dsn, const std::string &player_range,
                              const std::set<std::string> &request_ids,
                              const std::map<std::int64_t, std::int64_t> &expected_balance);

}  // namespace treasure::testing
