#include "gateway/http_session.hpp"

#include <cstdint>
#include <limits>
#include <utility>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>

namespace treasure {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr std::chrono::milliseconds write_timeout{15000};
constexpr std::chrono::milliseconds linger_time{1000};
const std::string continue_line = "HTTP/1.1 100 Continue\r\n\r\n";

bool iequals(beast::string_view a, beast::string_view b) { return beast::iequals(a, b); }

// The TLS layer failed (a broken record, a client gone without close_notify): no answer can be written on it.
bool is_tls_failure(const beast::error_code &error)
{
    return error.category() == asio::error::get_ssl_category() ||
           error.category() == asio::ssl::error::get_stream_category();
}

Answer overloaded_answer() { return error_answer(503, "overloaded", "the gateway is at capacity; retry after 1 s"); }

}  // namespace

template <class Stream>
HttpSession<Stream>::HttpSession(Stream stream, HttpServerContext &context, bool counted)
    : stream_(std::move(stream)), context_(context), counted_(counted)
{
    beast::error_code error;
    const auto peer = tcp_layer().socket().remote_endpoint(error);
    if (!error)
        peer_ = peer.address().to_string();
    tcp_layer().socket().set_option(tcp::no_delay(true), error);
}

template <class Stream>
HttpSession<Stream>::~HttpSession()
{
    if (counted_)
        --context_.open_connections;
}

template <class Stream>
void HttpSession<Stream>::start()
{
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
        self->handshake_then([](HttpSession &session) { session.wait_for_request(); });
    });
}

template <class Stream>
void HttpSession<Stream>::refuse()
{
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
        self->handshake_then([](HttpSession &session) { session.reply(overloaded_answer(), true); });
    });
}

template <class Stream>
template <class Next>
void HttpSession<Stream>::handshake_then(Next next)
{
    if constexpr (is_tls) {
        // As slow a client as reading a head may be; a connection that never starts is closed like an idle one.
        const auto timeout = context_.options.request_timeout.count() > 0 ? context_.options.request_timeout
                                                                          : context_.options.idle_timeout;
        deadline(timeout);
        stream_.async_handshake(asio::ssl::stream_base::server,
                                [self = this->shared_from_this(), next](beast::error_code error) {
                                    if (!error)
                                        next(*self);  // else not TLS, refused, too slow or the drain: closed
                                });
    } else {
        next(*this);
    }
}

template <class Stream>
void HttpSession<Stream>::close_unless_answering()
{
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
        if (!self->answering_)
            self->tcp_layer().cancel();  // the pending read ends with operation_aborted: the connection closes
    });
}

template <class Stream>
void HttpSession<Stream>::deadline(std::chrono::milliseconds timeout)
{
    if (timeout.count() > 0)
        tcp_layer().expires_after(timeout);
    else
        tcp_layer().expires_never();
}

template <class Stream>
void HttpSession<Stream>::wait_for_request()
{
    answering_ = false;
    if (context_.draining.load()) {
        linger();
        return;
    }
    if (buffer_.size() > 0) {  // the client sent the next request already (pipelining)
        read_head();
        return;
    }
    deadline(context_.options.idle_timeout);
    stream_.async_read_some(
        buffer_.prepare(4096), [self = this->shared_from_this()](beast::error_code error, std::size_t n) {
            if (error)
                return;  // idle too long, closed by the client, or the drain: the socket closes with the session
            self->buffer_.commit(n);
            self->read_head();
        });
}

template <class Stream>
void HttpSession<Stream>::read_head()
{
    deadline(context_.options.request_timeout);  // from the request's first byte to its last
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(context_.options.max_header_bytes));
    // The declared length is the seam's to judge.  (Not boost::none: Beast 1.74 compares the length with the empty
    // optional, which makes every declared length exceed it.)
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code error, std::size_t) { self->on_head(error); });
}

template <class Stream>
void HttpSession<Stream>::on_head(beast::error_code error)
{
    if (error == beast::error::timeout || error == asio::error::operation_aborted ||
        error == http::error::end_of_stream || error == asio::error::eof || error == asio::error::connection_reset ||
        error == http::error::partial_message || is_tls_failure(error)) {
        return;  // cut (too slow, or the drain) or gone: the socket closes with the session
    }
    if (error) {  // not HTTP, a header too large, a bad Content-Length: the stream cannot go on
        reply(error_answer(400, "http_error", "HTTP error 400"), true);
        return;
    }
    const auto &request = parser_->get();
    head_ = RequestHead{};
    head_.method = std::string(request.method_string());
    head_.target = std::string(request.target());
    for (const auto &field : request)
        head_.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    if (const auto length = parser_->content_length())
        head_.content_length = *length;
    head_.chunked = parser_->chunked();
    head_.peer_address = peer_;

    if (auto early = context_.handler.before_body(head_)) {
        reply(std::move(*early), true);
        return;
    }
    if (parser_->is_done()) {
        dispatch();
        return;
    }
    parser_->body_limit(context_.max_body_bytes);  // chunked bodies, which declare no length
    if (!iequals(request[http::field::expect], "100-continue")) {
        read_body();
        return;
    }
    asio::async_write(stream_, asio::buffer(continue_line),
                      [self = this->shared_from_this()](beast::error_code failed, std::size_t) {
                          if (!failed)
                              self->read_body();
                      });
}

template <class Stream>
void HttpSession<Stream>::read_body()
{
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code error, std::size_t) {
                         if (error == http::error::body_limit) {
                             self->reply(error_answer(413, "payload_too_large",
                                                      "the request body is larger than the gateway accepts"),
                                         true);
                         } else if (error == beast::error::timeout || error == asio::error::operation_aborted ||
                                    is_tls_failure(error)) {
                             return;
                         } else if (error) {
                             self->reply(error_answer(400, "http_error", "HTTP error 400"), true);
                         } else {
                             self->dispatch();
                         }
                     });
}

template <class Stream>
void HttpSession<Stream>::dispatch()
{
    answering_ = true;
    tcp_layer().expires_never();  // the gateway's own deadlines bound its work
    HttpRequest request{std::move(head_), std::move(parser_->get().body())};
    // The answer may come from any thread; the tracked executor keeps the server's I/O loop (a drain included)
    // running until it is written.
    auto executor = asio::prefer(stream_.get_executor(), asio::execution::outstanding_work.tracked);
    auto once = std::make_shared<std::atomic<bool>>(false);
    context_.handler.handle(std::move(request), [self = this->shared_from_this(), executor, once](Answer answer) {
        if (once->exchange(true))
            return;
        asio::post(executor, [self, answer = std::move(answer)]() mutable { self->reply(std::move(answer), false); });
    });
}

template <class Stream>
void HttpSession<Stream>::reply(Answer answer, bool close)
{
    answering_ = true;
    ++served_;
    const bool keep_alive = !close && parser_ && parser_->get().keep_alive() && !context_.draining.load() &&
                            served_ < context_.options.max_requests_per_connection;
    response_ = http::response<http::string_body>();
    response_.version(11);
    response_.result(static_cast<unsigned>(answer.status));
    response_.set(http::field::content_type, answer.content_type);
    for (const auto &[name, value] : answer.headers)
        response_.set(name, value);
    response_.body() = std::move(answer.body);
    response_.keep_alive(keep_alive);
    response_.prepare_payload();
    deadline(write_timeout);
    http::async_write(stream_, response_,
                      [self = this->shared_from_this(), keep_alive](beast::error_code error, std::size_t) {
                          self->on_written(error, !keep_alive);
                      });
}

template <class Stream>
void HttpSession<Stream>::on_written(beast::error_code error, bool close)
{
    if (error)
        return;
    if (close) {
        linger();
        return;
    }
    wait_for_request();
}

template <class Stream>
void HttpSession<Stream>::linger()
{
    if constexpr (is_tls) {
        if (closing_)
            return;
        closing_ = true;
        answering_ = false;
        tcp_layer().expires_after(linger_time);
        // close_notify; OpenSSL then reads and drops until the client's own close_notify, its FIN or the time.
        stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    } else {
        if (!closing_) {
            closing_ = true;
            answering_ = false;
            beast::error_code ignored;
            tcp_layer().socket().shutdown(tcp::socket::shutdown_send, ignored);
            tcp_layer().expires_after(linger_time);
        }
        // Read and drop what the client still sends, until it closes or the time is up: closing with unread data
        // would send a reset, which can destroy the answer before the client reads it.
        buffer_.clear();
        stream_.async_read_some(buffer_.prepare(4096),
                                [self = this->shared_from_this()](beast::error_code error, std::size_t) {
                                    if (!error)
                                        self->linger();
                                });
    }
}

template class HttpSession<PlainStream>;
template class HttpSession<TlsStream>;

}  // namespace treasure
