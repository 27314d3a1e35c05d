#include "lib/pipelined_claims.hpp"

#include <poll.h>

#include <algorithm>
#include <stdexcept>
#include <thread>
#include <utility>

#include <libpq-fe.h>
#include <pqxx/except>

#include "lib/claim_details_statements.hpp"
#include "lib/claim_row.hpp"
#include "lib/claim_statement.hpp"
#include "lib/sqlstate.hpp"

namespace treasure {

namespace {

constexpr const char *statement_name = "treasure_claim";

using Result = std::unique_ptr<PGresult, decltype(&PQclear)>;

std::string connection_error(PGconn *connection)
{
    return connection ? PQerrorMessage(connection) : "out of memory opening a connection";
}

// A failed setup statement as the exception libpqxx would have thrown for it, so classify_failed_attempt() reads
// it as it reads Client's.
[[noreturn]] void throw_failed(PGconn *connection, const PGresult *result, const char *sql)
{
    const char *sqlstate = result ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
    if (PQstatus(connection) != CONNECTION_OK || !sqlstate)
        throw pqxx::broken_connection(connection_error(connection));
    throw pqxx::sql_error(PQresultErrorMessage(result), sql, sqlstate);
}

Result run_blocking(PGconn *connection, const char *sql, ExecStatusType expected)
{
    Result result(PQexec(connection, sql), &PQclear);
    if (PQresultStatus(result.get()) != expected)
        throw_failed(connection, result.get(), sql);
    return result;
}

}  // namespace

void PipelinedClaims::ConnectionCloser::operator()(pg_conn *connection) const { PQfinish(connection); }

PipelinedClaims::PipelinedClaims(PipelinedClaimsOptions options) : options_(std::move(options))
{
    if (options_.depth < 1 || options_.depth > max_pipeline_depth)
        throw std::invalid_argument("pipeline depth must be within 1.." + std::to_string(max_pipeline_depth) +
                                    ", got " + std::to_string(options_.depth));
    if (options_.retry.max_attempts < 1)
        throw std::invalid_argument("retry policy: max_attempts must be at least 1");
    try {
        connect();
    } catch (const std::exception &error) {
        throw std::runtime_error(std::string("cannot open database connection: ") + error.what());
    }
}

PipelinedClaims::~PipelinedClaims() { close_connection(); }

int PipelinedClaims::backend_pid() const { return connection_ ? PQbackendPID(connection_.get()) : 0; }

int PipelinedClaims::socket() const { return connection_ ? PQsocket(connection_.get()) : -1; }

void PipelinedClaims::close_connection()
{
    if (connection_ && before_close_)
        before_close_(PQsocket(connection_.get()));
    connection_.reset();
    output_pending_ = false;
}

void PipelinedClaims::connect()
{
    connection_.reset(PQconnectdb(options_.dsn.c_str()));
    try {
        if (!connection_ || PQstatus(connection_.get()) != CONNECTION_OK)
            throw pqxx::broken_connection(connection_error(connection_.get()));
        setup_statement();
        if (PQsetnonblocking(connection_.get(), 1) != 0 || PQenterPipelineMode(connection_.get()) != 1)
            throw pqxx::broken_connection(connection_error(connection_.get()));
    } catch (...) {
        connection_.reset();
        throw;
    }
}

// Outside pipeline mode, blocking: ask whether claim_details() exists and prepare the matching statement.
void PipelinedClaims::setup_statement()
{
    PGconn *connection = connection_.get();
    const Result answer = run_blocking(connection, claim_details_probe_sql, PGRES_TUPLES_OK);
    with_details_ = PQntuples(answer.get()) == 1 && std::string_view(PQgetvalue(answer.get(), 0, 0)) == "t";
    asked_at_ = clock::now();
    setup_due_ = false;
    run_blocking(connection, "DEALLOCATE ALL", PGRES_COMMAND_OK);
    const char *sql = claim_statement_sql(with_details_);
    const Result prepared(PQprepare(connection, statement_name, sql, 4, nullptr), &PQclear);
    if (PQresultStatus(prepared.get()) != PGRES_COMMAND_OK)
        throw_failed(connection, prepared.get(), sql);
}

// As ClaimDetailsStatements does for Client: a 1.2.0 connection asks again every claim_details_reprobe_interval,
// and a 1.3.0 one whose statement lost what it names asks at once.  Pipeline mode must be left for it, so this
// waits until nothing is in flight.
void PipelinedClaims::setup_when_idle()
{
    PGconn *connection = connection_.get();
    try {
        if (PQexitPipelineMode(connection) != 1 || PQsetnonblocking(connection, 0) != 0)
            throw pqxx::broken_connection(connection_error(connection));
        setup_statement();
        if (PQsetnonblocking(connection, 1) != 0 || PQenterPipelineMode(connection) != 1)
            throw pqxx::broken_connection(connection_error(connection));
    } catch (const std::exception &error) {
        lose_connection(error.what());  // the next tap opens a new connection, which asks as it is set up
    }
}

void PipelinedClaims::submit(std::uint64_t tag, const ValidClaimRequest &request)
{
    Tap tap;
    tap.tag = tag;
    tap.request = *request;
    ready_.push_back(std::move(tap));
    ++unfinished_;
}

bool PipelinedClaims::send(Tap &tap)
{
    const ClaimRequest &request = tap.request;
    const std::string player = std::to_string(request.player_id);
    const std::string chest = std::to_string(request.chest_id);
    const std::string session = request.session_id ? std::to_string(*request.session_id) : std::string();
    const char *values[4] = {player.c_str(), chest.c_str(), request.request_id.c_str(),
                             request.session_id ? session.c_str() : nullptr};
    // Its own Sync: the tap commits (or rolls back) alone, and an error skips only to here.
    return PQsendQueryPrepared(connection_.get(), statement_name, 4, values, nullptr, nullptr, 0) == 1 &&
           PQpipelineSync(connection_.get()) == 1;
}

void PipelinedClaims::send_ready_taps()
{
    const auto now = clock::now();
    while (!backoff_.empty() && backoff_.begin()->first <= now) {
        ready_.push_back(std::move(backoff_.begin()->second));
        backoff_.erase(backoff_.begin());
    }
    while (!ready_.empty() && in_flight_.size() < static_cast<std::size_t>(options_.depth)) {
        if (!connection_) {
            if (stepping_)
                return;  // step() never reconnects: its caller watches one socket
            try {
                connect();
                ++stats_.reconnects;
            } catch (...) {
                // Each waiting tap tried and did not reach the server: one failed attempt each, as in Client.
                std::deque<Tap> unsent;
                unsent.swap(ready_);
                for (Tap &tap : unsent) {
                    if (tap.attempts++ == 0)
                        tap.deadline = now + options_.retry.deadline;
                    attempt_failed(std::move(tap), false);
                }
                return;
            }
        }
        const bool reprobe_due = !with_details_ && now - asked_at_ >= claim_details_reprobe_interval;
        if (setup_due_ || reprobe_due) {
            if (!in_flight_.empty())
                return;  // sent again once the pipeline has drained
            setup_when_idle();
            continue;
        }
        Tap tap = std::move(ready_.front());
        ready_.pop_front();
        if (tap.attempts++ == 0)
            tap.deadline = now + options_.retry.deadline;
        tap.result.reset();
        tap.unreadable.reset();
        tap.sqlstate.clear();
        tap.error_message.clear();
        in_flight_.push_back(std::move(tap));
        if (!send(in_flight_.back())) {
            lose_connection(connection_error(connection_.get()));
            return;
        }
    }
}

std::vector<PipelinedOutcome> PipelinedClaims::collect(clock::time_point until)
{
    for (;;) {
        send_ready_taps();
        if (connection_ && !in_flight_.empty())
            read_results();
        if (!finished_.empty() || unfinished_ == 0) {
            std::vector<PipelinedOutcome> outcomes;
            outcomes.swap(finished_);
            return outcomes;
        }
        const auto now = clock::now();
        if (now >= until)
            return {};
        auto wake = until;
        if (!backoff_.empty())
            wake = std::min(wake, backoff_.begin()->first);
        if (connection_ && !in_flight_.empty())
            wait_and_read(wake);
        else
            std::this_thread::sleep_until(wake);
    }
}

std::vector<PipelinedOutcome> PipelinedClaims::claim_all(const std::vector<ValidClaimRequest> &requests)
{
    for (std::size_t i = 0; i < requests.size(); ++i)
        submit(i, requests[i]);
    std::vector<PipelinedOutcome> outcomes(requests.size());
    std::size_t collected = 0;
    while (collected < requests.size()) {
        for (PipelinedOutcome &outcome : collect(clock::now() + std::chrono::seconds(1))) {
            const std::size_t index = outcome.tag;
            outcomes[index] = std::move(outcome);
            ++collected;
        }
    }
    return outcomes;
}

std::vector<PipelinedOutcome> PipelinedClaims::step()
{
    stepping_ = true;
    if (connection_)
        send_ready_taps();
    stepping_ = false;
    if (connection_) {
        PGconn *connection = connection_.get();
        const int unflushed = PQflush(connection);
        if (unflushed < 0 || PQconsumeInput(connection) != 1)
            lose_connection(connection_error(connection));
        else
            output_pending_ = unflushed == 1;
        read_results();
    }
    if (connection_ && !ready_.empty()) {  // a tap read back to be asked again, or a slot the answers freed
        stepping_ = true;
        send_ready_taps();
        stepping_ = false;
        if (connection_) {
            const int unflushed = PQflush(connection_.get());
            if (unflushed < 0)
                lose_connection(connection_error(connection_.get()));
            else
                output_pending_ = unflushed == 1;
        }
    }
    std::vector<PipelinedOutcome> outcomes;
    outcomes.swap(finished_);
    return outcomes;
}

void PipelinedClaims::wait_and_read(clock::time_point until)
{
    PGconn *connection = connection_.get();
    const int unflushed = PQflush(connection);
    if (unflushed < 0) {
        lose_connection(connection_error(connection));
        return;
    }
    pollfd socket{PQsocket(connection), static_cast<short>(POLLIN | (unflushed == 1 ? POLLOUT : 0)), 0};
    const auto wait = std::max(clock::duration::zero(), until - clock::now());
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(wait);
    const timespec timeout{
        static_cast<time_t>(seconds.count()),
        static_cast<long>(std::chrono::duration_cast<std::chrono::nanoseconds>(wait - seconds).count())};
    if (ppoll(&socket, 1, &timeout, nullptr) <= 0)
        return;
    if ((socket.revents & (POLLIN | POLLERR | POLLHUP)) && PQconsumeInput(connection) != 1) {
        lose_connection(connection_error(connection));
        return;
    }
    read_results();
}

void PipelinedClaims::read_results()
{
    bool query_ended = false;  // a NULL ended the front tap's query; another NULL means nothing more has arrived
    while (connection_ && !in_flight_.empty() && PQisBusy(connection_.get()) == 0) {
        PGconn *connection = connection_.get();
        const Result result(PQgetResult(connection), &PQclear);
        if (!result) {
            if (PQstatus(connection) != CONNECTION_OK) {
                lose_connection(connection_error(connection));
                return;
            }
            if (query_ended)
                return;
            query_ended = true;
            continue;
        }
        query_ended = false;
        Tap &tap = in_flight_.front();
        switch (PQresultStatus(result.get())) {
        case PGRES_TUPLES_OK:
            if (PQntuples(result.get()) != 1) {
                tap.unreadable = ClaimError(ClaimErrorKind::internal, "claim_treasure() returned " +
                                                                          std::to_string(PQntuples(result.get())) +
                                                                          " rows instead of 1");
                break;
            }
            try {
                std::vector<const char *> columns;
                for (int column = 0; column < PQnfields(result.get()); ++column)
                    columns.push_back(PQgetisnull(result.get(), 0, column) ? nullptr
                                                                           : PQgetvalue(result.get(), 0, column));
                tap.result = claim_result_from_text(columns, PathKind::atomic);
            } catch (const ClaimError &error) {
                tap.unreadable = error;
            } catch (const std::exception &error) {
                tap.unreadable = ClaimError(ClaimErrorKind::internal, error.what());
            }
            break;
        case PGRES_FATAL_ERROR: {
            const char *sqlstate = PQresultErrorField(result.get(), PG_DIAG_SQLSTATE);
            if (!sqlstate) {  // libpq's own: the connection failed
                lose_connection(PQresultErrorMessage(result.get()));
                return;
            }
            tap.sqlstate = sqlstate;
            tap.error_message = PQresultErrorMessage(result.get());
            break;
        }
        case PGRES_PIPELINE_SYNC: finish_front_tap(); break;
        default:
            tap.unreadable = ClaimError(ClaimErrorKind::internal, std::string("claim_treasure() answered ") +
                                                                      PQresStatus(PQresultStatus(result.get())));
            break;
        }
        if (connection_ && PQstatus(connection_.get()) != CONNECTION_OK) {
            lose_connection(connection_error(connection_.get()));
            return;
        }
    }
}

// The front tap's Sync arrived: its transaction is over, and what it read is its answer.
void PipelinedClaims::finish_front_tap()
{
    Tap tap = std::move(in_flight_.front());
    in_flight_.pop_front();
    if (!tap.sqlstate.empty()) {
        if (with_details_ && !tap.asked_again && classify_sqlstate(tap.sqlstate) == SqlstateMeaning::undefined_object) {
            // Not planned, so nothing written; the same tap goes again on the re-prepared statement, not as a retry.
            setup_due_ = true;
            tap.asked_again = true;
            --tap.attempts;
            ready_.push_front(std::move(tap));
            return;
        }
        try {
            throw pqxx::sql_error(tap.error_message, claim_statement_sql(with_details_), tap.sqlstate.c_str());
        } catch (...) {
            attempt_failed(std::move(tap), connection_ && PQstatus(connection_.get()) == CONNECTION_OK);
        }
        return;
    }
    if (tap.unreadable) {
        auto error = std::move(tap.unreadable);
        finish(std::move(tap), std::nullopt, std::move(error));
    } else if (tap.result) {
        auto result = std::move(tap.result);
        finish(std::move(tap), std::move(result), std::nullopt);
    } else {
        finish(std::move(tap), std::nullopt,
               ClaimError(ClaimErrorKind::internal, "claim_treasure() returned no rows instead of 1"));
    }
}

// Every tap whose Sync was not read has an unknown outcome: it may have committed.  Each is an attempt that
// failed with the connection, retried with its own request_id like Client's, which the database replays.
void PipelinedClaims::lose_connection(const std::string &why)
{
    std::deque<Tap> lost;
    lost.swap(in_flight_);
    close_connection();
    for (Tap &tap : lost) {
        try {
            if (!tap.sqlstate.empty())  // its ErrorResponse arrived, 57P01 from pg_terminate_backend() say
                throw pqxx::sql_error(tap.error_message, claim_statement_sql(with_details_), tap.sqlstate.c_str());
            throw pqxx::broken_connection(why);
        } catch (...) {
            attempt_failed(std::move(tap), false);
        }
    }
}

void PipelinedClaims::attempt_failed(Tap &&tap, bool connection_open)
{
    RetryableFailure failure;
    try {
        failure = classify_failed_attempt([connection_open] { return connection_open; }, OtherFailure::rethrow);
    } catch (const ClaimError &error) {
        finish(std::move(tap), std::nullopt, error);
        return;
    } catch (const std::exception &error) {  // what the Router answers internal for Client
        finish(std::move(tap), std::nullopt, ClaimError(ClaimErrorKind::internal, error.what()));
        return;
    }
    if (failure.reconnect && connection_)
        lose_connection(failure.message);
    if (tap.attempts >= options_.retry.max_attempts) {
        give_up(std::move(tap), "claim not confirmed after " + std::to_string(tap.attempts) +
                                    " attempts; last failure: " + failure.message);
        return;
    }
    const auto pause = options_.retry.backoff(tap.attempts - 1, random_);
    const auto now = clock::now();
    if (now + pause >= tap.deadline) {
        give_up(std::move(tap), "claim not confirmed within " + std::to_string(options_.retry.deadline.count()) +
                                    " ms (" + std::to_string(tap.attempts) +
                                    " attempts); last failure: " + failure.message);
        return;
    }
    ++stats_.retries;
    backoff_.emplace(now + pause, std::move(tap));
}

void PipelinedClaims::give_up(Tap &&tap, const std::string &why)
{
    finish(std::move(tap), std::nullopt, ClaimError(ClaimErrorKind::unavailable, why));
}

void PipelinedClaims::finish(Tap &&tap, std::optional<ClaimResult> result, std::optional<ClaimError> error)
{
    finished_.push_back(PipelinedOutcome{tap.tag, std::move(result), std::move(error)});
    --unfinished_;
}

}  // namespace treasure
