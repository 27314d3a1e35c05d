#pragma once
// One client connection of the HTTP server (http_server.hpp), on Boost.Beast: keep-alive requests read one after
// the other, each judged by the handler's seam from its head before its body is read.  Only http_server.cpp
// includes this file.
//   wait for the next request    idle_timeout (the first request's too); nothing comes: closed
//   read the head                request_timeout starts at the request's first byte; too slow: cut
//   HttpHandler::before_body     an Answer is written with Connection: close (the body stays unread)
//   read the body                the same deadline; over max_body_bytes (chunked, or longer than declared): 413
//   HttpHandler::handle          no deadline while the gateway works; the answer comes back to this strand
//   write the answer             Connection: close after max_requests_per_connection, on a parse error or while
//                                draining; a closing connection lingers (reads and drops) up to 1 s so that the
//                                client reads the answer instead of a reset
#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

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

class HttpSession : public std::enable_shared_from_this<HttpSession> {
public:
    // counted: the connection counts in context.open_connections while it lives.
    HttpSession(boost::asio::ip::tcp::socket socket, HttpServerContext &context, bool counted);
    ~HttpSession();

    void start();
    // Answers 503 overloaded and closes, without reading a request (the connection cap).
    void refuse();
    // The drain (posted to the session's strand by the server): a connection that is not being answered closes.
    void close_unless_answering();

private:
    void wait_for_request();
    void read_head();
    void on_head(boost::beast::error_code error);
    void read_body();
    void dispatch();
    void reply(Answer answer, bool close);
    void on_written(boost::beast::error_code error, bool close);
    void linger();
    void deadline(std::chrono::milliseconds timeout);

    boost::beast::tcp_stream stream_;
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

}  // namespace treasure
