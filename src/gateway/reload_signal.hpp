#pragma once
// SIGHUP, the sharded gateway's "read the shard map again", taken by one thread that waits for it (sigwait) as
// stop_signals.hpp does for SIGTERM: the reload connects, allocates and prints.  Only the sharded gateway blocks
// it; unsharded, SIGHUP keeps its default action.
//   treasure::block_reload_signal();             // in main(), before any thread starts
//   treasure::ReloadSignalWaiter waiter([&] { gateway.reload_shard_map(); });
#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <functional>
#include <thread>
#include <utility>

namespace treasure {

inline void block_reload_signal()
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

// While it lives, a thread of its own calls on_reload() for every SIGHUP.  Declare it after what on_reload uses.
class ReloadSignalWaiter {
public:
    explicit ReloadSignalWaiter(std::function<void()> on_reload)
        : thread_([this, on_reload = std::move(on_reload)] {
              sigset_t set;
              sigemptyset(&set);
              sigaddset(&set, SIGHUP);
              for (;;) {
                  int received = 0;
                  sigwait(&set, &received);
                  if (leaving_.load())
                      return;
                  on_reload();
              }
          })
    {}
    ~ReloadSignalWaiter()
    {
        leaving_.store(true);
        pthread_kill(thread_.native_handle(), SIGHUP);
        thread_.join();
    }
    ReloadSignalWaiter(const ReloadSignalWaiter &) = delete;
    ReloadSignalWaiter &operator=(const ReloadSignalWaiter &) = delete;

private:
    std::atomic<bool> leaving_{false};
    std::thread thread_;
};

}  // namespace treasure
