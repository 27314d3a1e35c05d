#include "lib/listen_address.hpp"

#include <stdexcept>

namespace treasure {

ListenAddress parse_listen_address(const std::string &text)
{
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == text.size())
        throw std::invalid_argument("listen address must be HOST:PORT, got '" + text + "'");
    ListenAddress address;
    address.host = text.substr(0, colon);
    if (address.host.size() > 2 && address.host.front() == '[' && address.host.back() == ']')
        address.host = address.host.substr(1, address.host.size() - 2);
    const std::string port = text.substr(colon + 1);
    if (port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5 || std::stoi(port) > 65535)
        throw std::invalid_argument("listen port must be 0..65535, got '" + port + "'");
    address.port = std::stoi(port);
    return address;
}

}  // namespace treasure
