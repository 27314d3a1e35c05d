#pragma once
// The atomic path: one call of claim_treasure() per tap, as a prepared statement, one round trip, over a
// fixed pool of connections.  Connection loss, 40001 and 40P01 are retried with the SAME request_id, so a
// commit whose acknowledgement was lost is replayed by the database, never paid twice.
#include <atomic>
#include <cstdint>
#include <string>

#include "lib/claim_details_statements.hpp"
#include "lib/claim_path.hpp"
#include "lib/connection_pool.hpp"
#include "lib/retry_policy.hpp"

namespace treasure {

struct ClientOptions {
    std::string dsn;
    std::size_t pool_size = 8;
    RetryPolicy retry;
};

class Client final : public ClaimPath {
public:
    // Connects the whole pool; throws std::runtime_error when the database cannot be reached.
    explicit Client(ClientOptions options);

    ClaimResult claim(const ValidClaimRequest &request) override;
    PathKind kind() const override { return PathKind::atomic; }

    struct Stats {
        std::uint64_t retries = 0;     // attempts after the first, all causes
        std::uint64_t reconnects = 0;  // connections reopened after a loss
    };
    Stats stats() const;

private:
    ClaimResult attempt(ConnectionPool::Lease &lease, const ClaimRequest &request);

    const ClientOptions options_;
    ClaimDetailsStatements statements_;  // before pool_: the pool's Setup uses it
    ConnectionPool pool_;
    std::atomic<std::uint64_t> retries_{0};
};

// The name the rest of the design uses for it.
using AtomicPath = Client;

}  // namespace treasure
