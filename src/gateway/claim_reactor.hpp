#pragma once
// The atomic path's claims on the gateway's I/O thread (--claim-io reactor), instead of a worker thread each: per
// shard a few libpq connections in pipeline mode (lib/pipelined_claims.hpp: the same prepared statement as
// treasure::Client, its answers parsed the same way), their sockets watched by the server's own Asio loop, so a tap
// crosses no thread and no thread blocks on the database.
//
// Only a clean answer (a row with a status this build knows) is answered here.  Anything else -- a lost
// connection, any SQLSTATE (40001 and 40P01 included), an unreadable row, no answer within answer_timeout -- is
// handed back (ReactorVerdict::to_workers) for the worker path, whose Router retries with the same request_id
// (the database replays a claim that committed): retries and the saga fallback stay in one place.  A tap whose
// connection is closed under it (lost, timed out) is handed back as well: it may have committed, which the replay
// makes safe.
//
// Load shedding as the worker pools do it: at most connections x depth taps in flight per shard, at most
// max_queued waiting for a slot, and one that waited longer than max_queue_wait is shed (ReactorVerdict::shed).
// With no connection up yet (or none left) a tap is handed to the workers at once.  Connections are opened off
// the I/O thread (one connector thread), again at most once a second after a loss.
//
// Everything but keep_only() runs on the I/O thread, like the Asio handlers it arms: no locks.
#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>

#include "lib/claim.hpp"

namespace boost::asio {
class io_context;
}

namespace treasure {

class Shard;
struct ShardSet;

struct ClaimReactorOptions {
    std::size_t connections = 0;  // per shard, at least 1 (the gateway makes 0 its --pool)
    // Taps in flight on one connection (at most lib/pipelined_claims.hpp's max_pipeline_depth).  1 by default: a tap
    // pipelined behind one that waits on a row lock waits with it, where --max-queue-wait-ms can no longer shed it.
    int depth = 1;
    std::size_t max_queued = 128;                    // per shard: taps waiting for a free slot; the next is shed
    std::chrono::milliseconds max_queue_wait{1000};  // a tap that waited longer for a slot is shed
    std::chrono::milliseconds answer_timeout{3000};  // unanswered this long: its connection is closed, to the workers
};

enum class ReactorVerdict { answered, to_workers, shed };

struct ReactorOutcome {
    ReactorVerdict verdict = ReactorVerdict::to_workers;
    std::optional<ClaimResult> result;  // answered only
};

class ClaimReactor {
public:
    using Done = std::function<void(ReactorOutcome)>;

    // Throws std::invalid_argument for options out of range.
    ClaimReactor(boost::asio::io_context &io, ClaimReactorOptions options);
    ~ClaimReactor();
    ClaimReactor(const ClaimReactor &) = delete;
    ClaimReactor &operator=(const ClaimReactor &) = delete;

    // Sends the tap on one of the shard's connections; done is called exactly once, on the I/O thread (perhaps
    // before claim() returns).
    void claim(const std::shared_ptr<Shard> &shard, const ValidClaimRequest &request, Done done);
    // The drain began: taps in flight or queued are answered, then every connection closes; idle ones now.
    void drain();
    // From any thread: the shards now in force; connections to any other shard close once idle.
    void keep_only(std::shared_ptr<const ShardSet> set);

private:
    struct Loop;
    std::unique_ptr<Loop> loop_;
};

}  // namespace treasure
