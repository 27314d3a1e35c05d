#include "lib/uuid.hpp"

#include <chrono>
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "lib/claim.hpp"
#include "lib/claim_error.hpp"

namespace treasure {
namespace {

TEST(Uuid, NormalisesCaseAndRejectsAnythingElse)
{
    EXPECT_EQ(normalize_uuid("8F14E45F-CEEA-4E7A-9B0C-2D3F4A5B6C7D"), "8f14e45f-ceea-4e7a-9b0c-2d3f4a5b6c7d");
    EXPECT_FALSE(normalize_uuid(""));
    EXPECT_FALSE(normalize_uuid("8f14e45fceea4e7a9b0c2d3f4a5b6c7d"));
    EXPECT_FALSE(normalize_uuid("8f14e45f-ceea-4e7a-9b0c-2d3f4a5b6c7g"));
    EXPECT_FALSE(normalize_uuid("8f14e45f-ceea-4e7a-9b0c-2d3f4a5b6c7d0"));
    EXPECT_FALSE(normalize_uuid("8f14e45f+ceea-4e7a-9b0c-2d3f4a5b6c7d"));
}

TEST(Uuid, RandomV4HasVersionAndVariantAndDoesNotRepeat)
{
    std::set<std::string> seen;
    for (int i = 0; i < 10000; ++i) {
        const std::string id = random_uuid_v4();
        ASSERT_EQ(normalize_uuid(id), id);
        ASSERT_EQ(id[14], '4');
        ASSERT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;
        seen.insert(id);
    }
    EXPECT_EQ(seen.size(), 10000u);
}

TEST(Uuid, V7LayoutIsRfc9562s)
{
    // RFC 9562 appendix A.6: unix_ts_ms 0x017F22E279B0, rand_a 0xCC3, rand_b 0x18C4DC0C0C07398F.
    EXPECT_EQ(uuid_v7(0x017F22E279B0, 0xCC3, 0x18C4DC0C0C07398FULL), "017f22e2-79b0-7cc3-98c4-dc0c0c07398f");
    // Bits beyond 48 / 12 / 62 never reach the version or the variant.
    EXPECT_EQ(uuid_v7((std::uint64_t{1} << 48) | 1, 0xF001, ~std::uint64_t{0}), "00000000-0001-7001-bfff-ffffffffffff");
    EXPECT_EQ(uuid_v7(0, 0, 0), "00000000-0000-7000-8000-000000000000");
}

std::uint64_t unix_ms_now()
{
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
}

TEST(Uuid, RandomV7CarriesTheTimeAndIncreasesWithinAMillisecond)
{
    const std::uint64_t before = unix_ms_now();
    std::vector<std::string> ids;
    for (int i = 0; i < 10000; ++i)
        ids.push_back(random_uuid_v7());
    const std::uint64_t after = unix_ms_now();
    std::set<std::string> distinct_rand_b;
    for (std::size_t i = 0; i < ids.size(); ++i) {
        const std::string &id = ids[i];
        ASSERT_EQ(normalize_uuid(id), id);
        ASSERT_EQ(id[14], '7') << id;
        ASSERT_NE(std::string("89ab").find(id[19]), std::string::npos) << id;
        const std::uint64_t unix_ms = std::stoull(id.substr(0, 8) + id.substr(9, 4), nullptr, 16);
        // A millisecond with more than 2048 ids borrows the next: at most one per 2049 ids this process made
        // (these 10,000 and the 20,000 of the test below, whichever runs first).
        ASSERT_GE(unix_ms, before) << id;
        ASSERT_LE(unix_ms, after + 15) << id;
        if (i > 0) {
            ASSERT_LT(ids[i - 1], id);  // fixed-width lowercase hex: text order is bit order
        }
        distinct_rand_b.insert(id.substr(19));
    }
    EXPECT_EQ(distinct_rand_b.size(), ids.size());  // the random part is fresh each time, not a counter
}

TEST(Uuid, RandomV7FromManyThreadsNeverRepeats)
{
    std::mutex mutex;
    std::set<std::string> seen;
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            std::vector<std::string> mine;
            for (int i = 0; i < 5000; ++i)
                mine.push_back(random_uuid_v7());
            const std::lock_guard<std::mutex> lock(mutex);
            seen.insert(mine.begin(), mine.end());
        });
    for (auto &thread : threads)
        thread.join();
    EXPECT_EQ(seen.size(), 20000u);
}

TEST(ClaimRequest, ValidationNamesTheBadField)
{
    ClaimRequest request{1, 1, "8F14E45F-CEEA-4E7A-9B0C-2D3F4A5B6C7D", std::nullopt};
    validate(request);
    EXPECT_EQ(request.request_id, "8f14e45f-ceea-4e7a-9b0c-2d3f4a5b6c7d");
    for (auto bad : {ClaimRequest{0, 1, request.request_id, {}}, ClaimRequest{1, -1, request.request_id, {}},
                     ClaimRequest{1, 1, "nope", {}}}) {
        try {
            validate(bad);
            FAIL() << "expected bad_request";
        } catch (const ClaimError &error) {
            EXPECT_EQ(error.kind(), ClaimErrorKind::bad_request);
        }
    }
}

}  // namespace
}  // namespace treasure
