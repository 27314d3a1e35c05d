#include "gateway/cors.hpp"

#include <algorithm>
#include <regex>
#include <stdexcept>

namespace treasure {

void check_cors_origin(std::string_view origin)
{
    static const std::regex form(R"(https?://([a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)"
                                 R"(|\[[0-9a-f:.]+\])(:[0-9]{1,5})?)");
    if (!std::regex_match(origin.begin(), origin.end(), form))
        throw std::invalid_argument("--cors-origin wants scheme://host[:port] exactly, in lower case and without a "
                                    "path or a wildcard, got '" +
                                    std::string(origin) + "'");
}

CorsPolicy::CorsPolicy(std::vector<std::string> origins) : origins_(std::move(origins))
{
    for (const auto &origin : origins_)
        check_cors_origin(origin);
}

bool CorsPolicy::allows(std::string_view origin) const
{
    return !origin.empty() && std::find(origins_.begin(), origins_.end(), origin) != origins_.end();
}

Answer CorsPolicy::preflight(std::string_view origin, std::string_view request_method) const
{
    if (!allows(origin) || (request_method != "GET" && request_method != "POST")) {
        Answer refused = error_answer(403, "cors_refused", "this origin or method is not allowed here");
        refused.headers = {{"Vary", "Origin"}};
        return refused;
    }
    Answer answer;
    answer.status = 204;
    answer.content_type.clear();
    answer.headers = {{"Access-Control-Allow-Origin", std::string(origin)},
                      {"Access-Control-Allow-Methods", "GET, POST"},
                      {"Access-Control-Allow-Headers", "Authorization, Content-Type, Idempotency-Key, X-Api-Key"},
                      {"Access-Control-Max-Age", std::to_string(max_age_seconds)},
                      {"Vary", "Origin"}};
    return answer;
}

HeaderList CorsPolicy::response_headers(std::string_view origin) const
{
    if (origins_.empty())
        return {};
    if (!allows(origin))
        return {{"Vary", "Origin"}};
    return {{"Access-Control-Allow-Origin", std::string(origin)},
            {"Vary", "Origin"},
            {"Access-Control-Expose-Headers", "Retry-After, Idempotency-Replay"}};
}

}  // namespace treasure
