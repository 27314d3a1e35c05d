#pragma once
// CORS for the browser client (--cors-origin ORIGIN, repeatable).  An origin is allowed only as listed, exactly
// (scheme://host[:port], lower case, as browsers serialise it); there is no wildcard, since every request that
// matters carries a credential (Authorization or X-Api-Key).  Credentials travel in headers, never in cookies,
// so Access-Control-Allow-Credentials is never sent either.
//   preflight (OPTIONS with Origin and Access-Control-Request-Method) from an allowed origin for GET or POST:
//     204, Access-Control-Allow-Origin: <that origin>, -Allow-Methods, -Allow-Headers, -Max-Age, Vary: Origin
//   a preflight from any other origin, or for another method: 403 without any Access-Control-* header
//   an ordinary request from an allowed origin: Access-Control-Allow-Origin: <that origin>, Vary: Origin,
//     Access-Control-Expose-Headers: Retry-After, Idempotency-Replay; from any other origin: no
//     Access-Control-* header (the browser then hides the answer from the page)
// Whenever origins are configured every answer says Vary: Origin, so that no cache hands one origin's answer
// to another.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "gateway/answer.hpp"

namespace treasure {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Throws std::invalid_argument unless origin is http(s)://host[:port] with a lower-case host name, an IPv4
// address or a bracketed IPv6 address, and nothing after it (no path, not even "/").
void check_cors_origin(std::string_view origin);

class CorsPolicy {
public:
    static constexpr int max_age_seconds = 600;

    CorsPolicy() = default;
    // Throws std::invalid_argument for an origin check_cors_origin() refuses.
    explicit CorsPolicy(std::vector<std::string> origins);

    bool allows(std::string_view origin) const;
    // The preflight's answer; request_method is Access-Control-Request-Method.
    Answer preflight(std::string_view origin, std::string_view request_method) const;
    // What an ordinary answer adds for origin ("" when the request has none): nothing unless it is allowed.
    HeaderList response_headers(std::string_view origin) const;

private:
    std::vector<std::string> origins_;
};

}  // namespace treasure
