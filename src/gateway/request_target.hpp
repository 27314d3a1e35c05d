#pragma once
// A request target ("/v1/leaderboard?from=...&limit=5") split into its decoded path and query parameters, the
// way cpp-httplib decoded them for the routes: %XX in both, and '+' as a space in the query.
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace treasure {

struct RequestTarget {
    std::string path;
    std::multimap<std::string, std::string, std::less<>> parameters;

    // The first value of the parameter, none when it is absent.
    std::optional<std::string> parameter(std::string_view name) const;
};

RequestTarget parse_request_target(std::string_view target);

}  // namespace treasure
