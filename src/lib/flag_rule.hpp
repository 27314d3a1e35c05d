#pragma once
// The rollout rules of a boolean flag and how one evaluates for a player:
//   off             nobody
//   on              everybody
//   canary(N)       requests whose session_id % N == 0 (N = 7 by default: about 14% of sessions)
//   percent(P)      P% of players, picked by a salted hash of the player_id (hundredths of a percent)
//
// percent is the better rollout: it is sticky per player (a player's sessions all take the same path, so a
// player never sees the two paths disagree), it can be dialled from 0.01% to 100% instead of jumping by
// 1/N, and changing the salt draws a fresh cohort.  canary(N) flips a player between paths from session to
// session, and session ids are not random (a client that numbers its sessions lands in or out for good).
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace treasure {

struct EvaluationContext {
    std::string targeting_key;                                    // who: the player_id as decimal text
    std::map<std::string, std::int64_t, std::less<>> attributes;  // e.g. "session_id"
};

enum class ResolutionReason { static_value, targeting_match, split, default_value, error };
std::string_view to_string(ResolutionReason reason);

template <typename T>
struct ResolutionDetails {
    T value{};
    std::string variant;  // "on" or "off" for boolean flags; empty when the default was used
    ResolutionReason reason = ResolutionReason::default_value;
    std::string error_message;
};

enum class RolloutKind { off, on, canary, percent };

struct FlagRule {
    RolloutKind kind = RolloutKind::off;
    std::int64_t canary_modulus = 7;
    std::int64_t percent_basis_points = 0;  // 0..10000, i.e. 0.00%..100.00%
    std::string salt;

    ResolutionDetails<bool> evaluate(const EvaluationContext &context) const;
};

// {"rule": "off" | "on" | "canary" | "percent", "modulus": 7, "percent": 12.5, "salt": "..."}.
// Throws std::invalid_argument with a message naming the bad field.  The salt defaults to the flag key.
FlagRule parse_flag_rule(const nlohmann::json &rule, std::string_view flag_key);

// Which of 10000 buckets a player falls in: FNV-1a 64 over "salt:key" with a final avalanche mix, mod 10000.
std::uint32_t percent_bucket(std::string_view salt, std::string_view targeting_key);

}  // namespace treasure
