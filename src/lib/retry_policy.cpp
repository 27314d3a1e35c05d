#include "lib/retry_policy.hpp"

#include <algorithm>

#include <pqxx/except>

#include "lib/claim_error.hpp"
#include "lib/claim_row.hpp"
#include "lib/sqlstate.hpp"

namespace treasure {

std::chrono::microseconds RetryPolicy::backoff(int retry, std::mt19937_64 &random) const
{
    using std::chrono::microseconds;
    const auto base = std::chrono::duration_cast<microseconds>(base_backoff).count();
    const auto cap = std::chrono::duration_cast<microseconds>(max_backoff).count();
    const int shift = std::clamp(retry, 0, 30);
    const auto ceiling = std::min<long long>(cap, base << shift);
    if (ceiling <= 0)
        return microseconds(0);
    std::uniform_int_distribution<long long> pick(0, ceiling);
    return microseconds(pick(random));
}

RetryableFailure classify_failed_attempt(const std::function<bool()> &connection_open, OtherFailure other)
{
    try {
        throw;
    } catch (const pqxx::broken_connection &error) {
        return RetryableFailure{true, "connection lost: " + primary_error_message(error.what())};
    } catch (const pqxx::in_doubt_error &error) {
        return RetryableFailure{true, "commit in doubt: " + primary_error_message(error.what())};
    } catch (const pqxx::sql_error &error) {
        const std::string &sqlstate = error.sqlstate();
        const std::string message = primary_error_message(error.what());
        const std::string failure = "SQLSTATE " + sqlstate + ": " + message;
        switch (classify_sqlstate(sqlstate)) {
        case SqlstateMeaning::retry: return RetryableFailure{false, failure};
        case SqlstateMeaning::connection_lost: return RetryableFailure{true, failure};
        case SqlstateMeaning::bad_request: throw ClaimError(ClaimErrorKind::bad_request, message, sqlstate);
        case SqlstateMeaning::unknown_chest: throw ClaimError(ClaimErrorKind::unknown_chest, message, sqlstate);
        case SqlstateMeaning::request_id_conflict:
            throw ClaimError(ClaimErrorKind::request_id_conflict, message, sqlstate);
        case SqlstateMeaning::undefined_object:  // ClaimDetailsStatements already asked again and retried
        case SqlstateMeaning::other:
            // A server that is going away can report its last error with any SQLSTATE.
            if (!connection_open())
                return RetryableFailure{true, failure};
            break;
        }
        throw ClaimError(ClaimErrorKind::internal, failure, sqlstate);
    } catch (const ClaimError &) {
        throw;
    } catch (const std::exception &error) {
        if (other == OtherFailure::rethrow)
            throw;
        return RetryableFailure{true, error.what()};
    }
}

}  // namespace treasure
