#pragma once
// The subcommands of the `treasure` CLI; each returns the process exit code.
#include <cstdint>
#include <optional>
#include <string>

#include "auth/client_credentials.hpp"
#include "cli/load_generator.hpp"

namespace treasure {

// Where claims go: straight to PostgreSQL (--dsn) or through treasure-gateway (--url).
struct Target {
    std::string dsn;
    std::string url;
    std::string ca_certificates;  // --cacert: the CAs an https:// url is verified with ("" = the system's)
};

struct ClaimCommand {
    Target target;
    std::int64_t player_id = 0;
    std::int64_t chest_id = 0;
    std::string request_id;  // empty: a fresh UUID v4
    std::optional<std::int64_t> session_id;
    ClientCredentialOptions credentials;  // --token or --api-key, with --url only
    bool json = false;
};
int run_claim_command(const ClaimCommand &command);

struct LoadCommand {
    Target target;
    LoadOptions load;
    ClientCredentialOptions credentials;  // --api-key or --jwt-key ..., with --url only
    std::string metrics_listen;           // HOST:PORT serving treasure_latency_seconds on /metrics
    bool json = false;
};
int run_load_command(const LoadCommand &command);

struct ChestsCommand {
    std::string dsn;
    std::int64_t first = 1;
    std::int64_t count = 10;
    std::int64_t coins = 10;
};
int run_chests_command(const ChestsCommand &command);

}  // namespace treasure
