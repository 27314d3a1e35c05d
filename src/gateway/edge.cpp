#include "gateway/edge.hpp"

#include <nlohmann/json.hpp>

#include "lib/trimmed.hpp"

namespace treasure {

namespace {

constexpr std::string_view realm = "realm=\"treasure\"";

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

bool is_plain_path(std::string_view path)
{
    return path.find("..") == std::string_view::npos && path.find("//") == std::string_view::npos &&
           path.find_first_of("%\\") == std::string_view::npos;
}

std::optional<std::int64_t> player_id_of(std::string_view digits)
{
    if (digits.empty() || digits.size() > 18 || digits.find_first_not_of("0123456789") != std::string_view::npos)
        return std::nullopt;
    return std::stoll(std::string(digits));
}

bool may_read_analytics(const AdmittedCaller &caller)
{
    if (const auto *server = std::get_if<GameServer>(&caller))
        return server->has_scope("read");
    return std::holds_alternative<Player>(caller);
}

Answer forbidden(Forbidden reason, std::string_view message)
{
    return json_answer(
        403, nlohmann::ordered_json{{"error", "forbidden"}, {"reason", to_string(reason)}, {"message", message}});
}

Answer not_found() { return error_answer(404, "not_found", "no such endpoint"); }

}  // namespace

Route classify_route(std::string_view method, std::string_view target)
{
    const std::string_view path = target.substr(0, target.find('?'));
    const bool read = method == "GET" || method == "HEAD";
    if (read && is_plain_path(path) &&
        (path == "/healthz" || path == "/play" || starts_with(path, "/play/") || starts_with(path, "/web/")))
        return {RouteKind::open, std::nullopt};
    if (method == "POST" && path == "/v1/claims")
        return {RouteKind::claim, std::nullopt};
    if (method == "POST" && path == "/v1/client-metrics")
        return {RouteKind::client_metrics, std::nullopt};
    if (!read)
        return {RouteKind::other, std::nullopt};
    if (path == "/metrics")
        return {RouteKind::metrics, std::nullopt};
    if (path == "/v1/leaderboard")
        return {RouteKind::leaderboard, std::nullopt};
    if (path == "/v1/replica")
        return {RouteKind::replica, std::nullopt};
    if (path == "/v1/chests")
        return {RouteKind::chests, std::nullopt};
    constexpr std::string_view players = "/v1/players/";
    if (starts_with(path, players)) {
        const std::string_view rest = path.substr(players.size());
        return {RouteKind::player_read, player_id_of(rest.substr(0, rest.find('/')))};
    }
    return {RouteKind::other, std::nullopt};
}

Edge::Edge(EdgeOptions options, prometheus::Registry &registry, const Clock &clock, const UnixClock &unix_clock,
           RefusalLog::Sink log_sink)
    : options_(std::move(options)), kinds_(parse_auth_kinds(options_.auth)), metrics_(registry),
      log_(options_.refusal_log_lines_per_second, clock, std::move(log_sink))
{
    if (kinds_.any())
        authenticator_ = std::make_unique<Authenticator>(auth_options(options_), clock, unix_clock);
    RateLimiterOptions limiter_options;
    limiter_options.max_entries = options_.rate_limiter_max_entries;
    if (!options_.rate_per_client.empty())
        client_limiter_ =
            std::make_unique<RateLimiter>(parse_rate_limit(options_.rate_per_client), clock, limiter_options);
    if (!options_.rate_per_player.empty()) {
        player_limiter_ =
            std::make_unique<RateLimiter>(parse_rate_limit(options_.rate_per_player), clock, limiter_options);
        report_limiter_ =
            std::make_unique<RateLimiter>(parse_rate_limit(options_.rate_per_player), clock, limiter_options);
    }
    std::vector<Cidr> ranges;
    for (const auto &range : options_.trusted_proxies)
        ranges.push_back(parse_cidr(range));
    proxies_ = TrustedProxies(std::move(ranges));
    cors_ = CorsPolicy(options_.cors_origins);
}

HeadJudgement Edge::judge_head(const EdgeRequest &head)
{
    const std::string client = proxies_.client_address(head.peer_address, head.forwarded_for);
    if (head.method == "OPTIONS" && !head.origin.empty() && !head.access_control_request_method.empty()) {
        Answer answer = cors_.preflight(head.origin, head.access_control_request_method);
        if (answer.status != 204)
            log_.refused(answer.status, "cors_origin", head.peer_address, client, head.method, head.target);
        return answer;
    }
    // 1. The declared length, before a byte of the body is read.
    if (head.content_length && *head.content_length > options_.max_body_bytes)
        return refuse(error_answer(413, "payload_too_large", "the request body is larger than the gateway accepts"),
                      "payload_too_large", head, client);

    const Route route = classify_route(head.method, head.target);
    Admitted admitted{Anonymous{},       route,       client,      cors_.response_headers(head.origin),
                      head.peer_address, head.method, head.target, head.on_metrics_listener};
    const bool metrics_elsewhere = !options_.metrics_listen.empty();
    if (head.on_metrics_listener || (route.kind == RouteKind::metrics && metrics_elsewhere)) {
        if (head.on_metrics_listener && route.kind == RouteKind::metrics)
            return admitted;
        return refuse(not_found(), "not_found", head, client);
    }
    if (route.kind == RouteKind::open)
        return admitted;

    // 2. Credentials.
    if (authenticator_) {
        Caller caller = authenticator_->authenticate(
            CredentialHeaders{head.authorization, head.api_key, head.peer_address, head.forwarded_for});
        if (const auto *refusal = std::get_if<Refusal>(&caller)) {
            metrics_.count_auth_failure(refusal->reason);
            return refuse(unauthenticated(&head, refusal->reason), refusal_reason_name(refusal->reason), head, client);
        }
        if (auto *player = std::get_if<Player>(&caller))
            admitted.caller = *player;
        else
            admitted.caller = std::get<GameServer>(std::move(caller));
    }

    // 3. The per-client limit: by key name for a game server, else by the client's address (IPv6: its /64).
    if (client_limiter_) {
        const auto *server = std::get_if<GameServer>(&admitted.caller);
        const std::uint64_t id = server ? rate_limit_key("key:" + server->key_name)
                                        : rate_limit_key("address:" + client_limit_key_text(client));
        if (auto refused = check_limit(client_limiter_.get(), id, LimitScope::client))
            return refuse(*std::move(refused), "rate_limited_client", admitted);
    }
    return admitted;
}

ClaimAuthorization Edge::authorize_claim(const Admitted &admitted, std::optional<std::int64_t> body_player_id)
{
    if (authenticator_ && std::holds_alternative<Anonymous>(admitted.caller))
        return refuse(unauthenticated(nullptr, RefusalReason::missing), "missing", admitted);
    std::int64_t player_id = 0;
    if (const auto *player = std::get_if<Player>(&admitted.caller)) {
        if (body_player_id && *body_player_id != player->player_id) {
            metrics_.count_auth_failure(Forbidden::player_mismatch);
            return refuse(forbidden(Forbidden::player_mismatch, "a player token claims only for its own player"),
                          "player_mismatch", admitted);
        }
        player_id = player->player_id;
    } else {
        // 4. A game server (or, with --auth none, anybody) names the player.
        if (!body_player_id)
            return refuse(error_answer(400, "bad_request", "missing field \"player_id\""), "player_id_missing",
                          admitted);
        const auto *server = std::get_if<GameServer>(&admitted.caller);
        if (server && !server->has_scope("claim")) {
            metrics_.count_auth_failure(Forbidden::missing_scope);
            return refuse(forbidden(Forbidden::missing_scope, "this API key has no \"claim\" scope"), "missing_scope",
                          admitted);
        }
        player_id = *body_player_id;
    }
    // 6. The per-player limit.
    if (player_limiter_) {
        if (auto refused =
                check_limit(player_limiter_.get(), static_cast<std::uint64_t>(player_id), LimitScope::player))
            return refuse(*std::move(refused), "rate_limited_player", admitted);
    }
    return player_id;
}

std::optional<Answer> Edge::authorize_read(const Admitted &admitted, RouteKind kind,
                                           std::optional<std::int64_t> path_player_id)
{
    if (std::holds_alternative<Anonymous>(admitted.caller)) {
        // Open routes, /metrics on its own address, or everything with --auth none; never a route the server
        // reads differently from the edge.
        if (!authenticator_ ||
            (kind == admitted.route.kind &&
             (kind == RouteKind::open || (kind == RouteKind::metrics && admitted.on_metrics_listener))))
            return std::nullopt;
        return refuse(unauthenticated(nullptr, RefusalReason::missing), "missing", admitted);
    }
    bool allowed = true;
    switch (kind) {
    case RouteKind::player_read:
        if (const auto *player = std::get_if<Player>(&admitted.caller))
            allowed = path_player_id && *path_player_id == player->player_id;
        else
            allowed = may_read_analytics(admitted.caller);
        break;
    case RouteKind::leaderboard:
    case RouteKind::replica:
    case RouteKind::chests: allowed = may_read_analytics(admitted.caller); break;
    case RouteKind::metrics: {
        const auto *server = std::get_if<GameServer>(&admitted.caller);
        allowed = server && server->has_scope("metrics");
        break;
    }
    case RouteKind::open:
    case RouteKind::claim:
    case RouteKind::client_metrics:
    case RouteKind::other: break;
    }
    if (allowed)
        return std::nullopt;
    const bool other_player = kind == RouteKind::player_read && std::holds_alternative<Player>(admitted.caller);
    const Forbidden reason = other_player ? Forbidden::player_mismatch : Forbidden::missing_scope;
    metrics_.count_auth_failure(reason);
    return refuse(forbidden(reason, other_player ? "a player token reads only its own player"
                                                 : "this caller may not read this route"),
                  to_string(reason), admitted);
}

std::optional<Answer> Edge::authorize_client_metrics(const Admitted &admitted)
{
    if (authenticator_ && std::holds_alternative<Anonymous>(admitted.caller))
        return refuse(unauthenticated(nullptr, RefusalReason::missing), "missing", admitted);
    const auto *server = std::get_if<GameServer>(&admitted.caller);
    if (server && !server->has_scope("claim")) {
        metrics_.count_auth_failure(Forbidden::missing_scope);
        return refuse(forbidden(Forbidden::missing_scope, "this API key has no \"claim\" scope"), "missing_scope",
                      admitted);
    }
    const auto *player = std::get_if<Player>(&admitted.caller);
    if (player && report_limiter_) {
        if (auto refused =
                check_limit(report_limiter_.get(), static_cast<std::uint64_t>(player->player_id), LimitScope::player))
            return refuse(*std::move(refused), "rate_limited_player", admitted);
    }
    return std::nullopt;
}

bool Edge::reload_if_changed() { return authenticator_ && authenticator_->reload_if_changed(); }

Answer Edge::unauthenticated(const EdgeRequest *head, RefusalReason reason) const
{
    Answer answer =
        json_answer(401, nlohmann::ordered_json{{"error", "unauthenticated"}, {"reason", refusal_reason_name(reason)}});
    // RFC 6750 §3: no error code when the request had no credentials at all; invalid_request when it used more
    // than one method; invalid_token when the bearer token itself was refused (not when an API key was).
    std::string challenges;
    if (kinds_.jwt) {
        challenges = "Bearer " + std::string(realm);
        const bool key_sent = kinds_.api_key && head && !trimmed(head->api_key).empty();
        if (reason == RefusalReason::ambiguous)
            challenges += ", error=\"invalid_request\"";
        else if (reason != RefusalReason::missing && !key_sent)
            challenges += ", error=\"invalid_token\"";
    }
    if (kinds_.api_key)
        challenges += (challenges.empty() ? "" : ", ") + std::string("ApiKey ") + std::string(realm);
    if (challenges.empty())
        challenges = "Bearer " + std::string(realm);
    answer.headers.emplace_back("WWW-Authenticate", challenges);
    return answer;
}

std::optional<Answer> Edge::check_limit(RateLimiter *limiter, std::uint64_t id, LimitScope scope)
{
    const RateDecision decision = limiter->take(id);
    if (decision.allowed)
        return std::nullopt;
    metrics_.count_rate_limited(scope);
    Answer answer = json_answer(
        429, nlohmann::ordered_json{{"error", "rate_limited"}, {"retry_after_ms", decision.retry_after.count()}});
    answer.headers.emplace_back("Retry-After", std::to_string(decision.retry_after_seconds()));
    return answer;
}

Answer Edge::refuse(Answer answer, std::string_view reason, const Admitted &admitted)
{
    log_.refused(answer.status, reason, admitted.peer_address, admitted.client_address, admitted.method,
                 admitted.target);
    answer.headers.insert(answer.headers.end(), admitted.cors_headers.begin(), admitted.cors_headers.end());
    return answer;
}

Answer Edge::refuse(Answer answer, std::string_view reason, const EdgeRequest &head, const std::string &client)
{
    log_.refused(answer.status, reason, head.peer_address, client, head.method, head.target);
    const HeaderList cors = cors_.response_headers(head.origin);
    answer.headers.insert(answer.headers.end(), cors.begin(), cors.end());
    return answer;
}

}  // namespace treasure
