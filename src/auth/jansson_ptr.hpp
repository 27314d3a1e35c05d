#pragma once
// Ownership of jansson values (libjose's JSON) and of libjose's configuration, RAII style.
#include <memory>

#include <jansson.h>
#include "auth/jose.hpp"

namespace treasure {

struct JsonDecref {
    void operator()(json_t *value) const { json_decref(value); }
};
// Owns one reference to a json_t.
using JsonPtr = std::unique_ptr<json_t, JsonDecref>;

// A shared, read-only JSON value (a JWK held by a key set).  jansson's reference count is atomic (2.14 uses
// the compiler's __atomic builtins), so readers on many threads may pass it to libjose at once.
using SharedJson = std::shared_ptr<json_t>;
inline SharedJson share_json(JsonPtr value) { return SharedJson(value.release(), JsonDecref{}); }

// libjose's configuration for the calling thread, whose error callback stays silent: libjose would otherwise
// print every rejected token's problem on stderr (a flood could fill the disk).  One per thread because
// jose_cfg_t's reference count is not atomic.
jose_cfg_t *quiet_jose_cfg();

}  // namespace treasure
