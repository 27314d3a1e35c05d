#pragma once
// The credentials the client tools send to an authenticated gateway (issue 14), as HTTP header names and values
// (no HTTP library here, like the rest of auth/):
//   --api-key K          X-Api-Key: K on every request (a game server claiming for any player);
//   --token T            Authorization: Bearer T on every request (treasure claim, one player's token);
//   --jwt-key PEM ...    Authorization: Bearer <that player's token>, minted per player (player_tokens.hpp);
//   none of them         no header at all: the requests are exactly those of a tool without authentication.
// At most one kind is used; a token or key never appears in an error message.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "auth/jwt_signer.hpp"
#include "auth/player_tokens.hpp"
#include "auth/unix_clock.hpp"

namespace treasure {

struct ClientCredentialOptions {
    std::string api_key;            // --api-key
    std::string bearer_token;       // --token (treasure claim)
    std::string jwt_key_path;       // --jwt-key: PEM private key; minting is on when set
    std::string jwt_kid;            // --jwt-kid, required with --jwt-key
    std::string jwt_alg = "ES256";  // --jwt-alg: ES256 or RS256
    PlayerTokenOptions jwt;         // --jwt-issuer, --jwt-audience, --jwt-ttl
};

inline constexpr const char *authorization_header = "Authorization";
inline constexpr const char *api_key_header = "X-Api-Key";

using HeaderList = std::vector<std::pair<std::string, std::string>>;

class ClientCredentials {
public:
    // Throws std::invalid_argument when more than one kind is given or --jwt-kid/--jwt-alg is missing or wrong,
    // std::runtime_error when the key cannot be read or does not fit the algorithm.
    explicit ClientCredentials(const ClientCredentialOptions &options,
                               const UnixClock &clock = SystemUnixClock::instance());

    bool sends_nothing() const { return api_key_.empty() && bearer_.empty() && !tokens_; }
    bool mints_tokens() const { return tokens_ != nullptr; }

    // The headers of a request for player_id (the player matters only when tokens are minted).
    HeaderList headers_for(std::int64_t player_id);
    // Mints the player's token now if its next request would have to: call it before a tap's clock starts.
    void prepare(std::int64_t player_id);
    std::int64_t tokens_minted() const { return tokens_ ? tokens_->minted() : 0; }

private:
    std::string api_key_;
    std::string bearer_;
    std::unique_ptr<JwtSigner> signer_;
    std::unique_ptr<PlayerTokens> tokens_;
};

}  // namespace treasure
