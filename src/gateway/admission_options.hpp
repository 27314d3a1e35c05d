#pragma once
// The limits of treasure-gateway's admission control, apart from the server so that GatewayConfig, and whoever
// includes gateway.hpp, need no HTTP library.  The HTTP server (http_server.hpp) keeps the connection limits;
// the gateway's worker pools (worker_pool.hpp) keep the queue limits.
#include <chrono>
#include <cstddef>
#include <functional>

namespace treasure {

// The largest request body the gateway reads (a claim is about 200 bytes); more is 413.
inline constexpr std::size_t default_max_body_bytes = 16 * 1024;

struct AdmissionOptions {
    // Per worker pool (atomic claims, saga claims, reads): jobs waiting for a worker; the next is answered 503
    // {"error": "overloaded"} with Retry-After: 1, on its own connection, which stays open.
    std::size_t max_queued = 128;
    std::chrono::milliseconds max_queue_wait{1000};  // a job that waited longer for a worker gets the same 503
    // Reading one request, from its first byte to the end of its body; a connection that takes longer is cut
    // (a client dribbling its headers holds a socket and a buffer that long at most).  0 = no limit.
    std::chrono::milliseconds request_timeout{15000};
    std::chrono::milliseconds idle_timeout{2000};    // a connection with no (next) request is closed after this
    std::size_t max_requests_per_connection = 1000;  // then the answer says Connection: close
    std::size_t max_connections = 10000;             // open connections; the next is answered 503 overloaded and closed
    std::size_t max_header_bytes = 32 * 1024;        // request line and headers; more is 400
    std::function<void()> on_shed;                   // called once per connection refused over max_connections
};

}  // namespace treasure
