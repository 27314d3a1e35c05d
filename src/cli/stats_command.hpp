#pragma once
// `treasure stats`: analytics reads (a player's stats and recent claim events, a top-N by coins over a time
// range) through AnalyticsReader, from --replica-dsn when it is fresh enough, else from --dsn.
#include <cstdint>
#include <optional>
#include <string>

namespace CLI {
class App;
}

namespace treasure {

struct StatsCommand {
    std::string dsn;          // the primary
    std::string replica_dsn;  // optional
    long long max_lag_ms = 1000;
    std::optional<std::int64_t> player_id;
    int events = 5;          // recent events of the player (0: none)
    std::optional<int> top;  // leaderboard size
    std::optional<std::string> since;
    std::optional<std::string> until;
    bool json = false;
};

// Declares the subcommand and its options on app.
CLI::App *add_stats_subcommand(CLI::App &app, StatsCommand &command);
// Exit codes: 0 answered, 2 usage, 20 invalid request (limit, time), 23 unknown player, 30 unavailable,
// 31 internal, 1 cannot start.
int run_stats_command(const StatsCommand &command);

}  // namespace treasure
