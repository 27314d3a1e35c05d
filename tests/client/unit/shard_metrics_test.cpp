// The sharded gateway's /metrics: several shards' texts of the same metrics become one exposition.
#include "gateway/shard_metrics.hpp"

#include <gtest/gtest.h>

namespace treasure {
namespace {

TEST(WithShardLabels, EachFamilyOnceWithEveryShardsSamplesLabelled)
{
    const std::string shard0 = "# HELP reads_total Reads\n"
                               "# TYPE reads_total counter\n"
                               "reads_total{query=\"stats\"} 3\n"
                               "# HELP lag_seconds Lag\n"
                               "# TYPE lag_seconds gauge\n"
                               "lag_seconds -1\n";
    const std::string shard1 = "# HELP reads_total Reads\n"
                               "# TYPE reads_total counter\n"
                               "reads_total{query=\"stats\"} 5\n"
                               "# HELP lag_seconds Lag\n"
                               "# TYPE lag_seconds gauge\n"
                               "lag_seconds 0.5\n";
    EXPECT_EQ(with_shard_labels({shard0, shard1}), "# HELP reads_total Reads\n"
                                                   "# TYPE reads_total counter\n"
                                                   "reads_total{shard=\"0\",query=\"stats\"} 3\n"
                                                   "reads_total{shard=\"1\",query=\"stats\"} 5\n"
                                                   "# HELP lag_seconds Lag\n"
                                                   "# TYPE lag_seconds gauge\n"
                                                   "lag_seconds{shard=\"0\"} -1\n"
                                                   "lag_seconds{shard=\"1\"} 0.5\n");
}

TEST(WithShardLabels, AnEmptyLabelSetGetsTheShardAlone)
{
    EXPECT_EQ(with_shard_labels({"# HELP up Up\n# TYPE up gauge\nup{} 1\n"}),
              "# HELP up Up\n# TYPE up gauge\nup{shard=\"0\"} 1\n");
}

}  // namespace
}  // namespace treasure
