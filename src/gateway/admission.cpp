#include "gateway/admission.hpp"

#include <dlfcn.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <utility>

namespace {

// The descriptor the last accept(2) of this thread returned.  httplib's listener thread calls accept() and
// then enqueue() for the same connection, so enqueue() reads it here.
thread_local int last_accepted_fd = -1;

}  // namespace

// Interposes accept(2) for the whole program: transparent (it calls the C library's accept) and only notes
// the descriptor for this thread.
extern "C" int accept(int socket, struct sockaddr *__restrict address, socklen_t *__restrict length)
{
    using accept_fn = int (*)(int, struct sockaddr *, socklen_t *);
    static const accept_fn real_accept = reinterpret_cast<accept_fn>(dlsym(RTLD_NEXT, "accept"));
    const int fd = real_accept(socket, address, length);
    last_accepted_fd = fd;
    return fd;
}

namespace treasure {

namespace {

using Clock = std::chrono::steady_clock;

const std::string &overloaded_response()
{
    static const std::string response = [] {
        const std::string body =
            "{\"error\":\"overloaded\",\"message\":\"the gateway is at capacity; retry after 1 s\"}";
        return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
               "Connection: close\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n\r\n" + body;
    }();
    return response;
}

void drain(int fd)
{
    char buffer[4096];
    while (::recv(fd, buffer, sizeof(buffer), MSG_DONTWAIT) > 0) {}
}

}  // namespace

struct BoundedTaskQueue::Slot {
    std::mutex mutex;
    int dup = -1;                              // guarded by mutex: the watchdog shuts it down, the worker closes it
    std::atomic<std::int64_t> deadline_ns{0};  // 0 = idle
    bool cut = false;
};

namespace {
thread_local std::atomic<std::int64_t> *current_deadline = nullptr;
thread_local std::chrono::milliseconds current_timeout{0};
}  // namespace

void note_request_answered()
{
    if (current_deadline == nullptr || current_timeout.count() == 0)
        return;
    current_deadline->store((Clock::now() + current_timeout).time_since_epoch().count());
}

BoundedTaskQueue::BoundedTaskQueue(AdmissionOptions options) : options_(std::move(options))
{
    if (options_.workers == 0)
        options_.workers = 1;
    for (std::size_t i = 0; i < options_.workers; ++i)
        slots_.push_back(std::make_unique<Slot>());
    for (auto &slot : slots_)
        threads_.emplace_back([this, s = slot.get()] { work(*s); });
    watchdog_ = std::thread([this] { watch(); });
}

BoundedTaskQueue::~BoundedTaskQueue() { shutdown(); }

void BoundedTaskQueue::enqueue(std::function<void()> fn)
{
    const int fd = std::exchange(last_accepted_fd, -1);
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (fd < 0 || jobs_.size() < options_.max_queued) {
            const int dup = fd >= 0 ? ::dup(fd) : -1;
            jobs_.push_back(Job{std::move(fn), fd, dup, Clock::now()});
            ready_.notify_one();
            return;
        }
    }
    shed(fd, -1);  // fn is dropped: httplib never sees this connection again, so it is ours to close
}

void BoundedTaskQueue::shed(int fd, int dup)
{
    ++shed_;
    if (options_.on_shed)
        options_.on_shed();
    drain(fd);
    const std::string &response = overloaded_response();
    [[maybe_unused]] const ssize_t sent = ::send(fd, response.data(), response.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    ::shutdown(fd, SHUT_WR);
    if (dup >= 0)
        ::close(dup);
    // Closing at once with the request still unread would send a reset that can destroy the 503 before the
    // client reads it: linger a little (the watchdog closes it), unless too many are lingering already.
    std::lock_guard<std::mutex> lock(closing_mutex_);
    if (closing_.size() >= 4096) {
        ::close(fd);
        return;
    }
    closing_.emplace_back(fd, Clock::now());
}

void BoundedTaskQueue::work(Slot &slot)
{
    current_deadline = &slot.deadline_ns;
    current_timeout = options_.request_timeout;
    for (;;) {
        Job job;
        {
            std::unique_lock<std::mutex> lock(mutex_);
            ready_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
            if (jobs_.empty())
                return;  // stopping, and every queued connection has been served
            job = std::move(jobs_.front());
            jobs_.pop_front();
        }
        if (job.fd >= 0 && !stopping_ && Clock::now() - job.queued_at > options_.max_queue_wait) {
            shed(job.fd, job.dup);
            continue;
        }
        {
            std::lock_guard<std::mutex> lock(slot.mutex);
            slot.dup = job.dup;
            slot.cut = false;
        }
        note_request_answered();  // the first request's clock starts now
        job.fn();                 // serves the connection (keep-alive: several requests) and closes job.fd
        slot.deadline_ns.store(0);
        std::lock_guard<std::mutex> lock(slot.mutex);
        if (slot.dup >= 0)
            ::close(slot.dup);
        slot.dup = -1;
    }
}

void BoundedTaskQueue::watch()
{
    for (;;) {
        {
            std::unique_lock<std::mutex> lock(mutex_);
            if (watchdog_wake_.wait_for(lock, std::chrono::milliseconds(100),
                                        [this] { return stopping_ && jobs_.empty(); }))
                break;
        }
        const auto now = Clock::now();
        if (options_.request_timeout.count() > 0) {
            for (auto &slot : slots_) {
                const std::int64_t deadline = slot->deadline_ns.load();
                if (deadline == 0 || now.time_since_epoch().count() < deadline)
                    continue;
                std::lock_guard<std::mutex> lock(slot->mutex);
                if (slot->dup < 0 || slot->cut)
                    continue;
                // shutdown() acts on the socket, so the worker's blocked read returns and httplib closes it.
                ::shutdown(slot->dup, SHUT_RDWR);
                slot->cut = true;
                ++timed_out_;
            }
        }
        std::lock_guard<std::mutex> lock(closing_mutex_);
        while (!closing_.empty() && now - closing_.front().second > std::chrono::milliseconds(200)) {
            drain(closing_.front().first);
            ::close(closing_.front().first);
            closing_.pop_front();
        }
    }
    std::lock_guard<std::mutex> lock(closing_mutex_);
    for (const auto &[fd, since] : closing_)
        ::close(fd);
    closing_.clear();
}

void BoundedTaskQueue::shutdown()
{
    {
        std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_ && threads_.empty())
            return;
        stopping_ = true;
    }
    ready_.notify_all();
    for (auto &thread : threads_)
        thread.join();
    watchdog_wake_.notify_all();
    threads_.clear();
    if (watchdog_.joinable())
        watchdog_.join();
}

}  // namespace treasure
