#include "gateway/answer.hpp"

#include <nlohmann/json.hpp>

#include "gateway/http_status.hpp"

namespace treasure {

Answer json_answer(int status, const nlohmann::ordered_json &body)
{
    Answer answer;
    answer.status = status;
    answer.body = body.dump();
    return answer;
}

nlohmann::ordered_json error_json(std::string_view error, std::string_view message)
{
    return nlohmann::ordered_json{{"error", error}, {"message", message}};
}

Answer error_answer(int status, std::string_view error, std::string_view message)
{
    Answer answer = json_answer(status, error_json(error, message));
    if (status == 503)
        answer.headers.emplace_back("Retry-After", "1");
    return answer;
}

Answer error_answer(const ClaimError &error)
{
    return error_answer(http_status(error.kind()), to_string(error.kind()), error.what());
}

Answer method_not_allowed(const char *allowed)
{
    Answer answer = error_answer(405, "method_not_allowed", std::string("this endpoint takes ") + allowed);
    answer.headers.emplace_back("Allow", allowed);
    return answer;
}

}  // namespace treasure
