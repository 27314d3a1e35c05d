// Seeded random test of the gateway's request parser (src/gateway/claim_json.cpp): random bytes, mutations of
// valid bodies and random JSON documents.  The parser must never crash or throw anything but
// ClaimError(bad_request); what it accepts must round-trip; for generated documents an independent oracle
// says whether it must accept (player_id may be absent: a player's token names the player; ids must be > 0).
// TREASURE_FUZZ_ITERATIONS (default 20000 per test) and TREASURE_FUZZ_SEED (default 20240607) make a run repeatable; a
// failure prints the seed and the input.
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <random>
#include <regex>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fuzz/fuzz_settings.hpp"
#include "gateway/claim_json.hpp"

namespace {

using treasure::ClaimBody;
using treasure::ClaimError;
using treasure::ClaimErrorKind;

using treasure::testing::fuzz_iterations;
using treasure::testing::fuzz_seed;
using treasure::testing::mutated;

const std::regex canonical_uuid("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$");

std::string printable(const std::string &input)
{
    std::string out;
    for (unsigned char c : input.substr(0, 300)) {
        if (c >= 32 && c < 127)
            out += static_cast<char>(c);
        else
            out += "\\x" + std::string(1, "0123456789abcdef"[c >> 4]) + "0123456789abcdef"[c & 15];
    }
    return out;
}

// Parses; returns true if accepted.  Fails the test on anything but ClaimError(bad_request).
bool parse(const std::string &body, const std::string &header, ClaimBody &out)
{
    try {
        out = treasure::parse_claim_request(body, header);
        return true;
    } catch (const ClaimError &error) {
        EXPECT_EQ(error.kind(), ClaimErrorKind::bad_request) << printable(body);
        EXPECT_FALSE(std::string(error.what()).empty());
        return false;
    } catch (const std::exception &error) {
        ADD_FAILURE() << "parse_claim_request threw " << error.what() << " for body '" << printable(body) << "' seed "
                      << fuzz_seed();
        return false;
    }
}

// What is accepted must say exactly what the body said.
void expect_round_trip(const std::string &body, const ClaimBody &parsed)
{
    ASSERT_TRUE(std::regex_match(parsed.request.request_id, canonical_uuid)) << parsed.request.request_id;
    const auto document = nlohmann::json::parse(body, nullptr, false);
    ASSERT_TRUE(document.is_object()) << printable(body);
    const auto player = document.find("player_id");
    if (player == document.end() || player->is_null())
        EXPECT_EQ(parsed.player_id, std::nullopt);
    else
        EXPECT_EQ(player->get<std::int64_t>(), parsed.player_id);
    EXPECT_EQ(document.at("chest_id").get<std::int64_t>(), parsed.request.chest_id);
    EXPECT_GT(parsed.request.chest_id, 0);
    EXPECT_GT(parsed.player_id.value_or(1), 0);
}

const std::string valid_uuid = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b";

TEST(ClaimJsonFuzz, RandomBytesAreRejectedCleanly)
{
    std::mt19937_64 rng(fuzz_seed());
    std::uniform_int_distribution<int> byte(0, 255), length(0, 200);
    for (long i = 0; i < fuzz_iterations(); ++i) {
        std::string body(static_cast<std::size_t>(length(rng)), '\0');
        for (char &c : body)
            c = static_cast<char>(byte(rng));
        ClaimBody request;
        if (parse(body, "", request))
            expect_round_trip(body, request);
    }
}

TEST(ClaimJsonFuzz, MutatedValidBodiesNeverCrashAndRoundTrip)
{
    std::mt19937_64 rng(fuzz_seed() + 1);
    const std::string base =
        R"({"player_id": 12345, "chest_id": 7, "request_id": ")" + valid_uuid + R"(", "session_id": 3})";
    const std::string alphabet = "{}[]\":,0123456789-+.eE tfnul\\abcdef\x00\xff";
    long accepted = 0;
    for (long i = 0; i < fuzz_iterations(); ++i) {
        const std::string body = mutated(base, rng, alphabet, 6);
        ClaimBody request;
        if (parse(body, "", request)) {
            ++accepted;
            expect_round_trip(body, request);
        }
    }
    EXPECT_GT(accepted, 0) << "no mutation was accepted: the generator is too destructive to test acceptance";
}

// Random documents with random field types, and an oracle written from the README's contract.
TEST(ClaimJsonFuzz, GeneratedDocumentsMatchTheOracle)
{
    std::mt19937_64 rng(fuzz_seed() + 2);
    std::uniform_int_distribution<int> kind(0, 9);
    auto random_value = [&](bool &valid_integer, bool &valid_uuid_string) -> nlohmann::json {
        valid_integer = valid_uuid_string = false;
        switch (kind(rng)) {
        case 0: {
            const std::int64_t value = std::uniform_int_distribution<std::int64_t>(-5, 1000000)(rng);
            valid_integer = value > 0;
            return value;
        }
        case 1: valid_integer = true; return std::numeric_limits<std::int64_t>::max();
        case 2: return std::numeric_limits<std::uint64_t>::max();
        case 3: return 1.5;
        case 4: return "12";
        case 5: return nullptr;
        case 6: return nlohmann::json::array({1});
        case 7: valid_uuid_string = true; return valid_uuid;
        case 8: valid_uuid_string = true; return "6F1C2A3B-4D5E-4F60-8A7B-9C0D1E2F3A4B";
        default: return true;
        }
    };
    std::bernoulli_distribution present(0.9);
    for (long i = 0; i < fuzz_iterations(); ++i) {
        nlohmann::json document = nlohmann::json::object();
        bool player_ok = true, chest_ok = false, session_ok = true, request_ok = false, unused = false;
        if (present(rng)) {
            document["player_id"] = random_value(player_ok, unused);
            player_ok = player_ok || document["player_id"].is_null();
        }
        if (present(rng))
            document["chest_id"] = random_value(chest_ok, unused);
        if (present(rng)) {
            bool integer = false;
            document["session_id"] = random_value(integer, unused);
            // A session_id is any 64-bit integer (its sign is not checked).
            session_ok = document["session_id"].is_null() ||
                         (document["session_id"].is_number_integer() &&
                          !(document["session_id"].is_number_unsigned() &&
                            document["session_id"].get<std::uint64_t>() >
                                static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())));
        }
        bool request_null = true;
        if (present(rng)) {
            document["request_id"] = random_value(unused, request_ok);
            request_null = document["request_id"].is_null();
        }
        const bool with_header = std::bernoulli_distribution(0.2)(rng);
        const std::string header = with_header ? valid_uuid : "";
        const bool id_ok = request_ok || (request_null && with_header);
        const bool expected = player_ok && chest_ok && session_ok && id_ok;
        const std::string body = document.dump();
        ClaimBody request;
        const bool accepted = parse(body, header, request);
        ASSERT_EQ(accepted, expected) << "body " << body << " header '" << header << "' seed " << fuzz_seed();
        if (accepted) {
            expect_round_trip(body, request);
            EXPECT_EQ(request.request.request_id, valid_uuid);
        }
    }
}

}  // namespace
