#pragma once
// A token-bucket limit as the flags give it: "RATE[:BURST]" taps per second, e.g. "2" (2/s, burst 2) or
// "0.5:10" (one tap every 2 s, up to 10 at once).  BURST defaults to RATE (at least 1).
#include <string_view>

namespace treasure {

struct RateLimit {
    double rate_per_second = 1;
    double burst = 1;
};

// Throws std::invalid_argument for anything but a positive RATE and a BURST >= 1.
RateLimit parse_rate_limit(std::string_view text);

}  // namespace treasure
