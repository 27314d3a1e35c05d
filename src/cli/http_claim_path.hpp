#pragma once
// A ClaimPath that goes through treasure-gateway: POST /v1/claims on one keep-alive connection, with the
// caller's credentials when there are any (auth/client_credentials.hpp).  Not thread-safe: give every thread its
// own (the credentials may be shared).
#include <cstdint>
#include <memory>
#include <string>

#include "lib/claim_error.hpp"
#include "lib/claim_path.hpp"

namespace httplib {
class Client;
}

namespace treasure {

class ClientCredentials;

// A 401, 403 or 429 from an authenticated gateway: an answer about the caller, not a transport failure (and a
// 429 is not retried).  kind() is bad_request.  Only the body's coarse reason is kept, never a credential.
class GatewayRefusal final : public ClaimError {
public:
    GatewayRefusal(int http_status, std::string error, std::string reason, std::int64_t retry_after_ms);
    int http_status() const noexcept { return http_status_; }
    const std::string &error() const noexcept { return error_; }    // unauthenticated, forbidden, rate_limited
    const std::string &reason() const noexcept { return reason_; }  // e.g. expired, bad_signature; may be empty
    std::int64_t retry_after_ms() const noexcept { return retry_after_ms_; }  // 429; 0 when not given

private:
    int http_status_;
    std::string error_;
    std::string reason_;
    std::int64_t retry_after_ms_;
};

class HttpClaimPath final : public ClaimPath {
public:
    // base_url: http://HOST:PORT or https://HOST:PORT.  Throws std::invalid_argument for anything else.
    // credentials may be null (no credential headers, as before authentication existed).  ca_certificates: the PEM
    // file of the CAs that HTTPS trusts ("" for the system's); the server's name or address is checked too.
    explicit HttpClaimPath(const std::string &base_url, std::shared_ptr<ClientCredentials> credentials = nullptr,
                           const std::string &ca_certificates = "");
    ~HttpClaimPath() override;

    // Maps the gateway's answer back: claim statuses to ClaimResult, error bodies to ClaimError (a transport
    // failure is ClaimError(unavailable)); a 401, 403 or 429 throws GatewayRefusal.
    ClaimResult claim(const ValidClaimRequest &request) override;
    // The path the gateway reports is in each result; this is the nominal one.
    PathKind kind() const override { return PathKind::atomic; }

private:
    std::unique_ptr<httplib::Client> http_;
    std::shared_ptr<ClientCredentials> credentials_;
};

}  // namespace treasure
