#pragma once
// What a SQLSTATE from claim_treasure() means for the client: retry, reconnect and retry, or which error.
#include <string_view>

namespace treasure {

enum class SqlstateMeaning {
    retry,                // 40001 serialization failure, 40P01 deadlock
    connection_lost,      // class 08, 57P01-57P03: the server went away; reconnect and retry
    bad_request,          // class 22 (22004 NULL, 22023 invalid value, 22003 overflow, ...)
    unknown_chest,        // P0002
    request_id_conflict,  // 23505
    undefined_object,     // 42883 function, 42P01 table: gone under a prepared statement (ALTER EXTENSION UPDATE)
    other,
};

SqlstateMeaning classify_sqlstate(std::string_view sqlstate);

}  // namespace treasure
