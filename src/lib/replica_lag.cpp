#include "lib/replica_lag.hpp"

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <utility>

#include <pqxx/connection>
#include <pqxx/nontransaction>
#include <pqxx/result>

namespace treasure {

namespace {

using Clock = std::chrono::steady_clock;

double milliseconds_between(Clock::time_point from, Clock::time_point to)
{
    return std::chrono::duration<double, std::milli>(to - from).count();
}

std::unique_ptr<pqxx::connection> open_connection(const std::string &dsn)
{
    auto connection = std::make_unique<pqxx::connection>(dsn);
    pqxx::nontransaction transaction(*connection);
    transaction.exec("SET application_name = 'treasure-replica-lag'");
    return connection;
}

std::string first_line(std::string text)
{
    text.erase(std::find(text.begin(), text.end(), '\n'), text.end());
    return text;
}

constexpr const char *primary_sql = "SELECT pg_current_wal_flush_lsn()::text";
constexpr const char *replica_sql =
    "SELECT pg_is_in_recovery(), pg_last_wal_receive_lsn()::text, pg_last_wal_replay_lsn()::text, "
    "CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() ELSE false END, "
    "extract(epoch FROM now() - pg_last_xact_replay_timestamp()) * 1000";

}  // namespace

std::uint64_t parse_lsn(std::string_view text)
{
    const auto slash = text.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 == text.size() || slash > 8 ||
        text.size() - slash - 1 > 8)
        throw std::invalid_argument("not an LSN: " + std::string(text));
    auto hex = [&text](std::string_view part) {
        std::uint64_t value = 0;
        for (const char c : part) {
            int digit = 0;
            if (c >= '0' && c <= '9')
                digit = c - '0';
            else if (c >= 'A' && c <= 'F')
                digit = c - 'A' + 10;
            else if (c >= 'a' && c <= 'f')
                digit = c - 'a' + 10;
            else
                throw std::invalid_argument("not an LSN: " + std::string(text));
            value = value * 16 + static_cast<std::uint64_t>(digit);
        }
        return value;
    };
    return (hex(text.substr(0, slash)) << 32) | hex(text.substr(slash + 1));
}

ReplicaLagMonitor::ReplicaLagMonitor(ReplicaLagOptions options) : options_(std::move(options))
{
    thread_ = std::thread([this] { run(); });
}

ReplicaLagMonitor::~ReplicaLagMonitor()
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stop_ = true;
    }
    changed_.notify_all();
    thread_.join();
}

ReplicaLag ReplicaLagMonitor::current() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    return current_;
}

ReplicaLag ReplicaLagMonitor::wait_for_first_probe(std::chrono::milliseconds timeout) const
{
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, timeout, [this] { return probes_ > 0; });
    return current_;
}

void ReplicaLagMonitor::refresh_now()
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        wake_ = true;
    }
    changed_.notify_all();
}

void ReplicaLagMonitor::publish(ReplicaLag lag)
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        current_ = lag;
        ++probes_;
    }
    changed_.notify_all();
    if (options_.on_update)
        options_.on_update(lag);
}

bool ReplicaLagMonitor::sleep_for(Clock::duration duration)
{
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait_for(lock, duration, [this] { return stop_ || wake_; });
    wake_ = false;
    return !stop_;
}

void ReplicaLagMonitor::run()
{
    // The oldest primary position the replica has not been seen to replay yet, and when it was read.
    struct Target {
        std::uint64_t lsn;
        Clock::time_point read_at;
    };
    std::unique_ptr<pqxx::connection> primary;
    std::unique_ptr<pqxx::connection> replica;
    std::optional<Target> target;
    std::optional<double> last_measured;

    for (;;) {
        Clock::duration next = options_.refresh;
        if (!target) {
            try {
                if (!primary)
                    primary = open_connection(options_.primary_dsn);
                pqxx::nontransaction transaction(*primary);
                const pqxx::result row = transaction.exec(primary_sql);
                target = Target{parse_lsn(row[0][0].c_str()), Clock::now()};
            } catch (const std::exception &) {
                primary.reset();  // measured from the replica alone below
            }
        }

        ReplicaLag lag;
        try {
            if (!replica)
                replica = open_connection(options_.replica_dsn);
            pqxx::nontransaction transaction(*replica);
            const pqxx::result rows = transaction.exec(replica_sql);
            const auto now = Clock::now();
            const pqxx::row row = rows[0];
            lag.reachable = true;
            lag.in_recovery = row[0].as<bool>();
            lag.replay_paused = row[3].as<bool>();
            if (!lag.in_recovery) {
                lag.problem = "the replica is not in recovery (promoted?)";
                target.reset();
            } else if (target) {
                lag.method = "lsn";
                const std::uint64_t replayed = row[2].is_null() ? 0 : parse_lsn(row[2].c_str());
                const double waited = milliseconds_between(target->read_at, now);
                if (replayed >= target->lsn) {
                    last_measured = waited;
                    lag.lag_ms = waited;
                    target.reset();
                } else {
                    // Behind: the lag is at least how long this position has been waiting.  Look again soon.
                    lag.lag_ms = std::max(waited, last_measured.value_or(0.0));
                    next = std::clamp<Clock::duration>(std::chrono::duration_cast<Clock::duration>(
                                                           std::chrono::duration<double, std::milli>(waited / 10)),
                                                       options_.poll, options_.refresh);
                }
            } else {
                lag.method = "replica_only";
                const bool caught_up =
                    row[1].is_null() || row[2].is_null() || parse_lsn(row[2].c_str()) >= parse_lsn(row[1].c_str());
                if (caught_up)
                    lag.lag_ms = 0.0;
                else if (!row[4].is_null())
                    lag.lag_ms = std::max(0.0, row[4].as<double>());
            }
        } catch (const std::exception &error) {
            replica.reset();
            target.reset();
            lag = ReplicaLag{};
            lag.problem = "replica unreachable: " + first_line(error.what());
        }
        lag.measured_at = Clock::now();
        publish(std::move(lag));
        if (!sleep_for(next))
            return;
    }
}

}  // namespace treasure
