#include "gateway/claim_endpoint.hpp"

#include <chrono>

#include <nlohmann/json.hpp>

#include "gateway/claim_json.hpp"
#include "gateway/http_status.hpp"
#include "lib/claim_error.hpp"

namespace treasure {

std::variant<ClaimBody, Answer> parse_claim(ClaimMetrics &metrics, std::string_view body,
                                            std::string_view idempotency_key)
{
    const auto started = std::chrono::steady_clock::now();
    try {
        return parse_claim_request(body, idempotency_key);
    } catch (const ClaimError &error) {
        const std::chrono::duration<double> elapsed = std::chrono::steady_clock::now() - started;
        metrics.observe_claim(PathLabel::none, to_string(error.kind()), elapsed.count());
        return error_answer(error);
    }
}

Answer claim_answer(const ClaimResult &result)
{
    Answer answer = json_answer(http_status(result.status), to_json(result));
    if (result.replayed)
        answer.headers.emplace_back("Idempotency-Replay", "true");
    if (result.status == ClaimStatus::rate_limited)
        answer.headers.emplace_back("Retry-After", std::to_string(retry_after_seconds(result)));
    return answer;
}

Answer answer_claim(Router &router, const ValidClaimRequest &request)
{
    try {
        return claim_answer(router.claim(request));
    } catch (const ClaimError &error) {
        return error_answer(error);
    }
}

}  // namespace treasure
