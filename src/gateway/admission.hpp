#pragma once
// Admission control for treasure-gateway: a bounded replacement for httplib's task queue, whose default
// ThreadPool queues accepted connections without limit (memory and latency grow without bound under overload).
//   - at most max_queued connections wait for a worker; the next one is answered 503 {"error": "overloaded"}
//     with Retry-After: 1 and closed at once, without being read;
//   - a connection that waited longer than max_queue_wait is shed the same way when a worker picks it up
//     (its client has likely given up; serving it would only make the queue slower);
//   - every request must be read and answered within request_timeout of the previous answer (or of the
//     connection's start): a client sending its headers byte by byte is cut off, so slow clients can hold a
//     worker for request_timeout at most.
// cpp-httplib 0.11 does not pass the socket to its task queue, so admission.cpp interposes accept(2) (calling
// the real one through dlsym) to learn the descriptor of each connection it enqueues.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include <httplib.h>

#include "gateway/admission_options.hpp"

namespace treasure {

class BoundedTaskQueue : public httplib::TaskQueue {
public:
    explicit BoundedTaskQueue(AdmissionOptions options);
    ~BoundedTaskQueue() override;

    void enqueue(std::function<void()> fn) override;
    void shutdown() override;

    std::uint64_t shed_count() const { return shed_.load(); }
    std::uint64_t timed_out_count() const { return timed_out_.load(); }

private:
    struct Job {
        std::function<void()> fn;
        int fd;   // the connection (-1 if unknown: then it is never shed)
        int dup;  // our own descriptor of the same socket, for the watchdog (-1 if unknown)
        std::chrono::steady_clock::time_point queued_at;
    };
    struct Slot;

    void work(Slot &slot);
    void watch();
    void shed(int fd, int dup);

    AdmissionOptions options_;
    std::mutex mutex_;
    std::condition_variable ready_;
    std::condition_variable watchdog_wake_;
    std::deque<Job> jobs_;
    bool stopping_ = false;
    std::vector<std::unique_ptr<Slot>> slots_;
    std::vector<std::thread> threads_;
    std::thread watchdog_;
    std::mutex closing_mutex_;
    std::deque<std::pair<int, std::chrono::steady_clock::time_point>> closing_;  // shed sockets lingering briefly
    std::atomic<std::uint64_t> shed_{0};
    std::atomic<std::uint64_t> timed_out_{0};
};

// Marks that the current worker finished answering a request (call from the server's logger): the
// request_timeout clock of its connection starts again.
void note_request_answered();

}  // namespace treasure
