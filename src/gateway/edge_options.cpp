#include "gateway/edge_options.hpp"

#include <stdexcept>

#include <CLI/CLI.hpp>

#include "auth/rate_limit.hpp"
#include "gateway/client_address.hpp"
#include "gateway/cors.hpp"

namespace treasure {

namespace {

[[noreturn]] void invalid(const std::string &message) { throw std::invalid_argument(message); }

// A CLI11 validator from a function that throws std::invalid_argument, so a flag is refused with the same words
// validate() would use.
template <class Check>
CLI::Validator checked_by(Check check, const std::string &description)
{
    return CLI::Validator(
        [check](std::string &value) {
            try {
                check(value);
                return std::string();
            } catch (const std::invalid_argument &error) {
                return std::string(error.what());
            }
        },
        description);
}

void check_rate(const std::string &flag, const std::string &value)
{
    if (value.empty())
        return;
    try {
        parse_rate_limit(value);
    } catch (const std::invalid_argument &) {
        invalid(flag + " wants RATE[:BURST] (a positive rate, a burst >= 1), got '" + value + "'");
    }
}

void check_listen(const std::string &value) { parse_listen_address(value); }

void needs_kind(bool on, const std::string &value, const std::string &flag, const char *kind)
{
    if (!on && !value.empty())
        invalid(flag + " has no effect without --auth " + kind);
}

}  // namespace

AuthKinds parse_auth_kinds(std::string_view text)
{
    if (text == "none")
        return {};
    AuthKinds kinds;
    std::string_view rest = text;
    while (true) {
        const auto comma = rest.find(',');
        const std::string_view kind = rest.substr(0, comma);
        bool &slot = kind == "jwt" ? kinds.jwt : kinds.api_key;
        if ((kind != "jwt" && kind != "api-key") || slot)
            invalid("--auth wants jwt, api-key, jwt,api-key or none, got '" + std::string(text) + "'");
        slot = true;
        if (comma == std::string_view::npos)
            return kinds;
        rest = rest.substr(comma + 1);
    }
}

bool is_loopback_host(std::string_view host)
{
    if (host == "localhost")
        return true;
    const auto address = parse_ip_address(host);
    if (!address)
        return false;
    if (!address->v6)
        return address->bytes[0] == 127;
    return *address == *parse_ip_address("::1");
}

void add_edge_flags(CLI::App &app, EdgeOptions &options)
{
    const std::string group = "Authentication and limits";
    app.add_option("--auth", options.auth, "jwt, api-key, jwt,api-key, or none (only on loopback by default)")
        ->group(group)
        ->capture_default_str()
        ->check(checked_by([](const std::string &value) { parse_auth_kinds(value); }, "KINDS"));
    app.add_option("--jwks", options.jwks_path, "JWKS file of the player tokens' keys, re-read on change")
        ->group(group)
        ->check(CLI::ExistingFile);
    app.add_option("--jwt-hs256-secret-file", options.jwt_hs256_secret_path, "allow HS256 with this shared secret")
        ->group(group)
        ->check(CLI::ExistingFile);
    app.add_option("--jwt-issuer", options.jwt_issuer, "required iss of player tokens")->group(group);
    app.add_option("--jwt-audience", options.jwt_audience, "required aud of player tokens")->group(group);
    app.add_option("--jwt-leeway-s", options.jwt_leeway_seconds, "clock skew allowed on exp and nbf, seconds")
        ->group(group)
        ->capture_default_str()
        ->check(CLI::Range(std::int64_t{0}, std::int64_t{3600}));
    app.add_option("--jwt-player-claim", options.jwt_player_claim, "the token claim that names the player")
        ->group(group)
        ->capture_default_str();
    app.add_option("--jwt-cache-entries", options.jwt_cache_entries,
                   "verified tokens remembered until their exp (0: every request checks its signature)")
        ->group(group)
        ->capture_default_str()
        ->check(CLI::Range(std::size_t{0}, std::size_t{100000000}));
    app.add_option("--api-keys", options.api_keys_path, "game servers' API keys file (SHA-256 digests and scopes)")
        ->group(group)
        ->check(CLI::ExistingFile);
    app.add_option("--rate-per-player", options.rate_per_player, "RATE[:BURST] claims/s per player (default off)")
        ->group(group)
        ->check(checked_by([](const std::string &value) { check_rate("--rate-per-player", value); }, "RATE[:BURST]"));
    app.add_option("--rate-per-client", options.rate_per_client,
                   "RATE[:BURST] requests/s per API key, or per address (IPv6 /64) for player tokens (default off)")
        ->group(group)
        ->check(checked_by([](const std::string &value) { check_rate("--rate-per-client", value); }, "RATE[:BURST]"));
    app.add_option("--trusted-proxy", options.trusted_proxies, "CIDR whose X-Forwarded-For is believed (repeatable)")
        ->group(group)
        ->check(checked_by([](const std::string &value) { parse_cidr(value); }, "CIDR"));
    app.add_option("--cors-origin", options.cors_origins, "browser origin allowed, scheme://host[:port] (repeatable)")
        ->group(group)
        ->check(checked_by([](const std::string &value) { check_cors_origin(value); }, "ORIGIN"));
    app.add_flag("--allow-unauthenticated", options.allow_unauthenticated,
                 "accept --auth none on a non-loopback listen address")
        ->group(group);
    app.add_option("--metrics-listen", options.metrics_listen, "HOST:PORT serving /metrics open, and only there")
        ->group(group)
        ->check(checked_by(check_listen, "HOST:PORT"));
    app.add_option("--tls-cert", options.tls_cert_path, "PEM certificate chain: serve HTTPS (with --tls-key)")
        ->group(group)
        ->check(CLI::ExistingFile);
    app.add_option("--tls-key", options.tls_key_path, "PEM private key of --tls-cert")
        ->group(group)
        ->check(CLI::ExistingFile);
}

void validate(const EdgeOptions &options, const ListenAddress &listen)
{
    const AuthKinds kinds = parse_auth_kinds(options.auth);
    if (kinds.jwt && options.jwks_path.empty())
        invalid("--auth jwt needs --jwks FILE");
    if (kinds.api_key && options.api_keys_path.empty())
        invalid("--auth api-key needs --api-keys FILE");
    needs_kind(kinds.jwt, options.jwks_path, "--jwks", "jwt");
    needs_kind(kinds.jwt, options.jwt_hs256_secret_path, "--jwt-hs256-secret-file", "jwt");
    needs_kind(kinds.jwt, options.jwt_issuer, "--jwt-issuer", "jwt");
    needs_kind(kinds.jwt, options.jwt_audience, "--jwt-audience", "jwt");
    needs_kind(kinds.api_key, options.api_keys_path, "--api-keys", "api-key");
    if (options.jwt_leeway_seconds < 0)
        invalid("--jwt-leeway-s must not be negative");
    if (options.jwt_player_claim.empty())
        invalid("--jwt-player-claim must name a claim");
    check_rate("--rate-per-player", options.rate_per_player);
    check_rate("--rate-per-client", options.rate_per_client);
    for (const auto &range : options.trusted_proxies)
        parse_cidr(range);
    for (const auto &origin : options.cors_origins)
        check_cors_origin(origin);
    if (options.tls_cert_path.empty() != options.tls_key_path.empty())
        invalid("--tls-cert and --tls-key go together");
    if (!options.metrics_listen.empty()) {
        const ListenAddress metrics = parse_listen_address(options.metrics_listen);
        if (metrics.host == listen.host && metrics.port == listen.port && metrics.port != 0)
            invalid("--metrics-listen must differ from --listen");
    }
    if (!kinds.any() && !options.allow_unauthenticated && !is_loopback_host(listen.host))
        invalid("--auth none on " + listen.host +
                ", which is not a loopback address: anyone who reaches it could claim for any player.  Turn on "
                "--auth jwt and/or api-key, or say --allow-unauthenticated");
}

AuthOptions auth_options(const EdgeOptions &options)
{
    const AuthKinds kinds = parse_auth_kinds(options.auth);
    AuthOptions auth;
    auth.jwt = kinds.jwt;
    auth.api_key = kinds.api_key;
    auth.jwt_options.jwks_path = options.jwks_path;
    auth.jwt_options.hs256_secret_path = options.jwt_hs256_secret_path;
    auth.jwt_options.claims.issuer = options.jwt_issuer;
    auth.jwt_options.claims.audience = options.jwt_audience;
    auth.jwt_options.claims.leeway_seconds = options.jwt_leeway_seconds;
    auth.jwt_options.claims.player_claim = options.jwt_player_claim;
    auth.jwt_options.cache_capacity = options.jwt_cache_entries;
    auth.api_keys_path = options.api_keys_path;
    return auth;
}

}  // namespace treasure
