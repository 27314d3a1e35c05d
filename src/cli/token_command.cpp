#include "cli/token_command.hpp"

#include <iostream>
#include <stdexcept>

#include <CLI/CLI.hpp>

#include "auth/jwt_signer.hpp"
#include "auth/unix_clock.hpp"
#include "cli/exit_codes.hpp"

namespace treasure {

CLI::App *add_token_subcommand(CLI::App &app, TokenCommand &command)
{
    CLI::App *token = app.add_subcommand("token", "print a player JWT signed with a PEM private key");
    token->footer("Example: curl -H \"Authorization: Bearer $(treasure token --key k.pem --kid k1 --player 42)\" ...\n"
                  "Exit codes: 0 printed, 1 cannot start (key unreadable or not for --alg), 2 usage.");
    token->add_option("--key", command.key_path, "PEM private key (RSA for RS256, EC P-256 for ES256)")
        ->required()
        ->check(CLI::ExistingFile);
    token->add_option("--kid", command.kid, "key id, as listed in the gateway's JWKS")->required();
    token->add_option("--player", command.player_id, "player_id, the token's sub")->check(CLI::PositiveNumber);
    token->add_option("--ttl", command.ttl_seconds, "seconds until exp")
        ->capture_default_str()
        ->check(CLI::Range(1LL, 31LL * 86400));
    token->add_option("--issuer", command.issuer, "iss claim (the gateway's --jwt-issuer)");
    token->add_option("--audience", command.audience, "aud claim (the gateway's --jwt-audience)");
    token->add_option("--alg", command.alg, "signature algorithm")
        ->capture_default_str()
        ->check(CLI::IsMember({"RS256", "ES256"}));
    token->add_flag("--print-jwks", command.print_jwks, "print the key's public JWKS instead of a token");
    return token;
}

int run_token_command(const TokenCommand &command)
{
    if (!command.print_jwks && command.player_id <= 0) {
        std::cerr << "treasure token: --player is required\n";
        return exit_code::usage;
    }
    try {
        const JwtSigner signer(command.key_path, command.kid, *jws_alg_named(command.alg));
        if (command.print_jwks) {
            std::cout << signer.public_jwks_json() << "\n";
            return 0;
        }
        PlayerTokenClaims claims;
        claims.player_id = command.player_id;
        claims.issued_at = SystemUnixClock::instance().now_seconds();
        claims.ttl_seconds = command.ttl_seconds;
        claims.issuer = command.issuer;
        claims.audience = command.audience;
        std::cout << signer.mint(claims) << "\n";
        return 0;
    } catch (const std::exception &error) {
        std::cerr << "treasure token: " << error.what() << "\n";
        return exit_code::failure;
    }
}

}  // namespace treasure
