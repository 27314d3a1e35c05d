#include "gateway/metrics_listener.hpp"

#include <utility>

#include "gateway/answer.hpp"
#include "gateway/http_server.hpp"
#include "gateway/request_target.hpp"

namespace treasure {

namespace {

// A scrape is one small GET: a short queue and deadline are plenty.
AdmissionOptions scrape_admission()
{
    AdmissionOptions options;
    options.max_connections = 64;
    return options;
}

}  // namespace

MetricsListener::MetricsListener(std::function<std::string()> metrics)
    : metrics_(std::move(metrics)),
      server_(std::make_unique<HttpServer>(static_cast<HttpHandler &>(*this), scrape_admission(), 0))
{}

MetricsListener::~MetricsListener() { stop(); }

int MetricsListener::bind(const std::string &host, int port) { return server_->bind(host, port); }

void MetricsListener::start()
{
    thread_ = std::thread([this] { server_->serve(); });
}

void MetricsListener::stop()
{
    if (!thread_.joinable())
        return;
    server_->stop();
    thread_.join();
}

std::optional<Answer> MetricsListener::before_body(RequestHead &head)
{
    if (parse_request_target(head.target).path != "/metrics")
        return error_answer(404, "not_found", "this address serves /metrics only");
    if (head.method != "GET")
        return error_answer(405, "method_not_allowed", "this endpoint takes GET");
    if (head.content_length.value_or(0) > 0 || head.chunked)
        return error_answer(413, "payload_too_large", "a scrape has no body");
    return std::nullopt;
}

void MetricsListener::handle(HttpRequest, Reply reply)
{
    Answer answer;
    answer.body = metrics_();
    answer.content_type = "text/plain; version=0.0.4; charset=utf-8";
    reply(std::move(answer));
}

}  // namespace treasure
