// Game servers' API keys: only digests stored, scopes, revocation by rewriting the file, and the file's form.
#include "auth/api_keys.hpp"

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "support/auth_test_keys.hpp"

namespace treasure {
namespace {

using std::chrono::milliseconds;

std::string entry(const std::string &name, const std::string &key, const std::string &scopes)
{
    return R"({"name": ")" + name + R"(", "sha256": ")" + testing::sha256_hex(key) + R"(", "scopes": )" + scopes + "}";
}

class ApiKeyTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        path = directory.file("keys.json");
        testing::write_file_atomically(path, R"({"keys": [)" + entry("eu-game-1", "key-one", R"(["claim", "read"])") +
                                                 ", " + entry("metrics-scraper", "key-two", R"(["metrics"])") + "]}");
    }
    std::string reason(ApiKeyStore &store, const std::string &key)
    {
        const auto answer = store.authenticate(key);
        if (std::holds_alternative<GameServer>(answer))
            return "accepted";
        return std::string(refusal_reason_name(std::get<Refusal>(answer).reason));
    }

    testing::TemporaryDirectory directory;
    std::string path;
    ManualClock clock;
};

TEST_F(ApiKeyTest, AKnownKeyIsItsGameServerWithItsScopes)
{
    ApiKeyStore store(path, clock);
    const auto answer = store.authenticate("key-one");
    ASSERT_TRUE(std::holds_alternative<GameServer>(answer));
    const auto &server = std::get<GameServer>(answer);
    EXPECT_EQ(server.key_name, "eu-game-1");
    EXPECT_TRUE(server.has_scope("claim"));
    EXPECT_TRUE(server.has_scope("read"));
    EXPECT_FALSE(server.has_scope("metrics"));
    EXPECT_EQ(std::get<GameServer>(store.authenticate("key-two")).key_name, "metrics-scraper");
}

TEST_F(ApiKeyTest, RefusesUnknownEmptyAndOversizedKeys)
{
    ApiKeyStore store(path, clock);
    EXPECT_EQ(reason(store, "key-three"), "unknown_key");
    EXPECT_EQ(reason(store, "key-on"), "unknown_key");
    EXPECT_EQ(reason(store, testing::sha256_hex("key-one")), "unknown_key");  // the digest is not the key
    EXPECT_EQ(reason(store, ""), "missing");
    EXPECT_EQ(reason(store, std::string(1025, 'k')), "token_too_large");
}

TEST_F(ApiKeyTest, RevokesAKeyWhenItsEntryIsRemoved)
{
    ApiKeyStore store(path, clock, milliseconds(200));
    EXPECT_EQ(reason(store, "key-one"), "accepted");
    testing::write_file_atomically(path, R"({"keys": [)" + entry("metrics-scraper", "key-two", "[]") + "]}");
    EXPECT_EQ(reason(store, "key-one"), "accepted");  // until the next check
    clock.advance(milliseconds(250));
    EXPECT_EQ(reason(store, "key-one"), "unknown_key");
    EXPECT_FALSE(std::get<GameServer>(store.authenticate("key-two")).has_scope("metrics"));
}

TEST_F(ApiKeyTest, ABrokenRewriteKeepsTheLastGoodKeys)
{
    ApiKeyStore store(path, clock);
    testing::write_file_atomically(path, R"({"keys": [{"name": "x", "sha256": "abc"}]})");
    EXPECT_FALSE(store.reload_if_changed());
    EXPECT_EQ(reason(store, "key-one"), "accepted");
}

TEST_F(ApiKeyTest, TheFileMustHoldNamesDigestsAndScopes)
{
    const std::string digest = testing::sha256_hex("k");
    for (const std::string &text :
         {std::string("not json"), std::string("[]"), std::string(R"({"keys": {}})"),
          std::string(R"({"keys": [{"sha256": ")" + digest + R"("}]})"),
          std::string(R"({"keys": [{"name": "", "sha256": ")" + digest + R"("}]})"),
          std::string(R"({"keys": [{"name": "a", "sha256": ")" + digest.substr(2) + R"("}]})"),
          std::string(R"({"keys": [{"name": "a", "sha256": ")" + digest.substr(2) + R"(zz"}]})"),
          std::string(R"({"keys": [{"name": "a", "sha256": ")" + digest + R"(", "scopes": "read"}]})"),
          std::string(R"({"keys": [{"name": "a", "sha256": ")" + digest + R"(", "scopes": [1]}]})"),
          R"({"keys": [)" + entry("a", "k", "[]") + ", " + entry("b", "k", "[]") + "]}",
          R"({"keys": [)" + entry("a", "k", "[]") + ", " + entry("a", "l", "[]") + "]}"}) {
        testing::write_file_atomically(path, text);
        EXPECT_THROW(ApiKeyStore(path, clock), std::runtime_error) << text;
    }
    testing::write_file_atomically(path, R"({"keys": [{"name": "a", "sha256": ")" + digest + R"("}]})");
    EXPECT_TRUE(std::get<GameServer>(ApiKeyStore(path, clock).authenticate("k")).scopes.empty());
}

}  // namespace
}  // namespace treasure
