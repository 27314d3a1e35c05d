// treasure: confirm one tap, load-test the atomic path (directly or through treasure-gateway), set up chests,
// read a player's stats and the leaderboard (from the replica when it is fresh enough), mint a player token.
#include <signal.h>

#include <iostream>

#include <CLI/CLI.hpp>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/load_flags.hpp"
#include "lib/batched_claims.hpp"
#include "lib/pipelined_claims.hpp"
#include "cli/stats_command.hpp"
#include "cli/token_command.hpp"

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    CLI::App app{"treasure: the client side of claim_treasure()"};
    app.require_subcommand(1);

    treasure::ClaimCommand claim;
    CLI::App *claim_app = app.add_subcommand("claim", "confirm one tap and print the outcome");
    claim_app->footer(treasure::exit_code::help_text);
    auto *claim_target = claim_app->add_option_group("target", "where the claim goes")->require_option(1);
    claim_target->add_option("--dsn", claim.target.dsn, "libpq connection string (straight to PostgreSQL)");
    auto *claim_url =
        claim_target->add_option("--url", claim.target.url, "treasure-gateway base URL, e.g. http://127.0.0.1:8080");
    claim_app
        ->add_option("--cacert", claim.target.ca_certificates,
                     "PEM file of the CAs an https:// --url is verified with (default: the system's)")
        ->needs(claim_url)
        ->check(CLI::ExistingFile);
    claim_app->add_option("--player", claim.player_id, "player_id")->required();
    claim_app->add_option("--chest", claim.chest_id, "chest_id")->required();
    claim_app->add_option("--request-id", claim.request_id, "UUID of the tap (default: a fresh v4); reuse it to retry");
    claim_app->add_option("--session", claim.session_id, "session_id");
    auto *claim_token =
        claim_app
            ->add_option("--token", claim.credentials.bearer_token,
                         "player JWT (see `treasure token`), sent as Authorization: Bearer; needs --url")
            ->needs(claim_url);
    claim_app->add_option("--api-key", claim.credentials.api_key, "game server key, sent as X-Api-Key; needs --url")
        ->needs(claim_url)
        ->excludes(claim_token);
    claim_app->add_flag("--json", claim.json, "print the outcome as one JSON object");

    treasure::LoadCommand load;
    double duration_seconds = 10;
    CLI::App *load_app = app.add_subcommand("load", "simulate players tapping chests and report latency");
    load_app->footer(
        "Latency is tap-to-confirmation as the client sees it, over taps answered with a claim status; with --rate\n"
        "it counts from when each tap was due.  Errors are counted by kind; a 401, 403 or 429 from an authenticated\n"
        "gateway as http_401, http_403 or http_429 (by reason under auth.refusals), never retried.  With --jwt-key\n"
        "each player's token is minted once, before its first tap is due, and renewed a quarter of --jwt-ttl early.\n"
        "Exit code 0 when the run completed.");
    auto *load_target = load_app->add_option_group("target", "where the claims go")->require_option(1);
    auto *load_url =
        load_target->add_option("--url", load.target.url, "treasure-gateway base URL, e.g. http://127.0.0.1:8080");
    load_app
        ->add_option("--cacert", load.target.ca_certificates,
                     "PEM file of the CAs an https:// --url is verified with (default: the system's)")
        ->needs(load_url)
        ->check(CLI::ExistingFile);
    auto *load_dsn =
        load_target->add_option("--dsn", load.target.dsn, "libpq connection string (one connection per worker)");
    load_app
        ->add_option("--pipeline", load.load.pipeline,
                     "taps in flight per connection, in libpq's pipeline mode (each its own transaction and Sync); "
                     "--concurrency is then the number of connections (default: off, one tap at a time)")
        ->check(CLI::Range(1, treasure::max_pipeline_depth))
        ->needs(load_dsn);
    load_app
        ->add_option("--batch", load.load.batch,
                     "taps per call of treasure.claim_treasure_batch() (treasure 1.4.0): one transaction and one "
                     "commit per batch, each tap its own answer; --concurrency is then the number of connections "
                     "(default: off, one claim_treasure() per tap)")
        ->check(CLI::Range(1, treasure::max_batch_taps))
        ->needs(load_dsn)
        ->excludes("--pipeline");
    load_app->add_option("--acks", load.load.acks_file,
                         "write every claimed tap to FILE: request_id, player, chest, coins, claim_id (tab-separated)");
    load_app->add_option("--players", load.load.players, "player ids 1..N")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    load_app->add_option("--first-player", load.load.first_player, "player ids start here: F..F+N-1")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    load_app->add_option("--chests", load.load.chests, "chest ids 1..M (create them with `treasure chests`)")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    load_app->add_option("--concurrency", load.load.concurrency, "concurrent simulated clients")
        ->capture_default_str()
        ->check(CLI::Range(1, 10000));
    load_app->add_option("--duration", duration_seconds, "seconds to run")
        ->capture_default_str()
        ->check(CLI::Range(0.1, 86400.0));
    load_app
        ->add_option("--duplicate-ratio", load.load.duplicate_ratio,
                     "fraction of taps sent again with the same request_id")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 1.0));
    load_app
        ->add_option("--rate", load.load.rate,
                     "fixed arrival rate in taps/s over all clients (default: as fast as possible)")
        ->check(CLI::NonNegativeNumber);
    load_app->add_option("--metrics-listen", load.metrics_listen,
                         "HOST:PORT serving treasure_latency_seconds on /metrics");
    load_app->add_flag("--json", load.json, "print the summary as JSON");
    treasure::add_load_credential_options(*load_app, load.credentials);
    treasure::add_bot_options(*load_app, load.load.bots, load.load.bot_rate_multiplier);

    treasure::ChestsCommand chests;
    CLI::App *chests_app = app.add_subcommand("chests", "create or replace chests first..first+count-1 (admin)");
    chests_app->add_option("--dsn", chests.dsn, "libpq connection string")->required();
    chests_app->add_option("--first", chests.first, "first chest_id")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    chests_app->add_option("--count", chests.count, "how many chests")
        ->capture_default_str()
        ->check(CLI::PositiveNumber);
    chests_app->add_option("--coins", chests.coins, "coins each chest gives")
        ->capture_default_str()
        ->check(CLI::NonNegativeNumber);

    treasure::StatsCommand stats;
    CLI::App *stats_app = treasure::add_stats_subcommand(app, stats);

    treasure::TokenCommand token;
    CLI::App *token_app = treasure::add_token_subcommand(app, token);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp &help) {
        return app.exit(help);
    } catch (const CLI::CallForAllHelp &help) {
        return app.exit(help);
    } catch (const CLI::ParseError &error) {
        app.exit(error);
        return treasure::exit_code::usage;
    }

    if (claim_app->parsed())
        return treasure::run_claim_command(claim);
    if (load_app->parsed()) {
        load.load.duration = std::chrono::milliseconds(static_cast<long long>(duration_seconds * 1000));
        return treasure::run_load_command(load);
    }
    if (stats_app->parsed())
        return treasure::run_stats_command(stats);
    if (token_app->parsed())
        return treasure::run_token_command(token);
    return treasure::run_chests_command(chests);
}
