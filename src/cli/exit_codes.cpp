#include "cli/exit_codes.hpp"

namespace treasure::exit_code {

int for_status(ClaimStatus status)
{
    switch (status) {
    case ClaimStatus::claimed: return claimed;
    case ClaimStatus::already_claimed: return already_claimed;
    case ClaimStatus::key_required: return key_required;
    case ClaimStatus::chest_closed: return chest_closed;
    case ClaimStatus::sold_out: return sold_out;
    case ClaimStatus::rate_limited: return rate_limited;
    case ClaimStatus::wallet_full: return wallet_full;
    case ClaimStatus::inventory_full: return inventory_full;
    case ClaimStatus::unknown: return unknown_status;
    }
    return unknown_status;
}

int for_error(ClaimErrorKind kind)
{
    switch (kind) {
    case ClaimErrorKind::bad_request: return bad_request;
    case ClaimErrorKind::unknown_chest: return unknown_chest;
    case ClaimErrorKind::request_id_conflict: return request_id_conflict;
    case ClaimErrorKind::unavailable: return unavailable;
    case ClaimErrorKind::no_path: return unavailable;
    case ClaimErrorKind::internal: return internal;
    }
    return internal;
}

int for_refusal(int http_status)
{
    switch (http_status) {
    case 401: return unauthenticated;
    case 403: return forbidden;
    case 429: return rate_limited;
    }
    return internal;
}

}  // namespace treasure::exit_code
