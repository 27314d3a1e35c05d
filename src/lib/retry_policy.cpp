#include "lib/retry_policy.hpp"

#include <algorithm>

namespace treasure {

std::chrono::microseconds RetryPolicy::backoff(int retry, std::mt19937_64& random) const {
    using std::chrono::microseconds;
    const auto base = std::chrono::duration_cast<microseconds>(base_backoff).count();
    const auto cap = std::chrono::duration_cast<microseconds>(max_backoff).count();
    const int shift = std::clamp(retry, 0, 30);
    const auto ceiling = std::min<long long>(cap, base << shift);
    if (ceiling <= 0) return microseconds(0);
    std::uniform_int_distribution<long long> pick(0, ceiling);
    return microseconds(pick(random));
}

}  // namespace treasure
