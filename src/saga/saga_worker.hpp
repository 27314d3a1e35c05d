#pragma once
// A service worker of the saga path.  Each role consumes its own messages from the outbox
// (treasure.saga_messages) through treasure.saga_work(), one transaction per message: the dedupe record,
// the step's effect, the saga log and the next message commit together, so a worker killed at any point
// leaves either the whole step or none of it.  Woken by NOTIFY treasure_saga_<role>, with a polling fallback.
//   inventory     take_key, give_item, return_key
//   wallet        credit, refund
//   orchestrator  commit (the point of no return) and the time-out sweep (treasure.saga_expire)
//   analytics     count (player_stats)
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace treasure {

enum class SagaRole { inventory, wallet, orchestrator, analytics };

std::string_view to_string(SagaRole role);
std::optional<SagaRole> parse_saga_role(std::string_view text);

struct SagaWorkerOptions {
    std::string dsn;
    SagaRole role = SagaRole::inventory;
    std::string fail_step;                         // fault injection: this step fails (saga_work's fail_step)
    std::chrono::milliseconds step_timeout{5000};  // orchestrator: a saga making no progress this long is undone
    std::chrono::milliseconds poll{250};           // longest sleep between looks at the queue
    bool verbose = false;                          // print every step taken
};

class SagaWorker {
public:
    explicit SagaWorker(SagaWorkerOptions options) : options_(std::move(options)) {}

    // Runs until stop becomes true; reconnects when the database goes away.  Never throws.
    void run(const std::atomic<bool> &stop);

    std::uint64_t steps() const { return steps_.load(); }

private:
    void serve(const std::atomic<bool> &stop);

    const SagaWorkerOptions options_;
    std::atomic<std::uint64_t> steps_{0};
};

}  // namespace treasure
