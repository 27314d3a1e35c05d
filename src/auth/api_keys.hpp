#pragma once
// Game servers' API keys (X-Api-Key), listed in a JSON file that holds only their SHA-256 digests:
//   {"keys": [{"name": "eu-game-1", "sha256": "<64 hex digits of SHA-256(key)>", "scopes": ["claim", "read"]}]}
// The file is re-read when it changes (lib/reloading_file.hpp), which is how a key is revoked: take its entry
// out.  A presented key is hashed and compared with every entry in constant time (CRYPTO_memcmp, no early exit),
// so neither the timing nor the answer says more than "known" or "unknown".
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "auth/caller.hpp"
#include "auth/sha256.hpp"
#include "lib/clock.hpp"
#include "lib/reloading_file.hpp"

namespace treasure {

struct ApiKeyEntry {
    std::string name;
    Sha256Digest digest;
    std::vector<std::string> scopes;
};

// Throws std::runtime_error when the file is not of the form above, or two entries share a name or a digest.
std::vector<ApiKeyEntry> parse_api_keys_file(const std::string &path);

class ApiKeyStore {
public:
    static constexpr std::size_t max_key_bytes = 1024;

    // Throws std::runtime_error when the file cannot be read or parsed at start-up.
    explicit ApiKeyStore(std::string path, const Clock &clock = SteadyClock::instance(),
                         std::chrono::milliseconds check_interval = std::chrono::milliseconds(200));

    std::variant<GameServer, Refusal> authenticate(std::string_view presented_key);

    // Checks the file now (ignoring the interval); true when new keys were loaded.
    bool reload_if_changed() { return keys_.reload_if_changed(); }

private:
    ReloadingFile<std::vector<ApiKeyEntry>> keys_;
};

}  // namespace treasure
