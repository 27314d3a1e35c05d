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
inline constexpr int bad_request = 20;
inline constexpr int unknown_chest = 21;
inline constexpr int request_id_conflict = 22;
inline constexpr int unavailable = 30;  // retries exhausted, gateway 503, no path
inline constexpr int internal = 31;

int for_status(ClaimStatus status);
int for_error(ClaimErrorKind kind);

inline constexpr const char *help_text =
    "Exit codes: 0 claimed (fresh or replayed), 10 already_claimed, 11 key_required, 12 chest_closed,\n"
    "20 invalid request, 21 unknown chest, 22 request_id already used for another player/chest,\n"
    "30 unavailable (retries exhausted, no path can serve), 31 internal error, 1 cannot start, 2 usage.";

}  // namespace treasure::exit_code
