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
      client_latency_(client_latency_registry_), web_files_(config_.web_root), flags_(make_flags(config_.flags_file)),
      shards_(first_shard_set()), reads_(worker_pool_options(config_, config_.worker_threads))
{
    AdmissionOptions admission = config_.admission;
    admission.on_shed = [this] { metrics_.observe_claim(PathLabel::none, "overloaded", 0.0); };
    HttpHandler &handler = *this;
    server_ = std::make_unique<HttpServer>(handler, std::move(admission), config_.max_body_bytes);
    if (!config_.edge.tls_cert_path.empty())
        server_->use_tls(config_.edge.tls_cert_path, config_.edge.tls_key_path);
    if (config_.claim_io == GatewayConfig::ClaimIo::reactor) {
        ClaimReactorOptions reactor = config_.reactor;
        if (reactor.connections == 0)
            reactor.connections = config_.pool_size;
        reactor.max_queued = config_.admission.max_queued;
        reactor.max_queue_wait = config_.admission.max_queue_wait;
        reactor.answer_timeout = config_.retry.deadline;
        reactor_ = std::make_unique<ClaimReactor>(server_->io_context(), reactor);
    }
    start_shard_map_polling();
}

Gateway::~Gateway()
{
    {
        std::lock_guard<std::mutex> lock(poll_mutex_);
        polling_stopped_ = true;
    }
    poll_wakeup_.notify_all();
    if (poller_.joinable())
        poller_.join();
    reactor_.reset();
    server_.reset();
    reads_.stop();
    // A job holds its shard: the shards' own workers must finish before the last reference goes.
    for (const auto &shard : shards_->shards)
        shard->stop_workers();
    for (const auto &shard : retired_)
        shard->stop_workers();
}

bool Gateway::has_saga_path() const
{
    for (const auto &shard : shards()->shards)
        if (shard->saga)
            return true;
    return false;
}

std::shared_ptr<const ShardSet> Gateway::shards() const
{
    std::lock_guard<std::mutex> lock(shards_mutex_);
    return shards_;
}

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

void Gateway::on_drain()
{
    if (reactor_)
        reactor_->drain();
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

    const std::shared_ptr<const ShardSet> set = shards();
    if (path == "/healthz") {
        nlohmann::ordered_json health{
            {"status", "ok"},
            {"circuit", to_string(sharded() ? worst_circuit(*set) : set->first().breaker.state())},
            {"flags", flags_->name()}};
        if (sharded())
            health["shards"] = shards_health(*set);
        return reply(json_answer(200, health));
    }
    std::function<Answer()> route;
    if (path == "/metrics") {
        route = [this] {
            Answer answer;
            answer.body = serialize_all_metrics();
            answer.content_type = "text/plain; version=0.0.4; charset=utf-8";
            return answer;
        };
    } else if (path == "/v1/replica") {
        route = [first = set->shards.front()] { return replica_answer(*first->analytics); };
    } else if (path == "/v1/leaderboard") {
        route = [set, target] {
            std::vector<AnalyticsReader *> readers;
            for (const auto &shard : set->shards)
                readers.push_back(shard->analytics.get());
            return leaderboard_answer(readers, target.parameter("from"), target.parameter("to"),
                                      target.parameter("limit"));
        };
    } else {
        const std::int64_t id = *path_player;
        const std::shared_ptr<Shard> owner = set->owner_of(id);
        if (player[2] == "/events")
            route = [owner, id, limit = target.parameter("limit")] {
                return recent_events_answer(*owner->analytics, id, limit);
            };
        else if (player[3].matched)
            route = [owner, id, claim = std::stoll(player[3].str())] {
                return claim_awards_answer(*owner->analytics, id, claim);
            };
        else
            route = [owner, id] { return player_stats_answer(*owner->analytics, id); };
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
    std::shared_ptr<Shard> shard = shards()->owner_of((*valid)->player_id);
    if (reactor_ && shard->breaker.state() == CircuitState::closed) {
        auto flag = flags_->resolve_boolean(atomic_claims_flag, false,
                                            claim_context((*valid)->player_id, (*valid)->session_id));
        if (flag.value)
            return claim_on_reactor(shard, valid, std::move(flag.variant), reply);
    }
    claim_on_workers(shard, valid, reply);
}

void Gateway::claim_on_workers(const std::shared_ptr<Shard> &shard, const std::shared_ptr<ValidClaimRequest> &valid,
                               const Reply &reply)
{
    WorkerPool &pool = likely_saga(*shard, *valid) ? *shard->saga_claims : shard->claims;
    if (!sharded())
        return on_pool(
            pool, reply, [shard, valid] { return answer_claim(shard->router, *valid); }, true);
    on_pool(
        pool, reply,
        [this, shard, valid] {
            const auto started = std::chrono::steady_clock::now();
            Answer answer = answer_claim(shard->router, *valid);
            const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
            shard_metrics_.observe_claim(shard->index, answer.status, elapsed.count());
            return answer;
        },
        true);
}

// As the Router measures and records an atomic claim, for the clean answers the reactor gives; what it hands back
// goes to the workers' Router, which measures, records and retries it there (each tap is counted once).
void Gateway::claim_on_reactor(const std::shared_ptr<Shard> &shard, const std::shared_ptr<ValidClaimRequest> &valid,
                               std::string flag_variant, const Reply &reply)
{
    const CircuitBreaker::Ticket ticket = shard->breaker.allow();
    if (!ticket.allowed)
        return claim_on_workers(shard, valid, reply);
    const auto started = std::chrono::steady_clock::now();
    auto done = [this, shard, valid, ticket, started, variant = std::move(flag_variant),
                 reply](ReactorOutcome outcome) {
        reactor_metrics_.count(outcome.verdict);
        if (outcome.verdict == ReactorVerdict::shed) {
            if (ticket.probe)
                shard->breaker.record(ticket, false);
            metrics_.observe_claim(PathLabel::none, "overloaded", 0.0);
            return reply(overloaded());
        }
        if (outcome.verdict == ReactorVerdict::to_workers) {
            if (ticket.probe)  // a probe's slot is taken: count its unknown outcome against the atomic path
                shard->breaker.record(ticket, true);
            return claim_on_workers(shard, valid, reply);
        }
        try {
            shard->breaker.record(ticket, false);
            const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
            metrics_.count_flag_evaluation(atomic_claims_flag, variant.empty() ? "default" : variant);
            metrics_.observe_claim(PathLabel::atomic, to_string(outcome.result->status), elapsed.count());
            Answer answer = claim_answer(*outcome.result);
            if (sharded())
                shard_metrics_.observe_claim(shard->index, answer.status, elapsed.count());
            reply(std::move(answer));
        } catch (const std::exception &error) {
            reply(error_answer(500, "internal", error.what()));
        }
    };
    reactor_->claim(shard, *valid, std::move(done));
}

// Which pool a claim goes to, guessed as the Router will decide (the flag, then an open breaker): a guess that a
// breaker's transition makes wrong only runs one claim on the other pool; the Router still decides the path.
bool Gateway::likely_saga(Shard &shard, const ValidClaimRequest &request)
{
    if (!shard.saga_claims)
        return false;
    if (shard.breaker.state() == CircuitState::open)
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
    const std::shared_ptr<const ShardSet> set = shards();
    const std::string reactor = reactor_ ? serialize_metrics(reactor_registry_) : std::string();
    if (!sharded())
        return metrics_.serialize() + serialize_metrics(client_latency_registry_) +
               set->first().analytics->serialize_metrics() + serialize_metrics(edge_registry_) + reactor;
    std::vector<std::string> analytics;
    for (const auto &shard : set->shards)
        analytics.push_back(shard->analytics->serialize_metrics());
    return metrics_.serialize() + serialize_metrics(client_latency_registry_) + with_shard_labels(analytics) +
           serialize_metrics(edge_registry_) + shard_metrics_.serialize() + reactor;
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
