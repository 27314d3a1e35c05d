#pragma once
// `treasure token`: mints a player JWT (RS256 or ES256) from a PEM private key, so a person can try an
// authenticated gateway with curl; --print-jwks prints the key's public JWKS instead (the gateway's --jwks).
// The token goes to stdout and nowhere else.
#include <cstdint>
#include <string>

namespace CLI {
class App;
}

namespace treasure {

struct TokenCommand {
    std::string key_path;
    std::string kid;
    std::int64_t player_id = 0;
    std::int64_t ttl_seconds = 3600;
    std::string issuer;
    std::string audience;
    std::string alg = "ES256";
    bool print_jwks = false;
};

// Declares the subcommand and its options on app.
CLI::App *add_token_subcommand(CLI::App &app, TokenCommand &command);
// Exit codes: 0 printed, 1 cannot start (the key cannot be read or does not fit --alg), 2 usage.
int run_token_command(const TokenCommand &command);

}  // namespace treasure
