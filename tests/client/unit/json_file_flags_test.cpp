#include "lib/json_file_flags.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

namespace treasure {
namespace {

using std::chrono::milliseconds;

class JsonFileFlagsTest : public ::testing::Test {
protected:
    void SetUp() override
    {
        char pattern[] = "/tmp/treasure-flags-XXXXXX";
        ASSERT_NE(::mkdtemp(pattern), nullptr);
        directory_ = pattern;
        path_ = directory_ + "/flags.json";
    }
    void TearDown() override
    {
        std::remove(path_.c_str());
        std::remove((path_ + ".tmp").c_str());
        ::rmdir(directory_.c_str());
    }

    // The way operators should flip a flag: write aside, then rename over (a new inode every time).
    void write_atomically(const std::string &text)
    {
        {
            std::ofstream out(path_ + ".tmp");
            out << text;
        }
        ASSERT_EQ(std::rename((path_ + ".tmp").c_str(), path_.c_str()), 0);
    }
    void write_in_place(const std::string &text)
    {
        std::ofstream out(path_, std::ios::trunc);
        out << text;
    }
    bool atomic_for(JsonFileFlagProvider &provider, std::int64_t player = 1)
    {
        return provider.resolve_boolean("atomic_claims", false, claim_context(player, 7)).value;
    }

    ManualClock clock;
    std::string directory_;
    std::string path_;
};

TEST_F(JsonFileFlagsTest, PicksUpARewriteAfterTheCheckInterval)
{
    write_atomically(R"({"flags": {"atomic_claims": {"rule": "off"}}})");
    JsonFileFlagProvider provider(path_, clock, milliseconds(200));
    EXPECT_FALSE(atomic_for(provider));

    write_atomically(R"({"flags": {"atomic_claims": {"rule": "on"}}})");
    clock.advance(milliseconds(199));
    EXPECT_FALSE(atomic_for(provider)) << "the file is not looked at more often than every 200 ms";
    clock.advance(milliseconds(1));
    EXPECT_TRUE(atomic_for(provider));
}

TEST_F(JsonFileFlagsTest, PicksUpAnInPlaceRewrite)
{
    write_in_place(R"({"flags": {"atomic_claims": {"rule": "on"}}})");
    JsonFileFlagProvider provider(path_, clock, milliseconds(200));
    EXPECT_TRUE(atomic_for(provider));
    write_in_place(R"({"flags": {"atomic_claims": {"rule": "canary", "modulus": 7}}})");
    clock.advance(milliseconds(200));
    EXPECT_TRUE(atomic_for(provider));  // session 7 is in the canary
    EXPECT_FALSE(provider.resolve_boolean("atomic_claims", false, claim_context(1, 8)).value);
}

TEST_F(JsonFileFlagsTest, KeepsTheLastGoodRulesWhenTheFileBreaks)
{
    write_atomically(R"({"flags": {"atomic_claims": {"rule": "on"}}})");
    JsonFileFlagProvider provider(path_, clock, milliseconds(200));
    write_atomically(R"({"flags": {"atomic_claims": {"rule": )");
    EXPECT_FALSE(provider.reload_if_changed());
    EXPECT_TRUE(atomic_for(provider));
    EXPECT_NE(provider.last_error().find("not valid JSON"), std::string::npos) << provider.last_error();

    write_atomically(R"({"flags": {"atomic_claims": {"rule": "off"}}})");
    EXPECT_TRUE(provider.reload_if_changed());
    EXPECT_FALSE(atomic_for(provider));
    EXPECT_EQ(provider.last_error(), "");
}

TEST_F(JsonFileFlagsTest, KeepsTheLastGoodRulesWhenTheFileDisappears)
{
    write_atomically(R"({"flags": {"atomic_claims": {"rule": "on"}}})");
    JsonFileFlagProvider provider(path_, clock, milliseconds(200));
    std::remove(path_.c_str());
    EXPECT_FALSE(provider.reload_if_changed());
    EXPECT_TRUE(atomic_for(provider));
    EXPECT_NE(provider.last_error().find("cannot stat"), std::string::npos) << provider.last_error();
}

TEST_F(JsonFileFlagsTest, AMissingFlagResolvesToTheDefault)
{
    write_atomically(R"({"flags": {}})");
    JsonFileFlagProvider provider(path_, clock);
    const auto details = provider.resolve_boolean("atomic_claims", false, claim_context(1, 7));
    EXPECT_FALSE(details.value);
    EXPECT_EQ(details.reason, ResolutionReason::default_value);
}

TEST_F(JsonFileFlagsTest, RefusesToStartWithoutAValidFile)
{
    EXPECT_THROW(JsonFileFlagProvider(path_, clock), std::runtime_error);
    write_atomically(R"({"atomic_claims": "on"})");
    EXPECT_THROW(JsonFileFlagProvider(path_, clock), std::runtime_error);
    write_atomically(R"({"flags": {"atomic_claims": {"rule": "maybe"}}})");
    try {
        JsonFileFlagProvider provider(path_, clock);
        FAIL() << "expected an exception";
    } catch (const std::runtime_error &error) {
        EXPECT_NE(std::string(error.what()).find("maybe"), std::string::npos) << error.what();
    }
}

}  // namespace
}  // namespace treasure
