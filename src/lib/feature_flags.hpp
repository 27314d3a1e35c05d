#pragma once
// An OpenFeature-shaped provider interface: resolve a flag for an evaluation context, get a value, the variant
// that produced it and why.  Providers: JsonFileFlagProvider (json_file_flags.hpp) and StaticFlagProvider.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "lib/flag_rule.hpp"

namespace treasure {

class FeatureFlagProvider {
public:
    virtual ~FeatureFlagProvider() = default;
    virtual std::string_view name() const = 0;
    // Never throws: a missing flag or a broken source resolves to default_value with reason default_value/error.
    virtual ResolutionDetails<bool> resolve_boolean(std::string_view flag_key, bool default_value,
                                                    const EvaluationContext &context) = 0;
};

// Rules fixed at construction (used when no flags file is given).
class StaticFlagProvider final : public FeatureFlagProvider {
public:
    explicit StaticFlagProvider(std::map<std::string, FlagRule, std::less<>> rules) : rules_(std::move(rules)) {}
    std::string_view name() const override { return "static"; }
    ResolutionDetails<bool> resolve_boolean(std::string_view flag_key, bool default_value,
                                            const EvaluationContext &context) override;

private:
    std::map<std::string, FlagRule, std::less<>> rules_;
};

// The flag that chooses the claim path: true = atomic (claim_treasure), false = the saga fallback.
inline constexpr std::string_view atomic_claims_flag = "atomic_claims";

EvaluationContext claim_context(std::int64_t player_id, std::optional<std::int64_t> session_id);

}  // namespace treasure
