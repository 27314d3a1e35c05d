#pragma once
// The authentication layer: a request's credential headers in, its caller out (a Player, a GameServer or a
// Refusal).  It knows no HTTP library; the gateway copies the headers into a CredentialHeaders and turns the
// answer into 401 / the caller.  Enabled kinds follow --auth: a kind that is off is not looked at, so its header
// alone counts as no credentials.  Both kinds at once is refused (ambiguous), never resolved by a preference.
//   Authorization: Bearer <JWT>   (the scheme is case-insensitive, RFC 7235 §2.1)
//   X-Api-Key: <key>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "auth/api_keys.hpp"
#include "auth/caller.hpp"
#include "auth/credential_headers.hpp"
#include "auth/jwt_verifier.hpp"
#include "auth/unix_clock.hpp"
#include "lib/clock.hpp"

namespace treasure {

struct AuthOptions {
    bool jwt = false;      // --auth jwt
    bool api_key = false;  // --auth api-key
    JwtOptions jwt_options;
    std::string api_keys_path;  // --api-keys
};

// The token of "Bearer <token>", or a refusal (malformed, token_too_large, missing when the header is empty).
std::variant<std::string_view, Refusal> bearer_token(std::string_view authorization, std::size_t max_token_bytes);

class Authenticator {
public:
    // Throws std::runtime_error when an enabled kind's files cannot be read or parsed.
    explicit Authenticator(AuthOptions options, const Clock &clock = SteadyClock::instance(),
                           const UnixClock &unix_clock = SystemUnixClock::instance());

    Caller authenticate(const CredentialHeaders &headers);

    // Checks every key file now (ignoring the interval); true when one was reloaded.
    bool reload_if_changed();

private:
    std::unique_ptr<JwtVerifier> jwt_;
    std::unique_ptr<ApiKeyStore> api_keys_;
    std::size_t max_token_bytes_;
};

}  // namespace treasure
