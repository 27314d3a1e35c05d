// What the player's page talks to, without a database: POST /v1/client-metrics' validation (a bad report changes
// no metric) and the static files of /play and /web/... (types, cache headers, no way out of the directory).
#include <string>

#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <prometheus/registry.h>

#include "gateway/client_metrics.hpp"
#include "gateway/static_files.hpp"
#include "lib/claim_metrics.hpp"
#include "support/answer_headers.hpp"
#include "support/auth_test_keys.hpp"
#include "support/prometheus_text.hpp"

namespace treasure {
namespace {

using testing::header_value;

class ClientMetricsTest : public ::testing::Test {
protected:
    Answer report(const std::string &body) { return client_metrics_answer(histogram, body); }
    std::string exposition() { return serialize_metrics(registry); }
    // The sample's value; a name the exposition lacks fails the test.
    double sample(const std::string &name)
    {
        const auto samples = testing::parse_prometheus_text(exposition()).samples;
        const auto found = samples.find(name);
        if (found == samples.end()) {
            ADD_FAILURE() << "no sample " << name;
            return -1;
        }
        return found->second;
    }

    prometheus::Registry registry;
    LatencyHistogram histogram{registry};
};

std::string samples_of(int count, const std::string &sample)
{
    std::string samples;
    for (int i = 0; i < count; ++i)
        samples += (i ? "," : "") + sample;
    return "{\"samples\": [" + samples + "]}";
}

TEST_F(ClientMetricsTest, AValidReportIsObservedWithItsLabels)
{
    const Answer answer = report(R"({"samples": [{"duration_ms": 350, "path": "atomic", "outcome": "claimed"},
                                                 {"duration_ms": 40.5, "path": "saga", "outcome": "replayed"},
                                                 {"duration_ms": 60000, "path": "none", "outcome": "failed"}]})");
    EXPECT_EQ(answer.status, 200) << answer.body;
    EXPECT_EQ(nlohmann::json::parse(answer.body)["accepted"], 3);
    EXPECT_EQ(sample(R"(treasure_latency_seconds_count{outcome="claimed",path="atomic"})"), 1);
    EXPECT_EQ(sample(R"(treasure_latency_seconds_bucket{outcome="claimed",path="atomic",le="0.3"})"), 0);
    EXPECT_EQ(sample(R"(treasure_latency_seconds_bucket{outcome="claimed",path="atomic",le="0.5"})"), 1);
    EXPECT_DOUBLE_EQ(sample(R"(treasure_latency_seconds_sum{outcome="replayed",path="saga"})"), 0.0405);
    EXPECT_EQ(sample(R"(treasure_latency_seconds_count{outcome="failed",path="none"})"), 1);
    EXPECT_EQ(report(samples_of(100, R"({"duration_ms": 1, "path": "atomic", "outcome": "sold_out"})")).status, 200);
}

TEST_F(ClientMetricsTest, AnyBadSampleRefusesTheWholeReportAndChangesNoMetric)
{
    const std::string good = R"({"duration_ms": 12, "path": "atomic", "outcome": "claimed"})";
    const std::string before = exposition();
    for (const std::string &body : {
             std::string("not json"),
             std::string("[]"),
             std::string("{}"),
             std::string(R"({"samples": {}})"),
             std::string(R"({"samples": []})"),
             samples_of(101, good),
             std::string(R"({"samples": [{"duration_ms": 0, "path": "atomic", "outcome": "claimed"}]})"),
             std::string(R"({"samples": [{"duration_ms": -1, "path": "atomic", "outcome": "claimed"}]})"),
             std::string(R"({"samples": [{"duration_ms": 60000.5, "path": "atomic", "outcome": "claimed"}]})"),
             std::string(R"({"samples": [{"duration_ms": "12", "path": "atomic", "outcome": "claimed"}]})"),
             std::string(R"({"samples": [{"duration_ms": true, "path": "atomic", "outcome": "claimed"}]})"),
             std::string(R"({"samples": [{"duration_ms": 12, "path": "fast", "outcome": "claimed"}]})"),
             std::string(R"({"samples": [{"duration_ms": 12, "path": "atomic", "outcome": "Claimed"}]})"),
             std::string(R"({"samples": [{"duration_ms": 12, "path": "atomic"}]})"),
             std::string(R"({"samples": [{"duration_ms": 12, "path": "atomic", "outcome": "claimed", "x": 1}]})"),
             "{\"samples\": [" + good + R"(, {"duration_ms": 12, "path": "atomic", "outcome": 7}]})",
             "{\"samples\": [" + good + "], \"player_id\": 1}",
         }) {
        const Answer answer = report(body);
        EXPECT_EQ(answer.status, 400) << body;
        EXPECT_EQ(nlohmann::json::parse(answer.body)["error"], "bad_request") << body;
    }
    EXPECT_EQ(report(std::string(client_metrics_max_body_bytes + 1, ' ')).status, 413);
    EXPECT_EQ(exposition(), before);
}

class StaticFilesTest : public ::testing::Test {
protected:
    StaticFilesTest()
    {
        testing::write_file_atomically(web.file("play.html"), "<!doctype html><p>page</p>");
        testing::write_file_atomically(web.file("treasure-client.js"), "export const x = 1;");
        testing::write_file_atomically(web.file("notes.md"), "not served");
        testing::write_file_atomically(outside.file("secret.txt"), "secret");
        testing::write_file_atomically(web.file(".hidden.js"), "hidden");
    }
    testing::TemporaryDirectory web;
    testing::TemporaryDirectory outside;
};

TEST_F(StaticFilesTest, ThePageAndTheClientWithTheirTypesAndCacheHeaders)
{
    const StaticFiles files(web.file(""));
    ASSERT_TRUE(files.root());
    for (const char *path : {"/play", "/play/", "/web/play.html"}) {
        const Answer page = files.answer(path);
        EXPECT_EQ(page.status, 200) << path;
        EXPECT_EQ(page.body, "<!doctype html><p>page</p>");
        EXPECT_EQ(page.content_type, "text/html; charset=utf-8");
        EXPECT_EQ(header_value(page.headers, "Cache-Control"), "no-cache");
        EXPECT_NE(header_value(page.headers, "Content-Security-Policy").find("default-src 'self'"), std::string::npos);
    }
    const Answer client = files.answer("/web/treasure-client.js");
    EXPECT_EQ(client.status, 200);
    EXPECT_EQ(client.content_type, "text/javascript; charset=utf-8");
    EXPECT_EQ(header_value(client.headers, "Cache-Control"), "public, max-age=300");
    EXPECT_EQ(header_value(client.headers, "X-Content-Type-Options"), "nosniff");
}

TEST_F(StaticFilesTest, NothingOutsideTheDirectoryOrOfAnUnknownType)
{
    ::symlink(outside.file("secret.txt").c_str(), web.file("link.txt").c_str());
    const StaticFiles files(web.file(""));
    for (const char *path :
         {"/web/../play.html", "/web/..", "/web/", "/web/notes.md", "/web/.hidden.js", "/web/link.txt", "/web/a/b.js",
          "/web/missing.js", "/play/other", "/web/play.html/", "/web/play.html\\x", "/web/%2e%2e"}) {
        const Answer answer = files.answer(path);
        EXPECT_EQ(answer.status, 404) << path;
        EXPECT_EQ(answer.body.find("secret"), std::string::npos) << path;
    }
    EXPECT_FALSE(StaticFiles(web.file("no-such-directory")).root());
    EXPECT_EQ(StaticFiles(web.file("no-such-directory")).answer("/play").status, 404);
}

}  // namespace
}  // namespace treasure
