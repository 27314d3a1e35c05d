#pragma once
// The partition function of the PL/Proxy router (sql/treasure_router.sql), computed without a database, so that a
// client can go to the shard that owns a player and always agree with the router on which one that is.
#include <cstdint>

namespace treasure {

// PostgreSQL's hash_bytes_uint32(): Bob Jenkins' lookup3 final() mix of one 32-bit word.
std::uint32_t hash_bytes_uint32(std::uint32_t k);

// PostgreSQL's hashint8(bigint) as SQL sees it (an integer, so negative for half of the inputs).
std::int32_t hashint8(std::int64_t value);

// The partition PL/Proxy runs `RUN ON treasure.player_hash(player_id)` on: hashint8 masked by partitions - 1.
// partitions must be a power of two (PL/Proxy refuses any other count); throws std::invalid_argument otherwise.
int shard_of(std::int64_t player_id, int partitions);

// Whether PL/Proxy accepts n partitions: n > 0 and a power of two (its check_valid_partcount()).
bool is_valid_partition_count(long long n);

}  // namespace treasure
