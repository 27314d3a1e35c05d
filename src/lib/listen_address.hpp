#pragma once
#include <string>

namespace treasure {

struct ListenAddress {
    std::string host;
    int port = 0;
};

// "127.0.0.1:8080", "localhost:0", "[::1]:8080"; throws std::invalid_argument.
ListenAddress parse_listen_address(const std::string &text);

}  // namespace treasure
