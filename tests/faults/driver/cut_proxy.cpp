#include "driver/cut_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

namespace treasure::faults {

namespace {

std::uint32_t read_be32(const unsigned char *p)
{
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}

bool write_all(int fd, const unsigned char *data, std::size_t size)
{
    while (size > 0) {
        const ssize_t sent = ::send(fd, data, size, MSG_NOSIGNAL);
        if (sent <= 0)
            return false;
        data += sent;
        size -= static_cast<std::size_t>(sent);
    }
    return true;
}

int connect_unix(const std::string &path)
{
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::strncpy(address.sun_path, path.c_str(), sizeof(address.sun_path) - 1);
    if (::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof(address)) != 0) {
        ::close(fd);
        return -1;
    }
    return fd;
}

// Splits a byte stream into protocol messages.  The first messages of a connection carry no type byte
// (SSLRequest/GSSENCRequest, then the startup packet); every later one is type + int32 length + body.
class MessageSplitter {
public:
    explicit MessageSplitter(bool frontend) : untyped_(frontend) {}

    // Feeds bytes; calls on_message(type, body, body_size) for each complete message (type 0 for untyped).
    template <typename F>
    void feed(const unsigned char *data, std::size_t size, F &&on_message)
    {
        buffer_.insert(buffer_.end(), data, data + size);
        std::size_t at = 0;
        for (;;) {
            const std::size_t header = untyped_ ? 4 : 5;
            if (buffer_.size() - at < header)
                break;
            const unsigned char type = untyped_ ? 0 : buffer_[at];
            const std::uint32_t length = read_be32(&buffer_[at + header - 4]);
            const std::size_t total = header - 4 + length;
            if (length < 4 || buffer_.size() - at < total)
                break;
            const unsigned char *body = &buffer_[at + header];
            const std::size_t body_size = length - 4;
            if (untyped_) {
                const std::uint32_t code = body_size >= 4 ? read_be32(body) : 0;
                if (code != 80877103 && code != 80877104)
                    untyped_ = false;  // not SSL/GSS negotiation: startup
            }
            on_message(type, body, body_size);
            at += total;
        }
        buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(at));
    }

private:
    bool untyped_;
    std::vector<unsigned char> buffer_;
};

void serve_connection(int client, const CutProxyOptions &options, CutProxyStats &stats)
{
    const int server = connect_unix(options.upstream);
    if (server < 0) {
        ::close(client);
        return;
    }
    ++stats.connections;
    std::atomic<bool> cut{false};

    // Server → client: forwarded until the cut, then drained (and dropped) until ReadyForQuery.
    std::thread backend([client, server, &cut, &stats] {
        MessageSplitter splitter(false);
        unsigned char chunk[16384];
        bool saw_complete = false;
        for (;;) {
            const ssize_t got = ::recv(server, chunk, sizeof(chunk), 0);
            if (got <= 0)
                break;
            const bool after_cut = cut.load();
            bool ready = false;
            splitter.feed(chunk, static_cast<std::size_t>(got),
                          [&](unsigned char type, const unsigned char *, std::size_t) {
                              if (!after_cut)
                                  return;
                              if (type == 'C')
                                  saw_complete = true;
                              if (type == 'Z')
                                  ready = true;
                          });
            if (after_cut) {
                if (ready)
                    break;
                continue;
            }
            if (!write_all(client, chunk, static_cast<std::size_t>(got)) && !cut.load())
                break;
        }
        if (cut.load() && saw_complete)
            ++stats.cuts_committed;
        ::shutdown(server, SHUT_RDWR);
    });

    MessageSplitter splitter(true);
    unsigned char chunk[16384];
    for (;;) {
        const ssize_t got = ::recv(client, chunk, sizeof(chunk), 0);
        if (got <= 0)
            break;
        bool cut_now = false;
        splitter.feed(
            chunk, static_cast<std::size_t>(got), [&](unsigned char type, const unsigned char *body, std::size_t size) {
                if (type != 'B')
                    return;
                // Bind: portal name, then statement name, both NUL-terminated.
                const void *end_of_portal = std::memchr(body, 0, size);
                if (end_of_portal == nullptr)
                    return;
                const char *statement = static_cast<const char *>(end_of_portal) + 1;
                const std::size_t left =
                    size - static_cast<std::size_t>(statement - reinterpret_cast<const char *>(body));
                if (::strnlen(statement, left) == options.statement.size() && options.statement == statement) {
                    const std::int64_t n = ++stats.claim_binds;
                    if (options.cut_every > 0 && n % options.cut_every == 0)
                        cut_now = true;
                }
            });
        if (cut_now)
            cut.store(true);
        if (!write_all(server, chunk, static_cast<std::size_t>(got)))
            break;
        if (cut_now) {
            ++stats.cuts;
            break;
        }
    }
    // The client side goes at once; the server side when its answer has been drained (or on EOF).
    ::shutdown(client, SHUT_RDWR);
    if (!cut.load())
        ::shutdown(server, SHUT_RDWR);
    backend.join();
    ::close(client);
    ::close(server);
}

}  // namespace

void run_cut_proxy(const CutProxyOptions &options, CutProxyStats &stats, const std::atomic<bool> &stop)
{
    const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    const int on = 1;
    ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(options.port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(listener, reinterpret_cast<sockaddr *>(&address), sizeof(address)) != 0 || ::listen(listener, 128) != 0)
        throw std::runtime_error("cut proxy: cannot listen on 127.0.0.1:" + std::to_string(options.port));
    socklen_t length = sizeof(address);
    ::getsockname(listener, reinterpret_cast<sockaddr *>(&address), &length);
    std::cout << "listening " << ntohs(address.sin_port) << std::endl;

    while (!stop.load()) {
        pollfd waiting{listener, POLLIN, 0};
        if (::poll(&waiting, 1, 100) <= 0)
            continue;
        const int client = ::accept(listener, nullptr, nullptr);
        if (client < 0)
            continue;
        ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
        std::thread([client, &options, &stats] { serve_connection(client, options, stats); }).detach();
    }
    ::close(listener);
}

}  // namespace treasure::faults
