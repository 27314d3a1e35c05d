#pragma once
// Flags read from a JSON file and re-read when it changes, so a flip reaches every request within a second
// without a restart:
//   {"flags": {"atomic_claims": {"rule": "percent", "percent": 25, "salt": "2024-06"}}}
// The file is checked at most once per check_interval (200 ms) and a file that fails to parse keeps the last
// good rules in force (lib/reloading_file.hpp says how).
#include <chrono>
#include <map>
#include <string>

#include "lib/clock.hpp"
#include "lib/feature_flags.hpp"
#include "lib/flag_rule.hpp"
#include "lib/reloading_file.hpp"

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
    bool reload_if_changed() { return rules_.reload_if_changed(); }
    std::string last_error() const { return rules_.last_error(); }
    const std::string &path() const { return rules_.path(); }

private:
    using Rules = std::map<std::string, FlagRule, std::less<>>;

    static Rules parse_file(const std::string &path);

    ReloadingFile<Rules> rules_;
};

}  // namespace treasure
