// The HTTPS server's TLS settings from --tls-cert and --tls-key: a certificate and its key load with TLS 1.2 as
// the floor; every file that cannot serve is refused at start, naming its flag, its path and why.
#include "gateway/tls_context.hpp"

#include <fstream>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include "support/auth_test_keys.hpp"
#include "support/test_certificates.hpp"

namespace treasure {
namespace {

class TlsContextTest : public ::testing::Test {
protected:
    // The message of the std::runtime_error that loading these files throws ("" when it loads).
    static std::string refusal(const std::string &certificate_chain, const std::string &private_key)
    {
        try {
            server_tls_context(TlsFiles{certificate_chain, private_key});
        } catch (const std::runtime_error &error) {
            return error.what();
        }
        return "";
    }
    std::string written(const std::string &name, const std::string &text) const
    {
        std::ofstream(directory.file(name)) << text;
        return directory.file(name);
    }

    testing::TemporaryDirectory directory;
    testing::TestCertificates made = testing::make_test_certificates(directory.file(""));
};

TEST_F(TlsContextTest, ACertificateAndItsKeyLoadWithTls12AsTheFloor)
{
    auto context = server_tls_context(TlsFiles{made.server_cert, made.server_key});
    EXPECT_EQ(SSL_CTX_get_min_proto_version(context.native_handle()), TLS1_2_VERSION);
    EXPECT_NE(SSL_CTX_get0_certificate(context.native_handle()), nullptr);
}

TEST_F(TlsContextTest, AMissingFileIsRefusedByFlagAndPath)
{
    const std::string missing = directory.file("missing.key");
    const std::string message = refusal(made.server_cert, missing);
    EXPECT_EQ(message.rfind("--tls-key " + missing + ": cannot read it", 0), 0u) << message;
    const std::string no_cert = refusal(directory.file("missing.pem"), made.server_key);
    EXPECT_EQ(no_cert.rfind("--tls-cert " + directory.file("missing.pem") + ": cannot read it", 0), 0u) << no_cert;
}

TEST_F(TlsContextTest, AFileThatIsNotAKeyOrNotACertificateIsRefused)
{
    const std::string garbage = written("garbage.pem", "not PEM at all\n");
    EXPECT_EQ(
        refusal(made.server_cert, garbage).rfind("--tls-key " + garbage + ": not an unencrypted PEM private key", 0),
        0u)
        << refusal(made.server_cert, garbage);
    EXPECT_NE(refusal(made.server_cert, made.server_cert).find("not an unencrypted PEM private key"), std::string::npos)
        << "a certificate given as the key";
    EXPECT_EQ(refusal(garbage, made.server_key).rfind("--tls-cert " + garbage + ": not a PEM certificate chain", 0), 0u)
        << refusal(garbage, made.server_key);
}

TEST_F(TlsContextTest, AnEncryptedKeyIsRefusedWithoutAskingForAPassphrase)
{
    const std::string encrypted = directory.file("encrypted.key");
    testing::openssl({"pkey", "-in", made.server_key, "-aes256", "-passout", "pass:secret", "-out", encrypted});
    EXPECT_NE(refusal(made.server_cert, encrypted).find("--tls-key " + encrypted + ": not an unencrypted PEM"),
              std::string::npos)
        << refusal(made.server_cert, encrypted);
}

TEST_F(TlsContextTest, AKeyOfAnotherCertificateIsRefused)
{
    const std::string message = refusal(made.server_cert, made.ca_key);
    EXPECT_EQ(message,
              "--tls-key " + made.ca_key + ": does not match the certificate of --tls-cert " + made.server_cert);
}

}  // namespace
}  // namespace treasure
