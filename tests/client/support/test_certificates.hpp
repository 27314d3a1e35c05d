#pragma once
// A throwaway certificate authority and a server certificate for 127.0.0.1 signed by it, made with the openssl
// command in a test's temporary directory (EC P-256, valid for a day).  Header-only.
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/child_process.hpp"

namespace treasure::testing {

struct TestCertificates {
    std::string ca;           // ca.pem: what a client trusts (curl --cacert)
    std::string ca_key;       // ca.key: a valid key that matches no server certificate
    std::string server_cert;  // server.pem: for IP 127.0.0.1 and DNS localhost (--tls-cert)
    std::string server_key;   // server.key (--tls-key)
};

inline void openssl(const std::vector<std::string> &arguments)
{
    std::vector<std::string> argv{"openssl"};
    argv.insert(argv.end(), arguments.begin(), arguments.end());
    const Finished done = run_to_end(argv);
    if (done.exit_code != 0)
        throw std::runtime_error("openssl " + arguments.front() + " failed: " + done.output);
}

// directory: an existing directory, e.g. TemporaryDirectory's.
inline TestCertificates make_test_certificates(const std::string &directory)
{
    const auto file = [&directory](const std::string &name) { return directory + "/" + name; };
    TestCertificates made{file("ca.pem"), file("ca.key"), file("server.pem"), file("server.key")};
    const std::vector<std::string> new_ec_key{"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"};
    std::vector<std::string> ca{"req",     "-x509",     "-days", "1",    "-subj", "/CN=treasure test CA",
                                "-keyout", made.ca_key, "-out",  made.ca};
    ca.insert(ca.begin() + 2, new_ec_key.begin(), new_ec_key.end());
    openssl(ca);
    std::vector<std::string> request{"req",           "-subj", "/CN=127.0.0.1",   "-keyout",
                                     made.server_key, "-out",  file("server.csr")};
    request.insert(request.begin() + 1, new_ec_key.begin(), new_ec_key.end());
    openssl(request);
    {
        std::ofstream extensions(file("server.ext"));
        extensions << "subjectAltName = IP:127.0.0.1, DNS:localhost\n"
                   << "basicConstraints = CA:FALSE\n"
                   << "extendedKeyUsage = serverAuth\n";
    }
    openssl({"x509", "-req", "-days", "1", "-in", file("server.csr"), "-CA", made.ca, "-CAkey", made.ca_key,
             "-CAcreateserial", "-extfile", file("server.ext"), "-out", made.server_cert});
    return made;
}

}  // namespace treasure::testing
