#include "gateway/client_metrics.hpp"

#include <cmath>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace treasure {

namespace {

struct Sample {
    std::size_t path;
    std::size_t outcome;
    double seconds;
};

Answer bad_report(const std::string &message) { return error_answer(400, "bad_request", message); }

// The label value of a sample's key, or nothing when it is absent, not a string or not a known value.
template <typename Index>
std::optional<std::size_t> label(const nlohmann::json &sample, const char *key, Index index)
{
    const auto value = sample.find(key);
    if (value == sample.end() || !value->is_string())
        return std::nullopt;
    return index(value->get_ref<const std::string &>());
}

}  // namespace

Answer client_metrics_answer(LatencyHistogram &histogram, std::string_view body)
{
    if (body.size() > client_metrics_max_body_bytes)
        return error_answer(413, "payload_too_large",
                            "a report is at most " + std::to_string(client_metrics_max_body_bytes) + " bytes");
    const nlohmann::json report = nlohmann::json::parse(body, nullptr, false);
    if (report.is_discarded() || !report.is_object())
        return bad_report("the body must be a JSON object");
    const auto samples = report.find("samples");
    if (report.size() != 1 || samples == report.end() || !samples->is_array())
        return bad_report("the body must be {\"samples\": [...]} and nothing else");
    if (samples->empty() || samples->size() > client_metrics_max_samples)
        return bad_report("a report holds 1 to " + std::to_string(client_metrics_max_samples) + " samples");

    std::vector<Sample> valid;
    valid.reserve(samples->size());
    for (std::size_t i = 0; i < samples->size(); ++i) {
        const nlohmann::json &sample = (*samples)[i];
        const std::string which = "sample " + std::to_string(i) + ": ";
        if (!sample.is_object() || sample.size() != 3)
            return bad_report(which + "must be {\"duration_ms\", \"path\", \"outcome\"} and nothing else");
        const auto duration = sample.find("duration_ms");
        if (duration == sample.end() || !duration->is_number())
            return bad_report(which + "duration_ms must be a number");
        const double ms = duration->get<double>();
        if (!std::isfinite(ms) || ms <= 0.0 || ms > client_metrics_max_duration_ms)
            return bad_report(which + "duration_ms must be in (0, 60000]");
        const auto path = label(sample, "path", LatencyHistogram::path_index);
        if (!path)
            return bad_report(which + "path must be atomic, saga or none");
        const auto outcome = label(sample, "outcome", LatencyHistogram::outcome_index);
        if (!outcome)
            return bad_report(which + "outcome is not a known outcome");
        valid.push_back(Sample{*path, *outcome, ms / 1000.0});
    }
    for (const Sample &sample : valid)
        histogram.observe(sample.path, sample.outcome, sample.seconds);
    return json_answer(200, nlohmann::ordered_json{{"accepted", valid.size()}});
}

}  // namespace treasure
