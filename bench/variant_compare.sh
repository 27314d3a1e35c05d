#!/usr/bin/env bash
# bench/variant_compare.sh [ROUNDS] [TAPS]: what the extension's changes bought, measured side by side with
# one build of claim_treasure() on one throwaway cluster, the same hunt (bench/setup.sql) in two databases:
#   1.1.0       treasure 1.1.0 (analytics counters in the player_stats table), claimed by the statements;
#   statements  the current version with treasure.direct_claims off: every claim runs the claim statements;
#   direct      the current version as installed: chests without a key are claimed by the direct path.
# Rounds interleave the three; each round sends TAPS claims on one connection (memory_driver, pipelined,
# synchronous_commit off, players no earlier round used) and prints per tap: the backend's CPU time, WAL
# records and WAL bytes (pg_stat_wal, reset before each run; a CHECKPOINT first, so all pay the same
# full-page writes).  Needs make install and make bench-programs.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
rounds=${1:-5} taps=${2:-6000}
old=1.1.0
[ -x build/bench/memory_driver ] || { echo "bench: build/bench/memory_driver is missing: run make bench-programs" >&2; exit 1; }
trap cluster_stop EXIT
cluster_start variant-compare >/dev/null
sql() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
sql -d postgres -c "CREATE DATABASE schema_old" -c "CREATE DATABASE schema_new"
sql -d schema_old -c "CREATE EXTENSION treasure VERSION '$old'"
for db in schema_old schema_new; do sql -d $db -f bench/setup.sql >/dev/null 2>&1; done
new=$(sql -d schema_new -c "SELECT extversion FROM pg_extension WHERE extname = 'treasure'")
claim='SELECT status FROM claim_treasure($1::bigint, $2::bigint, $3::uuid, $4::bigint)'
players=6  # each round: 6 players (two of them hold keys) x 1,000 chests
results=$(mktemp)
trap 'rm -f "$results"; cluster_stop' EXIT
{
printf 'round\tvariant\tcpu_us_per_tap\twal_records_per_tap\twal_bytes_per_tap\n'
first=200000
for round in $(seq "$rounds"); do
  for variant in "$old" statements direct; do
    case $variant in
      "$old") db=schema_old options= ;;
      statements) db=schema_new options='-c treasure.direct_claims=off' ;;
      direct) db=schema_new options= ;;
    esac
    sql -d $db -c CHECKPOINT
    sql -d postgres -c "SELECT pg_stat_reset_shared('wal')" >/dev/null
    cpu=$(PGOPTIONS="$options" build/bench/memory_driver "host=$PGHOST port=$PGPORT user=$PGUSER dbname=$db" \
            "$taps" "$taps" "$first" "$players" $((taps / players)) "$claim" |
          awk 'NR == 1 { c = $5 } END { printf "%.1f", ($5 - c) * 1000 / $1 }')
    wal=$(sql -d postgres -F $'\t' -c "SELECT round(wal_records / $taps.0, 2), round(wal_bytes / $taps.0) FROM pg_stat_wal")
    printf '%s\t%s %s\t%s\t%s\n' "$round" "$([ $variant = $old ] && echo $old || echo "$new")" \
      "$([ $variant = $old ] && echo statements || echo $variant)" "$cpu" "$wal"
    first=$((first + players))
  done
done
} | tee "$results"
echo
echo "median per variant (cpu_us_per_tap, wal_records_per_tap, wal_bytes_per_tap):"
for variant in "$old statements" "$new statements" "$new direct"; do
  printf '%s' "$variant"
  for column in 3 4 5; do
    awk -F'\t' -v v="$variant" -v c=$column 'NR > 1 && $2 == v { print $c }' "$results" | sort -g |
      awk '{ x[NR] = $1 } END { printf "\t%s", NR % 2 ? x[(NR + 1) / 2] : (x[NR / 2] + x[NR / 2 + 1]) / 2 }'
  done
  echo
done
