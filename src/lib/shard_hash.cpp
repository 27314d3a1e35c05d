#include "lib/shard_hash.hpp"

#include <stdexcept>
#include <string>

namespace treasure {
namespace {

std::uint32_t rotate_left(std::uint32_t x, int k) { return (x << k) | (x >> (32 - k)); }

}  // namespace

// Mirrors hash_bytes_uint32() and its final() macro in PostgreSQL 15's src/common/hashfn.c.
std::uint32_t hash_bytes_uint32(std::uint32_t k)
{
    std::uint32_t a = 0x9e3779b9u + static_cast<std::uint32_t>(sizeof(std::uint32_t)) + 3923095u;
    std::uint32_t b = a;
    std::uint32_t c = a;
    a += k;

    c ^= b;
    c -= rotate_left(b, 14);
    a ^= c;
    a -= rotate_left(c, 11);
    b ^= a;
    b -= rotate_left(a, 25);
    c ^= b;
    c -= rotate_left(b, 16);
    a ^= c;
    a -= rotate_left(c, 4);
    b ^= a;
    b -= rotate_left(a, 14);
    c ^= b;
    c -= rotate_left(b, 24);
    return c;
}

// Mirrors hashint8() in PostgreSQL 15's src/backend/access/hash/hashfunc.c: the high half is folded into the low
// half (complemented for negative values, so that int2/int4/int8 hash alike) and the result hashed as one word.
std::int32_t hashint8(std::int64_t value)
{
    std::uint32_t low_half = static_cast<std::uint32_t>(static_cast<std::uint64_t>(value));
    const std::uint32_t high_half = static_cast<std::uint32_t>(static_cast<std::uint64_t>(value) >> 32);
    low_half ^= value >= 0 ? high_half : ~high_half;
    return static_cast<std::int32_t>(hash_bytes_uint32(low_half));
}

bool is_valid_partition_count(long long n) { return n > 0 && (n & (n - 1)) == 0; }

// PL/Proxy's tag_hash_partitions() (src/execute.c): the int4 hash, taken as uint32, & part_mask (part_count - 1).
int shard_of(std::int64_t player_id, int partitions)
{
    if (!is_valid_partition_count(partitions))
        throw std::invalid_argument("partition count must be a power of two, got " + std::to_string(partitions));
    const auto hash = static_cast<std::uint32_t>(hashint8(player_id));
    return static_cast<int>(hash & static_cast<std::uint32_t>(partitions - 1));
}

}  // namespace treasure
