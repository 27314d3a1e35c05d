#pragma once
// One client connection of the HTTP server (http_server.hpp), on Boost.Beast: keep-alive requests read one after
// the other, each judged by the handler's seam from its head before its body is read.  Only http_server.cpp
// includes this file.  The same session serves plain HTTP (PlainStream) and HTTPS (TlsStream: Asio's ssl over
// OpenSSL); only the start and the end of a connection differ.
//   TLS handshake (HTTPS only)   request_timeout (idle_timeout when that is 0); fails or too slow: closed
//   wait for the next request    idle_timeout (the first request's too); nothing comes: closed
//   read the head                request_timeout starts at the request's first byte; too slow: cut
//   HttpHandler::before_body     an Answer is written with Connection: close (the body stays unread)
//   read the body                the same deadline; over max_body_bytes (chunked, or longer than declared): 413
//   HttpHandler::handle          no deadline while the gateway works; the answer comes back to this strand
//   write the answer             Connection: close after max_requests_per_connection, on a parse error or while
//                                draining; a closing connection lingers up to 1 s so that the client reads the
//                                answer instead of a reset: plain HTTP reads and drops what still comes, HTTPS
//                                sends its close_notify and waits for the client's (OpenSSL drops the rest)
#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "gateway/admission_options.hpp"
#include "gateway/http_handler.hpp"

namespace treasure {

// What every connection of one server shares.
struct HttpServerContext {
    HttpHandler &handler;
    AdmissionOptions options;
    std::size_t max_body_bytes;
    std::atomic<bool> draining{false};
    std::atomic<std::size_t> open_connections{0};
};

using PlainStream = boost::beast::tcp_stream;
using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

// What the server asks of a connection, whatever its stream.
class HttpConnection {
public:
    virtual ~HttpConnection() = default;
    virtual void start() = 0;
    // Answers 503 overloaded and closes, without reading a request (the connection cap).
    virtual void refuse() = 0;
    // The drain (posted to the session's strand by the server): a connection that is not being answered closes.
    virtual void close_unless_answering() = 0;
};

template <class Stream>
class HttpSession final : public HttpConnection, public std::enable_shared_from_this<HttpSession<Stream>> {
public:
    // counted: the connection counts in context.open_connections while it lives.
    HttpSession(Stream stream, HttpServerContext &context, bool counted);
    ~HttpSession() override;

    void start() override;
    void refuse() override;
    void close_unless_answering() override;

private:
    static constexpr bool is_tls = std::is_same_v<Stream, TlsStream>;

    // HTTPS: the handshake first, then next(); plain HTTP: next() at once.
    template <class Next>
    void handshake_then(Next next);
    void wait_for_request();
    void read_head();
    void on_head(boost::beast::error_code error);
    void read_body();
    void dispatch();
    void reply(Answer answer, bool close);
    void on_written(boost::beast::error_code error, bool close);
    void linger();
    void deadline(std::chrono::milliseconds timeout);
    boost::beast::tcp_stream &tcp_layer() { return boost::beast::get_lowest_layer(stream_); }

    Stream stream_;
    boost::beast::flat_buffer buffer_;
    std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
    boost::beast::http::response<boost::beast::http::string_body> response_;
    HttpServerContext &context_;
    const bool counted_;
    RequestHead head_;
    std::string peer_;
    std::size_t served_ = 0;
    bool answering_ = false;  // handed to the handler, or writing its answer
    bool closing_ = false;
};

extern template class HttpSession<PlainStream>;
extern template class HttpSession<TlsStream>;

}  // namespace treasure
