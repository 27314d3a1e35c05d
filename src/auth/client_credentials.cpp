#include "auth/client_credentials.hpp"

#include <stdexcept>

namespace treasure {

ClientCredentials::ClientCredentials(const ClientCredentialOptions &options, const UnixClock &clock)
    : api_key_(options.api_key), bearer_(options.bearer_token)
{
    const int kinds = !options.api_key.empty() + !options.bearer_token.empty() + !options.jwt_key_path.empty();
    if (kinds > 1)
        throw std::invalid_argument("give one of --api-key, --token and --jwt-key, not several");
    if (options.jwt_key_path.empty())
        return;
    if (options.jwt_kid.empty())
        throw std::invalid_argument("--jwt-key needs --jwt-kid (the key's kid in the gateway's JWKS)");
    const auto alg = jws_alg_named(options.jwt_alg);
    if (!alg || *alg == JwsAlg::hs256)
        throw std::invalid_argument("--jwt-alg must be ES256 or RS256");
    signer_ = std::make_unique<JwtSigner>(options.jwt_key_path, options.jwt_kid, *alg);
    tokens_ = std::make_unique<PlayerTokens>(*signer_, options.jwt, clock);
}

HeaderList ClientCredentials::headers_for(std::int64_t player_id)
{
    if (tokens_)
        return {{authorization_header, "Bearer " + tokens_->token_for(player_id)}};
    if (!bearer_.empty())
        return {{authorization_header, "Bearer " + bearer_}};
    if (!api_key_.empty())
        return {{api_key_header, api_key_}};
    return {};
}

void ClientCredentials::prepare(std::int64_t player_id)
{
    if (tokens_)
        tokens_->prepare(player_id);
}

}  // namespace treasure
