#pragma once
// An answer's optional field: JSON null when the value is absent.
#include <optional>

#include <nlohmann/json.hpp>

namespace treasure {

template <typename T>
nlohmann::ordered_json nullable(const std::optional<T> &value)
{
    return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json(nullptr);
}

}  // namespace treasure
