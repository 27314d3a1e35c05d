#pragma once
// One log line per request the edge refuses, itself rate-limited so that a flood cannot fill the disk:
//   treasure-gateway: refused 401 bad_signature peer=192.0.2.7 client=198.51.100.1 route=POST /v1/claims
// At most lines_per_second lines are written in each second; the rest are counted, and the count is written
// ("... 1234 refusal lines suppressed") before the next line once logging resumes.  A line never holds a
// credential: only the status, the coarse reason, the addresses and the method and path (the query string,
// which may carry an access_token, is cut off; control characters become '?'; at most 128 bytes of path).
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>

#include "lib/clock.hpp"

namespace treasure {

class RefusalLog {
public:
    using Sink = std::function<void(const std::string &line)>;  // one line, without its newline

    // The default sink writes to std::cerr.
    explicit RefusalLog(std::size_t lines_per_second = 20, const Clock &clock = SteadyClock::instance(),
                        Sink sink = {});

    void refused(int status, std::string_view reason, std::string_view peer, std::string_view client,
                 std::string_view method, std::string_view target);

    std::uint64_t suppressed_total() const;

private:
    const std::size_t lines_per_second_;
    const Clock &clock_;
    Sink sink_;
    mutable std::mutex mutex_;
    Clock::time_point window_start_{};
    std::size_t written_in_window_ = 0;
    std::uint64_t suppressed_ = 0;        // since the last line written
    std::uint64_t suppressed_total_ = 0;  // ever
};

}  // namespace treasure
