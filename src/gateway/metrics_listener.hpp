#pragma once
// --metrics-listen HOST:PORT: /metrics served open on an address of its own (the Prometheus convention: scrape a
// port players cannot reach), and nothing else there.  The main address then answers /metrics 404 (edge.hpp).
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "gateway/admission_options.hpp"
#include "gateway/http_handler.hpp"

namespace treasure {

class HttpServer;

class MetricsListener : private HttpHandler {
public:
    // metrics: the Prometheus text of the gateway; called on this listener's own I/O thread.
    explicit MetricsListener(std::function<std::string()> metrics);
    ~MetricsListener();
    MetricsListener(const MetricsListener &) = delete;
    MetricsListener &operator=(const MetricsListener &) = delete;

    // Binds host:port (port 0 = any free port) and returns the bound port; throws std::runtime_error.
    int bind(const std::string &host, int port);
    // Serves on a thread of its own until stop().
    void start();
    void stop();

private:
    std::optional<Answer> before_body(RequestHead &head) override;
    void handle(HttpRequest request, Reply reply) override;

    std::function<std::string()> metrics_;
    std::unique_ptr<HttpServer> server_;
    std::thread thread_;
};

}  // namespace treasure
