#pragma once
// Flags read from a JSON file and re-read when it changes, so a flip reaches every request within a second
// without a restart:
//   {"flags": {"atomic_claims": {"rule": "percent", "percent": 25, "salt": "2024-06"}}}
// The file's identity (mtime, size, inode) is checked at most once per check_interval (200 ms) by whichever
// request comes first; the others keep reading the current rules without waiting.  A file that fails to parse
// keeps the last good rules in force and the error is reported by last_error() (and on stderr once).
// Write the file atomically (write a temporary file, then rename it over the old one).
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "lib/clock.hpp"
#include "lib/feature_flags.hpp"

namespace treasure {

class JsonFileFlagProvider final : public FeatureFlagProvider {
public:
    // Throws std::runtime_error when the file cannot be read or parsed at start-up.
    explicit JsonFileFlagProvider(std::string path, const Clock &clock = SteadyClock::instance(),
                                  std::chrono::milliseconds check_interval = std::chrono::milliseconds(200));

    std::string_view name() const override { return "json-file"; }
    ResolutionDetails<bool> resolve_boolean(std::string_view flag_key, bool default_value,
                                            const EvaluationContext &context) override;

    // Checks the file now (ignoring the interval); true when new rules were loaded.
    bool reload_if_changed();
    std::string last_error() const;
    const std::string &path() const { return path_; }

private:
    using Rules = std::map<std::string, FlagRule, std::less<>>;
    struct FileIdentity {
        long long mtime_ns = -1;
        long long size = -1;
        unsigned long long inode = 0;
        bool operator==(const FileIdentity &other) const
        {
            return mtime_ns == other.mtime_ns && size == other.size && inode == other.inode;
        }
    };

    static Rules parse_file(const std::string &path);
    void maybe_reload();

    const std::string path_;
    const Clock &clock_;
    const std::chrono::steady_clock::duration check_interval_;
    std::atomic<std::chrono::steady_clock::rep> next_check_;
    std::shared_ptr<const Rules> rules_;  // accessed with std::atomic_load/atomic_store

    mutable std::mutex reload_mutex_;  // serialises reloads only; evaluation never takes it
    FileIdentity identity_;
    std::string last_error_;
};

}  // namespace treasure
