#include "gateway/http_handler.hpp"

#include <cctype>

namespace treasure {

std::string_view RequestHead::header(std::string_view name) const
{
    const auto same = [name](const std::string &candidate) {
        if (candidate.size() != name.size())
            return false;
        for (std::size_t i = 0; i < name.size(); ++i)
            if (std::tolower(static_cast<unsigned char>(candidate[i])) !=
                std::tolower(static_cast<unsigned char>(name[i])))
                return false;
        return true;
    };
    for (const auto &[key, value] : headers)
        if (same(key))
            return value;
    return {};
}

}  // namespace treasure
