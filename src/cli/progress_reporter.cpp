#include "cli/progress_reporter.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>

namespace treasure {

ProgressReporter::ProgressReporter(const LoadProgress &progress, std::chrono::milliseconds duration)
    : progress_(progress), duration_(duration), terminal_(::isatty(STDERR_FILENO) == 1),
      start_(std::chrono::steady_clock::now()), thread_([this] { run(); })
{}

ProgressReporter::~ProgressReporter()
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        done_ = true;
    }
    wake_.notify_all();
    thread_.join();
    if (terminal_)
        std::fputc('\n', stderr);
}

void ProgressReporter::run()
{
    const auto period = terminal_ ? std::chrono::milliseconds(200) : std::chrono::milliseconds(1000);
    std::unique_lock<std::mutex> lock(mutex_);
    while (!wake_.wait_for(lock, period, [this] { return done_; })) {
        draw(std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count());
    }
}

void ProgressReporter::draw(double elapsed)
{
    const std::int64_t taps = progress_.taps.load();
    const double rate =
        elapsed > last_elapsed_ ? static_cast<double>(taps - last_taps_) / (elapsed - last_elapsed_) : 0;
    last_taps_ = taps;
    last_elapsed_ = elapsed;
    const double total = std::chrono::duration<double>(duration_).count();
    const long long refused = progress_.refused.load();  // shown once a gateway refuses (401, 403, 429)
    const std::string refusals = refused > 0 ? " refused " + std::to_string(refused) : "";
    if (terminal_) {
        constexpr int width = 30;
        const int filled = static_cast<int>(std::clamp(elapsed / total, 0.0, 1.0) * width);
        std::fprintf(stderr, "\r[%-*s] %5.1f/%.0fs  taps %lld  %7.0f/s  errors %lld%s ", width,
                     std::string(static_cast<std::size_t>(filled), '#').c_str(), elapsed, total,
                     static_cast<long long>(taps), rate, static_cast<long long>(progress_.errors.load()),
                     refusals.c_str());
    } else {
        std::fprintf(stderr, "load: %5.1f/%.0fs taps %lld (%.0f/s) errors %lld%s\n", elapsed, total,
                     static_cast<long long>(taps), rate, static_cast<long long>(progress_.errors.load()),
                     refusals.c_str());
    }
    std::fflush(stderr);
}

}  // namespace treasure
