#pragma once
// Which statements each connection of a pool uses: the 1.3.0 ones that call treasure.claim_details() in the same
// statement, or the 1.2.0 ones, and keeping that right while ALTER EXTENSION treasure UPDATE runs under live
// connections.  A connection on the 1.3.0 statements that meets 42883 or 42P01 (a downgrade to 1.2.0 dropped
// claim_details() or claim_awards) asks again, prepares again and runs its query once more; one on the 1.2.0 statements
// asks again at most every claim_details_reprobe_interval, so an upgrade to 1.3.0 reaches it without a reconnect.
#include <chrono>
#include <functional>
#include <mutex>
#include <unordered_map>
#include <utility>

#include <pqxx/connection>

namespace treasure {

// How stale a 1.2.0 connection's answer may get: one cheap catalog lookup per connection this often, so claims
// after an upgrade to 1.3.0 carry every award (bundle, loot) within this long.
constexpr std::chrono::seconds claim_details_reprobe_interval{5};

class ClaimDetailsStatements {
public:
    // Prepares the connection's statements: with claim_details() or without.  Runs again on the same
    // connection when the answer changes, so it unprepares what it prepares first (pqxx ignores unknown names).
    using Prepare = std::function<void(pqxx::connection &, bool with_details)>;

    explicit ClaimDetailsStatements(Prepare prepare) : prepare_(std::move(prepare)) {}

    // Asks and prepares: for a new connection (ConnectionPool's Setup) or one whose answer is stale.
    void setup(pqxx::connection &connection);

    // Runs query (which executes the prepared statements on connection) after a re-ask when one is due, and once
    // more after a re-ask when the 1.3.0 statements fail with 42883 or 42P01.  Any other failure propagates as is.
    template <class Query>
    auto run(pqxx::connection &connection, Query &&query) -> decltype(query())
    {
        if (reprobe_due(connection))
            setup(connection);
        try {
            return query();
        } catch (...) {
            if (!lost_details(connection))
                throw;
        }
        // The failed statement wrote nothing: the error comes from planning it, before claim_treasure() runs.
        setup(connection);
        return query();
    }

private:
    struct Answer {
        bool with_details = false;
        std::chrono::steady_clock::time_point asked_at;
    };

    bool reprobe_due(const pqxx::connection &connection);
    bool uses_details(const pqxx::connection &connection);
    // Whether the exception being handled means this connection's 1.3.0 statements lost what they name.
    bool lost_details(const pqxx::connection &connection);

    const Prepare prepare_;
    std::mutex mutex_;
    std::unordered_map<const pqxx::connection *, Answer> answers_;
};

}  // namespace treasure
