#include "cli/stats_command.hpp"

#include <chrono>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/exit_codes.hpp"
#include "lib/analytics_json.hpp"
#include "lib/analytics_reader.hpp"
#include "lib/claim_error.hpp"

namespace treasure {

namespace {

constexpr int unknown_player = 23;

std::string origin_text(const ReadOrigin &origin)
{
    std::ostringstream out;
    out << "served by " << to_string(origin.served_by);
    if (origin.served_by == ReadSource::replica) {
        out << " (lag ";
        if (origin.lag_ms)
            out << *origin.lag_ms << " ms";
        else
            out << "unknown";
        if (origin.stale)
            out << ", STALE: the primary failed";
        out << ")";
    } else if (!origin.fallback_reason.empty()) {
        out << " (" << origin.fallback_reason << ")";
    }
    return out.str();
}

}  // namespace

CLI::App *add_stats_subcommand(CLI::App &app, StatsCommand &command)
{
    CLI::App *stats = app.add_subcommand("stats", "analytics reads: a player's stats and events, a top-N by coins");
    stats->footer(
        "Reads go to --replica-dsn when its measured lag is at most --max-lag-ms, else to --dsn; every answer says\n"
        "which server served it.  Exit codes: 0 answered, 20 invalid request, 23 unknown player, 30 unavailable,\n"
        "31 internal, 1 cannot start, 2 usage.");
    stats->add_option("--dsn", command.dsn, "libpq connection string of the primary")->required();
    stats->add_option("--replica-dsn", command.replica_dsn, "libpq connection string of a streaming replica");
    stats->add_option("--max-lag-ms", command.max_lag_ms, "use the replica only when its lag is at most this")
        ->capture_default_str()
        ->check(CLI::Range(0LL, 86400000LL));
    stats->add_option("--player", command.player_id, "player_id: wallet, counters and recent events")
        ->check(CLI::PositiveNumber);
    stats->add_option("--events", command.events, "recent claim events of the player to show (0: none)")
        ->capture_default_str()
        ->check(CLI::Range(0, AnalyticsReader::max_limit));
    stats->add_option("--top", command.top, "leaderboard: top N players by coins awarded")
        ->check(CLI::Range(1, AnalyticsReader::max_limit));
    stats->add_option("--since", command.since, "leaderboard range start (ISO 8601; default: --until minus 1 day)");
    stats->add_option("--until", command.until, "leaderboard range end, exclusive (ISO 8601; default: now)");
    stats->add_flag("--json", command.json, "print one JSON object");
    return stats;
}

int run_stats_command(const StatsCommand &command)
{
    if (!command.player_id && !command.top) {
        std::cerr << "treasure stats: give --player P, --top N, or both\n";
        return exit_code::usage;
    }
    std::unique_ptr<AnalyticsReader> reader;
    try {
        AnalyticsOptions options;
        options.primary_dsn = command.dsn;
        options.replica_dsn = command.replica_dsn;
        options.pool_size = 1;
        options.max_lag = std::chrono::milliseconds(command.max_lag_ms);
        reader = std::make_unique<AnalyticsReader>(options);
        // One probe of the lag (the LSN method needs the replica to be seen reaching the primary's position).
        reader->wait_for_replica_lag(std::chrono::seconds(3));
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(3);
        while (reader->has_replica() && !reader->replica_lag().lag_ms && reader->replica_lag().usable() &&
               std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
    } catch (const std::exception &error) {
        std::cerr << "treasure stats: " << error.what() << "\n";
        return exit_code::failure;
    }

    nlohmann::ordered_json out;
    int status = exit_code::claimed;
    try {
        if (reader->has_replica())
            out["replica"] = replica_json(*reader);
        if (command.player_id) {
            const auto stats = reader->player_stats(*command.player_id);
            nlohmann::ordered_json player;
            if (stats.value) {
                player = player_stats_json(*stats.value);
            } else {
                player = nlohmann::ordered_json{{"player_id", *command.player_id}, {"error", "unknown_player"}};
                status = unknown_player;
            }
            add_origin(player, stats.origin);
            if (!command.json) {
                std::cout << "player " << *command.player_id << "  [" << origin_text(stats.origin) << "]\n";
                if (stats.value)
                    std::cout << "  balance        " << stats.value->balance << "\n  claims         "
                              << stats.value->claims << "\n  coins awarded  " << stats.value->coins_awarded
                              << "\n  last claim     " << stats.value->last_claim_at.value_or("-") << "\n";
                else
                    std::cout << "  no wallet (unknown player)\n";
            }
            out["player"] = std::move(player);
            if (command.events > 0 && stats.value) {
                const auto events = reader->recent_events(*command.player_id, command.events);
                nlohmann::ordered_json list = nlohmann::ordered_json::array();
                for (const auto &event : events.value)
                    list.push_back(claim_event_json(event));
                nlohmann::ordered_json body{{"events", std::move(list)}};
                add_origin(body, events.origin);
                if (!command.json) {
                    std::cout << "recent events  [" << origin_text(events.origin) << "]\n";
                    for (const auto &event : events.value)
                        std::cout << "  " << event.occurred_at << "  chest " << event.chest_id << "  +"
                                  << event.coins_awarded << " coins  balance " << event.balance_after << "\n";
                }
                out["events"] = std::move(body);
            }
        }
        if (command.top) {
            const auto board = reader->leaderboard(command.since, command.until, *command.top);
            auto body = leaderboard_json(board.value, *command.top);
            add_origin(body, board.origin);
            if (!command.json) {
                std::cout << "top " << *command.top << " by coins, [" << board.value.from << ", " << board.value.to
                          << ")  [" << origin_text(board.origin) << "]\n";
                for (const auto &entry : board.value.players)
                    std::cout << "  " << entry.rank << ". player " << entry.player_id << "  " << entry.coins_awarded
                              << " coins (" << entry.claims << " claims)\n";
                if (board.value.players.empty())
                    std::cout << "  (no claims in the range)\n";
            }
            out["leaderboard"] = std::move(body);
        }
    } catch (const ClaimError &error) {
        std::cerr << "treasure stats: " << to_string(error.kind()) << ": " << error.what() << "\n";
        if (command.json)
            std::cout << nlohmann::ordered_json{{"error", to_string(error.kind())}, {"message", error.what()}}.dump()
                      << "\n";
        return exit_code::for_error(error.kind());
    }
    if (command.json)
        std::cout << out.dump() << "\n";
    return status;
}

}  // namespace treasure
