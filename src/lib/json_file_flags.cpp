#include "lib/json_file_flags.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace treasure {

namespace {

bool stat_file(const std::string &path, long long &mtime_ns, long long &size, unsigned long long &inode,
               std::string &error)
{
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) {
        error = "cannot stat flags file " + path + ": " + std::strerror(errno);
        return false;
    }
    mtime_ns = static_cast<long long>(info.st_mtim.tv_sec) * 1000000000LL + info.st_mtim.tv_nsec;
    size = static_cast<long long>(info.st_size);
    inode = static_cast<unsigned long long>(info.st_ino);
    return true;
}

}  // namespace

JsonFileFlagProvider::Rules JsonFileFlagProvider::parse_file(const std::string &path)
{
    std::ifstream in(path);
    if (!in)
        throw std::runtime_error("cannot open flags file " + path + ": " + std::strerror(errno));
    std::stringstream text;
    text << in.rdbuf();
    nlohmann::json document;
    try {
        document = nlohmann::json::parse(text.str());
    } catch (const nlohmann::json::parse_error &error) {
        throw std::runtime_error("flags file " + path + " is not valid JSON: " + error.what());
    }
    auto flags = document.find("flags");
    if (!document.is_object() || flags == document.end() || !flags->is_object())
        throw std::runtime_error("flags file " + path + " must look like {\"flags\": {\"atomic_claims\": {...}}}");
    Rules rules;
    for (auto &[key, rule] : flags->items()) {
        try {
            rules.emplace(key, parse_flag_rule(rule, key));
        } catch (const std::invalid_argument &error) {
            throw std::runtime_error("flags file " + path + ": " + error.what());
        }
    }
    return rules;
}

JsonFileFlagProvider::JsonFileFlagProvider(std::string path, const Clock &clock,
                                           std::chrono::milliseconds check_interval)
    : path_(std::move(path)), clock_(clock), check_interval_(check_interval),
      next_check_((clock.now() + check_interval).time_since_epoch().count())
{
    std::string error;
    if (!stat_file(path_, identity_.mtime_ns, identity_.size, identity_.inode, error))
        throw std::runtime_error(error);
    std::atomic_store(&rules_, std::shared_ptr<const Rules>(std::make_shared<Rules>(parse_file(path_))));
}

bool JsonFileFlagProvider::reload_if_changed()
{
    std::lock_guard<std::mutex> lock(reload_mutex_);
    FileIdentity seen;
    std::string error;
    if (!stat_file(path_, seen.mtime_ns, seen.size, seen.inode, error)) {
        if (error != last_error_)
            std::cerr << "treasure: " << error << "; keeping the last good flags\n";
        last_error_ = error;
        return false;
    }
    if (seen == identity_)
        return false;
    try {
        auto rules = std::make_shared<const Rules>(parse_file(path_));
        std::atomic_store(&rules_, std::shared_ptr<const Rules>(std::move(rules)));
        identity_ = seen;
        last_error_.clear();
        return true;
    } catch (const std::exception &failure) {
        // Remember the identity so a broken file is reported once, not on every check.
        identity_ = seen;
        last_error_ = failure.what();
        std::cerr << "treasure: " << last_error_ << "; keeping the last good flags\n";
        return false;
    }
}

std::string JsonFileFlagProvider::last_error() const
{
    std::lock_guard<std::mutex> lock(reload_mutex_);
    return last_error_;
}

void JsonFileFlagProvider::maybe_reload()
{
    const auto now = clock_.now().time_since_epoch().count();
    auto due = next_check_.load(std::memory_order_relaxed);
    if (now < due)
        return;
    // Only the request that wins this exchange checks the file; the rest go on with the current rules.
    if (!next_check_.compare_exchange_strong(due, now + check_interval_.count(), std::memory_order_relaxed))
        return;
    reload_if_changed();
}

ResolutionDetails<bool> JsonFileFlagProvider::resolve_boolean(std::string_view flag_key, bool default_value,
                                                              const EvaluationContext &context)
{
    maybe_reload();
    const auto rules = std::atomic_load(&rules_);
    auto rule = rules->find(flag_key);
    if (rule == rules->end())
        return ResolutionDetails<bool>{default_value, {}, ResolutionReason::default_value, {}};
    return rule->second.evaluate(context);
}

}  // namespace treasure
