#include "saga/saga_worker.hpp"

#include <iostream>
#include <mutex>
#include <thread>

#include <pqxx/connection>
#include <pqxx/except>
#include <pqxx/nontransaction>
#include <pqxx/notification>

namespace treasure {

namespace {

std::mutex log_mutex;

void log_line(const std::string &line)
{
    std::lock_guard<std::mutex> lock(log_mutex);
    std::cout << line << std::endl;
}

// LISTEN on the role's channel; the payload carries nothing, a wake-up is all it is for.
class WakeReceiver final : public pqxx::notification_receiver {
public:
    WakeReceiver(pqxx::connection_base &connection, const std::string &channel)
        : pqxx::notification_receiver(connection, channel)
    {}
    void operator()(const std::string &, int) override {}
};

}  // namespace

std::string_view to_string(SagaRole role)
{
    switch (role) {
    case SagaRole::inventory: return "inventory";
    case SagaRole::wallet: return "wallet";
    case SagaRole::orchestrator: return "orchestrator";
    case SagaRole::analytics: return "analytics";
    }
    return "unknown";
}

std::optional<SagaRole> parse_saga_role(std::string_view text)
{
    for (SagaRole role : {SagaRole::inventory, SagaRole::wallet, SagaRole::orchestrator, SagaRole::analytics})
        if (text == to_string(role))
            return role;
    return std::nullopt;
}

void SagaWorker::serve(const std::atomic<bool> &stop)
{
    pqxx::connection connection(options_.dsn);
    const std::string role(to_string(options_.role));
    WakeReceiver wake(connection, "treasure_saga_" + role);
    connection.prepare("work", "SELECT saga_id, step, result FROM treasure.saga_work($1, $2)");
    connection.prepare("expire", "SELECT treasure.saga_expire($1::bigint * interval '1 millisecond')");
    const char *fail_step = options_.fail_step.empty() ? nullptr : options_.fail_step.c_str();

    while (!stop.load()) {
        // The orchestrator times out stuck sagas before it commits anything: after a restart, a saga that
        // waited past its deadline is compensated, not committed late.
        if (options_.role == SagaRole::orchestrator) {
            pqxx::nontransaction transaction(connection);
            const auto expired = transaction.exec_prepared("expire", options_.step_timeout.count())[0][0].as<int>();
            if (expired > 0 && options_.verbose)
                log_line("orchestrator: timed out " + std::to_string(expired) + " saga(s)");
        }
        // Drain the queue, one message (one transaction) at a time.
        for (;;) {
            if (stop.load())
                return;
            pqxx::nontransaction transaction(connection);
            const pqxx::result rows = transaction.exec_prepared("work", role, fail_step);
            if (rows.empty())
                break;
            ++steps_;
            if (options_.verbose)
                log_line(role + ": saga " + rows[0][0].as<std::string>() + " " + rows[0][1].as<std::string>() + " " +
                         rows[0][2].as<std::string>());
        }
        const auto poll = options_.role == SagaRole::orchestrator
                              ? std::min(options_.poll, options_.step_timeout / 2 + std::chrono::milliseconds(1))
                              : options_.poll;
        connection.await_notification(static_cast<long>(poll.count() / 1000),
                                      static_cast<long>(poll.count() % 1000) * 1000);
    }
}

void SagaWorker::run(const std::atomic<bool> &stop)
{
    const std::string role(to_string(options_.role));
    while (!stop.load()) {
        try {
            serve(stop);
        } catch (const pqxx::broken_connection &error) {
            log_line(role + ": connection lost, reconnecting: " + error.what());
        } catch (const std::exception &error) {
            log_line(role + ": " + error.what());
        }
        if (!stop.load())
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
}

}  // namespace treasure
