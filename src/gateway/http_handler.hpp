#pragma once
// What the HTTP server (http_server.hpp) asks of the gateway, in terms no HTTP library appears in: a request's
// head, the request, and the two calls the server makes for each request.
//   1. before_body(head): THE SEAM.  Called once the request line and headers are read (method, target, headers,
//      declared Content-Length, peer address) and BEFORE any of the body is read.  It may answer at once (today
//      the 413 for a declared length over the limit; next authentication and the per-client rate limit, in
//      issue 14's order); such an answer closes the connection, since the body is left unread.
//   2. handle(request, reply): the whole request; reply(answer) must be called exactly once, from any thread
//      (blocking work goes to a worker pool; the server writes the answer on the connection's own thread).
//   3. on_drain(): on the I/O thread once the drain began (nothing new is accepted): whatever else the handler
//      keeps on the server's loop must finish its in-flight work and then let go, or serve() never returns.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/answer.hpp"

namespace treasure {

struct Admitted;  // edge.hpp: who the request comes from, once before_body() admitted it

struct RequestHead {
    std::string method;  // "GET", "POST", ... as sent
    std::string target;  // path and query, as sent (percent-encoded)
    std::vector<std::pair<std::string, std::string>> headers;
    std::optional<std::uint64_t> content_length;  // the declared Content-Length; none when absent (or chunked)
    bool chunked = false;
    std::string peer_address;                  // the TCP peer's IP address (no proxy header is believed here)
    std::shared_ptr<const Admitted> admitted;  // set by before_body(), read by handle()

    // The first header of that name (case-insensitive), "" when absent.
    std::string_view header(std::string_view name) const;
};

struct HttpRequest {
    RequestHead head;
    std::string body;
};

class HttpHandler {
public:
    using Reply = std::function<void(Answer)>;
    virtual ~HttpHandler() = default;

    // The seam: judge the head before the body is read; an Answer refuses the request (and closes the connection).
    // What it admits it may record in head.admitted, for handle().
    virtual std::optional<Answer> before_body(RequestHead &head) = 0;
    virtual void handle(HttpRequest request, Reply reply) = 0;
    virtual void on_drain() {}
};

}  // namespace treasure
