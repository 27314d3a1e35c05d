#pragma once
// Hostile HTTP clients against a running gateway on 127.0.0.1: malformed and oversized requests (each must get
// its 4xx or be dropped), slow clients sending headers byte by byte, and thousands of connections at once,
// while a well-behaved client keeps claiming: it must keep being served.
#include <cstdint>
#include <string>

namespace treasure::faults {

struct AbuseOptions {
    int port = 0;
    std::int64_t chest = 1;  // an existing chest for the well-behaved client
    int connections = 2000;  // the connection flood
    int slow_clients = 8;
    int slow_seconds = 6;
};

struct AbuseReport {
    int failures = 0;
    std::string json;
};

AbuseReport run_abuse(const AbuseOptions &options);

}  // namespace treasure::faults
