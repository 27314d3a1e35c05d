#include "lib/flag_rule.hpp"

#include <cmath>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace treasure {

std::string_view to_string(ResolutionReason reason)
{
    switch (reason) {
    case ResolutionReason::static_value: return "STATIC";
    case ResolutionReason::targeting_match: return "TARGETING_MATCH";
    case ResolutionReason::split: return "SPLIT";
    case ResolutionReason::default_value: return "DEFAULT";
    case ResolutionReason::error: return "ERROR";
    }
    return "ERROR";
}

namespace {

ResolutionDetails<bool> resolved(bool value, ResolutionReason reason)
{
    return ResolutionDetails<bool>{value, value ? "on" : "off", reason, {}};
}

}  // namespace

std::uint32_t percent_bucket(std::string_view salt, std::string_view targeting_key)
{
    std::uint64_t hash = 14695981039346656037ULL;
    auto mix_in = [&hash](std::string_view bytes) {
        for (unsigned char c : bytes) {
            hash ^= c;
            hash *= 1099511628211ULL;
        }
    };
    mix_in(salt);
    mix_in(":");
    mix_in(targeting_key);
    // FNV-1a's low bits are weak for short, similar keys (consecutive player ids); the murmur3 finaliser
    // spreads every input bit over the ones the modulo keeps.
    hash ^= hash >> 33;
    hash *= 0xff51afd7ed558ccdULL;
    hash ^= hash >> 33;
    hash *= 0xc4ceb9fe1a85ec53ULL;
    hash ^= hash >> 33;
    return static_cast<std::uint32_t>(hash % 10000);
}

ResolutionDetails<bool> FlagRule::evaluate(const EvaluationContext &context) const
{
    switch (kind) {
    case RolloutKind::off: return resolved(false, ResolutionReason::static_value);
    case RolloutKind::on: return resolved(true, ResolutionReason::static_value);
    case RolloutKind::canary: {
        auto session = context.attributes.find("session_id");
        if (session == context.attributes.end())
            return resolved(false, ResolutionReason::default_value);
        return resolved(session->second % canary_modulus == 0, ResolutionReason::targeting_match);
    }
    case RolloutKind::percent:
        if (context.targeting_key.empty())
            return resolved(false, ResolutionReason::default_value);
        return resolved(percent_bucket(salt, context.targeting_key) < percent_basis_points, ResolutionReason::split);
    }
    return resolved(false, ResolutionReason::error);
}

FlagRule parse_flag_rule(const nlohmann::json &rule, std::string_view flag_key)
{
    const std::string where = "flag '" + std::string(flag_key) + "'";
    if (!rule.is_object())
        throw std::invalid_argument(where + " must be an object like {\"rule\": \"on\"}");
    auto kind = rule.find("rule");
    if (kind == rule.end() || !kind->is_string())
        throw std::invalid_argument(where + ": \"rule\" must be one of \"off\", \"on\", \"canary\", \"percent\"");
    FlagRule parsed;
    parsed.salt = std::string(flag_key);
    const std::string name = kind->get<std::string>();
    if (name == "off") {
        parsed.kind = RolloutKind::off;
    } else if (name == "on") {
        parsed.kind = RolloutKind::on;
    } else if (name == "canary") {
        parsed.kind = RolloutKind::canary;
        if (auto modulus = rule.find("modulus"); modulus != rule.end()) {
            if (!modulus->is_number_integer() || modulus->get<std::int64_t>() < 1)
                throw std::invalid_argument(where + ": \"modulus\" must be a positive integer");
            parsed.canary_modulus = modulus->get<std::int64_t>();
        }
    } else if (name == "percent") {
        parsed.kind = RolloutKind::percent;
        auto percent = rule.find("percent");
        if (percent == rule.end() || !percent->is_number())
            throw std::invalid_argument(where + ": rule \"percent\" needs a number \"percent\" (0..100)");
        const double value = percent->get<double>();
        if (!(value >= 0.0 && value <= 100.0))
            throw std::invalid_argument(where + ": \"percent\" must be within 0..100");
        parsed.percent_basis_points = std::llround(value * 100.0);
        if (auto salt = rule.find("salt"); salt != rule.end()) {
            if (!salt->is_string())
                throw std::invalid_argument(where + ": \"salt\" must be a string");
            parsed.salt = salt->get<std::string>();
        }
    } else {
        throw std::invalid_argument(where + ": unknown rule \"" + name +
                                    "\" (expected \"off\", \"on\", \"canary\" or \"percent\")");
    }
    return parsed;
}

}  // namespace treasure
