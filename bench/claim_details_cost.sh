#!/usr/bin/env bash
# What treasure.claim_details() costs the gateway's claim statement in the backend: 1.3.0's PL/pgSQL body
# against 1.4.0's C (extension/claim_details.cpp), issue 17.  build/bench/memory_driver runs CLAIMS claims on
# one connection (pipelined, one transaction each, asynchronous commit) and reads that backend's CPU time
# from /proc, so other processes' load does not count against a cell (bench/FINDINGS.md, "Floors and ratios").
# Cells, each on databases of its own (one per version and chest kind, the same claims in each):
#   claim                SELECT status FROM claim_treasure(...)                      (memory_driver's default)
#   claim+details        the gateway's statement (src/lib/claim_statement.cpp), claim_details() included
#   claim+details,unpinned  1.4.0 only: the same C function without SET search_path (what the pin costs)
# and then, on the claims those cells made, the claim looked up by its key with and without claim_details()
# (nothing written: the function's own cost with far less noise),
# for two chest kinds: coins only (claim_details finds no award row) and a chest with an item (one award
# row).  ROUNDS interleaved rounds, the cells' order rotated every round.  Writes the table to stdout and the
# raw cells to $BENCH_OUT/cells.txt.
#   bash bench/claim_details_cost.sh           (needs make install and make bench-programs; as root)
#   CLAIMS=4000 ROUNDS=5 BENCH_USE_CLUSTER=1   (defaults; BENCH_USE_CLUSTER=1: the cluster at $PGHOST)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
source bench/bench_cluster.sh
claims=${CLAIMS:-4000}
rounds=${ROUNDS:-5}
out=${BENCH_OUT:-/tmp/treasure-claim-details-cost}
driver=build/bench/memory_driver
[ -x $driver ] || { echo "claim_details_cost: build $driver first (make bench-programs)" >&2; exit 1; }
mkdir -p "$out"
: >"$out/cells.txt"
trap bench_cluster_stop EXIT
bench_cluster_start claim-details "claim_details() cost"
sql() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }

claim_sql='SELECT status FROM claim_treasure($1::bigint, $2::bigint, $3::uuid, $4::bigint)'
statement() {  # statement FUNCTION: the gateway's statement, with claim_details() as FUNCTION
  echo "SELECT c.status, c.replayed, c.claim_id, c.coins_awarded, c.item_awarded, c.item_qty, c.key_used, c.balance," \
    "to_char(c.claimed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'), $1(\$1::bigint, c.claim_id, c.status)::text" \
    'FROM public.claim_treasure($1::bigint, $2::bigint, $3::uuid, $4::bigint) c'
}
chests=$((claims / 1000 + 1))  # each cell's 1,000 players claim chests 1, 2, ... in turn: every claim is fresh
for version in 1.3.0 1.4.0; do
  for kind in coins item; do
    db=cdc_${version//./_}_$kind
    sql -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
    sql -d $db -c "CREATE EXTENSION treasure VERSION '$version'"
    item=NULL
    [ $kind = item ] && item="'gem'"
    sql -d $db -c "SELECT count(treasure.put_chest(c, 10, $item)) FROM generate_series(1, $chests) c" >/dev/null
    # The 1.4.0 C body without the pinned search_path, beside the extension's own (not a member of it).
    if [ $version = 1.4.0 ]; then
      sql -d $db -c "CREATE FUNCTION public.claim_details_unpinned(bigint, bigint, text)
        RETURNS jsonb AS '\$libdir/treasure', 'claim_details' LANGUAGE C VOLATILE SECURITY DEFINER"
    fi
  done
done

# cell NAME DATABASE SQL ROUND FIRST_PLAYER: one memory_driver run; appends "NAME round us_per_claim" to cells.txt.
cell() {
  local name=$1 db=$2 statement=$3 round=$4 first=$5 lines
  sql -d "$db" -c "ANALYZE treasure.claims, treasure.claim_awards, treasure.wallets" -c CHECKPOINT
  lines=$($driver "host=$PGHOST port=$PGPORT user=$PGUSER dbname=$db" "$claims" "$claims" "$first" 1000 "$chests" \
    "$statement")
  awk -v name="$name" -v round="$round" -v claims="$claims" \
    'NR == 1 { start = $5 } END { printf "%s %d %.1f\n", name, round, ($5 - start) * 1000 / claims }' \
    <<<"$lines" >>"$out/cells.txt"
}
# run_rounds NAMES DATABASES STATEMENTS FIRSTS STEP (array names): ROUNDS rounds, each cell once per round, the
# cells' order rotated round by round; cell i's 1,000 players start at FIRSTS[i] + STEP * round.  Appends the
# load average at each round's start and at the end to `loads`.
loads=()
run_rounds() {
  local -n run_names=$1 run_dbs=$2 run_statements=$3 run_firsts=$4
  local step=$5 round j i n=${#run_names[@]}
  for round in $(seq 1 "$rounds"); do
    loads+=("$(cut -d' ' -f1 /proc/loadavg)")
    for j in $(seq 0 $((n - 1))); do
      i=$(((j + round) % n))
      cell "${run_names[$i]}" "${run_dbs[$i]}" "${run_statements[$i]}" "$round" $((run_firsts[i] + step * round))
    done
  done
  loads+=("$(cut -d' ' -f1 /proc/loadavg)")
}

names=() dbs=() statements=()
for kind in coins item; do
  for version in 1.3.0 1.4.0; do
    db=cdc_${version//./_}_$kind
    names+=("$kind/$version/claim") dbs+=("$db") statements+=("$claim_sql")
    names+=("$kind/$version/claim+details") dbs+=("$db") statements+=("$(statement treasure.claim_details)")
    if [ $version = 1.4.0 ]; then
      names+=("$kind/$version/claim+details,unpinned") dbs+=("$db") statements+=("$(statement public.claim_details_unpinned)")
    fi
  done
done
# A first pass that is not measured: every backend cache and the tables' first pages warm, in every database.
for i in "${!names[@]}"; do
  $driver "host=$PGHOST port=$PGPORT user=$PGUSER dbname=${dbs[$i]}" 500 500 $((900000 + i * 1000)) 500 1 \
    "${statements[$i]}" >/dev/null
done
firsts=()
for i in "${!names[@]}"; do firsts+=($((1000000 + i * 1000))); done
started=$(date -u '+%Y-%m-%d %H:%M:%SZ')
run_rounds names dbs statements firsts 16000  # fresh players in every cell of every round

# claim_details() without the claim's writes around it: the same claims looked up again (the players and
# chests of round 1's claim cell, firsts[i] + 16000), one transaction each, with and without the function.
# Far less noise than the difference of two claim cells, since nothing is written.
lookup() {  # lookup [FUNCTION]: the claim's look-up by its key, with claim_details() as FUNCTION if given
  local details=
  [ -n "${1:-}" ] && details=", $1(\$1::bigint, k.claim_id, 'claimed')::text"
  echo "SELECT k.claim_id$details FROM treasure.claims k WHERE k.player_id = \$1::bigint AND k.chest_id = \$2::bigint" \
    'AND $3::uuid IS NOT NULL AND $4::bigint IS NOT NULL'
}
lookup_names=() lookup_dbs=() lookup_statements=() lookup_firsts=()
for i in "${!names[@]}"; do
  case ${names[$i]} in */claim) ;; *) continue ;; esac
  kind_version=${names[$i]%/claim}
  lookup_names+=("$kind_version/lookup") lookup_statements+=("$(lookup)")
  lookup_names+=("$kind_version/lookup+details") lookup_statements+=("$(lookup treasure.claim_details)")
  lookup_dbs+=("${dbs[$i]}" "${dbs[$i]}") lookup_firsts+=($((firsts[i] + 16000)) $((firsts[i] + 16000)))
  if [ "${kind_version#*/}" = 1.4.0 ]; then
    lookup_names+=("$kind_version/lookup+details,unpinned") lookup_statements+=("$(lookup public.claim_details_unpinned)")
    lookup_dbs+=("${dbs[$i]}") lookup_firsts+=($((firsts[i] + 16000)))
  fi
done
run_rounds lookup_names lookup_dbs lookup_statements lookup_firsts 0

python3 - "$out/cells.txt" "$claims" "$rounds" "$started" "${loads[*]}" <<'PY'
import statistics, sys
from collections import defaultdict
path, claims, rounds, started, loads = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
cells = defaultdict(dict)
for line in open(path):
    name, rnd, us = line.split()
    cells[name][int(rnd)] = float(us)
def spread(values):
    return f"{statistics.median(values):.0f} ({min(values):.0f}-{max(values):.0f})"
def ratio(values):
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"
print(f"Started {started}; {claims} claims per cell, {rounds} interleaved rounds; load average (1 min) at each "
      f"round's start and at the end: {loads}.")
print()
print("Backend CPU per claim, µs: median (min-max) over the rounds.")
print()
print("| Chest | Version | claim | claim+details | details' cost (difference) | claim+details / claim |")
print("| --- | --- | --- | --- | --- | --- |")
extra = {}
for kind in ("coins", "item"):
    for version in ("1.3.0", "1.4.0"):
        base, full = cells[f"{kind}/{version}/claim"], cells[f"{kind}/{version}/claim+details"]
        rnds = sorted(set(base) & set(full))
        diff = [full[r] - base[r] for r in rnds]
        extra[kind, version] = dict(zip(rnds, diff))
        print(f"| {kind} | {version} | {spread([base[r] for r in rnds])} | {spread([full[r] for r in rnds])} | "
              f"{spread(diff)} | {ratio([full[r] / base[r] for r in rnds])} |")
        unpinned = cells.get(f"{kind}/{version}/claim+details,unpinned")
        if unpinned:
            print(f"| {kind} | {version}, no SET search_path | | {spread([unpinned[r] for r in rnds])} | "
                  f"{spread([unpinned[r] - base[r] for r in rnds])} | {ratio([unpinned[r] / base[r] for r in rnds])} |")
print()
print("claim_details() alone: the claim looked up by its key, with and without claim_details() in the same "
      "statement (nothing written), backend CPU per call, µs.")
print()
print("| Chest | Version | look-up | look-up + claim_details() | claim_details()' cost (difference) |")
print("| --- | --- | --- | --- | --- |")
lookup_cost = {}
for kind in ("coins", "item"):
    for version in ("1.3.0", "1.4.0"):
        base = cells[f"{kind}/{version}/lookup"]
        for variant, label in (("", version), (",unpinned", f"{version}, no SET search_path")):
            full = cells.get(f"{kind}/{version}/lookup+details{variant}")
            if not full:
                continue
            rnds = sorted(set(base) & set(full))
            diff = [full[r] - base[r] for r in rnds]
            lookup_cost[kind, version + variant] = dict(zip(rnds, diff))
            print(f"| {kind} | {label} | {spread([base[r] for r in rnds]) if not variant else ''} | "
                  f"{spread([full[r] for r in rnds])} | {spread(diff)} |")
print()
for kind in ("coins", "item"):
    new, old = lookup_cost[kind, "1.4.0"], lookup_cost[kind, "1.3.0"]
    print(f"claim_details()' own cost, {kind} chests, 1.4.0 / 1.3.0 round by round: "
          f"{ratio([new[r] / old[r] for r in sorted(set(new) & set(old))])}")
print()
print("Side by side, round by round: the gateway's statement on 1.4.0 / on 1.3.0, and claim_details()' own cost "
      "on 1.4.0 / on 1.3.0 (the differences above; noisy where they are small).")
print()
print("| Chest | claim+details 1.4.0 / 1.3.0 | claim 1.4.0 / 1.3.0 (control) | details' cost 1.4.0 / 1.3.0 |")
print("| --- | --- | --- | --- |")
for kind in ("coins", "item"):
    full = [cells[f"{kind}/1.4.0/claim+details"][r] / cells[f"{kind}/1.3.0/claim+details"][r] for r in range(1, int(rounds) + 1)]
    base = [cells[f"{kind}/1.4.0/claim"][r] / cells[f"{kind}/1.3.0/claim"][r] for r in range(1, int(rounds) + 1)]
    cost = [extra[kind, "1.4.0"][r] / extra[kind, "1.3.0"][r] for r in range(1, int(rounds) + 1)]
    print(f"| {kind} | {ratio(full)} | {ratio(base)} | {ratio(cost)} |")
PY
