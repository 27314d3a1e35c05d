// treasure_fault_driver: the processes the fault suite (tests/faults/faults.sh) puts under and around the
// gateway.
//   load   taps over HTTP that retry until answered and record every acknowledged claim (tap_load.hpp)
//   proxy  a PostgreSQL proxy that loses the answer of every Nth committed claim (cut_proxy.hpp)
//   abuse  hostile HTTP clients: malformed requests, huge bodies, slow clients, thousands of connections
#include <signal.h>

#include <atomic>
#include <iostream>

#include <CLI/CLI.hpp>

#include "driver/abuse.hpp"
#include "driver/cut_proxy.hpp"
#include "cli/load_flags.hpp"
#include "driver/tap_load.hpp"
#include "lib/stop_signals.hpp"

int main(int argc, char **argv)
{
    CLI::App app{"treasure_fault_driver: load, faults and abuse for the fault suite"};
    app.require_subcommand(1);

    treasure::faults::TapLoadOptions load;
    long long duration_s = 10, give_up_s = 60, interval_s = 60;
    auto *load_command = app.add_subcommand("load", "taps that record every acknowledged claim; prints a JSON report");
    load_command->add_option("--url", load.url)->required();
    load_command->add_option("--players", load.players)->capture_default_str();
    load_command->add_option("--chests", load.chests)->capture_default_str();
    load_command->add_option("--concurrency", load.concurrency)->capture_default_str()->check(CLI::Range(1, 4096));
    load_command->add_option("--duration", duration_s, "seconds")->capture_default_str();
    load_command->add_option("--max-taps", load.max_taps, "stop after this many taps (0: no limit)")
        ->capture_default_str();
    load_command->add_option("--rate", load.rate, "taps per second over all workers (0: as fast as possible)");
    load_command->add_option("--retry-ratio", load.retry_ratio, "taps sent again with the same request_id")
        ->capture_default_str();
    load_command->add_option("--bad-ratio", load.bad_ratio, "malformed requests mixed in")->capture_default_str();
    load_command->add_option("--give-up", give_up_s, "seconds to keep retrying one tap")->capture_default_str();
    load_command->add_option("--interval", interval_s, "seconds per latency interval")->capture_default_str();
    load_command->add_option("--acks", load.acks_file, "file for the acknowledged claims (TSV)");
    load_command->add_option("--seed", load.seed)->capture_default_str();
    treasure::add_load_credential_options(*load_command, load.credentials);
    treasure::add_bot_options(*load_command, load.bots, load.bot_rate_multiplier);

    treasure::faults::CutProxyOptions proxy;
    auto *proxy_command = app.add_subcommand("proxy", "PostgreSQL proxy that cuts every Nth claim after it was sent");
    proxy_command->add_option("--port", proxy.port)->capture_default_str();
    proxy_command->add_option("--upstream", proxy.upstream, "unix socket path of the server")->required();
    proxy_command->add_option("--cut-every", proxy.cut_every)->capture_default_str();
    proxy_command->add_option("--statement", proxy.statement, "the prepared statement whose Binds are counted")
        ->capture_default_str();

    treasure::faults::AbuseOptions abuse;
    auto *abuse_command = app.add_subcommand("abuse", "hostile HTTP clients against the gateway; prints a JSON report");
    abuse_command->add_option("--port", abuse.port)->required();
    abuse_command->add_option("--chest", abuse.chest)->capture_default_str();
    abuse_command->add_option("--connections", abuse.connections)->capture_default_str();
    abuse_command->add_option("--slow-clients", abuse.slow_clients)->capture_default_str();
    abuse_command->add_option("--slow-seconds", abuse.slow_seconds)->capture_default_str();

    CLI11_PARSE(app, argc, argv);
    try {
        if (*load_command) {
            load.duration = std::chrono::seconds(duration_s);
            load.give_up = std::chrono::seconds(give_up_s);
            load.interval = std::chrono::seconds(interval_s);
            std::cout << treasure::faults::to_json(treasure::faults::run_tap_load(load)) << std::endl;
            return 0;
        }
        if (*proxy_command) {
            signal(SIGPIPE, SIG_IGN);
            treasure::block_stop_signals();
            std::atomic<bool> stop_requested{false};
            treasure::StopSignalWaiter stopper([&stop_requested](int) { stop_requested.store(true); });
            treasure::faults::CutProxyStats stats;
            treasure::faults::run_cut_proxy(proxy, stats, stop_requested);
            std::cerr << "{\"connections\": " << stats.connections << ", \"claim_binds\": " << stats.claim_binds
                      << ", \"cuts\": " << stats.cuts << ", \"cuts_committed\": " << stats.cuts_committed << "}"
                      << std::endl;
            std::_Exit(0);  // connection threads are detached
        }
        if (*abuse_command) {
            signal(SIGPIPE, SIG_IGN);
            const auto report = treasure::faults::run_abuse(abuse);
            std::cout << report.json << std::endl;
            return report.failures == 0 ? 0 : 1;
        }
    } catch (const std::exception &error) {
        std::cerr << "treasure_fault_driver: " << error.what() << "\n";
        return 1;
    }
    return 2;
}
