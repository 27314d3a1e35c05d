#pragma once
// Exit codes of `treasure claim` (also listed in its --help).
#include "lib/claim.hpp"
#include "lib/claim_error.hpp"

namespace treasure::exit_code {

inline constexpr int claimed = 0;  // fresh or replayed
inline constexpr int failure = 1;  // could not start: bad arguments to a subcommand, cannot connect
inline constexpr int usage = 2;    // command line could not be parsed
inline constexpr int already_claimed = 10;
inline constexpr int key_required = 11;
inline constexpr int chest_closed = 12;
inline constexpr int sold_out = 13;        // 1.3.0: the chest's stock is spent
inline constexpr int wallet_full = 14;     // 1.3.0: the awards would take the balance over the wallet cap
inline constexpr int inventory_full = 15;  // 1.3.0: ... or an item over its item cap
inline constexpr int unknown_status = 16;  // a status this build does not know (a newer extension)
inline constexpr int bad_request = 20;
inline constexpr int unknown_chest = 21;
inline constexpr int request_id_conflict = 22;
inline constexpr int unavailable = 30;  // retries exhausted, gateway 503, no path
inline constexpr int internal = 31;
// Refused by an authenticated gateway (--url with --token or --api-key, or without credentials).
inline constexpr int unauthenticated = 40;  // 401: missing, expired, forged, ... credentials
inline constexpr int forbidden = 41;        // 403: another player's claim, or a key without the scope
inline constexpr int rate_limited = 42;     // 429: over the per-player or per-client limit; retry later
                                            // (also the database's rate_limited: the player's claim limit)

int for_status(ClaimStatus status);
int for_error(ClaimErrorKind kind);
// 401, 403 or 429 (anything else: internal).
int for_refusal(int http_status);

inline constexpr const char *help_text =
    "Exit codes: 0 claimed (fresh or replayed), 10 already_claimed, 11 key_required, 12 chest_closed,\n"
    "13 sold_out, 14 wallet_full, 15 inventory_full, 16 a status this build does not know,\n"
    "20 invalid request, 21 unknown chest, 22 request_id already used for another player/chest,\n"
    "30 unavailable (retries exhausted, no path can serve), 31 internal error,\n"
    "40 unauthenticated (HTTP 401), 41 forbidden (HTTP 403), 42 rate limited (HTTP 429, by the gateway or the "
    "database), 1 cannot start, 2 usage.";

}  // namespace treasure::exit_code
