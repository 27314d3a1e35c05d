#pragma once
// What a tap asks for and what confirming it returns: the columns of claim_treasure() plus the path that served it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace treasure {

enum class ClaimStatus { claimed, already_claimed, key_required, chest_closed };
enum class PathKind { atomic, saga };

std::string_view to_string(ClaimStatus status);
std::optional<ClaimStatus> parse_claim_status(std::string_view text);
std::string_view to_string(PathKind path);

struct ClaimRequest {
    std::int64_t player_id = 0;
    std::int64_t chest_id = 0;
    std::string request_id;  // a UUID; the idempotency key of the tap
    std::optional<std::int64_t> session_id;
};

// Throws ClaimError(bad_request) naming the first invalid field; normalises request_id to lowercase.
void validate(ClaimRequest &request);
// validate()'s check of one id field (player_id, chest_id): throws ClaimError(bad_request) unless value > 0.
void check_positive_id(std::string_view field, std::int64_t value);

// A ClaimRequest that passed validate().  Only this constructor makes one, so the Router and every ClaimPath take
// this type and none of them checks again: a request is validated once, where it enters (the gateway's POST
// handler, the CLI).  The conversion is implicit on purpose: handing a plain ClaimRequest to a path validates it
// right there, before any round trip.
class ValidClaimRequest {
public:
    ValidClaimRequest(ClaimRequest request);  // throws ClaimError(bad_request), as validate()

    const ClaimRequest &operator*() const noexcept { return request_; }
    const ClaimRequest *operator->() const noexcept { return &request_; }

private:
    ClaimRequest request_;
};

struct ClaimResult {
    ClaimStatus status = ClaimStatus::claimed;
    bool replayed = false;
    std::optional<std::int64_t> claim_id;
    std::int64_t coins_awarded = 0;
    std::optional<std::string> item_awarded;
    std::optional<std::int32_t> item_qty;
    std::optional<std::string> key_used;
    std::optional<std::int64_t> balance;
    std::optional<std::string> claimed_at;  // RFC 3339 in UTC
    PathKind path = PathKind::atomic;
};

}  // namespace treasure
