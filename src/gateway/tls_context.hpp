#pragma once
// The HTTPS server's TLS settings (--tls-cert, --tls-key): an Asio ssl::context over OpenSSL, TLS 1.2 at least,
// with the certificate chain and its private key read once, at start (a restart rotates them).  Only the HTTP
// server (http_server.cpp) includes this file.
#include <string>

#include <boost/asio/ssl/context.hpp>

namespace treasure {

struct TlsFiles {
    std::string certificate_chain;  // PEM: the server's certificate first, then its intermediates
    std::string private_key;        // PEM, unencrypted
};

// Throws std::runtime_error naming the flag and the file: unreadable, not PEM, or a key that does not match the
// certificate.
boost::asio::ssl::context server_tls_context(const TlsFiles &files);

}  // namespace treasure
