#include "lib/shard_map.hpp"

#include <cstdlib>
#include <optional>
#include <sstream>

#include <pqxx/pqxx>

#include "lib/shard_hash.hpp"
#include "lib/trimmed.hpp"

namespace treasure {
namespace {

// PL/Proxy's extract_part_num(): a prefix "p" or "partition_" and strtoul() consuming the rest.
std::optional<int> partition_number(const std::string &option_name)
{
    for (const std::string prefix : {"p", "partition_"}) {
        if (option_name.compare(0, prefix.size(), prefix) != 0)
            continue;
        const char *digits = option_name.c_str() + prefix.size();
        char *end = nullptr;
        const int number = static_cast<int>(std::strtoul(digits, &end, 10));
        if (*end == '\0')
            return number;
    }
    return std::nullopt;
}

// A libpq connection-string value: single-quoted, with \ and ' escaped.
std::string quoted_value(const std::string &value)
{
    std::string quoted = "'";
    for (const char c : value) {
        if (c == '\\' || c == '\'')
            quoted += '\\';
        quoted += c;
    }
    return quoted + "'";
}

Options options_of(pqxx::work &transaction, const std::string &query, const std::string &server)
{
    Options options;
    for (const auto &row : transaction.exec_params(query, server))
        options.emplace_back(row[0].as<std::string>(), row[1].is_null() ? "" : row[1].as<std::string>());
    return options;
}

}  // namespace

int ShardMap::shard_of(std::int64_t player_id) const { return treasure::shard_of(player_id, partitions()); }

ShardMap shard_map_from_options(const Options &server_options, const Options &user_mapping_options,
                                const std::string &session_user)
{
    std::string user_part;
    for (const auto &[name, value] : user_mapping_options)
        user_part += " " + name + "=" + quoted_value(value);

    ShardMap map;
    for (const auto &[name, value] : server_options) {
        const std::optional<int> number = partition_number(name);
        if (!number)
            continue;
        if (*number != map.partitions())
            throw ShardMapError("partitions of the cluster are not numbered consecutively: " + name + " where p" +
                                std::to_string(map.partitions()) + " was due");
        std::string dsn = value + user_part;
        if (dsn.find("user=") == std::string::npos)
            dsn += " user=" + quoted_value(session_user);
        map.shard_dsns.push_back(std::move(dsn));
    }
    if (!is_valid_partition_count(map.partitions()))
        throw ShardMapError("the cluster has " + std::to_string(map.partitions()) +
                            " partitions; PL/Proxy needs a power of two");
    return map;
}

ShardMap shard_map_from_file_text(const std::string &text)
{
    ShardMap map;
    std::istringstream lines(text);
    std::string line;
    while (std::getline(lines, line)) {
        const std::string dsn(trimmed(line));
        if (dsn.empty() || dsn[0] == '#')
            continue;
        map.shard_dsns.push_back(dsn);
    }
    if (!is_valid_partition_count(map.partitions()))
        throw ShardMapError("the shards file lists " + std::to_string(map.partitions()) +
                            " shards; the router's partition function needs a power of two");
    return map;
}

ShardMap read_shard_map(pqxx::connection &router, const std::string &server)
{
    pqxx::work transaction(router, "read_shard_map");
    const pqxx::result found =
        transaction.exec_params("SELECT w.fdwname FROM pg_catalog.pg_foreign_server s "
                                "JOIN pg_catalog.pg_foreign_data_wrapper w ON w.oid = s.srvfdw WHERE s.srvname = $1",
                                server);
    if (found.empty())
        throw ShardMapError("the router database has no foreign server " + server);
    if (found[0][0].as<std::string>() != "plproxy")
        throw ShardMapError("foreign server " + server + " is not a PL/Proxy cluster (its wrapper is " +
                            found[0][0].as<std::string>() + ")");

    const Options server_options = options_of(transaction,
                                              "SELECT o.option_name, o.option_value "
                                              "FROM pg_catalog.pg_foreign_server s, "
                                              "     pg_catalog.pg_options_to_table(s.srvoptions) "
                                              "       WITH ORDINALITY AS o(option_name, option_value, position) "
                                              "WHERE s.srvname = $1 ORDER BY o.position",
                                              server);
    // The session user's own mapping wins over PUBLIC's (umuser 0), as in reload_sqlmed_cluster().
    const Options user_mapping_options = options_of(transaction,
                                                    "SELECT o.option_name, o.option_value "
                                                    "FROM (SELECT m.umoptions FROM pg_catalog.pg_user_mappings m "
                                                    "      WHERE m.srvname = $1 AND m.umuser IN (0, "
                                                    "        (SELECT r.oid FROM pg_catalog.pg_roles r "
                                                    "         WHERE r.rolname = session_user)) "
                                                    "      ORDER BY m.umuser = 0 LIMIT 1) AS chosen, "
                                                    "     pg_catalog.pg_options_to_table(chosen.umoptions) "
                                                    "       WITH ORDINALITY AS o(option_name, option_value, position) "
                                                    "ORDER BY o.position",
                                                    server);
    const std::string session_user = transaction.exec1("SELECT session_user")[0].as<std::string>();
    transaction.commit();
    return shard_map_from_options(server_options, user_mapping_options, session_user);
}

}  // namespace treasure
