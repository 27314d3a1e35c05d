#include <iomanip>
#include <iostream>
#include <memory>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <prometheus/registry.h>

#include "auth/client_credentials.hpp"
#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/http_claim_path.hpp"
#include "cli/progress_reporter.hpp"
#include "lib/claim_metrics.hpp"
#include "lib/client.hpp"
#include "lib/latency_histogram.hpp"
#include "lib/listen_address.hpp"

namespace treasure {

namespace {

// treasure_latency_seconds on /metrics for the length of the run: the client-side view of tap-to-confirmation.
class LatencyExporter {
public:
    explicit LatencyExporter(const std::string &listen)
        : registry_(std::make_shared<prometheus::Registry>()), histogram_(*registry_)
    {
        const ListenAddress address = parse_listen_address(listen);
        server_.Get("/metrics", [this](const httplib::Request &, httplib::Response &response) {
            response.set_content(serialize_metrics(*registry_), "text/plain; version=0.0.4; charset=utf-8");
        });
        port_ = address.port == 0 ? server_.bind_to_any_port(address.host)
                                  : (server_.bind_to_port(address.host, address.port) ? address.port : -1);
        if (port_ < 0)
            throw std::runtime_error("cannot listen on " + listen + " for --metrics-listen");
        thread_ = std::thread([this] { server_.listen_after_bind(); });
        std::cerr << "load: serving treasure_latency_seconds on http://" << address.host << ":" << port_
                  << "/metrics\n";
    }
    ~LatencyExporter()
    {
        server_.stop();
        thread_.join();
    }
    LatencyHistogram &histogram() { return histogram_; }

private:
    std::shared_ptr<prometheus::Registry> registry_;
    LatencyHistogram histogram_;
    httplib::Server server_;
    int port_ = -1;
    std::thread thread_;
};

nlohmann::ordered_json latency_json(const LatencySummary &latency)
{
    return {{"count", latency.count}, {"mean", latency.mean_ms},   {"p50", latency.p50_ms}, {"p95", latency.p95_ms},
            {"p99", latency.p99_ms},  {"p99_7", latency.p99_7_ms}, {"max", latency.max_ms}};
}

// What a run with credentials or --bots adds to the report; nothing without them.
void add_auth_and_classes(const LoadCommand &command, const LoadReport &report, nlohmann::ordered_json &out)
{
    const auto &credentials = command.credentials;
    if (!credentials.api_key.empty() || !credentials.jwt_key_path.empty() || !report.refusals.empty()) {
        out["auth"] = {{"credentials", !credentials.jwt_key_path.empty() ? "jwt"
                                       : !credentials.api_key.empty()    ? "api_key"
                                                                         : "none"},
                       {"tokens_minted", report.tokens_minted},
                       {"refusals", report.refusals}};
    }
    if (!command.load.bots)
        return;
    out["bots"] = {{"fraction", *command.load.bots},
                   {"rate_multiplier", command.load.bot_rate_multiplier},
                   {"effective_rate", report.rate}};
    nlohmann::ordered_json classes = nlohmann::ordered_json::object();
    for (const auto &[name, part] : report.classes)
        classes[name] = {{"players", part.players},
                         {"taps", part.taps},
                         {"outcomes", part.outcomes},
                         {"latency_ms", latency_json(part.latency)}};
    out["classes"] = classes;
}

nlohmann::ordered_json report_json(const LoadCommand &command, const LoadReport &report)
{
    nlohmann::ordered_json outcomes = nlohmann::ordered_json::object();
    for (const auto &[outcome, count] : report.outcomes)
        outcomes[outcome] = count;
    nlohmann::ordered_json paths = nlohmann::ordered_json::object();
    for (const auto &[path, count] : report.paths)
        paths[path] = count;
    nlohmann::ordered_json out{
        {"target", command.target.url.empty() ? "dsn" : command.target.url},
        {"players", command.load.players},
        {"chests", command.load.chests},
        {"concurrency", command.load.concurrency},
        {"pipeline", command.load.pipeline},
        {"batch", command.load.batch},
        {"rate", command.load.rate},
        {"duplicate_ratio", command.load.duplicate_ratio},
        {"elapsed_seconds", report.elapsed_seconds},
        {"taps", report.taps},
        {"taps_per_second", report.elapsed_seconds > 0 ? static_cast<double>(report.taps) / report.elapsed_seconds : 0},
        {"outcomes", outcomes},
        {"paths", paths},
        {"latency_ms", latency_json(report.latency)},
        {"first_error", report.first_error}};
    add_auth_and_classes(command, report, out);
    return out;
}

void print_latency(const std::string &what, const LatencySummary &l)
{
    std::cout << std::setprecision(3) << what << " (ms, " << l.count << " confirmed taps):\n"
              << "  p50 " << l.p50_ms << "  p95 " << l.p95_ms << "  p99 " << l.p99_ms << "  p99.7 " << l.p99_7_ms
              << "  max " << l.max_ms << "  mean " << l.mean_ms << "\n";
}

void print_readable(const LoadCommand &command, const LoadReport &report)
{
    std::cout << std::fixed << std::setprecision(2);
    std::cout << "taps " << report.taps << " in " << report.elapsed_seconds << " s ("
              << (report.elapsed_seconds > 0 ? static_cast<double>(report.taps) / report.elapsed_seconds : 0.0)
              << " taps/s)\n";
    std::cout << "outcomes:\n";
    for (const auto &[outcome, count] : report.outcomes)
        std::cout << "  " << std::setw(20) << std::left << outcome << count << "\n";
    std::cout << "paths:\n";
    for (const auto &[path, count] : report.paths)
        std::cout << "  " << std::setw(20) << std::left << path << count << "\n";
    print_latency("tap-to-confirmation latency", report.latency);
    if (!report.refusals.empty()) {
        std::cout << "refused by the gateway (status error:reason):\n";
        for (const auto &[refusal, count] : report.refusals)
            std::cout << "  " << std::setw(36) << std::left << refusal << count << "\n";
    }
    if (report.tokens_minted > 0)
        std::cout << "player tokens minted: " << report.tokens_minted << "\n";
    if (command.load.bots) {
        std::cout << std::setprecision(2) << "bot mix: " << *command.load.bots << " of the players tap "
                  << command.load.bot_rate_multiplier << "x as often";
        if (report.rate > 0)
            std::cout << " (arrival rate " << report.rate << " taps/s)";
        std::cout << "\n";
    }
    for (const auto &[name, part] : report.classes) {
        std::cout << name << "s: " << part.players << " players, " << part.taps << " taps;";
        for (const auto &[outcome, count] : part.outcomes)
            std::cout << " " << outcome << " " << count;
        std::cout << "\n";
        print_latency("  " + name + " latency", part.latency);
    }
    if (!report.first_error.empty())
        std::cout << "first error: " << report.first_error << "\n";
}

}  // namespace

int run_load_command(const LoadCommand &command)
{
    std::unique_ptr<Client> shared_client;
    std::vector<std::unique_ptr<HttpClaimPath>> http_paths;
    std::vector<ClaimPath *> paths;
    std::unique_ptr<LatencyExporter> exporter;
    std::shared_ptr<ClientCredentials> credentials;
    try {
        credentials = std::make_shared<ClientCredentials>(command.credentials);
        if (credentials->sends_nothing()) {
            credentials.reset();
        } else if (command.target.url.empty()) {
            throw std::invalid_argument("--api-key and --jwt-key need --url (credentials are for the gateway)");
        }
        if (!command.target.url.empty()) {
            for (int i = 0; i < command.load.concurrency; ++i) {
                http_paths.push_back(
                    std::make_unique<HttpClaimPath>(command.target.url, credentials, command.target.ca_certificates));
                paths.push_back(http_paths.back().get());
            }
        } else if (command.load.pipeline == 0 && command.load.batch == 0) {
            shared_client = std::make_unique<Client>(
                ClientOptions{command.target.dsn, static_cast<std::size_t>(command.load.concurrency), RetryPolicy{}});
            paths.assign(static_cast<std::size_t>(command.load.concurrency), shared_client.get());
        }
        if (!command.metrics_listen.empty())
            exporter = std::make_unique<LatencyExporter>(command.metrics_listen);
    } catch (const std::exception &error) {
        std::cerr << "treasure load: " << error.what() << "\n";
        return exit_code::failure;
    }

    LoadProgress progress;
    LoadReport report;
    try {
        ProgressReporter reporter(progress, command.load.duration);
        LatencyHistogram *histogram = exporter ? &exporter->histogram() : nullptr;
        if (command.load.pipeline > 0)
            report = run_pipelined_load(command.load, command.target.dsn, progress, histogram);
        else if (command.load.batch > 0)
            report = run_batched_load(command.load, command.target.dsn, progress, histogram);
        else
            report = run_load(command.load, paths, progress, histogram, credentials.get());
    } catch (const std::exception &error) {
        std::cerr << "treasure load: " << error.what() << "\n";
        return exit_code::failure;
    }
    if (command.json) {
        std::cout << report_json(command, report).dump(2) << "\n";
    } else {
        print_readable(command, report);
    }
    return exit_code::claimed;
}

}  // namespace treasure
