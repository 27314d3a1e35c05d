#pragma once
// What the gateway sends back, whatever serves the HTTP: a status, a body and its type, and the headers it needs.
// The request handling (claim_endpoint.hpp, analytics_routes.hpp) produces Answers; gateway.cpp alone hands them
// to cpp-httplib.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "lib/claim_error.hpp"

namespace treasure {

struct Answer {
    int status = 200;
    std::string body;
    std::string content_type = "application/json";
    std::vector<std::pair<std::string, std::string>> headers;
};

Answer json_answer(int status, const nlohmann::ordered_json &body);

// {"error": "<kind>", "message": "..."}, the body of every error answer.
nlohmann::ordered_json error_json(std::string_view error, std::string_view message);

// An error_json() answer; a 503 also says Retry-After: 1.
Answer error_answer(int status, std::string_view error, std::string_view message);
// The same for a ClaimError: its kind, its message and the status http_status() gives the kind.
Answer error_answer(const ClaimError &error);
// 405 for a known route asked with another method; Allow names the one it takes.
Answer method_not_allowed(const char *allowed);

}  // namespace treasure
