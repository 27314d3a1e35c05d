// bench/memory_driver: N claims on ONE connection (so one backend), pipelined, each in its own transaction,
// and every SAMPLE claims a line with that backend's memory:
//   claims  contexts_bytes (sum of pg_backend_memory_contexts.total_bytes)  rss_anon_kb  vm_rss_kb  cpu_ms
// cpu_ms is the backend's user+system CPU time so far: per claim, it compares implementations far more
// steadily than throughput on a shared machine (other processes' load does not count against it).
// RssAnon is the backend's private memory; VmRSS also counts the shared buffers it has touched, which grows
// with the pages a run visits and is not a leak.  Reading /proc/<pid>/status of the backend needs the driver
// to run on the database host (it does: the benchmarks only use unix sockets).
//   memory_driver DSN CLAIMS SAMPLE [FIRST_PLAYER PLAYERS CHESTS [SQL]]
// SQL (default: claim_treasure()) takes $1 player_id, $2 chest_id, $3 request_id (uuid text), $4 session_id.
// Player p of FIRST_PLAYER..FIRST_PLAYER+PLAYERS-1 claims chests 1..CHESTS in turn, so every claim is fresh.
// With MEMORY_DRIVER_SPREAD_CHESTS=1 each player claims the chests one after the other instead (every kind
// of chest, hence every statement the claim uses, within the first CHESTS claims).
// With MEMORY_DRIVER_CONTEXTS=FILE it also writes the backend's memory contexts, summed by name, at the first
// sample and after the last claim ("first sample|NAME|BYTES", "after|NAME|BYTES"), to show where growth sits.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <sstream>
#include <random>
#include <string>

#include <unistd.h>

#include <libpq-fe.h>

namespace {

[[noreturn]] void die(const char *what, PGconn *connection)
{
    std::fprintf(stderr, "memory_driver: %s: %s\n", what, connection ? PQerrorMessage(connection) : "");
    std::exit(1);
}

long status_kb(int pid, const char *field)
{
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    const std::string prefix = std::string(field) + ":";
    while (std::getline(status, line))
        if (line.rfind(prefix, 0) == 0)
            return std::atol(line.c_str() + prefix.size());
    return -1;
}

long cpu_ms(int pid)
{
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    const auto close = text.rfind(')');  // the command name may contain spaces
    if (close == std::string::npos)
        return -1;
    std::istringstream fields(text.substr(close + 2));
    std::string field;
    long utime = 0, stime = 0;
    for (int i = 3; fields >> field; ++i) {  // field 3 is the state; utime is 14, stime 15
        if (i == 14)
            utime = std::atol(field.c_str());
        if (i == 15) {
            stime = std::atol(field.c_str());
            break;
        }
    }
    return (utime + stime) * 1000 / sysconf(_SC_CLK_TCK);
}

std::string scalar(PGconn *connection, const char *sql)
{
    PGresult *result = PQexec(connection, sql);
    if (PQresultStatus(result) != PGRES_TUPLES_OK)
        die(sql, connection);
    std::string value = PQgetvalue(result, 0, 0);
    PQclear(result);
    return value;
}

std::string uuid(std::mt19937_64 &random)
{
    const unsigned long long a = random(), b = random();
    char text[37];
    std::snprintf(text, sizeof text, "%08llx-%04llx-4%03llx-%04llx-%012llx", a >> 32, (a >> 16) & 0xffff, a & 0xfff,
                  0x8000 | (b >> 48 & 0x3fff), b & 0xffffffffffffULL);
    return text;
}

}  // namespace

int main(int argc, char **argv)
{
    if (argc < 4) {
        std::fprintf(stderr, "usage: memory_driver DSN CLAIMS SAMPLE [FIRST_PLAYER PLAYERS CHESTS [SQL]]\n");
        return 2;
    }
    const long long claims = std::atoll(argv[2]), sample = std::atoll(argv[3]);
    const long long first_player = argc > 4 ? std::atoll(argv[4]) : 1000001;
    const long long players = argc > 5 ? std::atoll(argv[5]) : 100000;
    const long long chests = argc > 6 ? std::atoll(argv[6]) : 1000;
    PGconn *connection = PQconnectdb(argv[1]);
    if (PQstatus(connection) != CONNECTION_OK)
        die("connect", connection);
    // Durability is not what this measures; asynchronous commit lets 1M claims fit in a few minutes.
    PQclear(PQexec(connection, "SET synchronous_commit = off"));
    const int pid = std::atoi(scalar(connection, "SELECT pg_backend_pid()").c_str());
    const char *sql =
        argc > 7 ? argv[7] : "SELECT status FROM claim_treasure($1::bigint, $2::bigint, $3::uuid, $4::bigint)";
    PGresult *prepared = PQprepare(connection, "claim", sql, 4, nullptr);
    if (PQresultStatus(prepared) != PGRES_COMMAND_OK)
        die("prepare", connection);
    PQclear(prepared);

    auto report = [&](long long done) {
        const std::string bytes =
            scalar(connection, "SELECT sum(total_bytes)::bigint FROM pg_catalog.pg_backend_memory_contexts");
        std::printf("%lld %s %ld %ld %ld\n", done, bytes.c_str(), status_kb(pid, "RssAnon"), status_kb(pid, "VmRSS"),
                    cpu_ms(pid));
        std::fflush(stdout);
    };
    const char *spread = std::getenv("MEMORY_DRIVER_SPREAD_CHESTS");
    const bool spread_chests = spread != nullptr && std::string(spread) == "1";
    const char *contexts_file = std::getenv("MEMORY_DRIVER_CONTEXTS");
    std::ofstream contexts;
    if (contexts_file != nullptr && *contexts_file != '\0')
        contexts.open(contexts_file);
    auto dump_contexts = [&](const char *when) {
        if (!contexts.is_open())
            return;
        PGresult *result =
            PQexec(connection, "SELECT name, sum(total_bytes)::bigint FROM pg_catalog.pg_backend_memory_contexts "
                               "GROUP BY name ORDER BY name");
        if (PQresultStatus(result) != PGRES_TUPLES_OK)
            die("memory contexts", connection);
        for (int row = 0; row < PQntuples(result); ++row)
            contexts << when << '|' << PQgetvalue(result, row, 0) << '|' << PQgetvalue(result, row, 1) << '\n';
        PQclear(result);
    };
    report(0);

    std::mt19937_64 random{std::random_device{}() ^ static_cast<unsigned long long>(getpid())};
    const long long batch = 256;
    long long sent = 0, failures = 0;
    while (sent < claims) {
        if (PQenterPipelineMode(connection) != 1)
            die("pipeline", connection);
        const long long n = std::min(batch, claims - sent);
        for (long long i = 0; i < n; ++i) {
            const long long k = sent + i;
            const long long player_index = spread_chests ? (k / chests) % players : k % players;
            const long long chest_index = spread_chests ? k % chests : (k / players) % chests;
            const std::string player = std::to_string(first_player + player_index);
            const std::string chest = std::to_string(1 + chest_index);
            const std::string request = uuid(random);
            const char *values[] = {player.c_str(), chest.c_str(), request.c_str(), player.c_str()};
            if (PQsendQueryPrepared(connection, "claim", 4, values, nullptr, nullptr, 0) != 1)
                die("send", connection);
            if (PQpipelineSync(connection) != 1)
                die("sync", connection);  // one transaction per claim
        }
        for (long long i = 0; i < n; ++i) {
            for (;;) {
                PGresult *result = PQgetResult(connection);
                if (result == nullptr)
                    continue;  // end of one query's results
                const ExecStatusType status = PQresultStatus(result);
                if (status == PGRES_FATAL_ERROR && failures++ < 3)
                    std::fprintf(stderr, "memory_driver: %s", PQresultErrorMessage(result));
                PQclear(result);
                if (status == PGRES_PIPELINE_SYNC)
                    break;
            }
        }
        if (PQexitPipelineMode(connection) != 1)
            die("exit pipeline", connection);
        const long long before = sent;
        sent += n;
        if (sent / sample != before / sample || sent == claims) {
            report(sent);
            if (before < sample)
                dump_contexts("first sample");
        }
    }
    dump_contexts("after");
    PQfinish(connection);
    if (failures > 0) {
        std::fprintf(stderr, "memory_driver: %lld claims failed\n", failures);
        return 1;
    }
    return 0;
}
