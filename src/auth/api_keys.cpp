#include "auth/api_keys.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <stdexcept>

#include <nlohmann/json.hpp>
#include <openssl/crypto.h>

namespace treasure {

namespace {

Sha256Digest parse_hex_digest(const std::string &hex, const std::string &where)
{
    const bool all_hex = std::all_of(hex.begin(), hex.end(), [](unsigned char c) { return std::isxdigit(c) != 0; });
    long length = 0;
    unsigned char *bytes = all_hex && hex.size() == 64 ? OPENSSL_hexstr2buf(hex.c_str(), &length) : nullptr;
    if (bytes == nullptr || length != 32) {
        OPENSSL_free(bytes);
        throw std::runtime_error(where + ": sha256 must be 64 hex digits");
    }
    Sha256Digest digest{};
    std::copy(bytes, bytes + 32, digest.begin());
    OPENSSL_free(bytes);
    return digest;
}

ApiKeyEntry parse_entry(const nlohmann::json &entry, const std::string &where)
{
    if (!entry.is_object() || !entry.contains("name") || !entry["name"].is_string() || !entry.contains("sha256") ||
        !entry["sha256"].is_string())
        throw std::runtime_error(where + " must be {\"name\": ..., \"sha256\": ..., \"scopes\": [...]}");
    ApiKeyEntry key{entry["name"].get<std::string>(), parse_hex_digest(entry["sha256"].get<std::string>(), where), {}};
    if (key.name.empty())
        throw std::runtime_error(where + ": name must not be empty");
    const auto scopes = entry.find("scopes");
    if (scopes != entry.end()) {
        if (!scopes->is_array())
            throw std::runtime_error(where + ": scopes must be an array of strings");
        for (const auto &scope : *scopes) {
            if (!scope.is_string())
                throw std::runtime_error(where + ": scopes must be an array of strings");
            key.scopes.push_back(scope.get<std::string>());
        }
    }
    return key;
}

}  // namespace

std::vector<ApiKeyEntry> parse_api_keys_file(const std::string &path)
{
    nlohmann::json document;
    try {
        document = nlohmann::json::parse(read_whole_file(path, "API keys"));
    } catch (const nlohmann::json::parse_error &error) {
        throw std::runtime_error("API keys file " + path + " is not valid JSON: " + error.what());
    }
    if (!document.is_object() || !document.contains("keys") || !document["keys"].is_array())
        throw std::runtime_error("API keys file " + path + " must look like {\"keys\": [{\"name\": ...}]}");
    std::vector<ApiKeyEntry> keys;
    std::set<std::string> names;
    std::set<Sha256Digest> digests;
    for (const auto &entry : document["keys"]) {
        const std::string where = "API keys file " + path + ", entry #" + std::to_string(keys.size());
        ApiKeyEntry key = parse_entry(entry, where);
        if (!names.insert(key.name).second || !digests.insert(key.digest).second)
            throw std::runtime_error(where + ": its name or its sha256 is listed twice");
        keys.push_back(std::move(key));
    }
    return keys;
}

ApiKeyStore::ApiKeyStore(std::string path, const Clock &clock, std::chrono::milliseconds check_interval)
    : keys_(std::move(path), "API keys", parse_api_keys_file, clock, check_interval)
{}

std::variant<GameServer, Refusal> ApiKeyStore::authenticate(std::string_view presented_key)
{
    if (presented_key.empty())
        return Refusal{RefusalReason::missing};
    if (presented_key.size() > max_key_bytes)
        return Refusal{RefusalReason::token_too_large};
    const auto keys = keys_.current();
    const Sha256Digest digest = sha256(presented_key);
    const ApiKeyEntry *match = nullptr;
    for (const ApiKeyEntry &entry : keys->contents) {
        const bool equal = digests_equal(entry.digest, digest);
        match = equal ? &entry : match;
    }
    if (match == nullptr)
        return Refusal{RefusalReason::unknown_key};
    return GameServer{match->name, match->scopes};
}

}  // namespace treasure
