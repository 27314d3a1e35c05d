#pragma once
// The gateway's edge: who may call, for whom, and how often (issue 14), judged before any path runs, without any
// HTTP library.  The server copies what it read of a request's head into a EdgeRequest; the edge answers either
// with the admitted caller or with the Answer to send instead.  The order of judgement is fixed:
//   0. a CORS preflight (OPTIONS with Origin and Access-Control-Request-Method) is answered at once (cors.hpp);
//   1. a declared Content-Length over the body limit: 413, before the body is read        judge_head()
//   2. credentials: 401 {"error":"unauthenticated","reason":...} and WWW-Authenticate      judge_head()
//   3. the per-client limit (per API key, or per client address): 429                     judge_head()
//   4. the body's syntax: 400 (a key's claim must name player_id)                          authorize_claim()
//   5. authorization: another player's claim or read, a key without the scope: 403        authorize_claim/read()
//   6. the per-player limit: 429 {"error":"rate_limited","retry_after_ms":N}, Retry-After  authorize_claim()
//   7. the claim (post_claim()) or the read.
// Open routes need no credentials and take no limit: /healthz, /play, /play/..., /web/..., and /metrics on the
// --metrics-listen address (where nothing else is served; with that flag /metrics is 404 on the main address).
// Without it /metrics on the main address needs a key with the "metrics" scope while authentication is on.
// With --auth none every caller is Anonymous and the limits still apply (per client address, per body player).
//
// A refusal here is counted in EdgeMetrics (never in treasure_claims_total, never seen by the circuit breaker),
// logged by the RefusalLog, and carries the CORS headers for an allowed origin so that a page can read it.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "auth/authenticator.hpp"
#include "auth/rate_limiter.hpp"
#include "gateway/answer.hpp"
#include "gateway/client_address.hpp"
#include "gateway/cors.hpp"
#include "gateway/edge_metrics.hpp"
#include "gateway/edge_options.hpp"
#include "gateway/refusal_log.hpp"

namespace prometheus {
class Registry;
}

namespace treasure {

// What the edge reads of a request, copied out of the server once the head is read (the body is not yet).
// Absent headers are "".  A header sent several times is joined with ", " (X-Forwarded-For in particular).
struct EdgeRequest {
    std::string method;  // "GET", "POST", "OPTIONS", ...
    std::string target;  // the request target as sent: path and query
    std::string authorization;
    std::string api_key;        // X-Api-Key
    std::string forwarded_for;  // X-Forwarded-For
    std::string origin;
    std::string access_control_request_method;
    std::string access_control_request_headers;
    std::optional<std::uint64_t> content_length;  // absent without a Content-Length (chunked, or no body)
    std::string peer_address;                     // the TCP peer's IP address, without a port
    bool on_metrics_listener = false;             // arrived on --metrics-listen's address
};

enum class RouteKind {
    open,            // /healthz, /play, /play/..., /web/...
    claim,           // POST /v1/claims
    client_metrics,  // POST /v1/client-metrics: who may claim may report its taps' latency
    chests,          // GET /v1/chests (readable like the leaderboard)
    player_read,     // GET /v1/players/{id}, /v1/players/{id}/...
    leaderboard,     // GET /v1/leaderboard
    replica,         // GET /v1/replica (readable like the leaderboard)
    metrics,         // GET /metrics
    other,           // anything else: any authenticated caller may get its 404
};

struct Route {
    RouteKind kind = RouteKind::other;
    std::optional<std::int64_t> player_id;  // {id} of /v1/players/{id}..., when it is 1..18 digits
};

// By the path (the query cut off).  A path with "..", "//", "%" or "\" is never open: what the static file server
// would make of it is not what the edge reads, so it must authenticate.
Route classify_route(std::string_view method, std::string_view target);

struct Anonymous {};  // --auth none, or an open route
using AdmittedCaller = std::variant<Anonymous, Player, GameServer>;

struct Admitted {
    AdmittedCaller caller;
    Route route;
    std::string client_address;  // the peer, or X-Forwarded-For's client behind a trusted proxy
    HeaderList cors_headers;     // to add to whatever answers this request (cors_headers(head))
    // For the refusal log of the later steps.
    std::string peer_address;
    std::string method;
    std::string target;
    bool on_metrics_listener = false;
};

using HeadJudgement = std::variant<Admitted, Answer>;
using ClaimAuthorization = std::variant<std::int64_t, Answer>;  // the player to claim for, or the refusal

class Edge {
public:
    // Reads the key files of the kinds --auth turns on; throws std::runtime_error when they cannot be read and
    // std::invalid_argument for options validate() would refuse.  Metrics go into registry, which must outlive
    // the Edge; refusal lines go to log_sink (std::cerr when empty).
    Edge(EdgeOptions options, prometheus::Registry &registry, const Clock &clock = SteadyClock::instance(),
         const UnixClock &unix_clock = SystemUnixClock::instance(), RefusalLog::Sink log_sink = {});

    // Steps 0-3.  Never throws for anything a client sends.
    HeadJudgement judge_head(const EdgeRequest &head);
    // Steps 4-6 of POST /v1/claims; body_player_id is the body's player_id (claim_json.hpp), nullopt when absent.
    ClaimAuthorization authorize_claim(const Admitted &admitted, std::optional<std::int64_t> body_player_id);
    // Step 5 of the read routes: nullopt when allowed, else the 401/403 to send.  kind and path_player_id are
    // what the server routed by; the edge also requires them to agree with its own classification.
    std::optional<Answer> authorize_read(const Admitted &admitted, RouteKind kind,
                                         std::optional<std::int64_t> path_player_id);
    // Steps 5-6 of POST /v1/client-metrics, judged as a claim's: a player token (for itself) or a key with "claim";
    // the per-player limit's rate, in a bucket of its own so that reports never take a tap's token.
    std::optional<Answer> authorize_client_metrics(const Admitted &admitted);

    // What an answer to this request adds for CORS (nothing unless the origin is allowed; see cors.hpp).
    HeaderList cors_headers(const EdgeRequest &head) const { return cors_.response_headers(head.origin); }

    // Checks the JWKS, HS256 secret and API keys files now; true when one of them was reloaded.
    bool reload_if_changed();

    bool authenticates() const { return authenticator_ != nullptr; }
    const RefusalLog &refusal_log() const { return log_; }

private:
    Answer unauthenticated(const EdgeRequest *head, RefusalReason reason) const;
    Answer refuse(Answer answer, std::string_view reason, const Admitted &admitted);
    Answer refuse(Answer answer, std::string_view reason, const EdgeRequest &head, const std::string &client);
    std::optional<Answer> check_limit(RateLimiter *limiter, std::uint64_t id, LimitScope scope);

    const EdgeOptions options_;
    const AuthKinds kinds_;
    std::unique_ptr<Authenticator> authenticator_;  // null with --auth none
    std::unique_ptr<RateLimiter> client_limiter_;   // null without --rate-per-client
    std::unique_ptr<RateLimiter> player_limiter_;   // null without --rate-per-player
    std::unique_ptr<RateLimiter> report_limiter_;   // --rate-per-player's rate for client-metrics reports
    TrustedProxies proxies_;
    CorsPolicy cors_;
    EdgeMetrics metrics_;
    RefusalLog log_;
};

}  // namespace treasure
