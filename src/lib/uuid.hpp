#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace treasure {

// The canonical lowercase 8-4-4-4-12 form of a UUID, or nothing when text is not one.
std::optional<std::string> normalize_uuid(std::string_view text);

// A random (version 4) UUID from a per-thread generator.
std::string random_uuid_v4();

}  // namespace treasure
