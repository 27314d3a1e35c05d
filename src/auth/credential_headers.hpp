#pragma once
// What the authentication layer reads from a request, copied out of whatever HTTP library serves it: the layer
// never sees a server's types, so the gateway's server can be replaced without touching it.
#include <string>

namespace treasure {

struct CredentialHeaders {
    std::string authorization;  // the Authorization header as sent ("Bearer <JWT>"), empty when absent
    std::string api_key;        // the X-Api-Key header, empty when absent
    std::string peer_address;   // the TCP peer, e.g. "203.0.113.7" or "2001:db8::1"
    std::string forwarded_for;  // X-Forwarded-For, empty when absent; trusted only from a configured proxy
};

}  // namespace treasure
