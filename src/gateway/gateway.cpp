#include "gateway/gateway.hpp"

#include <cstdint>
#include <optional>
#include <regex>
#include <stdexcept>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "gateway/analytics_routes.hpp"
#include "gateway/answer.hpp"
#include "gateway/claim_endpoint.hpp"
#include "gateway/http_server.hpp"
#include "gateway/request_target.hpp"
#include "lib/json_file_flags.hpp"
#include "lib/listen_address.hpp"

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

WorkerPoolOptions pool_options(const GatewayConfig &config, std::size_t threads)
{
    if (threads == 0)
        throw std::invalid_argument("the gateway needs at least one worker thread");
    return WorkerPoolOptions{threads, config.admission.max_queued, config.admission.max_queue_wait};
}

Answer overloaded() { return error_answer(503, "overloaded", "the gateway is at capacity; retry after 1 s"); }

// GET /v1/players/{id}, /v1/players/{id}/stats, /v1/players/{id}/events, /v1/players/{id}/claims/{claim_id}/awards:
// the id, what follows it, and the claim_id.
const std::regex player_route(R"(/v1/players/(\d{1,18})(/stats|/events|/claims/(\d{1,18})/awards)?)");

EdgeOptions edge_options_of(const GatewayConfig &config)
{
    EdgeOptions options = config.edge;
    options.max_body_bytes = config.max_body_bytes;
    return options;
}

// What the edge reads of a request head.
EdgeRequest edge_request_of(const RequestHead &head)
{
    EdgeRequest request;
    request.method = head.method;
    request.target = head.target;
    request.authorization = head.header("Authorization");
    request.api_key = head.header("X-Api-Key");
    request.forwarded_for = head.header("X-Forwarded-For");
    request.origin = head.header("Origin");
    request.access_control_request_method = head.header("Access-Control-Request-Method");
    request.access_control_request_headers = head.header("Access-Control-Request-Headers");
    request.content_length = head.content_length;
    request.peer_address = head.peer_address;
    return request;
}

// Every answer to an admitted request carries its CORS headers (none unless the origin is allowed).
HttpHandler::Reply with_cors(const Admitted &admitted, HttpHandler::Reply reply)
{
    if (admitted.cors_headers.empty())
        return reply;
    return [reply = std::move(reply), cors = admitted.cors_headers](Answer answer) {
        answer.headers.insert(answer.headers.end(), cors.begin(), cors.end());
        reply(std::move(answer));
    };
}

}  // namespace

Gateway::Gateway(GatewayConfig config)
    : config_(std::move(config)), edge_(edge_options_of(config_), edge_registry_),
      client_latency_(client_latency_registry_), web_files_(config_.web_root),
      atomic_(ClientOptions{config_.dsn, config_.pool_size, config_.retry}), saga_(make_saga_path(config_)),
      flags_(make_flags(config_.flags_file)), breaker_(config_.breaker),
      router_(atomic_, saga_.get(), *flags_, breaker_, &metrics_), analytics_(make_analytics(config_)),
      claims_(pool_options(config_, config_.pool_size)),
      saga_claims_(saga_ ? std::make_unique<WorkerPool>(pool_options(config_, config_.pool_size)) : nullptr),
      reads_(pool_options(config_, config_.worker_threads))
{
    AdmissionOptions admission = config_.admission;
    admission.on_shed = [this] { metrics_.observe_claim(PathLabel::none, "overloaded", 0.0); };
    HttpHandler &handler = *this;
    server_ = std::make_unique<HttpServer>(handler, std::move(admission), config_.max_body_bytes);
    if (!config_.edge.tls_cert_path.empty())
        server_->use_tls(config_.edge.tls_cert_path, config_.edge.tls_key_path);
}

Gateway::~Gateway() = default;

std::optional<Answer> Gateway::before_body(RequestHead &head)
{
    HeadJudgement judged = edge_.judge_head(edge_request_of(head));
    if (auto *refused = std::get_if<Answer>(&judged))
        return std::move(*refused);
    head.admitted = std::make_shared<const Admitted>(std::move(std::get<Admitted>(judged)));
    return std::nullopt;
}

void Gateway::handle(HttpRequest request, Reply reply)
{
    if (!request.head.admitted)  // before_body() admits every request it lets through
        return reply(error_answer(500, "internal", "request not judged"));
    const std::shared_ptr<const Admitted> admitted = request.head.admitted;
    route(request, *admitted, with_cors(*admitted, std::move(reply)));
}

void Gateway::route(const HttpRequest &request, const Admitted &admitted, const Reply &reply)
{
    const RequestTarget target = parse_request_target(request.head.target);
    const std::string &path = target.path;
    const bool get = request.head.method == "GET";
    if (path == "/v1/claims") {
        if (request.head.method != "POST")
            return reply(method_not_allowed("POST"));
        return claim(request, admitted, reply);
    }
    if (route_web(request, admitted, reply))
        return;
    std::smatch player;
    const bool is_player = std::regex_match(path, player, player_route);
    const bool known =
        is_player || path == "/v1/leaderboard" || path == "/v1/replica" || path == "/metrics" || path == "/healthz";
    if (!known)
        return reply(error_answer(404, "not_found", "no such endpoint"));
    if (!get)
        return reply(method_not_allowed("GET"));

    const RouteKind kind = is_player                   ? RouteKind::player_read
                           : path == "/v1/leaderboard" ? RouteKind::leaderboard
                           : path == "/v1/replica"     ? RouteKind::replica
                           : path == "/metrics"        ? RouteKind::metrics
                                                       : RouteKind::open;
    const std::optional<std::int64_t> path_player =
        is_player ? std::optional<std::int64_t>(std::stoll(player[1].str())) : std::nullopt;
    if (auto refused = edge_.authorize_read(admitted, kind, path_player))
        return reply(std::move(*refused));

    if (path == "/healthz")
        return reply(json_answer(200, nlohmann::ordered_json{{"status", "ok"},
                                                             {"circuit", to_string(breaker_.state())},
                                                             {"flags", flags_->name()}}));
    std::function<Answer()> route;
    if (path == "/metrics") {
        route = [this] {
            Answer answer;
            answer.body = serialize_all_metrics();
            answer.content_type = "text/plain; version=0.0.4; charset=utf-8";
            return answer;
        };
    } else if (path == "/v1/replica") {
        route = [this] { return replica_answer(*analytics_); };
    } else if (path == "/v1/leaderboard") {
        route = [this, target] {
            return leaderboard_answer(*analytics_, target.parameter("from"), target.parameter("to"),
                                      target.parameter("limit"));
        };
    } else {
        const std::int64_t id = *path_player;
        if (player[2] == "/events")
            route = [this, id, limit = target.parameter("limit")] {
                return recent_events_answer(*analytics_, id, limit);
            };
        else if (player[3].matched)
            route = [this, id, claim = std::stoll(player[3].str())] {
                return claim_awards_answer(*analytics_, id, claim);
            };
        else
            route = [this, id] { return player_stats_answer(*analytics_, id); };
    }
    on_pool(reads_, reply, std::move(route), false);
}

// Steps 4-7: the body's syntax (400, parsed once), who may claim for whom (400/403), the per-player limit (429),
// the claim.
void Gateway::claim(const HttpRequest &request, const Admitted &admitted, const Reply &reply)
{
    auto parsed = parse_claim(metrics_, request.body, request.head.header("Idempotency-Key"));
    if (auto *refused = std::get_if<Answer>(&parsed))
        return reply(std::move(*refused));
    ClaimBody &body = std::get<ClaimBody>(parsed);
    ClaimAuthorization authorized = edge_.authorize_claim(admitted, body.player_id);
    if (auto *refused = std::get_if<Answer>(&authorized))
        return reply(std::move(*refused));
    auto valid = std::make_shared<ValidClaimRequest>(for_player(std::move(body), std::get<std::int64_t>(authorized)));
    WorkerPool &pool = likely_saga(*valid) ? *saga_claims_ : claims_;
    on_pool(
        pool, reply, [this, valid] { return answer_claim(router_, *valid); }, true);
}

// Which pool a claim goes to, guessed as the Router will decide (the flag, then an open breaker): a guess that a
// breaker's transition makes wrong only runs one claim on the other pool; the Router still decides the path.
bool Gateway::likely_saga(const ValidClaimRequest &request)
{
    if (!saga_claims_)
        return false;
    if (breaker_.state() == CircuitState::open)
        return true;
    return !flags_->resolve_boolean(atomic_claims_flag, false, claim_context(request->player_id, request->session_id))
                .value;
}

void Gateway::on_pool(WorkerPool &pool, const Reply &reply, std::function<Answer()> route, bool is_claim)
{
    const auto shed = [this, reply, is_claim] {
        if (is_claim)
            metrics_.observe_claim(PathLabel::none, "overloaded", 0.0);
        reply(overloaded());
    };
    const auto run = [reply, route = std::move(route)] {
        try {
            reply(route());
        } catch (const std::exception &error) {
            reply(error_answer(500, "internal", error.what()));
        } catch (...) {
            reply(error_answer(500, "internal", "unexpected failure"));
        }
    };
    if (!pool.submit(run, shed))
        shed();
}

std::string Gateway::serialize_all_metrics()
{
    return metrics_.serialize() + serialize_metrics(client_latency_registry_) + analytics_->serialize_metrics() +
           serialize_metrics(edge_registry_);
}

int Gateway::bind(const std::string &host, int port)
{
    const int bound = server_->bind(host, port);
    if (!config_.edge.metrics_listen.empty()) {
        const ListenAddress metrics = parse_listen_address(config_.edge.metrics_listen);
        metrics_listener_ = std::make_unique<MetricsListener>([this] { return serialize_all_metrics(); });
        metrics_port_ = metrics_listener_->bind(metrics.host, metrics.port);
    }
    return bound;
}

void Gateway::serve()
{
    if (metrics_listener_)
        metrics_listener_->start();
    server_->serve();
    if (metrics_listener_)
        metrics_listener_->stop();
}

void Gateway::stop() { server_->stop(); }

}  // namespace treasure
