#include "lib/uuid.hpp"

#include <set>

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
