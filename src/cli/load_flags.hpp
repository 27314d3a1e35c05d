#pragma once
// The flags `treasure load` and the fault suite's driver (tests/faults/driver) share, declared once:
//   credentials  --api-key K, or --jwt-key PEM --jwt-kid KID [--jwt-issuer I] [--jwt-audience A]
//                [--jwt-alg ES256|RS256] [--jwt-ttl S] (auth/client_credentials.hpp);
//   bots         --bots FRACTION [--bot-rate-multiplier N] (lib/bot_players.hpp).
#include <optional>

#include "auth/client_credentials.hpp"

namespace CLI {
class App;
}

namespace treasure {

void add_load_credential_options(CLI::App &app, ClientCredentialOptions &options);
void add_bot_options(CLI::App &app, std::optional<double> &bot_fraction, double &bot_rate_multiplier);

}  // namespace treasure
