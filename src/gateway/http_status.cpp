#include "gateway/http_status.hpp"

namespace treasure {

int http_status(ClaimStatus status)
{
    switch (status) {
    case ClaimStatus::claimed: return 200;
    case ClaimStatus::already_claimed: return 409;
    case ClaimStatus::key_required: return 422;
    case ClaimStatus::chest_closed: return 422;
    case ClaimStatus::sold_out: return 410;
    case ClaimStatus::rate_limited: return 429;
    case ClaimStatus::wallet_full: return 422;
    case ClaimStatus::inventory_full: return 422;
    case ClaimStatus::unknown: return 422;
    }
    return 422;
}

int http_status(ClaimErrorKind kind)
{
    switch (kind) {
    case ClaimErrorKind::bad_request: return 400;
    case ClaimErrorKind::unknown_chest: return 404;
    case ClaimErrorKind::request_id_conflict: return 422;
    case ClaimErrorKind::unavailable: return 503;
    case ClaimErrorKind::no_path: return 503;
    case ClaimErrorKind::internal: return 500;
    }
    return 500;
}

}  // namespace treasure
