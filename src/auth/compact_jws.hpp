#pragma once
// A compact JWS (RFC 7515 §7.1, "header.payload.signature") taken apart with libjose's base64url and jansson's
// JSON, for the JWT verifier.  Each part must be canonical base64url (what libjose would encode again, so no
// padding, no stray characters and no unused bits set: a token has one spelling, and a changed character is a
// changed token); the header and the payload must be JSON objects without duplicate names.
#include <optional>
#include <string_view>

#include "auth/jansson_ptr.hpp"

namespace treasure {

struct CompactJws {
    JsonPtr header;     // the protected header, decoded
    JsonPtr claims;     // the payload, decoded
    JsonPtr flattened;  // {"protected": ..., "payload": ..., "signature": ...} as sent, for jose_jws_ver()
};

// nullopt when the token is not three canonical base64url parts with a JSON object in each of the first two.
std::optional<CompactJws> parse_compact_jws(std::string_view token);

}  // namespace treasure
