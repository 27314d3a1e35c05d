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

#include "lib/bot_players.hpp"
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
    std::int64_t waited_429 = 0;  // 429 answers whose Retry-After was followed first
};

bool is_refusal(int status) { return status == 401 || status == 403 || status == 429; }

// One class's claim taps as one worker saw them.
struct ClassTally {
    PlayerClassReport report;
    std::vector<float> latencies;  // ms
    std::map<std::int64_t, std::int64_t> accepted_by_player;
};

// What one worker saw; merged into the report at the end.
struct WorkerTally {
    TapLoadReport report;
    std::vector<Ack> acks;
    std::vector<std::vector<float>> latencies;  // per interval, in ms
    ClassTally humans, bots;                    // with --bots
};

struct Shared {
    Shared(const TapLoadOptions &o, Clock::time_point s)
        : options(o), start(s), players(o.players, o.bots.value_or(0), o.bot_rate_multiplier),
          credentials(o.credentials)
    {}
    const TapLoadOptions &options;
    Clock::time_point start;
    const BotPlayers players;
    ClientCredentials credentials;
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

// How long a 429 asks to wait: its body's retry_after_ms, else Retry-After in seconds, else a second.
std::chrono::milliseconds retry_after(const httplib::Response &response)
{
    const auto parsed = nlohmann::json::parse(response.body, nullptr, false);
    if (parsed.is_object() && parsed.contains("retry_after_ms") && parsed["retry_after_ms"].is_number_integer())
        return std::chrono::milliseconds(std::max<std::int64_t>(0, parsed["retry_after_ms"].get<std::int64_t>()));
    const std::string header = response.get_header_value("Retry-After");
    const bool seconds =
        !header.empty() && header.size() < 9 && header.find_first_not_of("0123456789") == std::string::npos;
    return std::chrono::seconds(seconds ? std::stoll(header) : 1);
}

// Sends one request until it gets an answer that is not a 5xx (the tap is then resolved) or give_up passes;
// with follow_429, a 429 waits its Retry-After and is sent again too.
Answer send_until_answered(httplib::Client &http, const httplib::Headers &headers, const std::string &body,
                           Clock::time_point give_up, bool follow_429, std::mt19937_64 &rng, WorkerTally &tally)
{
    std::chrono::milliseconds backoff{20};
    std::int64_t waited_429 = 0;
    for (;;) {
        auto response = http.Post("/v1/claims", headers, body, "application/json");
        std::string why;
        if (!response) {
            why = "no_answer";
        } else if (response->status == 429 && follow_429) {
            ++tally.report.retried["http_429"];
            ++waited_429;
            const auto wait = retry_after(*response);
            if (Clock::now() + wait > give_up) {
                Answer unresolved;
                unresolved.waited_429 = waited_429;
                return unresolved;
            }
            std::this_thread::sleep_for(wait);
            continue;
        } else if (response->status < 500) {
            Answer answer;
            answer.resolved = true;
            answer.status = response->status;
            answer.body = nlohmann::json::parse(response->body, nullptr, false);
            answer.replay_header = response->get_header_value("Idempotency-Replay") == "true";
            answer.waited_429 = waited_429;
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
        if (Clock::now() + backoff > give_up) {
            Answer unresolved;
            unresolved.waited_429 = waited_429;
            return unresolved;
        }
        std::uniform_int_distribution<long> jitter(backoff.count() / 2, backoff.count());
        std::this_thread::sleep_for(std::chrono::milliseconds(jitter(rng)));
        backoff = std::min(backoff * 2, std::chrono::milliseconds(500));
    }
}

std::string claim_body(std::int64_t player, std::int64_t chest, const std::string &request_id)
{
    return nlohmann::json{{"player_id", player}, {"chest_id", chest}, {"request_id", request_id}}.dump();
}

// One tap, drawn before it is due: a claim, or a malformed request and the status the contract promises for it.
// `player` is whose credentials it carries (with --jwt-key: the player named in the body, else player 1).
struct Tap {
    bool bad = false;
    std::string body;
    int expected = 0;
    std::int64_t player = 1;
    std::int64_t chest = 0;
    std::string request_id;
};

Tap malformed(std::string body, int expected, std::int64_t player = 1)
{
    Tap tap;
    tap.bad = true;
    tap.body = std::move(body);
    tap.expected = expected;
    tap.player = player;
    return tap;
}

Tap bad_request(std::mt19937_64 &rng, const TapLoadOptions &options)
{
    const std::string id = random_uuid_v4();
    switch (std::uniform_int_distribution<int>(0, 8)(rng)) {
    case 0: return malformed("{\"player_id\": 1, \"chest_id\"", 400);
    case 1: return malformed("[1, 2, 3]", 400);
    case 2: return malformed(R"({"player_id": "7", "chest_id": 1, "request_id": ")" + id + "\"}", 400);
    case 3:
        // A player's token stands for the omitted player_id, so the claim goes on (to a chest that does not exist).
        if (!options.credentials.jwt_key_path.empty())
            return malformed(R"({"chest_id": )" + std::to_string(options.chests + 100000) + R"(, "request_id": ")" +
                                 id + "\"}",
                             404);
        return malformed(R"({"chest_id": 1, "request_id": ")" + id + "\"}", 400);
    case 4: return malformed(R"({"player_id": -5, "chest_id": 1, "request_id": ")" + id + "\"}", 400);
    case 5: return malformed(R"({"player_id": 5, "chest_id": 1, "request_id": "not-a-uuid"})", 400, 5);
    case 6: return malformed(R"({"player_id": 99999999999999999999, "chest_id": 1, "request_id": ")" + id + "\"}", 400);
    case 7: return malformed(R"({"player_id": 5, "chest_id": 1.5, "request_id": ")" + id + "\"}", 400, 5);
    default: return malformed(claim_body(1 + options.players, options.chests + 100000, id), 404, 1 + options.players);
    }
}

Tap draw_tap(std::mt19937_64 &rng, std::uniform_real_distribution<double> &unit, const Shared &shared)
{
    const TapLoadOptions &options = shared.options;
    if (unit(rng) < options.bad_ratio)
        return bad_request(rng, options);
    Tap tap;
    tap.player = shared.players.pick(rng);
    tap.chest = std::uniform_int_distribution<std::int64_t>(1, options.chests)(rng);
    tap.request_id = random_uuid_v4();
    tap.body = claim_body(tap.player, tap.chest, tap.request_id);
    return tap;
}

httplib::Headers headers_for(ClientCredentials &credentials, std::int64_t player)
{
    httplib::Headers headers;
    for (auto &[name, value] : credentials.headers_for(player))
        headers.emplace(std::move(name), std::move(value));
    return headers;
}

// A resend of a tap answered `first`: the same answer again, or (a bot's) a 429 in between.
bool resend_agrees(const Answer &again, int first_status, bool bot)
{
    return again.status == first_status || (bot && again.status == 429);
}

void run_worker(Shared &shared, int index, WorkerTally &tally)
{
    const TapLoadOptions &options = shared.options;
    std::mt19937_64 rng(options.seed * 1000003 + static_cast<std::uint64_t>(index));
    std::uniform_real_distribution<double> unit(0.0, 1.0);

    httplib::Client http(options.url);
    http.set_keep_alive(true);
    http.set_tcp_nodelay(true);
    http.set_connection_timeout(std::chrono::seconds(1));
    http.set_read_timeout(std::chrono::seconds(20));

    const auto end = shared.start + options.duration;
    const double rate = options.rate * shared.players.load_factor();
    const auto period =
        rate > 0
            ? std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.concurrency / rate))
            : Clock::duration::zero();
    auto due = shared.start + period * index / std::max(1, options.concurrency);
    for (;;) {
        // Drawn, and its player's token minted, before the tap is due: minting is not in the latency.
        const Tap tap = draw_tap(rng, unit, shared);
        shared.credentials.prepare(tap.player);
        if (rate > 0) {
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
        const httplib::Headers headers = headers_for(shared.credentials, tap.player);
        const bool bot = !tap.bad && shared.players.is_bot(tap.player);
        ClassTally &by_class = bot ? tally.bots : tally.humans;
        const std::string &body = tap.body;

        if (tap.bad) {
            const Answer answer = send_until_answered(http, headers, body, give_up, true, rng, tally);
            if (!answer.resolved) {
                ++tally.report.unresolved;
            } else if (answer.status != tap.expected || !answer.body.is_object() || !answer.body.contains("error")) {
                unexpected(shared, tally, "bad request " + body + " answered " + std::to_string(answer.status));
            } else {
                ++tally.report.outcomes["bad_request_" + std::to_string(answer.status)];
            }
        } else {
            const std::int64_t player = tap.player, chest = tap.chest;
            const std::string &request_id = tap.request_id;
            const Answer answer = send_until_answered(http, headers, body, give_up, !bot, rng, tally);
            by_class.report.rate_limited += answer.waited_429;
            if (!answer.resolved) {
                ++tally.report.unresolved;
                ++by_class.report.unresolved;
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
                ++by_class.report.accepted;
                if (options.bots)
                    ++by_class.accepted_by_player[player];
                note_ack(shared);
                if (unit(rng) < options.retry_ratio) {
                    const Answer again = send_until_answered(http, headers, body, give_up, !bot, rng, tally);
                    by_class.report.rate_limited += again.waited_429 + (again.status == 429);
                    if (!again.resolved) {
                        ++tally.report.unresolved;
                    } else if (bot && again.status == 429) {
                        ++tally.report.outcomes["http_429"];
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
            } else if (answer.status == 409 || answer.status == 410 || answer.status == 422) {
                // Refused by the database, nothing written: already_claimed and the like (409), sold_out (410,
                // 1.3.0 stock), 422; a resend gets the same answer.
                ++tally.report.outcomes[answer.body.value("status", answer.body.value("error", std::string("?")))];
                if (unit(rng) < options.retry_ratio) {
                    const Answer again = send_until_answered(http, headers, body, give_up, !bot, rng, tally);
                    by_class.report.rate_limited += again.waited_429 + (again.status == 429);
                    if (again.resolved && !resend_agrees(again, answer.status, bot)) {
                        ++tally.report.replay_mismatches;
                        unexpected(shared, tally,
                                   "retried tap " + request_id + " first " + std::to_string(answer.status) + " then " +
                                       std::to_string(again.status));
                    }
                }
            } else if (is_refusal(answer.status) && answer.body.contains("error")) {
                // Judged at the gateway's edge: an answer in the contract, and nothing was claimed.
                ++tally.report.outcomes["http_" + std::to_string(answer.status)];
                if (answer.status == 429)
                    ++by_class.report.rate_limited;
                else
                    ++by_class.report.refused;
            } else {
                unexpected(shared, tally, "claim answered " + std::to_string(answer.status) + " " + answer.body.dump());
            }
        }
        const auto latency = std::chrono::duration<float, std::milli>(Clock::now() - due).count();
        const std::size_t slot = static_cast<std::size_t>((due - shared.start) / options.interval);
        if (tally.latencies.size() <= slot)
            tally.latencies.resize(slot + 1);
        tally.latencies[slot].push_back(latency);
        if (options.bots && !tap.bad) {
            ++by_class.report.taps;
            by_class.latencies.push_back(latency);
        }
        if (rate > 0)
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

PlayerClassReport merge_class(std::int64_t players, const std::vector<ClassTally *> &parts)
{
    PlayerClassReport out;
    out.players = players;
    std::vector<float> samples;
    std::map<std::int64_t, std::int64_t> accepted_by_player;
    for (const ClassTally *part : parts) {
        out.taps += part->report.taps;
        out.accepted += part->report.accepted;
        out.rate_limited += part->report.rate_limited;
        out.refused += part->report.refused;
        out.unresolved += part->report.unresolved;
        samples.insert(samples.end(), part->latencies.begin(), part->latencies.end());
        for (const auto &[player, accepted] : part->accepted_by_player)
            out.max_accepted_per_player = std::max(out.max_accepted_per_player, accepted_by_player[player] += accepted);
    }
    const IntervalLatency latency = summarize(samples);  // sorts samples
    out.p50_ms = latency.p50_ms;
    out.p99_ms = latency.p99_ms;
    out.max_ms = latency.max_ms;
    out.p95_ms =
        samples.empty() ? 0 : samples[std::min(samples.size() - 1, static_cast<std::size_t>(0.95 * samples.size()))];
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
    std::vector<ClassTally *> humans, bots;
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
        humans.push_back(&tally.humans);
        bots.push_back(&tally.bots);
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
    report.rate = options.rate * shared.players.load_factor();
    if (options.bots) {
        report.classes["human"] = merge_class(shared.players.humans(), humans);
        report.classes["bot"] = merge_class(shared.players.bots(), bots);
    }
    report.tokens_minted = shared.credentials.tokens_minted();
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
    nlohmann::ordered_json out{{"elapsed_seconds", report.elapsed_seconds},
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
                               {"first_unexpected", report.first_unexpected}};
    if (report.tokens_minted > 0)
        out["tokens_minted"] = report.tokens_minted;
    if (!report.classes.empty()) {
        out["rate"] = report.rate;
        nlohmann::ordered_json classes = nlohmann::ordered_json::object();
        for (const auto &[name, part] : report.classes)
            classes[name] = {{"players", part.players},
                             {"taps", part.taps},
                             {"accepted", part.accepted},
                             {"rate_limited", part.rate_limited},
                             {"refused", part.refused},
                             {"unresolved", part.unresolved},
                             {"max_accepted_per_player", part.max_accepted_per_player},
                             {"p50_ms", part.p50_ms},
                             {"p95_ms", part.p95_ms},
                             {"p99_ms", part.p99_ms},
                             {"max_ms", part.max_ms}};
        out["classes"] = classes;
    }
    return out.dump();
}

}  // namespace treasure::faults
