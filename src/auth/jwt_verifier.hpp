#pragma once
// Player JWTs (compact JWS, RFC 7515/7519) verified against a JWKS file that is re-read when it changes
// (lib/reloading_file.hpp), so keys rotate by kid without a restart and a removed key stops working.
//
// Why libjose (Debian's libjose-dev): it reads JWK/JWKS and verifies JWS itself, with OpenSSL underneath, and
// gives base64url and (through jansson) strict JSON, so nothing here hand-writes a signature check, base64 or
// a JSON parser.  Its own algorithm checks are not enough on their own (libjose 11 compares the header's alg
// with the key's by `strcmp(...) < 0` and lets ES256 run on any curve), so the policy is decided here before
// libjose is called: the header's alg must be one of RS256/ES256 (HS256 only with a configured secret), the
// key is looked up by kid and carries the one algorithm its type allows (verification_keys.hpp), and they must
// agree.  The header's jwk/jku/x5u are never used.
//
// The order of judgement: size, cache (a hit answers expired or the player), syntax, alg, key, signature, then
// the claims (jwt_claims.hpp).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "auth/caller.hpp"
#include "auth/jwt_claims.hpp"
#include "auth/unix_clock.hpp"
#include "auth/verification_keys.hpp"
#include "auth/verified_token_cache.hpp"
#include "lib/clock.hpp"
#include "lib/reloading_file.hpp"

namespace treasure {

struct JwtOptions {
    std::string jwks_path;          // --jwks, required
    std::string hs256_secret_path;  // --jwt-hs256-secret-file; empty: HS256 is refused
    JwtClaimRules claims;           // --jwt-issuer, --jwt-audience, --jwt-leeway-s, --jwt-player-claim
    std::size_t max_token_bytes = 8192;
    std::size_t cache_capacity = 100000;  // verified tokens remembered (0: none)
    std::chrono::milliseconds check_interval{200};
};

class JwtVerifier {
public:
    // Throws std::runtime_error when a key file cannot be read or parsed at start-up.
    explicit JwtVerifier(JwtOptions options, const Clock &clock = SteadyClock::instance(),
                         const UnixClock &unix_clock = SystemUnixClock::instance());

    std::variant<Player, Refusal> verify(std::string_view token);

    // Checks both key files now (ignoring the interval); true when one of them was reloaded.
    bool reload_if_changed();
    std::size_t cached_tokens() const { return cache_.size(); }

private:
    std::variant<VerifiedClaims, RefusalReason> verify_uncached(std::string_view token, const JwksKeys &jwks,
                                                                const VerificationKey *hs256_secret,
                                                                std::int64_t now_seconds);

    const JwtOptions options_;
    const UnixClock &unix_clock_;
    ReloadingFile<JwksKeys> jwks_;
    std::unique_ptr<ReloadingFile<VerificationKey>> hs256_secret_;
    VerifiedTokenCache cache_;
};

}  // namespace treasure
