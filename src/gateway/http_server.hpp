#pragma once
// treasure-gateway's HTTP/1.1 server: Boost.Beast over Asio, event-driven.  One I/O thread runs every socket and
// never blocks: the handler (http_handler.hpp) sends blocking work to its worker pools and replies from there.
// A connection costs a socket and a buffer, not a thread.  Beast and Asio stay inside http_server.cpp and
// http_session.{hpp,cpp} (and Asio's ssl in tls_context.cpp, its descriptors in claim_reactor.cpp); this header
// only declares the io_context, for what else runs on the I/O thread (the claim reactor).
//   - listens with the kernel's largest backlog (SOMAXCONN);
//   - at most options.max_connections open connections: the next one is answered 503 overloaded, Retry-After: 1,
//     Connection: close, without being read (options.on_shed counts it);
//   - per connection (http_session.hpp): keep-alive, the idle and request deadlines, the seam, the body limit;
//   - stop() is the drain: stop accepting, close the connections that are not being answered, answer the
//     in-flight requests with Connection: close; serve() returns once they are written (the handler's
//     on_drain() lets what else it runs on the loop finish too).
#include <cstddef>
#include <memory>
#include <string>

#include "gateway/admission_options.hpp"
#include "gateway/http_handler.hpp"

namespace boost::asio {
class io_context;
}

namespace treasure {

class HttpServer {
public:
    // max_body_bytes: the limit for bodies that declare no length (chunked); the declared length is the seam's.
    HttpServer(HttpHandler &handler, AdmissionOptions options, std::size_t max_body_bytes);
    ~HttpServer();
    HttpServer(const HttpServer &) = delete;
    HttpServer &operator=(const HttpServer &) = delete;

    // Serves HTTPS instead of plain HTTP, with this PEM certificate chain and private key (tls_context.hpp), read
    // now; before serve().  Throws std::runtime_error naming the flag and the file.
    void use_tls(const std::string &certificate_chain, const std::string &private_key);
    // Binds host:port (port 0 = any free port) and returns the bound port; throws std::runtime_error.
    int bind(const std::string &host, int port);
    // Serves on the calling thread until stop() has drained.
    void serve();
    // The drain; from any thread, before or during serve().
    void stop();
    // The I/O thread's loop: what runs on it must never block.
    boost::asio::io_context &io_context();

private:
    struct Loop;
    std::unique_ptr<Loop> loop_;
};

}  // namespace treasure
