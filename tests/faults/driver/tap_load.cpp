#include "driver/tap_load.hpp"

#include <algorithm>
#include <atomic>
#include <fstream>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "lib/uuid.hpp"

namespace treasure::faults {

namespace {

using Clock = std::chrono::steady_clock;

struct Ack {
    std::string request_id;
    std::int64_t player_id, chest_id, coins, claim_id;
};

struct Answer {
    bool resolved = false;
    int status = 0;
    nlohmann::json body;
    bool replay_header = false;
};

// What one worker saw; merged into the report at the end.
struct WorkerTally {
    TapLoadReport report;
    std::vector<Ack> acks;
    std::vector<std::vector<float>> latencies;  // per interval, in ms
};

struct Shared {
    Shared(const TapLoadOptions &o, Clock::time_point s) : options(o), start(s) {}
    const TapLoadOptions &options;
    Clock::time_point start;
    std::atomic<std::int64_t> taps_started{0};
    std::atomic<std::int64_t> last_ack_us{0};
    std::atomic<std::int64_t> max_gap_us{0};
    std::mutex first_unexpected_mutex;
    std::string first_unexpected;
};

std::int64_t micros_since(Clock::time_point start)
{
    return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
}

void note_ack(Shared &shared)
{
    const std::int64_t now = micros_since(shared.start);
    const std::int64_t gap = now - shared.last_ack_us.exchange(now);
    std::int64_t seen = shared.max_gap_us.load();
    while (gap > seen && !shared.max_gap_us.compare_exchange_weak(seen, gap)) {}
}

void unexpected(Shared &shared, WorkerTally &tally, const std::string &what)
{
    ++tally.report.unexpected;
    std::lock_guard<std::mutex> lock(shared.first_unexpected_mutex);
    if (shared.first_unexpected.empty())
        shared.first_unexpected = what;
}

// Sends one request until it gets an answer that is not a 5xx (the tap is then resolved) or give_up passes.
Answer send_until_answered(httplib::Client &http, const std::string &body, Clock::time_point give_up,
                           std::mt19937_64 &rng, WorkerTally &tally)
{
    std::chrono::milliseconds backoff{20};
    for (;;) {
        auto response = http.Post("/v1/claims", body, "application/json");
        std::string why;
        if (!response) {
            why = "no_answer";
        } else if (response->status < 500) {
            Answer answer;
            answer.resolved = true;
            answer.status = response->status;
            answer.body = nlohmann::json::parse(response->body, nullptr, false);
            answer.replay_header = response->get_header_value("Idempotency-Replay") == "true";
            return answer;
        } else {
            why = "http_" + std::to_string(response->status);
            const auto parsed = nlohmann::json::parse(response->body, nullptr, false);
            if (parsed.is_object() && parsed.value("error", std::string()) == "overloaded") {
                ++tally.report.shed;
                why += "_overloaded";
            } else if (parsed.is_object()) {
                why += "_" + parsed.value("error", std::string("?"));
            }
        }
        ++tally.report.retried[why];
        if (Clock::now() + backoff > give_up)
            return Answer{};
        std::uniform_int_distribution<long> jitter(backoff.count() / 2, backoff.count());
        std::this_thread::sleep_for(std::chrono::milliseconds(jitter(rng)));
        backoff = std::min(backoff * 2, std::chrono::milliseconds(500));
    }
}

std::string claim_body(std::int64_t player, std::int64_t chest, const std::string &request_id)
{
    return nlohmann::json{{"player_id", player}, {"chest_id", chest}, {"request_id", request_id}}.dump();
}

// A malformed request and the status the contract promises for it.
std::pair<std::string, int> bad_request(std::mt19937_64 &rng, const TapLoadOptions &options)
{
    const std::string id = random_uuid_v4();
    switch (std::uniform_int_distribution<int>(0, 8)(rng)) {
    case 0: return {"{\"player_id\": 1, \"chest_id\"", 400};
    case 1: return {"[1, 2, 3]", 400};
    case 2: return {R"({"player_id": "7", "chest_id": 1, "request_id": ")" + id + "\"}", 400};
    case 3: return {R"({"chest_id": 1, "request_id": ")" + id + "\"}", 400};
    case 4: return {R"({"player_id": -5, "chest_id": 1, "request_id": ")" + id + "\"}", 400};
    case 5: return {R"({"player_id": 5, "chest_id": 1, "request_id": "not-a-uuid"})", 400};
    case 6: return {R"({"player_id": 99999999999999999999, "chest_id": 1, "request_id": ")" + id + "\"}", 400};
    case 7: return {R"({"player_id": 5, "chest_id": 1.5, "request_id": ")" + id + "\"}", 400};
    default: return {claim_body(1 + options.players, options.chests + 100000, id), 404};
    }
}

void run_worker(Shared &shared, int index, WorkerTally &tally)
{
    const TapLoadOptions &options = shared.options;
    std::mt19937_64 rng(options.seed * 1000003 + static_cast<std::uint64_t>(index));
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    std::uniform_int_distribution<std::int64_t> pick_player(1, options.players);
    std::uniform_int_distribution<std::int64_t> pick_chest(1, options.chests);

    httplib::Client http(options.url);
    http.set_keep_alive(true);
    http.set_tcp_nodelay(true);
    http.set_connection_timeout(std::chrono::seconds(1));
    http.set_read_timeout(std::chrono::seconds(20));

    const auto end = shared.start + options.duration;
    const auto period = options.rate > 0 ? std::chrono::duration_cast<Clock::duration>(
                                               std::chrono::duration<double>(options.concurrency / options.rate))
                                         : Clock::duration::zero();
    auto due = shared.start + period * index / std::max(1, options.concurrency);
    for (;;) {
        if (options.rate > 0) {
            std::this_thread::sleep_until(due);
        } else {
            due = Clock::now();
        }
        if (Clock::now() >= end)
            break;
        if (options.max_taps > 0 && shared.taps_started.fetch_add(1) >= options.max_taps)
            break;
        ++tally.report.taps;
        const auto give_up = Clock::now() + options.give_up;

        if (unit(rng) < options.bad_ratio) {
            const auto [body, expected] = bad_request(rng, options);
            const Answer answer = send_until_answered(http, body, give_up, rng, tally);
            if (!answer.resolved) {
                ++tally.report.unresolved;
            } else if (answer.status != expected || !answer.body.is_object() || !answer.body.contains("error")) {
                unexpected(shared, tally, "bad request " + body + " answered " + std::to_string(answer.status));
            } else {
                ++tally.report.outcomes["bad_request_" + std::to_string(answer.status)];
            }
        } else {
            const std::int64_t player = pick_player(rng), chest = pick_chest(rng);
            const std::string request_id = random_uuid_v4();
            const std::string body = claim_body(player, chest, request_id);
            const Answer answer = send_until_answered(http, body, give_up, rng, tally);
            if (!answer.resolved) {
                ++tally.report.unresolved;
            } else if (!answer.body.is_object()) {
                unexpected(shared, tally, "answer " + std::to_string(answer.status) + " is not a JSON object");
            } else if (answer.status == 200 && answer.body.value("status", std::string()) == "claimed") {
                const bool replayed = answer.body.value("replayed", false);
                if (replayed != answer.replay_header)
                    unexpected(shared, tally, "Idempotency-Replay header disagrees with replayed");
                if (replayed)
                    ++tally.report.first_send_replays;
                ++tally.report.outcomes["claimed"];
                ++tally.report.paths[answer.body.value("path", std::string("?"))];
                const std::int64_t coins = answer.body.value("coins_awarded", std::int64_t{0});
                const auto claim_id = answer.body.find("claim_id");
                const std::int64_t id =
                    claim_id != answer.body.end() && claim_id->is_number_integer() ? claim_id->get<std::int64_t>() : 0;
                tally.acks.push_back(Ack{request_id, player, chest, coins, id});
                ++tally.report.acknowledged;
                tally.report.acknowledged_coins += coins;
                note_ack(shared);
                if (unit(rng) < options.retry_ratio) {
                    const Answer again = send_until_answered(http, body, give_up, rng, tally);
                    if (!again.resolved) {
                        ++tally.report.unresolved;
                    } else if (again.status != 200 || !again.body.is_object() || !again.body.value("replayed", false) ||
                               again.body.value("coins_awarded", std::int64_t{-1}) != coins ||
                               (id != 0 && again.body.value("claim_id", std::int64_t{-1}) != id)) {
                        ++tally.report.replay_mismatches;
                        unexpected(shared, tally,
                                   "retried tap " + request_id + " answered " + std::to_string(again.status) + " " +
                                       again.body.dump());
                    } else {
                        ++tally.report.resend_replays;
                    }
                }
            } else if (answer.status == 409 || answer.status == 422) {
                ++tally.report.outcomes[answer.body.value("status", answer.body.value("error", std::string("?")))];
                if (unit(rng) < options.retry_ratio) {
                    const Answer again = send_until_answered(http, body, give_up, rng, tally);
                    if (again.resolved && again.status != answer.status) {
                        ++tally.report.replay_mismatches;
                        unexpected(shared, tally,
                                   "retried tap " + request_id + " first " + std::to_string(answer.status) + " then " +
                                       std::to_string(again.status));
                    }
                }
            } else {
                unexpected(shared, tally, "claim answered " + std::to_string(answer.status) + " " + answer.body.dump());
            }
        }
        const auto latency = std::chrono::duration<float, std::milli>(Clock::now() - due).count();
        const std::size_t slot = static_cast<std::size_t>((due - shared.start) / options.interval);
        if (tally.latencies.size() <= slot)
            tally.latencies.resize(slot + 1);
        tally.latencies[slot].push_back(latency);
        if (options.rate > 0)
            due += period;
    }
}

IntervalLatency summarize(std::vector<float> &samples)
{
    IntervalLatency out;
    out.taps = static_cast<std::int64_t>(samples.size());
    if (samples.empty())
        return out;
    std::sort(samples.begin(), samples.end());
    auto at = [&](double q) {
        return samples[std::min(samples.size() - 1, static_cast<std::size_t>(q * samples.size()))];
    };
    out.p50_ms = at(0.50);
    out.p99_ms = at(0.99);
    out.max_ms = samples.back();
    return out;
}

}  // namespace

TapLoadReport run_tap_load(const TapLoadOptions &options)
{
    if (options.url.rfind("http://", 0) != 0)
        throw std::invalid_argument("--url must look like http://127.0.0.1:8080");
    Shared shared(options, Clock::now());
    std::vector<WorkerTally> tallies(static_cast<std::size_t>(options.concurrency));
    std::vector<std::thread> workers;
    for (int i = 0; i < options.concurrency; ++i)
        workers.emplace_back([&shared, i, &tallies] { run_worker(shared, i, tallies[static_cast<std::size_t>(i)]); });
    for (auto &worker : workers)
        worker.join();

    TapLoadReport report;
    report.elapsed_seconds = std::chrono::duration<double>(Clock::now() - shared.start).count();
    std::vector<std::vector<float>> latencies;
    std::ofstream acks;
    if (!options.acks_file.empty()) {
        acks.open(options.acks_file);
        if (!acks)
            throw std::runtime_error("cannot write " + options.acks_file);
    }
    for (auto &tally : tallies) {
        const TapLoadReport &part = tally.report;
        report.taps += part.taps;
        for (const auto &[key, count] : part.outcomes)
            report.outcomes[key] += count;
        for (const auto &[key, count] : part.retried)
            report.retried[key] += count;
        for (const auto &[key, count] : part.paths)
            report.paths[key] += count;
        report.acknowledged += part.acknowledged;
        report.acknowledged_coins += part.acknowledged_coins;
        report.first_send_replays += part.first_send_replays;
        report.resend_replays += part.resend_replays;
        report.replay_mismatches += part.replay_mismatches;
        report.unexpected += part.unexpected;
        report.unresolved += part.unresolved;
        report.shed += part.shed;
        for (const Ack &ack : tally.acks)
            acks << ack.request_id << '\t' << ack.player_id << '\t' << ack.chest_id << '\t' << ack.coins << '\t'
                 << ack.claim_id << '\n';
        if (latencies.size() < tally.latencies.size())
            latencies.resize(tally.latencies.size());
        for (std::size_t i = 0; i < tally.latencies.size(); ++i)
            latencies[i].insert(latencies[i].end(), tally.latencies[i].begin(), tally.latencies[i].end());
    }
    for (auto &samples : latencies)
        report.intervals.push_back(summarize(samples));
    // The gap after the last acknowledgement counts too (an outage the run ended in).
    const std::int64_t tail = micros_since(shared.start) - shared.last_ack_us.load();
    report.max_ack_gap_ms = static_cast<double>(std::max(shared.max_gap_us.load(), tail)) / 1000.0;
    report.first_unexpected = shared.first_unexpected;
    return report;
}

std::string to_json(const TapLoadReport &report)
{
    nlohmann::ordered_json intervals = nlohmann::ordered_json::array();
    for (const auto &interval : report.intervals)
        intervals.push_back({{"taps", interval.taps},
                             {"p50_ms", interval.p50_ms},
                             {"p99_ms", interval.p99_ms},
                             {"max_ms", interval.max_ms}});
    return nlohmann::ordered_json{{"elapsed_seconds", report.elapsed_seconds},
                                  {"taps", report.taps},
                                  {"acknowledged", report.acknowledged},
                                  {"acknowledged_coins", report.acknowledged_coins},
                                  {"outcomes", report.outcomes},
                                  {"paths", report.paths},
                                  {"retried", report.retried},
                                  {"first_send_replays", report.first_send_replays},
                                  {"resend_replays", report.resend_replays},
                                  {"replay_mismatches", report.replay_mismatches},
                                  {"unexpected", report.unexpected},
                                  {"unresolved", report.unresolved},
                                  {"shed", report.shed},
                                  {"max_ack_gap_ms", report.max_ack_gap_ms},
                                  {"intervals", intervals},
                                  {"first_unexpected", report.first_unexpected}}
        .dump();
}

}  // namespace treasure::faults
