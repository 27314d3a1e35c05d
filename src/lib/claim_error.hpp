#pragma once
// The failures a claim can end in, typed so the gateway and the CLI can answer each one precisely.
#include <stdexcept>
#include <string>
#include <string_view>

namespace treasure {

enum class ClaimErrorKind {
    bad_request,          // SQLSTATE class 22 or invalid input caught before the database
    unknown_chest,        // P0002
    request_id_conflict,  // 23505: the request_id was already used for another player or chest
    unavailable,          // retries exhausted, pool exhausted or database unreachable
    no_path,              // the flag or the breaker sends the request to a path that is not configured
    internal,             // anything else
};

std::string_view to_string(ClaimErrorKind kind);

// 5xx-class: the server's fault, what the circuit breaker counts as a failure.
bool is_server_fault(ClaimErrorKind kind);

class ClaimError : public std::runtime_error {
public:
    ClaimError(ClaimErrorKind kind, const std::string &message, std::string sqlstate = {});
    ClaimErrorKind kind() const noexcept { return kind_; }
    const std::string &sqlstate() const noexcept { return sqlstate_; }

private:
    ClaimErrorKind kind_;
    std::string sqlstate_;
};

}  // namespace treasure
