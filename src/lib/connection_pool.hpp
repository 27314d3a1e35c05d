#pragma once
// A fixed number of libpqxx connections, each used by one thread at a time through a Lease.
// A connection found broken is discarded by its lease and reopened by the next one that needs it.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <pqxx/connection>

namespace treasure {

class ConnectionPool {
public:
    // Runs on every new connection (prepare statements, set session parameters).
    using Setup = std::function<void(pqxx::connection &)>;

    // Opens all connections now so a wrong DSN fails at start-up; throws std::runtime_error.
    ConnectionPool(std::string dsn, std::size_t size, Setup setup);
    ConnectionPool(const ConnectionPool &) = delete;
    ConnectionPool &operator=(const ConnectionPool &) = delete;

    class Lease {
    public:
        Lease(Lease &&other) noexcept;
        Lease &operator=(Lease &&) = delete;
        ~Lease();
        // The leased connection, reopened first if an earlier lease discarded it (may throw pqxx errors).
        pqxx::connection &connection();
        // Closes the connection; the slot is reopened on its next use.
        void discard() noexcept;

    private:
        friend class ConnectionPool;
        Lease(ConnectionPool &pool, std::size_t slot) : pool_(&pool), slot_(slot) {}
        ConnectionPool *pool_;
        std::size_t slot_;
    };

    // Waits until a connection is free; throws ClaimError(unavailable) at the deadline.
    Lease acquire(std::chrono::steady_clock::time_point deadline);

    std::size_t size() const { return slots_.size(); }
    // Connections opened after start-up (each one replaced a broken connection).
    std::uint64_t reconnects() const { return reconnects_.load(); }

private:
    std::unique_ptr<pqxx::connection> open();
    void release(std::size_t slot) noexcept;

    const std::string dsn_;
    const Setup setup_;
    std::vector<std::unique_ptr<pqxx::connection>> slots_;
    std::mutex mutex_;
    std::condition_variable freed_;
    std::vector<std::size_t> free_;
    std::atomic<std::uint64_t> reconnects_{0};
};

}  // namespace treasure
