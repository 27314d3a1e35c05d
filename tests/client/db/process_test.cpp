// The installed-style programs as processes: treasure-gateway's graceful shutdown and treasure's exit codes.
// They are found in $TREASURE_BUILD_DIR (default: build/, relative to the repository root).
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "auth/jwt_signer.hpp"
#include "auth/unix_clock.hpp"
#include "lib/uuid.hpp"
#include "support/auth_test_keys.hpp"
#include "support/child_process.hpp"
#include "support/test_database.hpp"

namespace treasure {
namespace {

using testing::Child;
using testing::program;

class ProcessTest : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        dsn_ = new std::string(testing::create_test_database("treasure_process_test"));
        testing::execute(*dsn_,
                         "SELECT treasure.put_chest(1, 10); SELECT treasure.put_chest(2, 5, key_item => 'key');");
    }
    static void TearDownTestSuite()
    {
        delete dsn_;
        dsn_ = nullptr;
    }
    static int claim(const std::vector<std::string> &extra, std::string *output = nullptr)
    {
        std::vector<std::string> argv{program("treasure"), "claim", "--dsn", *dsn_};
        argv.insert(argv.end(), extra.begin(), extra.end());
        Child child(argv);
        const std::string text = child.read_all();
        if (output)
            *output = text;
        return child.wait();
    }
    static std::string *dsn_;
};
std::string *ProcessTest::dsn_ = nullptr;

TEST_F(ProcessTest, ClaimExitCodesTellTheOutcome)
{
    const std::string id = random_uuid_v4();
    std::string output;
    EXPECT_EQ(claim({"--player", "3001", "--chest", "1", "--request-id", id}, &output), 0);
    EXPECT_NE(output.find("claimed (fresh)"), std::string::npos) << output;
    EXPECT_EQ(claim({"--player", "3001", "--chest", "1", "--request-id", id, "--json"}, &output), 0);
    EXPECT_EQ(nlohmann::json::parse(output)["replayed"], true) << output;
    EXPECT_EQ(claim({"--player", "3001", "--chest", "1"}), 10);
    EXPECT_EQ(claim({"--player", "3001", "--chest", "2"}), 11);
    EXPECT_EQ(claim({"--player", "3002", "--chest", "1", "--request-id", id}), 22);
    EXPECT_EQ(claim({"--player", "3001", "--chest", "999"}), 21);
    EXPECT_EQ(claim({"--player", "0", "--chest", "1"}), 20);
    EXPECT_EQ(claim({"--player", "3001"}), 2);
}

TEST_F(ProcessTest, GatewayFinishesInFlightRequestsOnSigterm)
{
    Child gateway({program("treasure-gateway"), "--dsn", *dsn_, "--listen", "127.0.0.1:0", "--pool", "2"});
    const std::string banner = gateway.read_line();  // "listening 127.0.0.1:PORT"
    ASSERT_EQ(banner.rfind("listening 127.0.0.1:", 0), 0u) << banner;
    const int port = std::stoi(banner.substr(banner.rfind(':') + 1));

    httplib::Client http("127.0.0.1", port);
    const nlohmann::json first{{"player_id", 3100}, {"chest_id", 1}, {"request_id", random_uuid_v4()}};
    ASSERT_EQ(http.Post("/v1/claims", first.dump(), "application/json")->status, 200);

    // Hold the player's wallet row so the next claim waits inside the database: it is in flight for sure.
    pqxx::connection blocker(*dsn_);
    pqxx::work hold(blocker);
    hold.exec("SELECT balance FROM treasure.wallets WHERE player_id = 3100 FOR UPDATE");
    auto in_flight = std::async(std::launch::async, [port] {
        httplib::Client client("127.0.0.1", port);
        client.set_read_timeout(std::chrono::seconds(30));
        const nlohmann::json tap{{"player_id", 3100}, {"chest_id", 2}, {"request_id", random_uuid_v4()}};
        auto response = client.Post("/v1/claims", tap.dump(), "application/json");
        return response ? response->status : -1;
    });
    ASSERT_TRUE(testing::wait_for_a_lock_waiter(*dsn_)) << "the second claim never reached the database";

    gateway.signal(SIGTERM);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let the gateway stop accepting first
    hold.abort();
    EXPECT_EQ(in_flight.get(), 422) << "the in-flight claim (key_required) is answered";
    EXPECT_EQ(gateway.wait(), 0);
}

// treasure-gateway's edge flags as a process: --auth none refused off loopback unless said on purpose, and
// `treasure claim --url --token` exit codes against an authenticated gateway.
class GatewayAuthProcessTest : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        dsn_ = new std::string(testing::create_test_database("treasure_gateway_auth_process_test"));
        testing::execute(*dsn_, "SELECT treasure.put_chest(1, 10); SELECT treasure.put_chest(2, 10);");
        keys_ = new Keys;
        testing::write_file_atomically(keys_->directory.file("jwks.json"), testing::jwks_of({&keys_->signer}));
    }
    static void TearDownTestSuite()
    {
        delete keys_;
        delete dsn_;
        dsn_ = nullptr;
    }
    static std::vector<std::string> gateway_argv(const std::vector<std::string> &extra)
    {
        std::vector<std::string> argv{program("treasure-gateway"), "--dsn", *dsn_, "--pool", "2", "--saga", "off"};
        argv.insert(argv.end(), extra.begin(), extra.end());
        return argv;
    }
    // The port of a started gateway's "listening HOST:PORT" banner, or -1.
    static int port_of(Child &gateway, const std::string &host)
    {
        const std::string banner = gateway.read_line();
        EXPECT_EQ(banner.rfind("listening " + host + ":", 0), 0u) << banner;
        if (banner.rfind("listening " + host + ":", 0) != 0)
            return -1;
        return std::stoi(banner.substr(banner.rfind(':') + 1));
    }
    static std::string token(const JwtSigner &signer, std::int64_t player)
    {
        return signer.mint(PlayerTokenClaims{player, SystemUnixClock::instance().now_seconds(), 3600, "", ""});
    }
    static bool has_claim(std::int64_t player, std::int64_t chest)
    {
        return testing::query_value(*dsn_,
                                    "SELECT count(*) FROM treasure.claims WHERE player_id = " + std::to_string(player) +
                                        " AND chest_id = " + std::to_string(chest)) == "1";
    }
    // The gateway's key (its JWKS) and a forger signing under the same kid with another key.
    struct Keys {
        testing::TemporaryDirectory directory;
        JwtSigner signer{written(directory.file("ec.pem")), "ec-1", JwsAlg::es256};
        JwtSigner forger{written(directory.file("forger.pem")), "ec-1", JwsAlg::es256};
        static std::string written(const std::string &path)
        {
            testing::write_private_key(path, "EC");
            return path;
        }
    };
    static std::string *dsn_;
    static Keys *keys_;
};
std::string *GatewayAuthProcessTest::dsn_ = nullptr;
GatewayAuthProcessTest::Keys *GatewayAuthProcessTest::keys_ = nullptr;

TEST_F(GatewayAuthProcessTest, AuthNoneOffLoopbackIsRefusedWithAReason)
{
    Child gateway(gateway_argv({"--auth", "none", "--listen", "0.0.0.0:0"}), true);
    const std::string first = gateway.read_line();
    ASSERT_EQ(first.find("listening"), std::string::npos) << "it started: " << first;
    const std::string output = first + gateway.read_all();
    EXPECT_NE(gateway.wait(), 0) << output;
    EXPECT_NE(output.find("not a loopback address"), std::string::npos) << output;
    EXPECT_NE(output.find("--allow-unauthenticated"), std::string::npos) << output;
}

TEST_F(GatewayAuthProcessTest, AuthNoneOffLoopbackStartsWhenSaidOnPurpose)
{
    Child gateway(gateway_argv({"--auth", "none", "--listen", "0.0.0.0:0", "--allow-unauthenticated"}));
    const int port = port_of(gateway, "0.0.0.0");
    ASSERT_GT(port, 0);
    httplib::Client http("127.0.0.1", port);
    auto health = http.Get("/healthz");
    ASSERT_TRUE(health);
    EXPECT_EQ(health->status, 200);
    const nlohmann::json tap{{"player_id", 6100}, {"chest_id", 1}, {"request_id", random_uuid_v4()}};
    auto claimed = http.Post("/v1/claims", tap.dump(), "application/json");
    ASSERT_TRUE(claimed);
    EXPECT_EQ(claimed->status, 200) << "--auth none admits anybody: " << claimed->body;
    EXPECT_TRUE(has_claim(6100, 1));
    gateway.signal(SIGTERM);
    EXPECT_EQ(gateway.wait(), 0);
}

TEST_F(GatewayAuthProcessTest, ClaimWithATokenExitsZeroAndWithAForgeryForty)
{
    Child gateway(
        gateway_argv({"--auth", "jwt", "--jwks", keys_->directory.file("jwks.json"), "--listen", "127.0.0.1:0"}));
    const int port = port_of(gateway, "127.0.0.1");
    ASSERT_GT(port, 0);
    const std::string url = "http://127.0.0.1:" + std::to_string(port);
    const auto claim = [&url](const std::string &token, std::int64_t player, std::string *output) {
        std::vector<std::string> argv{program("treasure"),    "claim",   "--url", url, "--player",
                                      std::to_string(player), "--chest", "1"};
        if (!token.empty())
            argv.insert(argv.end(), {"--token", token});
        Child child(argv, true);
        *output = child.read_all();
        return child.wait();
    };
    std::string output;
    EXPECT_EQ(claim(token(keys_->signer, 6201), 6201, &output), 0) << output;
    EXPECT_TRUE(has_claim(6201, 1));

    const std::string forged = token(keys_->forger, 6202);
    EXPECT_EQ(claim(forged, 6202, &output), 40) << output;
    EXPECT_EQ(output.find(forged), std::string::npos) << "the token is echoed: " << output;
    EXPECT_FALSE(has_claim(6202, 1));
    EXPECT_EQ(claim("", 6202, &output), 40) << output;
    EXPECT_EQ(claim(token(keys_->signer, 6203), 6202, &output), 41) << "another player's token: " << output;
    EXPECT_FALSE(has_claim(6202, 1));

    gateway.signal(SIGTERM);
    EXPECT_EQ(gateway.wait(), 0);
}

}  // namespace
}  // namespace treasure
