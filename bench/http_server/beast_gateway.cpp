// beast-gateway: the prototype of an event-driven treasure-gateway, for the HTTP-server comparison of
// bench/http_server/README.md (issue 17, "The HTTP server model").  It is NOT the gateway: it serves only the hot
// route and the two cheap ones, and exists to be measured against build/treasure-gateway on the same taps.
//
//   POST /v1/claims   the gateway's route: the same body (parse_claim_request), the same Router over the same
//                     atomic path (treasure::Client, a libpqxx pool), the same statuses, JSON and headers
//   GET  /healthz     liveness, circuit state
//   GET  /metrics     the same Prometheus registry (ClaimMetrics)
//
// The model: Boost.Beast over Asio.  --io-threads threads (default 1) run every socket; none of them ever
// blocks on the database.  A claim is handed to a fixed pool of --pool DB worker threads (the atomic path's
// pool has as many connections, so each worker always finds one free) and its answer is posted back to the
// connection's strand, which writes it.  Kept from the gateway: keep-alive, the 413 body limit (judged from
// Content-Length before the body is read) and 400 for a malformed request, a deadline per request (slow
// clients), load shedding (a full DB queue answers 503 + Retry-After: 1 at once), SIGTERM/SIGINT drain
// (stop accepting, close idle connections, answer in-flight claims with Connection: close, then exit 0).
#include <signal.h>

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <functional>
#include <iostream>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "gateway/claim_json.hpp"
#include "gateway/http_status.hpp"
#include "lib/circuit_breaker.hpp"
#include "lib/claim_metrics.hpp"
#include "lib/client.hpp"
#include "lib/feature_flags.hpp"
#include "lib/listen_address.hpp"
#include "lib/router.hpp"

namespace treasure::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct Options {
    std::string dsn;
    std::string listen = "127.0.0.1:0";
    std::size_t pool = 8;        // DB worker threads = database connections
    std::size_t io_threads = 1;  // threads running the sockets
    std::size_t max_body_bytes = 16 * 1024;
    std::size_t max_queued = 128;                      // claims waiting for a DB worker; more get 503
    std::chrono::milliseconds request_timeout{15000};  // read one request (idle keep-alive included)
};

// A fixed pool of threads that run blocking work (one claim each); bounded, so overload sheds at once.
class DbWorkers {
public:
    DbWorkers(std::size_t threads, std::size_t max_queued) : max_queued_(max_queued)
    {
        for (std::size_t i = 0; i < threads; ++i)
            threads_.emplace_back([this] { run(); });
    }
    ~DbWorkers() { stop(); }

    // False when the queue is full (the caller sheds the request).
    bool submit(std::function<void()> job)
    {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            if (stopping_ || jobs_.size() >= max_queued_)
                return false;
            jobs_.push_back(std::move(job));
        }
        ready_.notify_one();
        return true;
    }

    // Runs what is queued, then joins.
    void stop()
    {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stopping_ = true;
        }
        ready_.notify_all();
        for (auto &thread : threads_)
            if (thread.joinable())
                thread.join();
    }

private:
    void run()
    {
        for (;;) {
            std::function<void()> job;
            {
                std::unique_lock<std::mutex> lock(mutex_);
                ready_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
                if (jobs_.empty())
                    return;
                job = std::move(jobs_.front());
                jobs_.pop_front();
            }
            job();
        }
    }

    const std::size_t max_queued_;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<std::function<void()>> jobs_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

// The claim machinery exactly as Gateway wires it with --saga off and no --flags file.
struct Claims {
    explicit Claims(const Options &options)
        : atomic(ClientOptions{options.dsn, options.pool, RetryPolicy{}}),
          flags(std::map<std::string, FlagRule, std::less<>>{{std::string(atomic_claims_flag), everybody()}}),
          router(atomic, nullptr, flags, breaker, &metrics)
    {}

    static FlagRule everybody()
    {
        FlagRule rule;
        rule.kind = RolloutKind::on;
        return rule;
    }

    ClaimMetrics metrics;
    Client atomic;
    StaticFlagProvider flags;
    CircuitBreaker breaker;
    Router router;
};

// What a handler produces: status, body (JSON) and the few headers the gateway adds.
struct Answer {
    http::status status = http::status::ok;
    std::string body;
    std::string content_type = "application/json";
    bool replayed = false;
    bool close = false;  // the request was not read whole (413, malformed): the connection cannot go on
};

Answer json_answer(int status, const nlohmann::ordered_json &body)
{
    return Answer{static_cast<http::status>(status), body.dump(), "application/json", false};
}

Answer error_answer(int status, std::string_view error, std::string_view message)
{
    return json_answer(status, error_json(error, message));
}

class Server;

class Session : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket socket, Server &server);
    void start() { read(); }
    void close_if_idle();  // drain: called on the session's strand

private:
    void read();
    void on_read(beast::error_code error);
    void handle();
    void claim();
    void reply(Answer answer);
    void on_write(beast::error_code error, bool close);

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    http::response<http::string_body> response_;
    Server &server_;
    bool busy_ = false;  // a request is being read past its first byte, or answered
};

class Server {
public:
    Server(Options options, Claims &claims)
        : options_(std::move(options)), claims_(claims), io_(static_cast<int>(options_.io_threads)), acceptor_(io_),
          signals_(io_, SIGTERM, SIGINT), workers_(options_.pool, options_.max_queued)
    {}

    int bind()
    {
        const ListenAddress address = parse_listen_address(options_.listen);
        const tcp::endpoint endpoint(asio::ip::make_address(address.host), static_cast<unsigned short>(address.port));
        acceptor_.open(endpoint.protocol());
        acceptor_.set_option(asio::socket_base::reuse_address(true));
        acceptor_.bind(endpoint);
        acceptor_.listen(asio::socket_base::max_listen_connections);  // SOMAXCONN, not httplib's 5
        return acceptor_.local_endpoint().port();
    }

    void serve()
    {
        accept();
        signals_.async_wait([this](beast::error_code error, int signal) {
            if (error)
                return;
            std::cerr << "beast-gateway: " << (signal == SIGINT ? "SIGINT" : "SIGTERM")
                      << ", finishing in-flight requests\n";
            drain();
        });
        std::vector<std::thread> threads;
        for (std::size_t i = 1; i < options_.io_threads; ++i)
            threads.emplace_back([this] { io_.run(); });
        io_.run();
        for (auto &thread : threads)
            thread.join();
        workers_.stop();
    }

    const Options &options() const { return options_; }
    Claims &claims() { return claims_; }
    DbWorkers &workers() { return workers_; }
    bool draining() const { return draining_.load(); }

private:
    void accept()
    {
        acceptor_.async_accept(asio::make_strand(io_), [this](beast::error_code error, tcp::socket socket) {
            if (error == asio::error::operation_aborted || !acceptor_.is_open())
                return;
            if (!error) {
                socket.set_option(tcp::no_delay(true));
                auto session = std::make_shared<Session>(std::move(socket), *this);
                {
                    std::lock_guard<std::mutex> lock(sessions_mutex_);
                    sessions_.remove_if([](const std::weak_ptr<Session> &s) { return s.expired(); });
                    sessions_.push_back(session);
                }
                session->start();
            }
            accept();
        });
    }

    void drain()
    {
        draining_ = true;
        beast::error_code ignored;
        acceptor_.close(ignored);
        std::lock_guard<std::mutex> lock(sessions_mutex_);
        for (auto &weak : sessions_)
            if (auto session = weak.lock())
                session->close_if_idle();
        sessions_.clear();
    }

    Options options_;
    Claims &claims_;
    asio::io_context io_;
    tcp::acceptor acceptor_;
    asio::signal_set signals_;
    DbWorkers workers_;
    std::atomic<bool> draining_{false};
    std::mutex sessions_mutex_;
    std::list<std::weak_ptr<Session>> sessions_;
};

Session::Session(tcp::socket socket, Server &server) : stream_(std::move(socket)), server_(server) {}

void Session::close_if_idle()
{
    asio::post(stream_.get_executor(), [self = shared_from_this()] {
        if (!self->busy_)
            self->stream_.cancel();  // the pending read ends with operation_aborted: closed
    });
}

void Session::read()
{
    busy_ = false;
    if (server_.draining()) {
        stream_.close();
        return;
    }
    parser_.emplace();
    parser_->body_limit(server_.options().max_body_bytes);  // a larger Content-Length fails before the body
    parser_->header_limit(8 * 1024);
    stream_.expires_after(server_.options().request_timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code error, std::size_t) { self->on_read(error); });
}

void Session::on_read(beast::error_code error)
{
    if (error == http::error::end_of_stream || error == asio::error::operation_aborted ||
        error == beast::error::timeout || error == asio::error::connection_reset) {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
        return;
    }
    busy_ = true;
    if (error == http::error::body_limit) {
        Answer answer = error_answer(413, "payload_too_large", "the request body is larger than the gateway accepts");
        answer.close = true;
        reply(std::move(answer));
        return;
    }
    if (error) {
        Answer answer = error_answer(400, "http_error", "HTTP error 400");
        answer.close = true;
        reply(std::move(answer));
        return;
    }
    handle();
}

void Session::handle()
{
    const auto &request = parser_->get();
    const beast::string_view target = request.target();
    if (target == "/v1/claims" && request.method() == http::verb::post) {
        claim();
    } else if (target == "/healthz" && request.method() == http::verb::get) {
        reply(json_answer(200, nlohmann::ordered_json{{"status", "ok"},
                                                      {"circuit", to_string(server_.claims().breaker.state())},
                                                      {"flags", server_.claims().flags.name()}}));
    } else if (target == "/metrics" && request.method() == http::verb::get) {
        reply(
            Answer{http::status::ok, server_.claims().metrics.serialize(), "text/plain; version=0.0.4; charset=utf-8"});
    } else {
        reply(error_answer(404, "not_found", "no such endpoint"));
    }
}

void Session::claim()
{
    const auto &request = parser_->get();
    const auto started = std::chrono::steady_clock::now();
    ClaimRequest claim;
    try {
        const auto key = request.find("Idempotency-Key");
        claim = parse_claim_request(request.body(), key == request.end()
                                                        ? std::string_view()
                                                        : std::string_view(key->value().data(), key->value().size()));
    } catch (const ClaimError &error) {
        const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
        server_.claims().metrics.observe_claim(PathLabel::none, to_string(error.kind()), elapsed.count());
        reply(error_answer(http_status(error.kind()), to_string(error.kind()), error.what()));
        return;
    }
    // To a DB worker; the answer comes back to this connection's strand.
    // The work guard keeps the I/O threads running (a SIGTERM drain included) until the answer is posted.
    auto job = [self = shared_from_this(), claim = std::move(claim),
                guard = asio::make_work_guard(stream_.get_executor())] {
        Answer answer;
        try {
            const ClaimResult result = self->server_.claims().router.claim(claim);
            answer = json_answer(http_status(result.status), to_json(result));
            answer.replayed = result.replayed;
        } catch (const ClaimError &error) {
            answer = error_answer(http_status(error.kind()), to_string(error.kind()), error.what());
        } catch (const std::exception &error) {
            answer = error_answer(500, "internal", error.what());
        }
        asio::post(self->stream_.get_executor(),
                   [self, answer = std::move(answer)]() mutable { self->reply(std::move(answer)); });
    };
    if (!server_.workers().submit(std::move(job))) {
        server_.claims().metrics.observe_claim(PathLabel::none, "overloaded", 0.0);
        reply(error_answer(503, "overloaded", "the gateway is at capacity; retry after 1 s"));
    }
}

void Session::reply(Answer answer)
{
    const bool keep_alive = !answer.close && parser_->get().keep_alive() && !server_.draining();
    response_ = http::response<http::string_body>(answer.status, 11);
    response_.set(http::field::content_type, answer.content_type);
    if (answer.status == http::status::service_unavailable)
        response_.set(http::field::retry_after, "1");
    if (answer.replayed)
        response_.set("Idempotency-Replay", "true");
    response_.body() = std::move(answer.body);
    response_.keep_alive(keep_alive);
    response_.prepare_payload();
    stream_.expires_after(server_.options().request_timeout);
    http::async_write(stream_, response_,
                      [self = shared_from_this(), close = !keep_alive](beast::error_code error, std::size_t) {
                          self->on_write(error, close);
                      });
}

void Session::on_write(beast::error_code error, bool close)
{
    if (error || close) {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
        return;
    }
    read();
}

int usage(const char *message)
{
    std::cerr << "beast-gateway: " << message << "\n"
              << "usage: beast-gateway --dsn DSN [--listen HOST:PORT] [--pool N] [--io-threads N] [--max-queued N]\n"
              << "                     [--max-body-bytes N] [--request-timeout-ms N]\n";
    return 2;
}

}  // namespace treasure::bench

int main(int argc, char **argv)
{
    using namespace treasure::bench;
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (i + 1 >= argc)
            return usage(("missing value of " + arg).c_str());
        const std::string value = argv[++i];
        if (arg == "--dsn")
            options.dsn = value;
        else if (arg == "--listen")
            options.listen = value;
        else if (arg == "--pool")
            options.pool = std::stoul(value);
        else if (arg == "--io-threads")
            options.io_threads = std::stoul(value);
        else if (arg == "--max-queued")
            options.max_queued = std::stoul(value);
        else if (arg == "--max-body-bytes")
            options.max_body_bytes = std::stoul(value);
        else if (arg == "--request-timeout-ms")
            options.request_timeout = std::chrono::milliseconds(std::stol(value));
        else
            return usage(("unknown option " + arg).c_str());
    }
    if (options.dsn.empty())
        return usage("--dsn is required");
    if (options.pool == 0 || options.io_threads == 0)
        return usage("--pool and --io-threads must be at least 1");
    signal(SIGPIPE, SIG_IGN);
    try {
        Claims claims(options);
        Server server(options, claims);
        const int port = server.bind();
        std::cerr << "beast-gateway: listening (pool " << options.pool << " DB workers, " << options.io_threads
                  << " I/O thread(s))\n";
        std::cout << "listening " << treasure::parse_listen_address(options.listen).host << ":" << port << std::endl;
        server.serve();
        std::cerr << "beast-gateway: stopped\n";
        return 0;
    } catch (const std::exception &error) {
        std::cerr << "beast-gateway: " << error.what() << "\n";
        return 1;
    }
}
