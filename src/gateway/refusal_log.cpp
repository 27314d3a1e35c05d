#include "gateway/refusal_log.hpp"

#include <iostream>

namespace treasure {

namespace {

constexpr std::size_t max_path_bytes = 128;

std::string printable(std::string_view text, std::size_t limit)
{
    std::string result;
    for (char c : text.substr(0, limit))
        result += (c >= 0x21 && c <= 0x7e) ? c : '?';
    if (text.size() > limit)
        result += "...";
    return result;
}

}  // namespace

RefusalLog::RefusalLog(std::size_t lines_per_second, const Clock &clock, Sink sink)
    : lines_per_second_(lines_per_second), clock_(clock), sink_(std::move(sink))
{
    if (!sink_)
        sink_ = [](const std::string &line) { std::cerr << line << '\n'; };
    window_start_ = clock_.now();
}

void RefusalLog::refused(int status, std::string_view reason, std::string_view peer, std::string_view client,
                         std::string_view method, std::string_view target)
{
    const auto now = clock_.now();
    std::lock_guard<std::mutex> lock(mutex_);
    if (now - window_start_ >= std::chrono::seconds(1)) {
        window_start_ = now;
        written_in_window_ = 0;
    }
    if (written_in_window_ >= lines_per_second_) {
        ++suppressed_;
        ++suppressed_total_;
        return;
    }
    ++written_in_window_;
    if (suppressed_ > 0) {
        sink_("treasure-gateway: " + std::to_string(suppressed_) + " refusal lines suppressed");
        suppressed_ = 0;
    }
    const std::string_view path = target.substr(0, target.find('?'));
    sink_("treasure-gateway: refused " + std::to_string(status) + " " + printable(reason, 32) +
          " peer=" + printable(peer, 64) + " client=" + printable(client, 64) + " route=" + printable(method, 16) +
          " " + printable(path, max_path_bytes));
}

std::uint64_t RefusalLog::suppressed_total() const
{
    std::lock_guard<std::mutex> lock(mutex_);
    return suppressed_total_;
}

}  // namespace treasure
