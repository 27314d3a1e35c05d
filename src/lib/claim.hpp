#pragma once
// What a tap asks for and what confirming it returns: the columns of claim_treasure(), what
// treasure.claim_details() adds (1.3.0: every award, when to retry), and the path that served it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace treasure {

// unknown: a status this build does not know (from a newer extension); ClaimResult::status_name keeps its name.
enum class ClaimStatus {
    claimed,
    already_claimed,
    key_required,
    chest_closed,
    sold_out,
    rate_limited,
    wallet_full,
    inventory_full,
    unknown,
};
enum class PathKind { atomic, saga };

std::string_view to_string(ClaimStatus status);
// Never fails: a name it does not know is ClaimStatus::unknown.
ClaimStatus parse_claim_status(std::string_view text);
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

// One item a claim awarded (a row of treasure.claim_awards): source "guaranteed" or "loot".
struct ClaimAward {
    std::string item;
    std::int32_t qty = 0;
    std::string source;

    bool operator==(const ClaimAward &other) const
    {
        return item == other.item && qty == other.qty && source == other.source;
    }
};

struct ClaimResult {
    ClaimStatus status = ClaimStatus::claimed;
    std::string unknown_status;  // ClaimStatus::unknown: the name the database wrote
    bool replayed = false;
    std::optional<std::int64_t> claim_id;
    std::int64_t coins_awarded = 0;
    std::optional<std::string> item_awarded;
    std::optional<std::int32_t> item_qty;
    std::optional<std::string> key_used;
    std::optional<std::int64_t> balance;
    std::optional<std::string> claimed_at;  // RFC 3339 in UTC
    // Every item awarded, guaranteed first, then loot; from a 1.2.0 database, item_awarded alone.
    std::vector<ClaimAward> awards;
    std::optional<std::int64_t> loot_coins;      // the part of coins_awarded loot rolls paid (1.3.0, loot chests)
    std::optional<std::int64_t> retry_after_ms;  // rate_limited: when the player's bucket holds a token again
    PathKind path = PathKind::atomic;
};

// The status as the database named it: to_string(status), or unknown_status for a status this build does not know.
std::string_view status_name(const ClaimResult &result);

// A status read from the database (or a gateway's answer) into result: status and, when unknown, its name.
void set_status(ClaimResult &result, std::string_view text);

}  // namespace treasure
