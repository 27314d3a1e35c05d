#pragma once
// Who a request comes from, as the authentication layer decides it: a player (from a JWT), a game server (from
// an API key) or a refusal with a coarse reason that may be shown to the caller (it never echoes a credential).
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace treasure {

struct Player {
    std::int64_t player_id = 0;  // > 0
};

struct GameServer {
    std::string key_name;             // the "name" of the key's entry in the API keys file
    std::vector<std::string> scopes;  // e.g. "claim", "read", "metrics"
    bool has_scope(std::string_view scope) const;
};

enum class RefusalReason {
    missing,          // no credentials (or none of an enabled kind)
    ambiguous,        // both a bearer token and an API key were sent
    malformed,        // not "Bearer <a.b.c>", bad base64url, bad JSON, a required claim missing or mistyped
    token_too_large,  // a token over the size limit (8 KiB), or an API key over 1 KiB
    alg_not_allowed,  // alg none, an algorithm not enabled, or one that does not match the key's type
    unknown_key,      // a kid not in the JWKS (a removed key included), or an API key not in the keys file
    bad_signature,    // the signature does not verify with the key the token names
    expired,          // exp + leeway is in the past
    not_yet_valid,    // nbf - leeway is in the future
    wrong_issuer,     // iss differs from the configured issuer
    wrong_audience,   // aud (a string or an array) does not contain the configured audience
    invalid_player,   // the player claim is not a positive 64-bit integer (number or decimal string)
};

struct Refusal {
    RefusalReason reason;
};

using Caller = std::variant<Player, GameServer, Refusal>;

// The reason as a metric label and in the 401 body: "missing", "bad_signature", ...
std::string_view refusal_reason_name(RefusalReason reason);

}  // namespace treasure
