#!/usr/bin/env bash
# bench/quick.sh [SECONDS] [CLIENTS]: pgbench TPS of claim_treasure() next to a bare single-row
# UPDATE ... RETURNING, one after the other in the same run on the same throwaway cluster.
# Prints a small table; with BENCH_OUT=FILE also appends it there.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
seconds=${1:-10}
clients=${2:-4}

if [ -z "${PGHOST:-}" ]; then
  trap cluster_stop EXIT
  cluster_start bench >/dev/null
fi
db=treasure_bench
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" 2>/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d $db -f bench/setup.sql >/dev/null

tps_of() {
  pgbench -n -M prepared -c "$clients" -j "$clients" -T "$seconds" -f "$1" $db 2>&1 |
    sed -n 's/^tps = \([0-9.]*\).*/\1/p'
}
claim_tps=$(tps_of bench/claim.pgb)
update_tps=$(tps_of bench/update.pgb)
ratio=$(awk -v a="$claim_tps" -v b="$update_tps" 'BEGIN { printf "%.2f", b / a }')
report=$(cat <<TXT
| workload ($clients clients, ${seconds}s, -M prepared) | TPS |
|---|---|
| claim_treasure() | $claim_tps |
| bare UPDATE ... RETURNING | $update_tps |
| UPDATE / claim | ${ratio}x |
TXT
)
echo "$report"
[ -n "${BENCH_OUT:-}" ] && echo "$report" >>"$BENCH_OUT"
psql -X -q -d postgres -c "DROP DATABASE $db"
