#include "lib/reloading_file.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace treasure {

bool read_file_identity(const std::string &path, const std::string &what, FileIdentity &identity, std::string &error)
{
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        error = "cannot stat " + what + " file " + path + ": " + std::strerror(errno);
        return false;
    }
    identity.mtime_ns = static_cast<long long>(info.st_mtim.tv_sec) * 1000000000LL + info.st_mtim.tv_nsec;
    identity.size = static_cast<long long>(info.st_size);
    identity.inode = static_cast<unsigned long long>(info.st_ino);
    return true;
}

std::string read_whole_file(const std::string &path, const std::string &what)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot open " + what + " file " + path + ": " + std::strerror(errno));
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

CheckInterval::CheckInterval(const Clock &clock, std::chrono::milliseconds interval)
    : clock_(clock), interval_(interval), next_check_((clock.now() + interval).time_since_epoch().count())
{}

bool CheckInterval::due()
{
    const auto now = clock_.now().time_since_epoch().count();
    auto due = next_check_.load(std::memory_order_relaxed);
    if (now < due)
        return false;
    return next_check_.compare_exchange_strong(due, now + interval_.count(), std::memory_order_relaxed);
}

}  // namespace treasure
