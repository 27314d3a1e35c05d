#include "lib/latency_histogram.hpp"

#include <string>

#include "lib/claim_metrics.hpp"

namespace treasure {

namespace {

template <std::size_t N>
std::optional<std::size_t> index_of(const std::array<std::string_view, N> &values, std::string_view value)
{
    for (std::size_t i = 0; i < N; ++i)
        if (values[i] == value)
            return i;
    return std::nullopt;
}

}  // namespace

LatencyHistogram::LatencyHistogram(prometheus::Registry &registry)
    : family_(prometheus::BuildHistogram()
                  .Name(std::string(latency_histogram_name))
                  .Help("Time from a player's tap to the answer the player saw, measured by the client")
                  .Register(registry))
{}

std::optional<std::size_t> LatencyHistogram::path_index(std::string_view path) { return index_of(latency_paths, path); }

std::optional<std::size_t> LatencyHistogram::outcome_index(std::string_view outcome)
{
    return index_of(latency_outcomes, outcome);
}

void LatencyHistogram::observe(std::size_t path, std::size_t outcome, double seconds)
{
    prometheus::Histogram *series = nullptr;
    {
        std::lock_guard<std::mutex> lock(mutex_);
        prometheus::Histogram *&cell = series_.at(path).at(outcome);
        if (!cell)
            cell = &family_.Add(
                {{"path", std::string(latency_paths[path])}, {"outcome", std::string(latency_outcomes[outcome])}},
                latency_buckets());
        series = cell;
    }
    series->Observe(seconds);
}

}  // namespace treasure
