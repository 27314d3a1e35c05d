#include "lib/json_file_flags.hpp"

#include <stdexcept>

#include <nlohmann/json.hpp>

namespace treasure {

JsonFileFlagProvider::Rules JsonFileFlagProvider::parse_file(const std::string &path)
{
    nlohmann::json document;
    try {
        document = nlohmann::json::parse(read_whole_file(path, "flags"));
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
    : rules_(std::move(path), "flags", parse_file, clock, check_interval)
{}

ResolutionDetails<bool> JsonFileFlagProvider::resolve_boolean(std::string_view flag_key, bool default_value,
                                                              const EvaluationContext &context)
{
    const auto rules = rules_.current();
    auto rule = rules->contents.find(flag_key);
    if (rule == rules->contents.end())
        return ResolutionDetails<bool>{default_value, {}, ResolutionReason::default_value, {}};
    return rule->second.evaluate(context);
}

}  // namespace treasure
