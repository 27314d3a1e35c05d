#pragma once
// Reading an Answer's headers in the gateway's unit tests.
#include <string>
#include <utility>
#include <vector>

namespace treasure::testing {

using Headers = std::vector<std::pair<std::string, std::string>>;

// The first value of name, or "<absent>".
inline std::string header_value(const Headers &headers, const std::string &name)
{
    for (const auto &[key, value] : headers)
        if (key == name)
            return value;
    return "<absent>";
}

inline bool has_access_control_header(const Headers &headers)
{
    for (const auto &entry : headers)
        if (entry.first.rfind("Access-Control-", 0) == 0)
            return true;
    return false;
}

}  // namespace treasure::testing
