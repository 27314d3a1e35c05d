#include "lib/claim_details_statements.hpp"

#include <pqxx/except>

#include "lib/claim_row.hpp"
#include "lib/sqlstate.hpp"

namespace treasure {

void ClaimDetailsStatements::setup(pqxx::connection &connection)
{
    const bool with_details = has_claim_details(connection);
    prepare_(connection, with_details);
    std::lock_guard<std::mutex> lock(mutex_);
    answers_[&connection] = Answer{with_details, std::chrono::steady_clock::now()};
}

bool ClaimDetailsStatements::reprobe_due(const pqxx::connection &connection)
{
    std::lock_guard<std::mutex> lock(mutex_);
    const auto answer = answers_.find(&connection);
    if (answer == answers_.end())
        return true;
    return !answer->second.with_details &&
           std::chrono::steady_clock::now() - answer->second.asked_at >= claim_details_reprobe_interval;
}

bool ClaimDetailsStatements::uses_details(const pqxx::connection &connection)
{
    std::lock_guard<std::mutex> lock(mutex_);
    const auto answer = answers_.find(&connection);
    return answer != answers_.end() && answer->second.with_details;
}

bool ClaimDetailsStatements::lost_details(const pqxx::connection &connection)
{
    try {
        throw;
    } catch (const pqxx::sql_error &error) {
        return classify_sqlstate(error.sqlstate()) == SqlstateMeaning::undefined_object && uses_details(connection);
    } catch (...) {
        return false;
    }
}

}  // namespace treasure
