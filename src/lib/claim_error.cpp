#include "lib/claim_error.hpp"

#include <utility>

namespace treasure {

std::string_view to_string(ClaimErrorKind kind)
{
    switch (kind) {
    case ClaimErrorKind::bad_request: return "bad_request";
    case ClaimErrorKind::unknown_chest: return "unknown_chest";
    case ClaimErrorKind::request_id_conflict: return "request_id_conflict";
    case ClaimErrorKind::unavailable: return "unavailable";
    case ClaimErrorKind::no_path: return "no_path";
    case ClaimErrorKind::internal: return "internal";
    }
    return "internal";
}

bool is_server_fault(ClaimErrorKind kind)
{
    return kind == ClaimErrorKind::unavailable || kind == ClaimErrorKind::no_path || kind == ClaimErrorKind::internal;
}

ClaimError::ClaimError(ClaimErrorKind kind, const std::string &message, std::string sqlstate)
    : std::runtime_error(message), kind_(kind), sqlstate_(std::move(sqlstate))
{}

}  // namespace treasure
