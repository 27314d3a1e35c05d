#pragma once
// The atomic path over one connection in libpq's pipeline mode: many taps in flight on the connection at once,
// none waiting for another's answer.  Each tap is the same prepared claim_treasure() statement as
// treasure::Client's, followed by its own Sync, so each stays its own implicit transaction: its answer is final
// only once its Sync is read, and an error in one tap (23505, P0002, 22003, ...) skips to that tap's Sync alone.
// Answers mean what Client's mean (claim_result_from_text(), classify_failed_attempt()): a lost connection makes
// every tap whose Sync was not read an unknown outcome, sent again with its SAME request_id (the database
// replays one that committed), up to the RetryPolicy, then ClaimError(unavailable); so do 40001 and 40P01.
//
// Not thread-safe: one thread submits and collects (the load generator runs one per connection).  A caller with
// an event loop of its own (the gateway's I/O thread, gateway/claim_reactor.hpp) waits on socket() and calls
// step() instead of collect().
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "lib/claim.hpp"
#include "lib/claim_error.hpp"
#include "lib/retry_policy.hpp"

extern "C" {
struct pg_conn;
}

namespace treasure {

struct PipelinedClaimsOptions {
    std::string dsn;
    int depth = 32;  // taps in flight on the connection, 1..max_pipeline_depth
    RetryPolicy retry;
};

constexpr int max_pipeline_depth = 32;

// One tap's final answer: exactly one of result and error, for the tag submit() was given.
struct PipelinedOutcome {
    std::uint64_t tag = 0;
    std::optional<ClaimResult> result;
    std::optional<ClaimError> error;
};

class PipelinedClaims {
public:
    // Connects now, so a wrong DSN fails here (std::runtime_error); std::invalid_argument for a bad depth.
    explicit PipelinedClaims(PipelinedClaimsOptions options);
    ~PipelinedClaims();
    PipelinedClaims(const PipelinedClaims &) = delete;
    PipelinedClaims &operator=(const PipelinedClaims &) = delete;

    // Queues a tap; it is sent once fewer than depth taps are in flight.  Its retry deadline starts when it is
    // first sent, so a long queue of submitted taps does not eat into it.
    void submit(std::uint64_t tag, const ValidClaimRequest &request);

    // Sends what it may, reads what has arrived and returns the taps that reached their final outcome, waiting
    // until at least one did or `until` passed (then possibly none).  Returns at once when nothing is unfinished.
    std::vector<PipelinedOutcome> collect(std::chrono::steady_clock::time_point until);

    // One step that never waits and never reconnects: sends what it may, reads what the socket has, and returns
    // the taps that reached their final outcome.  Without a connection (socket() < 0) it only returns those.
    std::vector<PipelinedOutcome> step();
    // The connection's socket, -1 while there is none.
    int socket() const;
    // The last step could not send everything: wait until socket() is writable, then step again.
    bool output_pending() const { return output_pending_; }
    // Called with the socket just before the connection is closed (lost, or this object destroyed), so that an
    // event loop watching the socket lets go of it before libpq closes it.
    void before_close(std::function<void(int socket)> release) { before_close_ = std::move(release); }

    // Taps submitted whose outcome collect() has not returned yet.
    std::size_t unfinished() const { return unfinished_; }

    // Submits every request (tag = its index), collects until all are final, returns the outcomes in order.
    std::vector<PipelinedOutcome> claim_all(const std::vector<ValidClaimRequest> &requests);

    struct Stats {
        std::uint64_t retries = 0;     // attempts after the first, all causes
        std::uint64_t reconnects = 0;  // connections opened after a loss
    };
    Stats stats() const { return stats_; }

    // The server process of the current connection (0 while there is none): what pg_terminate_backend() takes.
    int backend_pid() const;

private:
    using clock = std::chrono::steady_clock;
    struct Tap {
        std::uint64_t tag = 0;
        ClaimRequest request;
        int attempts = 0;            // attempts sent (or that failed to reach the server)
        clock::time_point deadline;  // from its first attempt, as Client's
        bool asked_again = false;    // sent once more after its 1.3.0 statement lost what it names
        // What the attempt in flight has read so far (its Sync decides).
        std::optional<ClaimResult> result;
        std::optional<ClaimError> unreadable;  // a row that does not parse
        std::string sqlstate;                  // an ErrorResponse's SQLSTATE, with its message
        std::string error_message;
    };
    struct ConnectionCloser {
        void operator()(pg_conn *connection) const;
    };

    void connect();
    void close_connection();
    void setup_statement();
    void setup_when_idle();
    void send_ready_taps();
    bool send(Tap &tap);
    void wait_and_read(clock::time_point until);
    void read_results();
    void finish_front_tap();
    void lose_connection(const std::string &why);
    // The exception being handled ended one attempt of tap: retry it or make it final.
    void attempt_failed(Tap &&tap, bool connection_open);
    void give_up(Tap &&tap, const std::string &why);
    void finish(Tap &&tap, std::optional<ClaimResult> result, std::optional<ClaimError> error);

    const PipelinedClaimsOptions options_;
    std::unique_ptr<pg_conn, ConnectionCloser> connection_;
    bool with_details_ = false;
    bool setup_due_ = false;  // the 1.3.0 statement lost what it names (42883, 42P01): ask and prepare again
    clock::time_point asked_at_;
    std::deque<Tap> ready_;                          // to send now, in order
    std::multimap<clock::time_point, Tap> backoff_;  // to send again at their time
    std::deque<Tap> in_flight_;                      // sent, Sync not read yet, in the order sent
    std::vector<PipelinedOutcome> finished_;
    std::size_t unfinished_ = 0;
    bool output_pending_ = false;
    bool stepping_ = false;
    std::function<void(int socket)> before_close_;
    std::mt19937_64 random_{std::random_device{}()};
    Stats stats_;
};

}  // namespace treasure
