#include "driver/abuse.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "lib/uuid.hpp"

namespace treasure::faults {

namespace {

using Clock = std::chrono::steady_clock;
constexpr int dropped = -1;    // the server closed the connection without an answer
constexpr int no_answer = -2;  // nothing within the wait

int connect_to(int port)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof(address)) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// Reads until the status line is complete, EOF or the wait is over; returns the status code.
int read_status(int fd, std::chrono::milliseconds wait)
{
    std::string got;
    const auto until = Clock::now() + wait;
    char buffer[4096];
    while (Clock::now() < until) {
        pollfd readable{fd, POLLIN, 0};
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
        if (::poll(&readable, 1, static_cast<int>(std::max<long>(1, left))) <= 0)
            continue;
        const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
        if (n <= 0)
            break;
        got.append(buffer, static_cast<std::size_t>(n));
        if (got.find("\r\n") != std::string::npos)
            break;
    }
    if (got.rfind("HTTP/1.", 0) == 0 && got.size() >= 12)
        return std::stoi(got.substr(9, 3));
    return Clock::now() < until ? dropped : no_answer;
}

int raw_exchange(int port, const std::string &request, std::chrono::milliseconds wait = std::chrono::milliseconds(8000))
{
    const int fd = connect_to(port);
    if (fd < 0)
        return dropped;
    std::size_t at = 0;
    while (at < request.size()) {
        const ssize_t n =
            ::send(fd, request.data() + at, std::min<std::size_t>(request.size() - at, 65536), MSG_NOSIGNAL);
        if (n <= 0)
            break;  // the server stopped reading (e.g. 413 and close): read what it said
        at += static_cast<std::size_t>(n);
    }
    const int status = read_status(fd, wait);
    ::close(fd);
    return status;
}

std::string post(const std::string &body, const std::string &extra_headers = "")
{
    return "POST /v1/claims HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nConnection: close\r\n" +
           extra_headers + "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

struct Check {
    std::string name;
    std::vector<int> accepted;  // statuses that pass; dropped / no_answer are listed explicitly
    int got = 0;
};

// A well-behaved client claiming in a loop until stop: counts answers, errors and the slowest answer.
struct Victim {
    std::atomic<bool> stop{false};
    std::atomic<int> ok{0}, shed{0}, errors{0};
    std::atomic<long> max_ms{0};
    std::thread thread;

    void start(int port, std::int64_t chest)
    {
        thread = std::thread([this, port, chest] {
            httplib::Client http("127.0.0.1", port);
            http.set_keep_alive(true);
            http.set_read_timeout(std::chrono::seconds(10));
            std::int64_t player = 900000000 + (Clock::now().time_since_epoch().count() % 1000000) * 100;
            while (!stop.load()) {
                const std::string body =
                    nlohmann::json{{"player_id", ++player}, {"chest_id", chest}, {"request_id", random_uuid_v4()}}
                        .dump();
                const auto started = Clock::now();
                auto response = http.Post("/v1/claims", body, "application/json");
                const long ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started).count();
                long seen = max_ms.load();
                while (ms > seen && !max_ms.compare_exchange_weak(seen, ms)) {}
                if (response && response->status == 200)
                    ++ok;
                else if (response && response->status == 503)
                    ++shed;
                else
                    ++errors;
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
        });
    }
    void finish()
    {
        stop.store(true);
        thread.join();
    }
    nlohmann::ordered_json json() const
    {
        return {{"ok", ok.load()}, {"shed_503", shed.load()}, {"errors", errors.load()}, {"max_ms", max_ms.load()}};
    }
};

}  // namespace

AbuseReport run_abuse(const AbuseOptions &options)
{
    const int port = options.port;
    const std::string id = random_uuid_v4();
    const std::string chest = std::to_string(options.chest);
    std::vector<Check> checks = {
        {"broken JSON", {400}, 0},
        {"not an object", {400}, 0},
        {"player_id a string", {400}, 0},
        {"chest_id a float", {400}, 0},
        {"request_id a number", {400}, 0},
        {"missing fields", {400}, 0},
        {"player_id zero", {400}, 0},
        {"player_id 2^63", {400}, 0},
        {"request_id not a UUID", {400}, 0},
        {"Idempotency-Key disagrees with request_id", {400}, 0},
        {"unknown chest", {404}, 0},
        {"JSON nested 8000 deep", {400}, 0},
        {"NUL and invalid UTF-8 in the body", {400}, 0},
        {"unicode in request_id", {400}, 0},
        {"empty body", {400}, 0},
        {"body of 1 MiB", {413, dropped}, 0},
        {"Content-Length 10 GB", {413, 400, dropped}, 0},
        {"header of 256 KiB", {400, 413, 431, dropped}, 0},
        {"garbage request line", {400, dropped}, 0},
        {"GET /v1/claims", {404, 405}, 0},
        {"body shorter than Content-Length", {400, dropped}, 0},
    };
    const auto claim = [&](const std::string &player, const std::string &chest_id, const std::string &request_id) {
        return "{\"player_id\": " + player + ", \"chest_id\": " + chest_id + ", \"request_id\": " + request_id + "}";
    };
    const std::string quoted = "\"" + id + "\"";
    std::vector<std::string> requests = {
        post("{\"player_id\": 1, \"chest_id\": "),
        post("\"hello\""),
        post(claim("\"7\"", chest, quoted)),
        post(claim("7", "1.5", quoted)),
        post(claim("7", chest, "12345")),
        post("{}"),
        post(claim("0", chest, quoted)),
        post(claim("9223372036854775808", chest, quoted)),
        post(claim("7", chest, "\"00000000-0000-0000-0000-00000000000g\"")),
        post(claim("7", chest, quoted), "Idempotency-Key: " + random_uuid_v4() + "\r\n"),
        post(claim("7", "999999999999", "\"" + random_uuid_v4() + "\"")),
        post(std::string(8000, '[') + std::string(8000, ']')),
        post(std::string("{\"player_id\": 7, \"chest_id\": 1, \"request_id\": \"\0\xff\xfe\"}", 49)),
        post(claim("7", chest, "\"\xe2\x98\x83\xe2\x98\x83\xe2\x98\x83-0000-0000-0000-000000000000\"")),
        post(""),
        post(std::string(1 << 20, ' ')),
        "POST /v1/claims HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000000\r\n\r\n" + std::string(65536, 'x'),
        "POST /v1/claims HTTP/1.1\r\nHost: x\r\nX-Huge: " + std::string(256 * 1024, 'a') +
            "\r\nContent-Length: 2\r\n\r\n{}",
        "\x16\x03\x01 not http at all\r\n\r\n",
        "GET /v1/claims HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "POST /v1/claims HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"player_id\"",
    };
    Victim victim;
    victim.start(port, options.chest);
    int failures = 0;
    nlohmann::ordered_json malformed = nlohmann::ordered_json::array();
    for (std::size_t i = 0; i < checks.size(); ++i) {
        checks[i].got = raw_exchange(port, requests[i]);
        const bool pass =
            std::find(checks[i].accepted.begin(), checks[i].accepted.end(), checks[i].got) != checks[i].accepted.end();
        if (!pass)
            ++failures;
        malformed.push_back({{"case", checks[i].name}, {"got", checks[i].got}, {"pass", pass}});
    }

    // Slow clients: headers one byte every 200 ms, far longer than any request should take.
    std::atomic<int> slow_cut{0}, slow_finished{0};
    std::vector<std::thread> slow;
    const auto slow_start = Clock::now();
    std::atomic<long> slow_cut_after_ms{0};
    for (int i = 0; i < options.slow_clients; ++i) {
        slow.emplace_back([&, port] {
            const int fd = connect_to(port);
            if (fd < 0)
                return;
            const std::string headers =
                "POST /v1/claims HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + std::string(4096, 's');
            const auto until = Clock::now() + std::chrono::seconds(options.slow_seconds);
            for (std::size_t at = 0; at < headers.size() && Clock::now() < until; ++at) {
                pollfd readable{fd, POLLIN, 0};
                // The byte refused, or the server answered or closed: cut off.
                if (::send(fd, &headers[at], 1, MSG_NOSIGNAL) != 1 || ::poll(&readable, 1, 200) > 0) {
                    ++slow_cut;
                    slow_cut_after_ms.store(
                        std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - slow_start).count());
                    ::close(fd);
                    return;
                }
            }
            ++slow_finished;
            ::close(fd);
        });
    }
    for (auto &thread : slow)
        thread.join();
    const nlohmann::ordered_json during_slow = victim.json();

    // The flood: many connections opened at once, each sending half a request and waiting.
    std::vector<int> flood;
    int refused = 0;
    for (int i = 0; i < options.connections; ++i) {
        const int fd = connect_to(port);
        if (fd < 0) {
            ++refused;
            continue;
        }
        ::send(fd, "POST /v1/claims HTTP/1.1\r\n", 26, MSG_NOSIGNAL);
        flood.push_back(fd);
    }
    std::this_thread::sleep_for(std::chrono::seconds(3));
    int answered_503 = 0, closed = 0, open = 0;
    for (int fd : flood) {
        const int status = read_status(fd, std::chrono::milliseconds(1));
        if (status == 503)
            ++answered_503;
        else if (status == dropped)
            ++closed;
        else
            ++open;
        ::close(fd);
    }
    // After the flood: a fresh client must be served at once.
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    const auto after =
        raw_exchange(port, post(claim("7", chest, "\"" + random_uuid_v4() + "\"")), std::chrono::milliseconds(3000));
    victim.finish();
    const nlohmann::ordered_json victim_total = victim.json();

    const bool victim_ok = victim.errors.load() == 0 && victim.ok.load() > 0;
    const bool slow_ok = during_slow["errors"].get<int>() == 0;
    const bool after_ok = after == 200 || after == 409;
    failures += !victim_ok + !slow_ok + !after_ok;
    nlohmann::ordered_json report{{"malformed", malformed},
                                  {"slow_clients",
                                   {{"clients", options.slow_clients},
                                    {"cut_by_server", slow_cut.load()},
                                    {"cut_after_ms", slow_cut_after_ms.load()},
                                    {"still_open_at_end", slow_finished.load()},
                                    {"victim_during", during_slow}}},
                                  {"flood",
                                   {{"connections", options.connections},
                                    {"refused_by_kernel", refused},
                                    {"answered_503", answered_503},
                                    {"closed_by_server", closed},
                                    {"still_waiting", open}}},
                                  {"claim_after_flood", after},
                                  {"victim", victim_total},
                                  {"failures", failures}};
    return AbuseReport{failures, report.dump()};
}

}  // namespace treasure::faults
