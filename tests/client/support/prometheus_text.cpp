#include "prometheus_text.hpp"

#include <regex>
#include <sstream>

namespace treasure::testing {

PrometheusText parse_prometheus_text(const std::string &text)
{
    static const std::regex help(R"(# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*)");
    static const std::regex type(R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped))");
    static const std::regex sample(
        R"(([a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*")(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\]|\\.)*")*\})?) ([-+]?([0-9.eE+-]+|Inf)|NaN)( -?[0-9]+)?)");
    PrometheusText parsed;
    std::istringstream lines(text);
    std::string line;
    std::smatch match;
    while (std::getline(lines, line)) {
        if (line.empty())
            continue;
        if (std::regex_match(line, match, type)) {
            parsed.types[match[1]] = match[2];
        } else if (std::regex_match(line, help)) {
        } else if (std::regex_match(line, match, sample)) {
            const std::string value = match[7];
            parsed.samples[match[1]] = value == "+Inf" || value == "Inf" ? 1e300 : std::stod(value);
        } else {
            parsed.bad_lines.push_back(line);
        }
    }
    return parsed;
}

}  // namespace treasure::testing
