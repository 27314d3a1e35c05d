#pragma once
// A treasure-gateway served in-process on 127.0.0.1 (ephemeral port) for the lifetime of the object, with an
// HTTP client to it.  Header-only so each test file can use it without touching the others.
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "gateway/gateway.hpp"

namespace treasure::testing {

class RunningGateway {
public:
    explicit RunningGateway(GatewayConfig config) : gateway_(std::move(config))
    {
        port_ = gateway_.bind("127.0.0.1", 0);
        thread_ = std::thread([this] { gateway_.serve(); });
        http_ = client();
    }
    ~RunningGateway()
    {
        gateway_.stop();
        thread_.join();
    }
    RunningGateway(const RunningGateway &) = delete;
    RunningGateway &operator=(const RunningGateway &) = delete;

    Gateway &gateway() { return gateway_; }
    int port() const { return port_; }
    // A new client (one per thread: httplib::Client is not meant to be shared).
    std::unique_ptr<httplib::Client> client() const
    {
        auto http = std::make_unique<httplib::Client>("127.0.0.1", port_);
        http->set_read_timeout(std::chrono::seconds(30));
        return http;
    }
    httplib::Client &http() { return *http_; }

    // GET path; the body parsed as JSON (null when the request failed); status in *status.
    nlohmann::json get_json(const std::string &path, int *status = nullptr)
    {
        auto response = http_->Get(path.c_str());
        if (status)
            *status = response ? response->status : -1;
        if (!response)
            return nullptr;
        return nlohmann::json::parse(response->body, nullptr, false);
    }

private:
    Gateway gateway_;
    int port_ = 0;
    std::thread thread_;
    std::unique_ptr<httplib::Client> http_;
};

}  // namespace treasure::testing
