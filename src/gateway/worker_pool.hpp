#pragma once
// A fixed pool of threads for the gateway's blocking work (a claim, an analytics read), with a bounded queue, so
// that overload is refused at once instead of queued without limit.  No HTTP: a job is a function to run and a
// function to call instead when the job is refused.
//   - at most max_queued jobs wait for a thread; submit() refuses the next one (returns false);
//   - a job that waited longer than max_queue_wait is not run: its shed function is called instead (its client
//     has likely given up, and serving it would only make the queue slower);
//   - stop() runs every job still queued (the drain: in-flight requests are answered), then joins.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace treasure {

struct WorkerPoolOptions {
    std::size_t threads = 8;
    std::size_t max_queued = 128;
    std::chrono::milliseconds max_queue_wait{1000};
};

class WorkerPool {
public:
    explicit WorkerPool(WorkerPoolOptions options);
    ~WorkerPool();
    WorkerPool(const WorkerPool &) = delete;
    WorkerPool &operator=(const WorkerPool &) = delete;

    // Queues run; false (and neither function is called) when the queue is full or the pool stopped.  shed is
    // called instead of run if the job waited longer than max_queue_wait.  Both run on a pool thread.
    bool submit(std::function<void()> run, std::function<void()> shed);
    // Runs what is queued (without shedding it), then joins the threads.  Idempotent.
    void stop();

private:
    struct Job {
        std::function<void()> run;
        std::function<void()> shed;
        std::chrono::steady_clock::time_point queued_at;
    };
    void work();

    const WorkerPoolOptions options_;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::deque<Job> jobs_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace treasure
