#include "gateway/gateway.hpp"

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "gateway/admission.hpp"
#include "gateway/analytics_routes.hpp"
#include "gateway/answer.hpp"
#include "gateway/claim_endpoint.hpp"
#include "lib/json_file_flags.hpp"

namespace treasure {

namespace {

std::unique_ptr<FeatureFlagProvider> make_flags(const std::string &file)
{
    if (!file.empty())
        return std::make_unique<JsonFileFlagProvider>(file);
    FlagRule everybody;
    everybody.kind = RolloutKind::on;
    return std::make_unique<StaticFlagProvider>(
        std::map<std::string, FlagRule, std::less<>>{{std::string(atomic_claims_flag), everybody}});
}

std::unique_ptr<SagaPath> make_saga_path(const GatewayConfig &config)
{
    if (config.saga == GatewayConfig::SagaMode::off)
        return nullptr;
    if (!SagaPath::available(config.dsn)) {
        if (config.saga == GatewayConfig::SagaMode::on)
            throw std::runtime_error("--saga on: the database's treasure extension has no saga path (needs 1.1.0)");
        return nullptr;
    }
    return std::make_unique<SagaPath>(SagaPathOptions{config.dsn, config.pool_size, config.saga_deadline});
}

std::unique_ptr<AnalyticsReader> make_analytics(const GatewayConfig &config)
{
    AnalyticsOptions options;
    options.primary_dsn = config.dsn;
    options.replica_dsn = config.replica_dsn;
    options.max_lag = config.replica_max_lag;
    return std::make_unique<AnalyticsReader>(options);
}

// The one place an Answer meets cpp-httplib.
void send(httplib::Response &response, const Answer &answer)
{
    response.status = answer.status;
    response.set_content(answer.body, answer.content_type);
    for (const auto &[name, value] : answer.headers)
        response.set_header(name, value);
}

template <typename Handler>
httplib::Server::Handler answering(Handler handler)
{
    return
        [handler](const httplib::Request &request, httplib::Response &response) { send(response, handler(request)); };
}

std::optional<std::string> parameter(const httplib::Request &request, const char *name)
{
    if (!request.has_param(name))
        return std::nullopt;
    return request.get_param_value(name);
}

std::int64_t player_id_in_path(const httplib::Request &request) { return std::stoll(request.matches[1]); }

}  // namespace

Gateway::Gateway(GatewayConfig config)
    : config_(std::move(config)), atomic_(ClientOptions{config_.dsn, config_.pool_size, config_.retry}),
      saga_(make_saga_path(config_)), flags_(make_flags(config_.flags_file)), breaker_(config_.breaker),
      router_(atomic_, saga_.get(), *flags_, breaker_, &metrics_), analytics_(make_analytics(config_)),
      server_(std::make_unique<httplib::Server>())
{
    if (config_.worker_threads == 0)
        throw std::invalid_argument("the gateway needs at least one worker thread");
    // Bounded: connections beyond admission.max_queued get 503 "overloaded" instead of an unbounded queue.
    AdmissionOptions admission = config_.admission;
    admission.workers = config_.worker_threads;
    admission.on_shed = [this] { metrics_.observe_claim(PathLabel::none, "overloaded", 0.0); };
    server_->new_task_queue = [admission] { return new BoundedTaskQueue(admission); };
    server_->set_logger([](const httplib::Request &, const httplib::Response &) { note_request_answered(); });
    server_->set_payload_max_length(config_.max_body_bytes);
    server_->set_keep_alive_max_count(1000);
    server_->set_keep_alive_timeout(2);
    server_->set_tcp_nodelay(true);
    // httplib listens with a backlog of 5: a burst of clients (re)connecting overflows it, and every SYN dropped
    // there is retransmitted by the client only after 1 s -- the 1 s outliers of the load tests.  Remember the
    // listening socket so that bind() can give it a real backlog.
    server_->set_socket_options([this](socket_t socket) {
        httplib::default_socket_options(socket);
        listening_socket_ = socket;
    });
    install_routes();
}

Gateway::~Gateway() = default;

void Gateway::install_routes()
{
    server_->Post("/v1/claims", answering([this](const httplib::Request &request) {
                      return post_claim(router_, metrics_, request.body, request.get_header_value("Idempotency-Key"));
                  }));

    const auto stats = answering([this](const httplib::Request &request) {
        return player_stats_answer(*analytics_, player_id_in_path(request));
    });
    server_->Get(R"(/v1/players/(\d{1,18})/stats)", stats);
    server_->Get(R"(/v1/players/(\d{1,18}))", stats);
    server_->Get(R"(/v1/players/(\d{1,18})/events)", answering([this](const httplib::Request &request) {
                     return recent_events_answer(*analytics_, player_id_in_path(request), parameter(request, "limit"));
                 }));
    server_->Get("/v1/leaderboard", answering([this](const httplib::Request &request) {
                     return leaderboard_answer(*analytics_, parameter(request, "from"), parameter(request, "to"),
                                               parameter(request, "limit"));
                 }));
    server_->Get("/v1/replica", answering([this](const httplib::Request &) { return replica_answer(*analytics_); }));

    server_->Get("/metrics", answering([this](const httplib::Request &) {
                     Answer answer;
                     answer.body = metrics_.serialize() + analytics_->serialize_metrics();
                     answer.content_type = "text/plain; version=0.0.4; charset=utf-8";
                     return answer;
                 }));

    server_->Get("/healthz", answering([this](const httplib::Request &) {
                     return json_answer(200, nlohmann::ordered_json{{"status", "ok"},
                                                                    {"circuit", to_string(breaker_.state())},
                                                                    {"flags", flags_->name()}});
                 }));

    // Give every error httplib produces itself (404 route, 413 body too large, 400 bad request line) a JSON body.
    server_->set_error_handler([](const httplib::Request &, httplib::Response &response) {
        if (!response.body.empty())
            return;
        switch (response.status) {
        case 413:
            send(response,
                 error_answer(413, "payload_too_large", "the request body is larger than the gateway accepts"));
            break;
        case 404: send(response, error_answer(404, "not_found", "no such endpoint")); break;
        default:
            send(response,
                 error_answer(response.status, "http_error", "HTTP error " + std::to_string(response.status)));
        }
    });

    server_->set_exception_handler(
        [](const httplib::Request &, httplib::Response &response, std::exception_ptr failure) {
            std::string message = "unexpected failure";
            try {
                if (failure)
                    std::rethrow_exception(failure);
            } catch (const std::exception &error) {
                message = error.what();
            } catch (...) {}
            send(response, error_answer(500, "internal", message));
        });
}

int Gateway::bind(const std::string &host, int port)
{
    int bound = port;
    if (port == 0) {
        bound = server_->bind_to_any_port(host);
        if (bound < 0)
            throw std::runtime_error("cannot listen on " + host + ": no free port");
    } else if (!server_->bind_to_port(host, port)) {
        throw std::runtime_error("cannot listen on " + host + ":" + std::to_string(port) +
                                 " (address in use, or not a local address?)");
    }
    // listen(2) again on a listening socket only changes its backlog (SOMAXCONN, capped by net.core.somaxconn).
    if (listening_socket_ >= 0 && ::listen(listening_socket_, SOMAXCONN) != 0)
        throw std::runtime_error("cannot raise the listen backlog on " + host);
    return bound;
}

void Gateway::serve() { server_->listen_after_bind(); }

void Gateway::stop() { server_->stop(); }

}  // namespace treasure
