#include "gateway/tls_context.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include <openssl/ssl.h>

namespace treasure {

namespace ssl = boost::asio::ssl;

namespace {

[[noreturn]] void refuse(const std::string &flag, const std::string &path, const std::string &why)
{
    throw std::runtime_error(flag + " " + path + ": " + why);
}

void check_readable(const std::string &flag, const std::string &path)
{
    std::ifstream file(path);
    if (!file)
        refuse(flag, path, std::string("cannot read it (") + std::strerror(errno) + ")");
}

}  // namespace

ssl::context server_tls_context(const TlsFiles &files)
{
    check_readable("--tls-cert", files.certificate_chain);
    check_readable("--tls-key", files.private_key);
    ssl::context context(ssl::context::tls_server);
    SSL_CTX_set_min_proto_version(context.native_handle(), TLS1_2_VERSION);
    context.set_options(ssl::context::default_workarounds | ssl::context::no_compression | ssl::context::single_dh_use);
    // An encrypted key fails here instead of asking for a passphrase on the terminal.
    context.set_password_callback([](std::size_t, ssl::context::password_purpose) { return std::string(); });

    // The key first: loaded alone, its failure can only mean it is not a usable key.
    boost::system::error_code error;
    context.use_private_key_file(files.private_key, ssl::context::pem, error);
    if (error)
        refuse("--tls-key", files.private_key, "not an unencrypted PEM private key (" + error.message() + ")");
    context.use_certificate_chain_file(files.certificate_chain, error);
    if (error)
        refuse("--tls-cert", files.certificate_chain, "not a PEM certificate chain (" + error.message() + ")");
    // OpenSSL drops a key that does not match the certificate loaded after it: none is left to check.
    if (SSL_CTX_check_private_key(context.native_handle()) != 1)
        refuse("--tls-key", files.private_key,
               "does not match the certificate of --tls-cert " + files.certificate_chain);
    return context;
}

}  // namespace treasure
