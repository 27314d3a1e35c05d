#include "cli/http_claim_path.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "auth/client_credentials.hpp"
#include "lib/claim_row.hpp"

namespace treasure {

namespace {

ClaimErrorKind error_kind_named(const std::string &name, int http_status)
{
    for (auto kind : {ClaimErrorKind::bad_request, ClaimErrorKind::unknown_chest, ClaimErrorKind::request_id_conflict,
                      ClaimErrorKind::unavailable, ClaimErrorKind::no_path, ClaimErrorKind::internal}) {
        if (to_string(kind) == name)
            return kind;
    }
    if (http_status == 503)
        return ClaimErrorKind::unavailable;
    if (http_status >= 400 && http_status < 500)
        return ClaimErrorKind::bad_request;
    return ClaimErrorKind::internal;
}

template <typename T>
std::optional<T> optional_member(const nlohmann::json &body, const char *name)
{
    auto field = body.find(name);
    if (field == body.end() || field->is_null())
        return std::nullopt;
    return field->get<T>();
}

// What a refusal's error and reason may be to be shown: a short identifier ("expired", "player_mismatch").
// Whatever else a gateway might put there (an echoed credential included) is not repeated.
bool is_short_identifier(const std::string &text)
{
    return !text.empty() && text.size() <= 64 && std::all_of(text.begin(), text.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
    });
}

std::string printable_reason(const nlohmann::json &answer)
{
    const auto field = answer.find("reason");
    if (field == answer.end() || !field->is_string())
        return {};
    return is_short_identifier(field->get<std::string>()) ? field->get<std::string>() : "(not shown)";
}

std::string refusal_message(int http_status, const std::string &error, const std::string &reason)
{
    return "HTTP " + std::to_string(http_status) + " " + error + (reason.empty() ? "" : ": " + reason);
}

GatewayRefusal refusal_of(const httplib::Response &response)
{
    const nlohmann::json answer = nlohmann::json::parse(response.body, nullptr, false);
    const bool object = answer.is_object();
    const char *standard = response.status == 401   ? "unauthenticated"
                           : response.status == 403 ? "forbidden"
                                                    : "rate_limited";
    std::string error = standard;
    if (object && answer.contains("error") && answer["error"].is_string())
        error = answer["error"].get<std::string>();
    if (!is_short_identifier(error))
        error = standard;
    std::int64_t retry_after_ms = 0;
    if (object && answer.contains("retry_after_ms") && answer["retry_after_ms"].is_number_integer()) {
        retry_after_ms = answer["retry_after_ms"].get<std::int64_t>();
    } else if (response.has_header("Retry-After")) {
        try {
            retry_after_ms = std::stoll(response.get_header_value("Retry-After")) * 1000;
        } catch (const std::exception &) {
            retry_after_ms = 0;  // an HTTP date or garbage: not followed
        }
    }
    return GatewayRefusal(response.status, error, object ? printable_reason(answer) : std::string(),
                          std::max<std::int64_t>(0, retry_after_ms));
}

}  // namespace

GatewayRefusal::GatewayRefusal(int http_status, std::string error, std::string reason, std::int64_t retry_after_ms)
    : ClaimError(ClaimErrorKind::bad_request, refusal_message(http_status, error, reason)), http_status_(http_status),
      error_(std::move(error)), reason_(std::move(reason)), retry_after_ms_(retry_after_ms)
{}

HttpClaimPath::HttpClaimPath(const std::string &base_url, std::shared_ptr<ClientCredentials> credentials,
                             const std::string &ca_certificates)
    : credentials_(std::move(credentials))
{
    const bool https = base_url.rfind("https://", 0) == 0;
    if (!https && base_url.rfind("http://", 0) != 0)
        throw std::invalid_argument("--url must look like http://127.0.0.1:8080 or https://HOST:PORT, got '" +
                                    base_url + "'");
    if (!https && !ca_certificates.empty())
        throw std::invalid_argument("--cacert is for an https:// --url");
    http_ = std::make_unique<httplib::Client>(base_url);  // https://: cpp-httplib's OpenSSL client, verifying
    if (!ca_certificates.empty())
        http_->set_ca_cert_path(ca_certificates);
    http_->set_keep_alive(true);
    http_->set_tcp_nodelay(true);
    http_->set_connection_timeout(std::chrono::seconds(2));
    http_->set_read_timeout(std::chrono::seconds(10));
}

HttpClaimPath::~HttpClaimPath() = default;

ClaimResult HttpClaimPath::claim(const ValidClaimRequest &request)
{
    nlohmann::json body{
        {"player_id", request->player_id}, {"chest_id", request->chest_id}, {"request_id", request->request_id}};
    if (request->session_id)
        body["session_id"] = *request->session_id;
    httplib::Headers headers;
    if (credentials_) {
        for (auto &[name, value] : credentials_->headers_for(request->player_id))
            headers.emplace(std::move(name), std::move(value));
    }
    auto response = http_->Post("/v1/claims", headers, body.dump(), "application/json");
    if (!response)
        throw ClaimError(ClaimErrorKind::unavailable,
                         "no answer from the gateway: " + httplib::to_string(response.error()));
    const nlohmann::json answer = nlohmann::json::parse(response->body, nullptr, false);
    // A 429 with a claim status was decided by the database (rate_limited): a claim's answer, not the edge's.
    const bool claim_answer = answer.is_object() && answer.contains("status") && answer["status"].is_string();
    if (response->status == 401 || response->status == 403 || (response->status == 429 && !claim_answer))
        throw refusal_of(*response);
    if (answer.is_discarded() || !answer.is_object())
        throw ClaimError(ClaimErrorKind::internal,
                         "the gateway answered " + std::to_string(response->status) + " without a JSON object");
    if (auto status = answer.find("status"); status != answer.end() && status->is_string()) {
        ClaimResult result;
        set_status(result, status->get<std::string>());
        result.replayed = answer.value("replayed", false);
        result.claim_id = optional_member<std::int64_t>(answer, "claim_id");
        result.coins_awarded = answer.value("coins_awarded", std::int64_t{0});
        result.item_awarded = optional_member<std::string>(answer, "item_awarded");
        result.item_qty = optional_member<std::int32_t>(answer, "item_qty");
        result.key_used = optional_member<std::string>(answer, "key_used");
        result.balance = optional_member<std::int64_t>(answer, "balance");
        result.claimed_at = optional_member<std::string>(answer, "claimed_at");
        result.path = answer.value("path", std::string("atomic")) == "saga" ? PathKind::saga : PathKind::atomic;
        add_claim_details(result, answer);  // awards, loot_coins, retry_after_ms (a 1.2.0 gateway sends none)
        if (result.awards.empty() && result.status == ClaimStatus::claimed && result.item_awarded &&
            !answer.contains("awards"))
            result.awards.push_back(ClaimAward{*result.item_awarded, result.item_qty.value_or(1), "guaranteed"});
        return result;
    }
    const std::string error = answer.value("error", std::string());
    throw ClaimError(error_kind_named(error, response->status),
                     "HTTP " + std::to_string(response->status) + ": " + answer.value("message", error));
}

}  // namespace treasure
