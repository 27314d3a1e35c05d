#!/usr/bin/env bash
# bench/schema_compare.sh [ROUNDS] [TAPS]: what a schema version buys, measured side by side: two databases
# on one throwaway cluster, treasure 1.1.0 (analytics counters in the player_stats table) and the current
# version, the same hunt (bench/setup.sql), the same build of claim_treasure() (it serves both schemas).
# Rounds interleave the two; each round sends TAPS claims on one connection (memory_driver, pipelined,
# synchronous_commit off, players no earlier round used) and prints per tap: the backend's CPU time, WAL
# records and WAL bytes (pg_stat_wal, reset before each run; a CHECKPOINT first, so both pay the same
# full-page writes).  Needs make install and make bench-programs.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
rounds=${1:-5} taps=${2:-6000}
old=1.1.0
[ -x build/bench/memory_driver ] || { echo "bench: build/bench/memory_driver is missing: run make bench-programs" >&2; exit 1; }
trap cluster_stop EXIT
cluster_start schema-compare >/dev/null
sql() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
sql -d postgres -c "CREATE DATABASE schema_old" -c "CREATE DATABASE schema_new"
sql -d schema_old -c "CREATE EXTENSION treasure VERSION '$old'"
for db in schema_old schema_new; do sql -d $db -f bench/setup.sql >/dev/null 2>&1; done
new=$(sql -d schema_new -c "SELECT extversion FROM pg_extension WHERE extname = 'treasure'")
claim='SELECT status FROM claim_treasure($1::bigint, $2::bigint, $3::uuid, $4::bigint)'
players=6  # each round: 6 players (two of them hold keys) x 1,000 chests
printf 'round\tschema\tcpu_us_per_tap\twal_records_per_tap\twal_bytes_per_tap\n'
first=200000
for round in $(seq "$rounds"); do
  for db in schema_old schema_new; do
    sql -d $db -c CHECKPOINT
    sql -d postgres -c "SELECT pg_stat_reset_shared('wal')" >/dev/null
    cpu=$(build/bench/memory_driver "host=$PGHOST port=$PGPORT user=$PGUSER dbname=$db" "$taps" "$taps" "$first" \
            "$players" $((taps / players)) "$claim" | awk 'NR == 1 { c = $5 } END { printf "%.1f", ($5 - c) * 1000 / $1 }')
    wal=$(sql -d postgres -F $'\t' -c "SELECT round(wal_records / $taps.0, 2), round(wal_bytes / $taps.0) FROM pg_stat_wal")
    printf '%s\t%s\t%s\t%s\n' "$round" "$([ $db = schema_old ] && echo $old || echo "$new")" "$cpu" "$wal"
    first=$((first + players))
  done
done
