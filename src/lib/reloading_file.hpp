#pragma once
// A file whose parsed contents are re-read when it changes, without a restart: the flags file, the JWKS and the
// API keys file.  The file's identity (mtime, size, inode) is checked at most once per check interval by
// whichever caller comes first; the others keep the current contents without waiting.  A file that fails to
// parse keeps the last good contents in force; the error is kept for last_error() and reported on stderr once.
// Write such files atomically (write a temporary file, then rename it over the old one).
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <iostream>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>

#include "lib/clock.hpp"

namespace treasure {

// What tells a rewritten (or renamed-over) file from the one read last.
struct FileIdentity {
    long long mtime_ns = -1;
    long long size = -1;
    unsigned long long inode = 0;
    bool operator==(const FileIdentity &other) const
    {
        return mtime_ns == other.mtime_ns && size == other.size && inode == other.inode;
    }
};

// False, with the reason in error ("cannot stat <what> file <path>: ..."), when the file cannot be stat'ed.
bool read_file_identity(const std::string &path, const std::string &what, FileIdentity &identity, std::string &error);

// The whole file as bytes; throws std::runtime_error naming what and path when it cannot be read.
std::string read_whole_file(const std::string &path, const std::string &what);

// Says "due" to one caller per interval, without a lock: the caller that wins the exchange does the check.
class CheckInterval {
public:
    CheckInterval(const Clock &clock, std::chrono::milliseconds interval);
    bool due();

private:
    const Clock &clock_;
    const std::chrono::steady_clock::duration interval_;
    std::atomic<std::chrono::steady_clock::rep> next_check_;
};

template <class Contents>
class ReloadingFile {
public:
    // The contents and how many times the file has been loaded, read together.
    struct Snapshot {
        Contents contents;
        std::uint64_t version;
    };
    // Turns the file's path into its contents; throws std::exception when the file is not acceptable.
    using Parse = std::function<Contents(const std::string &path)>;

    // Throws std::runtime_error when the file cannot be read or parsed at start-up.
    ReloadingFile(std::string path, std::string what, Parse parse, const Clock &clock,
                  std::chrono::milliseconds check_interval)
        : path_(std::move(path)), what_(std::move(what)), parse_(std::move(parse)), interval_(clock, check_interval)
    {
        std::string error;
        if (!read_file_identity(path_, what_, identity_, error))
            throw std::runtime_error(error);
        std::atomic_store(&snapshot_,
                          std::shared_ptr<const Snapshot>(std::make_shared<Snapshot>(Snapshot{parse_(path_), 1})));
    }

    // The current contents, after checking the file if the interval has passed.
    std::shared_ptr<const Snapshot> current()
    {
        if (interval_.due())
            reload_if_changed();
        return std::atomic_load(&snapshot_);
    }

    // Checks the file now (ignoring the interval); true when new contents were loaded.
    bool reload_if_changed()
    {
        std::lock_guard<std::mutex> lock(reload_mutex_);
        FileIdentity seen;
        std::string error;
        if (!read_file_identity(path_, what_, seen, error)) {
            report(error);
            return false;
        }
        if (seen == identity_)
            return false;
        // Remember the identity even when the file is broken, so it is reported once, not on every check.
        identity_ = seen;
        try {
            const auto version = std::atomic_load(&snapshot_)->version + 1;
            std::atomic_store(&snapshot_, std::shared_ptr<const Snapshot>(
                                              std::make_shared<Snapshot>(Snapshot{parse_(path_), version})));
            last_error_.clear();
            return true;
        } catch (const std::exception &failure) {
            report(failure.what());
            return false;
        }
    }

    std::string last_error() const
    {
        std::lock_guard<std::mutex> lock(reload_mutex_);
        return last_error_;
    }
    const std::string &path() const { return path_; }

private:
    void report(const std::string &error)
    {
        if (error != last_error_)
            std::cerr << "treasure: " << error << "; keeping the last good " << what_ << "\n";
        last_error_ = error;
    }

    const std::string path_;
    const std::string what_;
    const Parse parse_;
    CheckInterval interval_;
    std::shared_ptr<const Snapshot> snapshot_;  // accessed with std::atomic_load/atomic_store

    mutable std::mutex reload_mutex_;  // serialises reloads only; readers never take it
    FileIdentity identity_;
    std::string last_error_;
};

}  // namespace treasure
