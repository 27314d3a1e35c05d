// treasure-gateway serving HTTPS (--tls-cert, --tls-key) as a process, against curl and the treasure CLI, with a
// throwaway CA and server certificate made by the openssl command: the CA's clients are answered (keep-alive
// included), others fail verification, plain HTTP gets no answer, a claim with a player token goes through, the
// limits (413, 503 at the connection cap, the slow-client deadline on the handshake) and the SIGTERM drain hold,
// and files that cannot serve stop the start with their reason.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "auth/jwt_signer.hpp"
#include "auth/unix_clock.hpp"
#include "lib/uuid.hpp"
#include "support/auth_test_keys.hpp"
#include "support/child_process.hpp"
#include "support/test_certificates.hpp"
#include "support/test_database.hpp"

namespace treasure {
namespace {

using testing::Child;
using testing::Finished;
using testing::program;
using testing::run_to_end;

// A TCP connection that sends nothing (no TLS handshake either), closed with the object.
class SilentConnection {
public:
    explicit SilentConnection(int port) : fd_(::socket(AF_INET, SOCK_STREAM, 0))
    {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<std::uint16_t>(port));
        ::inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0;
    }
    ~SilentConnection() { ::close(fd_); }
    bool connected() const { return connected_; }
    // Whether the gateway closes it within the time (a read that ends, instead of one that times out).
    bool closed_by_peer_within(std::chrono::seconds time)
    {
        timeval timeout{static_cast<time_t>(time.count()), 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        char byte;
        return ::recv(fd_, &byte, 1, 0) >= 0;  // 0: closed; -1 with EAGAIN: still open when the time was up
    }

private:
    int fd_;
    bool connected_ = false;
};

class GatewayTlsTest : public ::testing::Test {
protected:
    static void SetUpTestSuite()
    {
        dsn_ = new std::string(testing::create_test_database("treasure_gateway_tls_test"));
        testing::execute(*dsn_,
                         "SELECT treasure.put_chest(1, 10); SELECT treasure.put_chest(2, 5, key_item => 'key');");
        files_ = new Files;
        testing::write_file_atomically(files_->directory.file("jwks.json"), testing::jwks_of({&files_->signer}));
    }
    static void TearDownTestSuite()
    {
        delete files_;
        delete dsn_;
        dsn_ = nullptr;
    }

    static std::vector<std::string> gateway_argv(const std::vector<std::string> &extra)
    {
        std::vector<std::string> argv{program("treasure-gateway"),
                                      "--dsn",
                                      *dsn_,
                                      "--pool",
                                      "2",
                                      "--saga",
                                      "off",
                                      "--listen",
                                      "127.0.0.1:0",
                                      "--tls-cert",
                                      files_->certificates.server_cert,
                                      "--tls-key",
                                      files_->certificates.server_key};
        argv.insert(argv.end(), extra.begin(), extra.end());
        return argv;
    }
    // The port of a started gateway's "listening 127.0.0.1:PORT" banner, or -1.
    static int port_of(Child &gateway)
    {
        const std::string banner = gateway.read_line();
        EXPECT_EQ(banner.rfind("listening 127.0.0.1:", 0), 0u) << banner;
        if (banner.rfind("listening 127.0.0.1:", 0) != 0)
            return -1;
        return std::stoi(banner.substr(banner.rfind(':') + 1));
    }
    static std::string https(int port, const std::string &path)
    {
        return "https://127.0.0.1:" + std::to_string(port) + path;
    }
    // curl with these arguments; its output is what -w writes (after the body when -o is not given).
    static Finished curl(const std::vector<std::string> &arguments)
    {
        std::vector<std::string> argv{"curl", "--silent", "--show-error", "--max-time", "20"};
        argv.insert(argv.end(), arguments.begin(), arguments.end());
        return run_to_end(argv);
    }
    static Finished curl_trusting_the_ca(const std::vector<std::string> &arguments)
    {
        std::vector<std::string> argv{"--cacert", files_->certificates.ca};
        argv.insert(argv.end(), arguments.begin(), arguments.end());
        return curl(argv);
    }
    static std::string token(std::int64_t player)
    {
        return files_->signer.mint(PlayerTokenClaims{player, SystemUnixClock::instance().now_seconds(), 3600, "", ""});
    }
    static bool has_claim(std::int64_t player, std::int64_t chest)
    {
        return testing::query_value(*dsn_,
                                    "SELECT count(*) FROM treasure.claims WHERE player_id = " + std::to_string(player) +
                                        " AND chest_id = " + std::to_string(chest)) == "1";
    }
    static std::string tap(std::int64_t player, std::int64_t chest)
    {
        return nlohmann::json{{"player_id", player}, {"chest_id", chest}, {"request_id", random_uuid_v4()}}.dump();
    }
    static void stop(Child &gateway)
    {
        gateway.signal(SIGTERM);
        EXPECT_EQ(gateway.wait(), 0);
    }
    // What a gateway that must not start printed; it must not have started, and must have failed.
    static std::string refused_start(const std::vector<std::string> &argv, int *exit_code)
    {
        Child gateway(argv, true);
        const std::string first = gateway.read_line();
        EXPECT_EQ(first.find("listening"), std::string::npos) << "it started: " << first;
        const std::string output = first + gateway.read_all();
        *exit_code = gateway.wait();
        return output;
    }

    struct Files {
        testing::TemporaryDirectory directory;
        testing::TestCertificates certificates = testing::make_test_certificates(directory.file(""));
        JwtSigner signer{written_key(directory.file("ec.pem")), "ec-1", JwsAlg::es256};
        static std::string written_key(const std::string &path)
        {
            testing::write_private_key(path, "EC");
            return path;
        }
    };
    static std::string *dsn_;
    static Files *files_;
};
std::string *GatewayTlsTest::dsn_ = nullptr;
GatewayTlsTest::Files *GatewayTlsTest::files_ = nullptr;

TEST_F(GatewayTlsTest, ACurlThatTrustsTheCaIsAnsweredOnOneKeptAliveConnection)
{
    Child gateway(gateway_argv({}));
    const int port = port_of(gateway);
    ASSERT_GT(port, 0);

    Finished health = curl_trusting_the_ca({"-o", "/dev/null", "-w", "%{http_code}", https(port, "/healthz")});
    EXPECT_EQ(health.exit_code, 0) << health.output;
    EXPECT_EQ(health.output, "200");
    Finished tls12 = curl_trusting_the_ca(
        {"--tlsv1.2", "--tls-max", "1.2", "-o", "/dev/null", "-w", "%{http_code}", https(port, "/healthz")});
    EXPECT_EQ(tls12.exit_code, 0) << tls12.output;
    EXPECT_EQ(tls12.output, "200") << "TLS 1.2 is served";
    // Two requests in one curl: the second reuses the first's connection (no new connect, no new handshake).
    Finished twice = curl_trusting_the_ca({"-o", "/dev/null", "-o", "/dev/null", "-w", "%{http_code} %{num_connects}\n",
                                           https(port, "/healthz"), https(port, "/healthz")});
    EXPECT_EQ(twice.exit_code, 0) << twice.output;
    EXPECT_EQ(twice.output, "200 1\n200 0\n");
    stop(gateway);
}

TEST_F(GatewayTlsTest, ACurlWithoutTheCaFailsVerificationAndPlainHttpGetsNoAnswer)
{
    Child gateway(gateway_argv({}));
    const int port = port_of(gateway);
    ASSERT_GT(port, 0);

    Finished untrusted = curl({"-o", "/dev/null", "-w", "%{http_code}", https(port, "/healthz")});
    EXPECT_EQ(untrusted.exit_code, 60) << "curl's CURLE_PEER_FAILED_VERIFICATION: " << untrusted.output;
    EXPECT_NE(untrusted.output.find("certificate"), std::string::npos) << untrusted.output;

    Finished plain =
        curl({"-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:" + std::to_string(port) + "/healthz"});
    EXPECT_TRUE(plain.exit_code == 52 || plain.exit_code == 56)
        << "curl's empty reply or connection reset (closed without an answer): " << plain.output;
    EXPECT_NE(plain.output.find("000"), std::string::npos) << "no HTTP status at all: " << plain.output;

    // Still serving after both.
    EXPECT_EQ(curl_trusting_the_ca({"-o", "/dev/null", "-w", "%{http_code}", https(port, "/healthz")}).output, "200");
    stop(gateway);
}

TEST_F(GatewayTlsTest, AClaimWithAPlayerTokenGoesThroughOverHttps)
{
    Child gateway(gateway_argv({"--auth", "jwt", "--jwks", files_->directory.file("jwks.json")}));
    const int port = port_of(gateway);
    ASSERT_GT(port, 0);

    Finished claimed =
        curl_trusting_the_ca({"-H", "Authorization: Bearer " + token(7101), "-H", "Content-Type: application/json",
                              "--data-binary", tap(7101, 1), "-w", "\n%{http_code}", https(port, "/v1/claims")});
    ASSERT_EQ(claimed.exit_code, 0) << claimed.output;
    const auto newline = claimed.output.rfind('\n');
    EXPECT_EQ(claimed.output.substr(newline + 1), "200") << claimed.output;
    EXPECT_EQ(nlohmann::json::parse(claimed.output.substr(0, newline), nullptr, false).value("status", ""), "claimed")
        << claimed.output;
    EXPECT_TRUE(has_claim(7101, 1));

    Finished unauthenticated =
        curl_trusting_the_ca({"-H", "Content-Type: application/json", "--data-binary", tap(7102, 1), "-o", "/dev/null",
                              "-w", "%{http_code}", https(port, "/v1/claims")});
    EXPECT_EQ(unauthenticated.output, "401") << "authentication works the same over HTTPS";

    // The treasure CLI over HTTPS: with --cacert it claims; without, the system's CAs do not know ours.
    const auto claim = [port](const std::vector<std::string> &extra) {
        std::vector<std::string> argv{program("treasure"), "claim", "--url",   https(port, ""), "--player", "7103",
                                      "--chest",           "1",     "--token", token(7103)};
        argv.insert(argv.end(), extra.begin(), extra.end());
        return run_to_end(argv);
    };
    Finished without_ca = claim({});
    EXPECT_NE(without_ca.exit_code, 0) << without_ca.output;
    EXPECT_FALSE(has_claim(7103, 1));
    Finished with_ca = claim({"--cacert", files_->certificates.ca});
    EXPECT_EQ(with_ca.exit_code, 0) << with_ca.output;
    EXPECT_NE(with_ca.output.find("claimed (fresh)"), std::string::npos) << with_ca.output;
    EXPECT_TRUE(has_claim(7103, 1));
    stop(gateway);
}

TEST_F(GatewayTlsTest, TheBodyLimitAndTheConnectionCapHoldOverHttps)
{
    Child gateway(gateway_argv({"--max-connections", "1"}));
    const int port = port_of(gateway);
    ASSERT_GT(port, 0);

    const std::string large = files_->directory.file("large.json");
    std::ofstream(large) << std::string(20 * 1024, ' ');
    Finished too_large = curl_trusting_the_ca({"-H", "Content-Type: application/json", "--data-binary", "@" + large,
                                               "-o", "/dev/null", "-w", "%{http_code}", https(port, "/v1/claims")});
    EXPECT_EQ(too_large.output, "413") << too_large.output;

    SilentConnection holder(port);  // the one connection allowed, still in its handshake
    ASSERT_TRUE(holder.connected());
    std::this_thread::sleep_for(std::chrono::milliseconds(200));  // accepted before the next one
    Finished shed = curl_trusting_the_ca({"-D", "-", "-o", "/dev/null", https(port, "/healthz")});
    EXPECT_EQ(shed.exit_code, 0) << shed.output;
    EXPECT_EQ(shed.output.rfind("HTTP/1.1 503", 0), 0u) << shed.output;
    EXPECT_NE(shed.output.find("Retry-After: 1"), std::string::npos) << shed.output;
    stop(gateway);
}

TEST_F(GatewayTlsTest, AClientThatNeverFinishesItsHandshakeIsCutAtTheRequestDeadline)
{
    Child gateway(gateway_argv({"--request-timeout-ms", "300"}));
    const int port = port_of(gateway);
    ASSERT_GT(port, 0);
    SilentConnection silent(port);
    ASSERT_TRUE(silent.connected());
    EXPECT_TRUE(silent.closed_by_peer_within(std::chrono::seconds(10)));
    stop(gateway);
}

TEST_F(GatewayTlsTest, SigtermAnswersTheInFlightClaimOverHttpsThenExitsZero)
{
    Child gateway(gateway_argv({}));
    const int port = port_of(gateway);
    ASSERT_GT(port, 0);
    ASSERT_EQ(curl_trusting_the_ca({"-H", "Content-Type: application/json", "--data-binary", tap(7201, 1), "-o",
                                    "/dev/null", "-w", "%{http_code}", https(port, "/v1/claims")})
                  .output,
              "200");

    // Hold the player's wallet row so the next claim waits inside the database: it is in flight for sure.
    pqxx::connection blocker(*dsn_);
    pqxx::work hold(blocker);
    hold.exec("SELECT balance FROM treasure.wallets WHERE player_id = 7201 FOR UPDATE");
    auto in_flight = std::async(std::launch::async, [port] {
        return curl_trusting_the_ca({"-H", "Content-Type: application/json", "--data-binary", tap(7201, 2), "-o",
                                     "/dev/null", "-w", "%{http_code}", https(port, "/v1/claims")});
    });
    ASSERT_TRUE(testing::wait_for_a_lock_waiter(*dsn_)) << "the second claim never reached the database";

    gateway.signal(SIGTERM);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // let the gateway stop accepting first
    hold.abort();
    const Finished answered = in_flight.get();
    EXPECT_EQ(answered.exit_code, 0) << "closed cleanly after the answer: " << answered.output;
    EXPECT_EQ(answered.output, "422") << "the in-flight claim (key_required) is answered";
    EXPECT_EQ(gateway.wait(), 0);
}

TEST_F(GatewayTlsTest, FilesThatCannotServeStopTheStartWithTheirReason)
{
    int exit_code = 0;
    const std::string missing = files_->directory.file("missing.key");
    std::vector<std::string> argv = gateway_argv({});
    argv.back() = missing;  // --tls-key
    std::string output = refused_start(argv, &exit_code);
    EXPECT_EQ(exit_code, 105) << "CLI11's code for a flag that fails its check: " << output;
    EXPECT_NE(output.find("--tls-key: File does not exist: " + missing), std::string::npos) << output;

    argv.back() = files_->certificates.ca_key;  // a key, but not the certificate's
    output = refused_start(argv, &exit_code);
    EXPECT_EQ(exit_code, 1) << output;
    EXPECT_NE(output.find("--tls-key " + files_->certificates.ca_key +
                          ": does not match the certificate of --tls-cert " + files_->certificates.server_cert),
              std::string::npos)
        << output;

    argv.back() = files_->certificates.server_cert;  // a certificate where the key should be
    output = refused_start(argv, &exit_code);
    EXPECT_EQ(exit_code, 1) << output;
    EXPECT_NE(output.find("not an unencrypted PEM private key"), std::string::npos) << output;

    argv.resize(argv.size() - 2);  // --tls-cert alone
    output = refused_start(argv, &exit_code);
    EXPECT_EQ(exit_code, 1) << output;
    EXPECT_NE(output.find("--tls-cert and --tls-key go together"), std::string::npos) << output;
}

}  // namespace
}  // namespace treasure
