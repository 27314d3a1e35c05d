#pragma once
// The flags of the gateway's edge (edge.hpp): who may call, how often, from where, over what.  add_edge_flags()
// registers them on the gateway's CLI11 app, validate() checks the result against the listen address.
//   --auth KINDS                 jwt, api-key, both comma-separated, or none (default none: see validate())
//   --jwks FILE                  player token keys (RFC 7517), re-read on change; required with jwt
//   --jwt-hs256-secret-file FILE allow HS256 with this shared secret (never through a JWKS key)
//   --jwt-issuer ISS             --jwt-audience AUD   required iss / aud when set
//   --jwt-leeway-s N             clock skew allowed on exp and nbf (30)
//   --jwt-player-claim NAME      the claim naming the player (sub)
//   --jwt-cache-entries N        verified tokens remembered (100000); 0: every request checks its signature
//   --api-keys FILE              game servers' keys, {"keys": [{"name", "sha256", "scopes"}]}; required with api-key
//   --rate-per-player RATE[:BURST]   claims per second per player (off when not given)
//   --rate-per-client RATE[:BURST]   requests per second per API key, or per remote address (IPv6: per /64)
//                                    for player tokens and unauthenticated callers (off when not given)
//   --trusted-proxy CIDR         (repeatable) peers whose X-Forwarded-For is believed
//   --cors-origin ORIGIN         (repeatable) a browser origin allowed, exactly scheme://host[:port]
//   --allow-unauthenticated      accept --auth none on a non-loopback address, on purpose
//   --metrics-listen HOST:PORT   serve /metrics open there only (else on --listen, with a metrics-scoped key)
//   --tls-cert FILE --tls-key FILE   serve HTTPS (both or neither)
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "auth/authenticator.hpp"
#include "gateway/admission_options.hpp"
#include "lib/listen_address.hpp"

namespace CLI {
class App;
}

namespace treasure {

struct AuthKinds {
    bool jwt = false;
    bool api_key = false;
    bool any() const { return jwt || api_key; }
};

// "none", "jwt", "api-key", "jwt,api-key" (either order); throws std::invalid_argument for anything else.
AuthKinds parse_auth_kinds(std::string_view text);

struct EdgeOptions {
    std::string auth = "none";
    std::string jwks_path;
    std::string jwt_hs256_secret_path;
    std::string jwt_issuer;
    std::string jwt_audience;
    std::int64_t jwt_leeway_seconds = 30;
    std::string jwt_player_claim = "sub";
    std::size_t jwt_cache_entries = 100000;
    std::string api_keys_path;
    std::string rate_per_player;  // "" = no per-player limit
    std::string rate_per_client;  // "" = no per-client limit
    std::vector<std::string> trusted_proxies;
    std::vector<std::string> cors_origins;
    bool allow_unauthenticated = false;
    std::string metrics_listen;  // "" = /metrics on the main address
    std::string tls_cert_path;
    std::string tls_key_path;

    // Not flags: the server's body limit (the glue copies GatewayConfig::max_body_bytes), the refusal log's
    // budget, and the bound on each rate limiter's buckets (auth/rate_limiter.hpp).
    std::size_t max_body_bytes = default_max_body_bytes;
    std::size_t refusal_log_lines_per_second = 20;
    std::size_t rate_limiter_max_entries = 262144;
};

void add_edge_flags(CLI::App &app, EdgeOptions &options);

// Throws std::invalid_argument naming the first problem:
// - a malformed --auth, --rate-*, --trusted-proxy, --cors-origin or --metrics-listen;
// - jwt without --jwks, api-key without --api-keys, or a key flag for a kind that is off (a --jwks given with
//   --auth none would otherwise look like authentication and be none);
// - --tls-cert without --tls-key or the reverse; --metrics-listen equal to the listen address;
// - --auth none on a listen address that is not loopback (127.0.0.0/8, ::1, localhost) without
//   --allow-unauthenticated.  That is why none can be the default: a gateway started without flags, as every
//   test and the demo do, still listens on 127.0.0.1 only, and nobody else can reach it; exposing it takes
//   either authentication or saying --allow-unauthenticated.
void validate(const EdgeOptions &options, const ListenAddress &listen);

bool is_loopback_host(std::string_view host);

// The authentication layer's options for these flags (the kinds that are on, their files and rules).
AuthOptions auth_options(const EdgeOptions &options);

}  // namespace treasure
