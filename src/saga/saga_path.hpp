#pragma once
// The legacy saga path as a ClaimPath: treasure.saga_claim() answers at once (replay, already_claimed,
// chest_closed, key_required: the same answers claim_treasure() gives, from the same claims guard) or starts
// a saga that treasure-saga's workers run step by step; this path then waits for the saga's answer
// (LISTEN treasure_saga_done, payload = saga_id), bounded by a deadline, and returns the same ClaimResult
// as the atomic path with path = saga.
//
// Retrying is safe for the same reason as on the atomic path: a retry with the same request_id joins the
// running saga or replays its claim, never starts a second credit.  A claim whose wait times out throws
// ClaimError(unavailable); its saga goes on (and is completed or compensated by the workers).
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "lib/claim_details_statements.hpp"
#include "lib/claim_path.hpp"

namespace treasure {

struct SagaPathOptions {
    std::string dsn;
    std::size_t pool_size = 8;
    // From the call until the answer; covers waiting for a connection, the saga's steps and retries.
    std::chrono::milliseconds deadline{5000};
};

class SagaPath final : public ClaimPath {
public:
    // Connects the whole pool (each connection LISTENs on treasure_saga_done); throws std::runtime_error.
    explicit SagaPath(SagaPathOptions options);
    ~SagaPath() override;
    SagaPath(const SagaPath &) = delete;
    SagaPath &operator=(const SagaPath &) = delete;

    ClaimResult claim(const ValidClaimRequest &request) override;
    PathKind kind() const override { return PathKind::saga; }

    // True when the database's treasure extension has the saga functions (version 1.1.0 or later).
    static bool available(const std::string &dsn);

private:
    struct Slot;
    // A slot taken from free_ until the lease ends (as ConnectionPool::Lease on the atomic path).
    class Lease {
    public:
        Lease(SagaPath &path, Slot &slot) : path_(&path), slot_(&slot) {}
        Lease(Lease &&other) noexcept : path_(other.path_), slot_(other.slot_) { other.path_ = nullptr; }
        Lease &operator=(Lease &&) = delete;
        ~Lease()
        {
            if (path_)
                path_->release(*slot_);
        }
        Slot &slot() const { return *slot_; }

    private:
        SagaPath *path_;
        Slot *slot_;
    };
    Lease acquire(std::chrono::steady_clock::time_point deadline);
    void release(Slot &slot) noexcept;
    ClaimResult attempt(Slot &slot, const ClaimRequest &request, std::chrono::steady_clock::time_point deadline);

    const SagaPathOptions options_;
    ClaimDetailsStatements statements_;
    std::vector<std::unique_ptr<Slot>> slots_;
    std::vector<Slot *> free_;
    std::mutex mutex_;
    std::condition_variable freed_;
};

}  // namespace treasure
