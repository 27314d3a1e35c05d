#include "auth/rate_limit.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <stdexcept>
#include <string>

namespace treasure {

namespace {

double positive_number(std::string_view text, std::string_view whole)
{
    double value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size() || !std::isfinite(value) || value <= 0)
        throw std::invalid_argument("rate limit '" + std::string(whole) + "' must be RATE[:BURST], positive numbers");
    return value;
}

}  // namespace

RateLimit parse_rate_limit(std::string_view text)
{
    const auto colon = text.find(':');
    RateLimit limit;
    limit.rate_per_second = positive_number(text.substr(0, colon), text);
    limit.burst = colon == std::string_view::npos ? std::max(1.0, limit.rate_per_second)
                                                  : positive_number(text.substr(colon + 1), text);
    if (limit.burst < 1)
        throw std::invalid_argument("rate limit '" + std::string(text) + "': BURST must be at least 1");
    return limit;
}

}  // namespace treasure
