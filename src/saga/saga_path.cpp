#include "saga/saga_path.hpp"

#include <random>
#include <set>
#include <stdexcept>
#include <thread>

#include <pqxx/connection>
#include <pqxx/except>
#include <pqxx/nontransaction>
#include <pqxx/notification>

#include "lib/claim_error.hpp"
#include "lib/claim_row.hpp"
#include "lib/retry_policy.hpp"

namespace treasure {

namespace {

constexpr const char *done_channel = "treasure_saga_done";

#define TREASURE_SAGA_COLUMNS(saga_id)                                                                    \
    "SELECT " saga_id ", s.status, s.replayed, s.claim_id, s.coins_awarded, s.item_awarded, s.item_qty, " \
    "s.key_used, s.balance, to_char(s.claimed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
// 1.3.0: claim_details() in the same statement, for a decided saga only (status NULL: still running).
#define TREASURE_SAGA_DETAILS                                    \
    ", CASE WHEN s.status IS NOT NULL AND s.status <> 'failed' " \
    "THEN treasure.claim_details($1::bigint, s.claim_id, s.status)::text END"
#define TREASURE_SAGA_START " FROM treasure.saga_claim($1::bigint, $2::bigint, $3::uuid, $4::bigint) s"
#define TREASURE_SAGA_OUTCOME " FROM treasure.saga_outcome($1::bigint, $2::bigint) s"

constexpr const char *start_sql = TREASURE_SAGA_COLUMNS("s.saga_id") TREASURE_SAGA_START;
constexpr const char *outcome_sql = TREASURE_SAGA_COLUMNS("NULL::bigint") TREASURE_SAGA_OUTCOME;
constexpr const char *start_with_details_sql =
    TREASURE_SAGA_COLUMNS("s.saga_id") TREASURE_SAGA_DETAILS TREASURE_SAGA_START;
constexpr const char *outcome_with_details_sql =
    TREASURE_SAGA_COLUMNS("NULL::bigint") TREASURE_SAGA_DETAILS TREASURE_SAGA_OUTCOME;

// Columns 1..9 (and 10, claim_details()) of start_sql / outcome_sql; status is not NULL.
ClaimResult read_result(const pqxx::row &row)
{
    const auto status_text = row[1].as<std::string>();
    if (status_text == "failed")
        throw ClaimError(ClaimErrorKind::unavailable,
                         "the saga failed and was compensated; retry with the same request_id");
    return claim_result_from_row(row, 1, PathKind::saga);
}

// Remembers which sagas finished since it was last cleared (payload = saga_id).
class DoneReceiver final : public pqxx::notification_receiver {
public:
    explicit DoneReceiver(pqxx::connection_base &connection) : pqxx::notification_receiver(connection, done_channel) {}
    void operator()(const std::string &payload, int) override { done_.insert(payload); }
    bool seen(const std::string &saga_id) const { return done_.count(saga_id) > 0; }
    void clear() { done_.clear(); }

private:
    std::set<std::string> done_;
};

}  // namespace

// One connection and its LISTEN; reopened when found broken.
struct SagaPath::Slot {
    std::unique_ptr<pqxx::connection> connection;
    std::unique_ptr<DoneReceiver> receiver;

    void open(const std::string &dsn, ClaimDetailsStatements &statements)
    {
        receiver.reset();
        connection = std::make_unique<pqxx::connection>(dsn);
        statements.setup(*connection);
        receiver = std::make_unique<DoneReceiver>(*connection);
    }
    void discard() noexcept
    {
        receiver.reset();
        connection.reset();
    }
};

SagaPath::SagaPath(SagaPathOptions options)
    : options_(std::move(options)), statements_([](pqxx::connection &connection, bool with_details) {
          connection.unprepare("saga_start");
          connection.unprepare("saga_outcome");
          connection.prepare("saga_start", with_details ? start_with_details_sql : start_sql);
          connection.prepare("saga_outcome", with_details ? outcome_with_details_sql : outcome_sql);
      })
{
    if (options_.pool_size == 0)
        throw std::invalid_argument("saga path: pool_size must be at least 1");
    for (std::size_t i = 0; i < options_.pool_size; ++i) {
        auto slot = std::make_unique<Slot>();
        try {
            slot->open(options_.dsn, statements_);
        } catch (const std::exception &error) {
            throw std::runtime_error(std::string("saga path: cannot connect: ") + primary_error_message(error.what()));
        }
        free_.push_back(slot.get());
        slots_.push_back(std::move(slot));
    }
}

SagaPath::~SagaPath() = default;

bool SagaPath::available(const std::string &dsn)
{
    pqxx::connection connection(dsn);
    pqxx::nontransaction transaction(connection);
    const auto rows =
        transaction.exec("SELECT to_regprocedure('treasure.saga_claim(bigint, bigint, uuid, bigint)') IS NOT NULL");
    return rows.size() == 1 && rows[0][0].as<bool>();
}

SagaPath::Lease SagaPath::acquire(std::chrono::steady_clock::time_point deadline)
{
    std::unique_lock<std::mutex> lock(mutex_);
    if (!freed_.wait_until(lock, deadline, [this] { return !free_.empty(); }))
        throw ClaimError(ClaimErrorKind::unavailable, "saga path: no free connection before the deadline");
    Slot *slot = free_.back();
    free_.pop_back();
    return Lease(*this, *slot);
}

void SagaPath::release(Slot &slot) noexcept
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        free_.push_back(&slot);
    }
    freed_.notify_one();
}

ClaimResult SagaPath::attempt(Slot &slot, const ClaimRequest &request, std::chrono::steady_clock::time_point deadline)
{
    if (!slot.connection || !slot.receiver || !slot.connection->is_open())
        slot.open(options_.dsn, statements_);
    pqxx::connection &connection = *slot.connection;
    slot.receiver->clear();

    std::string saga_id;
    {
        const std::string session = request.session_id ? std::to_string(*request.session_id) : std::string();
        const pqxx::result rows = statements_.run(connection, [&] {
            pqxx::nontransaction transaction(connection);
            return transaction.exec_prepared("saga_start", request.player_id, request.chest_id, request.request_id,
                                             request.session_id ? session.c_str() : static_cast<const char *>(nullptr));
        });
        if (rows.size() != 1)
            throw ClaimError(ClaimErrorKind::internal,
                             "saga_claim() returned " + std::to_string(rows.size()) + " rows");
        if (!rows[0][1].is_null())
            return read_result(rows[0]);
        saga_id = rows[0][0].as<std::string>();
    }

    // The saga runs; its answer is known when treasure_saga_done carries its id.  Look once first: it may
    // have finished before this connection read the notification.
    bool look = true;
    for (;;) {
        if (look) {
            const pqxx::result rows = statements_.run(connection, [&] {
                pqxx::nontransaction transaction(connection);
                return transaction.exec_prepared("saga_outcome", request.player_id, saga_id);
            });
            if (!rows.empty())
                return read_result(rows[0]);
        }
        const auto now = std::chrono::steady_clock::now();
        if (now >= deadline)
            throw ClaimError(ClaimErrorKind::unavailable,
                             "saga " + saga_id + " did not finish before the deadline; retry with the same request_id");
        // Wake at least every 200 ms to look again (a missed notification cannot stall a claim).
        const auto wait = std::min<std::chrono::microseconds>(
            std::chrono::duration_cast<std::chrono::microseconds>(deadline - now), std::chrono::milliseconds(200));
        connection.await_notification(static_cast<long>(wait.count() / 1000000),
                                      static_cast<long>(wait.count() % 1000000));
        look = slot.receiver->seen(saga_id) || std::chrono::steady_clock::now() >= now + wait;
    }
}

ClaimResult SagaPath::claim(const ValidClaimRequest &request)
{
    thread_local std::mt19937_64 random{std::random_device{}()};
    const auto deadline = std::chrono::steady_clock::now() + options_.deadline;

    for (int attempt_number = 1;; ++attempt_number) {
        Lease lease = acquire(deadline);
        Slot &slot = lease.slot();
        RetryableFailure failure;
        try {
            return attempt(slot, *request, deadline);
        } catch (const pqxx::sql_error &error) {
            // 1.3.0's saga path refuses a chest with stock, loot, bundle items, or while a claim limit or cap is
            // set, before it writes anything (CONTRACT-1.3.0.md): no retry can change that.
            if (error.sqlstate() == "0A000")
                throw ClaimError(ClaimErrorKind::no_path,
                                 "the saga path does not claim this chest (" + primary_error_message(error.what()) +
                                     "); claim it on the atomic path",
                                 error.sqlstate());
            failure = classify_failed_attempt([&slot] { return slot.connection && slot.connection->is_open(); },
                                              OtherFailure::reconnect);
        } catch (...) {
            failure = classify_failed_attempt([&slot] { return slot.connection && slot.connection->is_open(); },
                                              OtherFailure::reconnect);
        }
        if (failure.reconnect)
            slot.discard();
        {
            // Give the slot back while sleeping so other claims can use it.
            Lease released = std::move(lease);
        }

        // 40001 here mostly means another request's saga holds this chest: wait a little and ask again.
        std::uniform_int_distribution<int> jitter(1, std::min(50, 2 << std::min(attempt_number, 5)));
        const auto pause = std::chrono::milliseconds(jitter(random));
        if (std::chrono::steady_clock::now() + pause >= deadline)
            throw ClaimError(ClaimErrorKind::unavailable, "saga claim not confirmed before the deadline (" +
                                                              std::to_string(attempt_number) +
                                                              " attempts); last failure: " + failure.message);
        std::this_thread::sleep_for(pause);
    }
}

}  // namespace treasure
