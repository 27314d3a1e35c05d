#include "lib/sqlstate.hpp"

namespace treasure {

SqlstateMeaning classify_sqlstate(std::string_view sqlstate)
{
    if (sqlstate == "40001" || sqlstate == "40P01")
        return SqlstateMeaning::retry;
    if (sqlstate.substr(0, 2) == "08" || sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03")
        return SqlstateMeaning::connection_lost;
    if (sqlstate.substr(0, 2) == "22")
        return SqlstateMeaning::bad_request;
    if (sqlstate == "P0002")
        return SqlstateMeaning::unknown_chest;
    if (sqlstate == "23505")
        return SqlstateMeaning::request_id_conflict;
    if (sqlstate == "42883" || sqlstate == "42P01")
        return SqlstateMeaning::undefined_object;
    return SqlstateMeaning::other;
}

}  // namespace treasure
