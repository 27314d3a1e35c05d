#include "gateway/worker_pool.hpp"

#include <stdexcept>
#include <utility>

namespace treasure {

WorkerPool::WorkerPool(WorkerPoolOptions options) : options_(options)
{
    if (options_.threads == 0)
        throw std::invalid_argument("a worker pool needs at least one thread");
    for (std::size_t i = 0; i < options_.threads; ++i)
        threads_.emplace_back([this] { work(); });
}

WorkerPool::~WorkerPool() { stop(); }

bool WorkerPool::submit(std::function<void()> run, std::function<void()> shed)
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_ || jobs_.size() >= options_.max_queued)
            return false;
        jobs_.push_back(Job{std::move(run), std::move(shed), std::chrono::steady_clock::now()});
    }
    ready_.notify_one();
    return true;
}

void WorkerPool::stop()
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        stopping_ = true;
    }
    ready_.notify_all();
    for (auto &thread : threads_)
        if (thread.joinable())
            thread.join();
}

void WorkerPool::work()
{
    for (;;) {
        Job job;
        bool late = false;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            ready_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
            if (jobs_.empty())
                return;  // stopping, and every queued job has run
            job = std::move(jobs_.front());
            jobs_.pop_front();
            late = !stopping_ && std::chrono::steady_clock::now() - job.queued_at > options_.max_queue_wait;
        }
        if (late)
            job.shed();
        else
            job.run();
    }
}

}  // namespace treasure
