#include "lib/feature_flags.hpp"

namespace treasure {

ResolutionDetails<bool> StaticFlagProvider::resolve_boolean(std::string_view flag_key, bool default_value,
                                                            const EvaluationContext &context)
{
    auto rule = rules_.find(flag_key);
    if (rule == rules_.end())
        return ResolutionDetails<bool>{default_value, {}, ResolutionReason::default_value, {}};
    return rule->second.evaluate(context);
}

EvaluationContext claim_context(std::int64_t player_id, std::optional<std::int64_t> session_id)
{
    EvaluationContext context;
    context.targeting_key = std::to_string(player_id);
    if (session_id)
        context.attributes.emplace("session_id", *session_id);
    return context;
}

}  // namespace treasure
