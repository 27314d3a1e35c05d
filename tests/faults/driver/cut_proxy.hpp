#pragma once
// A PostgreSQL wire-protocol proxy for one fault: the answer to a committed claim never arrives.  It listens on
// 127.0.0.1 and forwards every connection to a unix-socket server; every Nth Bind of the claim statement
// (treasure_claim) is forwarded with the rest of its batch (Execute, Sync), then the client side is cut at once
// while the server side is drained until ReadyForQuery: the claim commits and its answer is lost.  The client
// must retry with the same request_id and receive a replay.
#include <atomic>
#include <cstdint>
#include <string>

namespace treasure::faults {

struct CutProxyOptions {
    int port = 0;                 // 0: any free port (printed as "listening PORT")
    std::string upstream;         // unix socket path, e.g. /tmp/x/socket/.s.PGSQL.5432
    std::int64_t cut_every = 50;  // cut after every Nth claim Bind; 0 = never
    std::string statement = "treasure_claim";
};

struct CutProxyStats {
    std::atomic<std::int64_t> connections{0};
    std::atomic<std::int64_t> claim_binds{0};
    std::atomic<std::int64_t> cuts{0};
    std::atomic<std::int64_t> cuts_committed{0};  // cuts after which the server answered CommandComplete
};

// Serves until stop becomes true (checked every 100 ms).
void run_cut_proxy(const CutProxyOptions &options, CutProxyStats &stats, const std::atomic<bool> &stop);

}  // namespace treasure::faults
