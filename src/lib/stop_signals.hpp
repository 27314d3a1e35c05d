#pragma once
// SIGTERM and SIGINT, the stop request of treasure-gateway and treasure-saga, taken by one thread that waits for
// them (sigwait) instead of a handler, so that what stopping does may lock, allocate and print.
//   treasure::block_stop_signals();              // first thing in main(), before any thread starts
//   ...
//   treasure::StopSignalWaiter waiter([&](int signal) { ...stop... });
// Header-only: treasure-saga links libtreasure-saga.a alone.
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <functional>
#include <thread>
#include <utility>

namespace treasure {

inline sigset_t stop_signal_set()
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    return set;
}

// Blocks SIGTERM and SIGINT in the calling thread, and so in every thread started after it (httplib's workers,
// the saga workers): only a StopSignalWaiter takes them.
inline void block_stop_signals()
{
    const sigset_t set = stop_signal_set();
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

inline const char *stop_signal_name(int signal) { return signal == SIGINT ? "SIGINT" : "SIGTERM"; }

// While it lives, a thread of its own waits for SIGTERM or SIGINT and calls on_stop(signal) once.  Destroying it
// ends that thread without calling on_stop when no signal came (e.g. the server's socket failed).  Declare it after
// what on_stop uses, so that it goes first.
class StopSignalWaiter {
public:
    explicit StopSignalWaiter(std::function<void(int signal)> on_stop)
        : thread_([this, on_stop = std::move(on_stop)] {
              const sigset_t set = stop_signal_set();
              int received = 0;
              sigwait(&set, &received);
              if (!leaving_.load())
                  on_stop(received);
          })
    {}
    ~StopSignalWaiter()
    {
        leaving_.store(true);
        pthread_kill(thread_.native_handle(), SIGTERM);  // a no-op once the thread has ended
        thread_.join();
    }
    StopSignalWaiter(const StopSignalWaiter &) = delete;
    StopSignalWaiter &operator=(const StopSignalWaiter &) = delete;

private:
    std::atomic<bool> leaving_{false};
    std::thread thread_;
};

}  // namespace treasure
