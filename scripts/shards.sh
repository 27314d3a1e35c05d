#!/usr/bin/env bash
# scripts/shards.sh create N [CONNINFO ...]   N shard databases + a router database (N a power of two)
# scripts/shards.sh drop N [CONNINFO ...]
#
# Each shard is a database treasure_shard_<k> with the treasure extension; the router is the database
# treasure_router with plproxy + treasure_router and a PL/Proxy SQL/MED server 'treasure' listing the shards.
# Shards go round-robin over the CONNINFOs given (one per local cluster, e.g. "host=/tmp/a port=5432");
# with none, everything lives on the cluster that PGHOST/PGPORT name.  The router is created on the
# first cluster.  Each shard's sequences get START k+1 INCREMENT N, so claim_ids are unique across shards.
set -euo pipefail
action=${1:?usage: scripts/shards.sh create|drop N [CONNINFO ...]}
count=${2:?usage: scripts/shards.sh create|drop N [CONNINFO ...]}
shift 2
clusters=("$@")
[ ${#clusters[@]} -gt 0 ] || clusters=("host=${PGHOST:-/var/run/postgresql} port=${PGPORT:-5432}")

if [ "$count" -lt 1 ] || [ $((count & (count - 1))) -ne 0 ]; then
  echo "shards.sh: N must be a power of two (PL/Proxy masks the hash with N-1), got $count" >&2
  exit 2
fi

cluster_of() { echo "${clusters[$(($1 % ${#clusters[@]}))]}"; }
run_sql() { local conninfo=$1; shift; psql -X -q -v ON_ERROR_STOP=1 -d "$conninfo" "$@"; }
router_cluster=${clusters[0]}

if [ "$action" = drop ]; then
  run_sql "$router_cluster dbname=postgres" -c "DROP DATABASE IF EXISTS treasure_router WITH (FORCE)"
  for ((k = 0; k < count; k++)); do
    run_sql "$(cluster_of $k) dbname=postgres" -c "DROP DATABASE IF EXISTS treasure_shard_$k WITH (FORCE)"
  done
  exit 0
fi
[ "$action" = create ] || { echo "shards.sh: unknown action $action" >&2; exit 2; }

partitions=()
for ((k = 0; k < count; k++)); do
  shard="$(cluster_of $k) dbname=treasure_shard_$k"
  run_sql "$(cluster_of $k) dbname=postgres" -c "CREATE DATABASE treasure_shard_$k"
  run_sql "$shard" <<SQL
CREATE EXTENSION treasure;
ALTER SEQUENCE treasure.claim_id_seq INCREMENT BY $count RESTART WITH $((k + 1));
ALTER SEQUENCE treasure.event_id_seq INCREMENT BY $count RESTART WITH $((k + 1));
ALTER SEQUENCE treasure.grant_id_seq INCREMENT BY $count RESTART WITH $((k + 1));
SQL
  partitions+=("p$k '$shard'")
done

options=$(IFS=,; echo "${partitions[*]}")
run_sql "$router_cluster dbname=postgres" -c "CREATE DATABASE treasure_router"
run_sql "$router_cluster dbname=treasure_router" <<SQL
CREATE EXTENSION plproxy;
CREATE EXTENSION treasure_router;
CREATE SERVER treasure FOREIGN DATA WRAPPER plproxy OPTIONS (connection_lifetime '1800', $options);
-- Connects to the shards as the calling role (trust on the local socket here; use a password or a
-- pooler in production, see the PL/Proxy documentation).
CREATE USER MAPPING FOR PUBLIC SERVER treasure;
SQL
echo "router treasure_router -> $count shards: ${partitions[*]}"
