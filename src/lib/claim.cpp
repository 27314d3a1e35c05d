#include "lib/claim.hpp"

#include <utility>

#include "lib/claim_error.hpp"
#include "lib/uuid.hpp"

namespace treasure {

namespace {

constexpr ClaimStatus known_statuses[] = {
    ClaimStatus::claimed,  ClaimStatus::already_claimed, ClaimStatus::key_required, ClaimStatus::chest_closed,
    ClaimStatus::sold_out, ClaimStatus::rate_limited,    ClaimStatus::wallet_full,  ClaimStatus::inventory_full,
};

}  // namespace

std::string_view to_string(ClaimStatus status)
{
    switch (status) {
    case ClaimStatus::claimed: return "claimed";
    case ClaimStatus::already_claimed: return "already_claimed";
    case ClaimStatus::key_required: return "key_required";
    case ClaimStatus::chest_closed: return "chest_closed";
    case ClaimStatus::sold_out: return "sold_out";
    case ClaimStatus::rate_limited: return "rate_limited";
    case ClaimStatus::wallet_full: return "wallet_full";
    case ClaimStatus::inventory_full: return "inventory_full";
    case ClaimStatus::unknown: return "unknown";
    }
    return "unknown";
}

ClaimStatus parse_claim_status(std::string_view text)
{
    for (ClaimStatus status : known_statuses) {
        if (to_string(status) == text)
            return status;
    }
    return ClaimStatus::unknown;
}

std::string_view status_name(const ClaimResult &result)
{
    return result.status == ClaimStatus::unknown ? std::string_view(result.unknown_status) : to_string(result.status);
}

void set_status(ClaimResult &result, std::string_view text)
{
    result.status = parse_claim_status(text);
    result.unknown_status = result.status == ClaimStatus::unknown ? std::string(text.substr(0, 64)) : std::string();
}

std::string_view to_string(PathKind path) { return path == PathKind::atomic ? "atomic" : "saga"; }

void check_positive_id(std::string_view field, std::int64_t value)
{
    if (value <= 0)
        throw ClaimError(ClaimErrorKind::bad_request,
                         std::string(field) + " must be positive, got " + std::to_string(value));
}

void validate(ClaimRequest &request)
{
    check_positive_id("player_id", request.player_id);
    check_positive_id("chest_id", request.chest_id);
    auto normalised = normalize_uuid(request.request_id);
    if (!normalised)
        throw ClaimError(ClaimErrorKind::bad_request,
                         "request_id must be a UUID like 8f14e45f-ceea-4e7a-9b0c-2d3f4a5b6c7d, got '" +
                             request.request_id.substr(0, 64) + "'");
    request.request_id = *normalised;
}

ValidClaimRequest::ValidClaimRequest(ClaimRequest request) : request_(std::move(request)) { validate(request_); }

}  // namespace treasure
