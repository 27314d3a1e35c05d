#pragma once
// A strict reader of the Prometheus text exposition format (version 0.0.4), enough to check what the
// gateway serves: every line must be a HELP, a TYPE or a sample.
#include <map>
#include <string>
#include <vector>

namespace treasure::testing {

struct PrometheusText {
    std::map<std::string, double> samples;     // "name{label=\"v\",...}" -> value, as written
    std::map<std::string, std::string> types;  // metric family -> counter, gauge, histogram, ...
    std::vector<std::string> bad_lines;
};

PrometheusText parse_prometheus_text(const std::string &text);

}  // namespace treasure::testing
