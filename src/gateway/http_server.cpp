#include "gateway/http_server.hpp"

#include <cerrno>
#include <list>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <utility>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "gateway/http_session.hpp"
#include "gateway/tls_context.hpp"

namespace treasure {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

struct HttpServer::Loop {
    Loop(HttpHandler &handler, AdmissionOptions options, std::size_t max_body_bytes)
        : context{handler, std::move(options), max_body_bytes}, acceptor(io), retry(io)
    {}

    void accept();
    void on_accepted(boost::system::error_code error, tcp::socket socket);
    void drain();

    HttpServerContext context;
    asio::io_context io{1};
    tcp::acceptor acceptor;
    asio::steady_timer retry;                           // accept(2) failed for want of descriptors: try again shortly
    std::optional<asio::ssl::context> tls;              // use_tls(): every connection is HTTPS
    std::list<std::weak_ptr<HttpConnection>> sessions;  // only the I/O thread touches it
    std::size_t accepted_since_sweep = 0;
};

void HttpServer::Loop::accept()
{
    acceptor.async_accept(asio::make_strand(io), [this](boost::system::error_code error, tcp::socket socket) {
        on_accepted(error, std::move(socket));
    });
}

void HttpServer::Loop::on_accepted(boost::system::error_code error, tcp::socket socket)
{
    if (!acceptor.is_open() || error == asio::error::operation_aborted)
        return;  // the drain closed it
    if (error) {
        // EMFILE/ENFILE leave the connection in the backlog: wait instead of spinning on it.
        if (error.value() == EMFILE || error.value() == ENFILE || error == asio::error::no_buffer_space) {
            retry.expires_after(std::chrono::milliseconds(50));
            retry.async_wait([this](boost::system::error_code) {
                if (acceptor.is_open())
                    accept();
            });
            return;
        }
        accept();
        return;
    }
    const bool room = context.open_connections.load() < context.options.max_connections;
    if (room)
        ++context.open_connections;
    std::shared_ptr<HttpConnection> session;
    if (tls)
        session = std::make_shared<HttpSession<TlsStream>>(TlsStream(std::move(socket), *tls), context, room);
    else
        session = std::make_shared<HttpSession<PlainStream>>(PlainStream(std::move(socket)), context, room);
    if (!room) {
        if (context.options.on_shed)
            context.options.on_shed();
        session->refuse();
    } else {
        if (++accepted_since_sweep >= 1024) {
            sessions.remove_if([](const std::weak_ptr<HttpConnection> &s) { return s.expired(); });
            accepted_since_sweep = 0;
        }
        sessions.push_back(session);
        session->start();
    }
    accept();
}

void HttpServer::Loop::drain()
{
    context.draining.store(true);
    boost::system::error_code ignored;
    acceptor.close(ignored);
    retry.cancel();
    for (auto &weak : sessions)
        if (auto session = weak.lock())
            session->close_unless_answering();
    sessions.clear();
    context.handler.on_drain();
}

HttpServer::HttpServer(HttpHandler &handler, AdmissionOptions options, std::size_t max_body_bytes)
    : loop_(std::make_unique<Loop>(handler, std::move(options), max_body_bytes))
{}

HttpServer::~HttpServer() = default;

void HttpServer::use_tls(const std::string &certificate_chain, const std::string &private_key)
{
    loop_->tls.emplace(server_tls_context(TlsFiles{certificate_chain, private_key}));
}

int HttpServer::bind(const std::string &host, int port)
{
    const std::string where = host + ":" + std::to_string(port);
    try {
        const tcp::endpoint endpoint(asio::ip::make_address(host), static_cast<unsigned short>(port));
        loop_->acceptor.open(endpoint.protocol());
        loop_->acceptor.set_option(asio::socket_base::reuse_address(true));
        loop_->acceptor.bind(endpoint);
        loop_->acceptor.listen(asio::socket_base::max_listen_connections);  // SOMAXCONN
        return loop_->acceptor.local_endpoint().port();
    } catch (const boost::system::system_error &error) {
        throw std::runtime_error("cannot listen on " + where + ": " + error.code().message() +
                                 " (address in use, or not a local address?)");
    }
}

void HttpServer::serve()
{
    if (loop_->acceptor.is_open())
        loop_->accept();
    loop_->io.run();  // returns when the drain has closed everything and every in-flight answer is written
}

void HttpServer::stop()
{
    asio::post(loop_->io, [loop = loop_.get()] { loop->drain(); });
}

asio::io_context &HttpServer::io_context() { return loop_->io; }

}  // namespace treasure
