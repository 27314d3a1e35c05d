#pragma once
// Shows a load run's progress on stderr: a redrawn bar when stderr is a terminal, else one line a second
// (so logs stay readable).  Runs on its own thread from construction to destruction.
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "cli/load_generator.hpp"

namespace treasure {

class ProgressReporter {
public:
    ProgressReporter(const LoadProgress &progress, std::chrono::milliseconds duration);
    ~ProgressReporter();
    ProgressReporter(const ProgressReporter &) = delete;
    ProgressReporter &operator=(const ProgressReporter &) = delete;

private:
    void run();
    void draw(double elapsed_seconds);

    const LoadProgress &progress_;
    const std::chrono::milliseconds duration_;
    const bool terminal_;
    const std::chrono::steady_clock::time_point start_;
    std::int64_t last_taps_ = 0;
    double last_elapsed_ = 0;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool done_ = false;
    std::thread thread_;
};

}  // namespace treasure
