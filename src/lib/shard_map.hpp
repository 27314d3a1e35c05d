#pragma once
// The router's cluster as a value: which shard database each PL/Proxy partition is, read from the router
// database's own SQL/MED configuration (scripts/shards.sh sets it up), so that a client routes exactly like the
// router does.  PL/Proxy keeps a cluster as a foreign server of its FDW (here 'treasure'):
//   - server options p0 .. pN-1 (or partition_0 ..) are the partitions' connection strings, numbered
//     consecutively; any other option is cluster configuration (connection_lifetime, ...);
//   - the user mapping of the session user, else the PUBLIC one, adds user= and password= to every partition;
//   - a partition whose connection string then names no user= connects as the session user.
// The reading mirrors reload_sqlmed_cluster(), extract_part_num() and get_connstr() of PL/Proxy 2.x (src/cluster.c,
// src/execute.c).  User mapping options are only visible to whom PostgreSQL shows them (pg_user_mappings: the
// mapped user itself, the server's owner, superusers); without that, the partitions come without a password.
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <pqxx/connection>

namespace treasure {

// A cluster configuration the client cannot route with: no such server, not a PL/Proxy server, partitions not
// numbered 0..N-1, or N not a power of two.
class ShardMapError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct ShardMap {
    std::vector<std::string> shard_dsns;  // index = partition number

    int partitions() const { return static_cast<int>(shard_dsns.size()); }
    int shard_of(std::int64_t player_id) const;
    const std::string &dsn_of(std::int64_t player_id) const { return shard_dsns[shard_of(player_id)]; }
    bool operator==(const ShardMap &other) const { return shard_dsns == other.shard_dsns; }
    bool operator!=(const ShardMap &other) const { return !(*this == other); }
};

using Options = std::vector<std::pair<std::string, std::string>>;  // name, value, in the catalog's order

// The map from the options as PL/Proxy reads them (server options, the chosen user mapping's options, the session
// user); throws ShardMapError.
ShardMap shard_map_from_options(const Options &server_options, const Options &user_mapping_options,
                                const std::string &session_user);

// The map from a shards file (treasure-gateway --shards-file): one libpq connection string per line, line k being
// partition k (as p<k> of the router's server), blank lines and lines starting with # ignored, surrounding blanks
// trimmed; the count must be a power of two.  Throws ShardMapError naming the line.
ShardMap shard_map_from_file_text(const std::string &text);

// Reads foreign server `server` of the plproxy FDW from the router database `router`; throws ShardMapError (and
// pqxx errors when the database cannot be read).
ShardMap read_shard_map(pqxx::connection &router, const std::string &server = "treasure");

}  // namespace treasure
