#include "lib/connection_pool.hpp"

#include <stdexcept>
#include <utility>

#include <pqxx/except>

#include "lib/claim_error.hpp"

namespace treasure {

ConnectionPool::ConnectionPool(std::string dsn, std::size_t size, Setup setup)
    : dsn_(std::move(dsn)), setup_(std::move(setup))
{
    if (size == 0)
        throw std::invalid_argument("connection pool size must be at least 1");
    slots_.reserve(size);
    for (std::size_t i = 0; i < size; ++i) {
        try {
            slots_.push_back(open());
        } catch (const std::exception &error) {
            throw std::runtime_error("cannot open database connection " + std::to_string(i + 1) + " of " +
                                     std::to_string(size) + ": " + error.what());
        }
        free_.push_back(i);
    }
}

std::unique_ptr<pqxx::connection> ConnectionPool::open()
{
    auto connection = std::make_unique<pqxx::connection>(dsn_);
    if (setup_)
        setup_(*connection);
    return connection;
}

ConnectionPool::Lease ConnectionPool::acquire(std::chrono::steady_clock::time_point deadline)
{
    std::unique_lock<std::mutex> lock(mutex_);
    if (!freed_.wait_until(lock, deadline, [this] { return !free_.empty(); }))
        throw ClaimError(ClaimErrorKind::unavailable, "all " + std::to_string(slots_.size()) +
                                                          " database connections stayed busy until the deadline");
    const std::size_t slot = free_.back();
    free_.pop_back();
    return Lease(*this, slot);
}

void ConnectionPool::release(std::size_t slot) noexcept
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        free_.push_back(slot);
    }
    freed_.notify_one();
}

ConnectionPool::Lease::Lease(Lease &&other) noexcept : pool_(other.pool_), slot_(other.slot_) { other.pool_ = nullptr; }

ConnectionPool::Lease::~Lease()
{
    if (pool_)
        pool_->release(slot_);
}

pqxx::connection &ConnectionPool::Lease::connection()
{
    auto &slot = pool_->slots_[slot_];
    if (!slot) {
        slot = pool_->open();
        ++pool_->reconnects_;
    }
    return *slot;
}

void ConnectionPool::Lease::discard() noexcept { pool_->slots_[slot_].reset(); }

}  // namespace treasure
