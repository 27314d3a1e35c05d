#include "lib/claim.hpp"

#include <utility>

#include "lib/claim_error.hpp"
#include "lib/uuid.hpp"

namespace treasure {

std::string_view to_string(ClaimStatus status)
{
    switch (status) {
    case ClaimStatus::claimed: return "claimed";
    case ClaimStatus::already_claimed: return "already_claimed";
    case ClaimStatus::key_required: return "key_required";
    case ClaimStatus::chest_closed: return "chest_closed";
    }
    return "unknown";
}

std::optional<ClaimStatus> parse_claim_status(std::string_view text)
{
    for (auto status :
         {ClaimStatus::claimed, ClaimStatus::already_claimed, ClaimStatus::key_required, ClaimStatus::chest_closed}) {
        if (to_string(status) == text)
            return status;
    }
    return std::nullopt;
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
