#pragma once
// A ClaimPath that goes through treasure-gateway: POST /v1/claims on one keep-alive connection.
// Not thread-safe: give every thread its own.
#include <memory>
#include <string>

#include "lib/claim_path.hpp"

namespace httplib {
class Client;
}

namespace treasure {

class HttpClaimPath final : public ClaimPath {
public:
    // base_url: http://HOST:PORT.  Throws std::invalid_argument for anything else.
    explicit HttpClaimPath(const std::string &base_url);
    ~HttpClaimPath() override;

    // Maps the gateway's answer back: claim statuses to ClaimResult, error bodies to ClaimError (a transport
    // failure is ClaimError(unavailable)).
    ClaimResult claim(const ValidClaimRequest &request) override;
    // The path the gateway reports is in each result; this is the nominal one.
    PathKind kind() const override { return PathKind::atomic; }

private:
    std::unique_ptr<httplib::Client> http_;
};

}  // namespace treasure
