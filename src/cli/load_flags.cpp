#include "cli/load_flags.hpp"

#include <CLI/CLI.hpp>

namespace treasure {

void add_load_credential_options(CLI::App &app, ClientCredentialOptions &options)
{
    auto *api_key = app.add_option("--api-key", options.api_key,
                                   "send X-Api-Key: K with every request (a game server's key; claims for any player)");
    auto *key = app.add_option("--jwt-key", options.jwt_key_path,
                               "PEM private key: mint a player JWT per simulated player and send it as "
                               "Authorization: Bearer (RSA for RS256, EC P-256 for ES256)")
                    ->check(CLI::ExistingFile)
                    ->excludes(api_key);
    auto *kid = app.add_option("--jwt-kid", options.jwt_kid, "key id of --jwt-key, as listed in the gateway's JWKS");
    key->needs(kid);
    kid->needs(key);
    app.add_option("--jwt-issuer", options.jwt.issuer, "iss of the minted tokens (the gateway's --jwt-issuer)")
        ->needs(key);
    app.add_option("--jwt-audience", options.jwt.audience, "aud of the minted tokens (the gateway's --jwt-audience)")
        ->needs(key);
    app.add_option("--jwt-alg", options.jwt_alg, "signature algorithm of the minted tokens")
        ->capture_default_str()
        ->check(CLI::IsMember({"ES256", "RS256"}))
        ->needs(key);
    app.add_option("--jwt-ttl", options.jwt.ttl_seconds,
                   "seconds from a token's iat to its exp; a player's token is minted again a quarter of it early")
        ->capture_default_str()
        ->check(CLI::Range(1LL, 31LL * 86400))
        ->needs(key);
}

void add_bot_options(CLI::App &app, std::optional<double> &bot_fraction, double &bot_rate_multiplier)
{
    auto *bots = app.add_option("--bots", bot_fraction,
                                "fraction of the players that are bots (evenly spread ids, the same every run); "
                                "with it, even 0, outcomes and latency are reported for bots and humans apart")
                     ->check(CLI::Range(0.0, 1.0));
    app.add_option("--bot-rate-multiplier", bot_rate_multiplier,
                   "a bot taps this many times as often as a human; with --rate, bots add to it (rate x (1 - f + f x "
                   "N)) so humans keep the rate they have without bots")
        ->capture_default_str()
        ->check(CLI::Range(1.0, 1e6))
        ->needs(bots);
}

}  // namespace treasure
