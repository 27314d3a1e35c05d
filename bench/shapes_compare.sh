#!/usr/bin/env bash
# bench/shapes_compare.sh [ROUNDS] [TAPS] [SECONDS]: what each 1.3.0 chest shape costs, measured side by side on
# one throwaway cluster, rounds interleaved (sql/CONTRACT-1.3.0.md, issue 15's bench targets).
#
# Part 1, server CPU per claim (memory_driver: TAPS claims pipelined on one connection, synchronous_commit
# off, players no earlier run used; the backend's user+system CPU time per claim, and WAL records per claim):
#   1.2.0 plain  treasure 1.2.0, bench/setup.sql's 1,000 chests (the baseline every ratio is against);
#   plain        the current version, the same chests;
#   bundle       chests with put_chest's item and two put_chest_item items;
#   loot         chests with a 3-roll, 4-entry put_loot table (one coins-only entry);
#   limited      chests with set_stock (far more units than a run takes, so every claim is paid);
#   throttled    the plain chests under set_claim_limit (a burst far above a run's taps: every claim is paid,
#                each one refills and spends a token: the cost of the throttle alone);
#   capped       the plain chests under set_wallet_cap and set_item_cap (never reached);
# each current-version shape once with the database's default path and once with treasure.direct_claims off.
# Target: throttled costs <= 1.10 x plain (the same path).
#
# Part 2, contention: pgbench -c 8 -j 2 -M prepared -T SECONDS, synchronous_commit off, every tap a random
# new player claiming ONE chest: a limited chest (stock far above the run) against an identical unlimited
# one, rounds alternating.  Target: limited >= 50% of unlimited.
#
# Prints every round, then per variant the median and the spread (min-max) of the rounds and the ratio of
# the medians.  Needs make install (1.3.0, with 1.2.0 still installable) and make bench-programs.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
rounds=${1:-5} taps=${2:-6000} seconds=${3:-10}
old=1.2.0
[ -x build/bench/memory_driver ] || { echo "bench: build/bench/memory_driver is missing: run make bench-programs" >&2; exit 1; }
results=$(mktemp) contention=$(mktemp) script=$(mktemp)
trap 'rm -f "$results" "$contention" "$script"; cluster_stop' EXIT
cluster_start shapes-compare >/dev/null
sql() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
sql -d postgres -c "ALTER SYSTEM SET autovacuum = off" -c "ALTER SYSTEM SET max_wal_size = '8GB'" \
  -c "ALTER SYSTEM SET checkpoint_timeout = '30min'" -c "SELECT pg_reload_conf()" >/dev/null
sql -d postgres -c "CREATE DATABASE schema_old" -c "CREATE DATABASE schema_new"
sql -d schema_old -c "CREATE EXTENSION treasure VERSION '$old'"
players=6  # each run: 6 players x 1,000 chests; every player holds enough keys for the key chests
for db in schema_old schema_new; do
  sql -d $db -f bench/setup.sql >/dev/null 2>&1
  sql -d $db -c "SELECT count(treasure.grant_item(p, 'golden_key', 200))
                   FROM generate_series(200000, 200000 + $rounds * 13 * $players) AS p" >/dev/null
done
new=$(sql -d schema_new -c "SELECT extversion FROM pg_extension WHERE extname = 'treasure'")
# Chests 1..1000 are setup.sql's; each shape gets its own 1,000 chests with the same coins, items and keys.
sql -d schema_new <<'SQL' >/dev/null
SELECT treasure.put_chest(c + s * 1000, 10 + c % 90, CASE WHEN c % 5 = 0 THEN 'gem' END, 1 + c % 3,
                          CASE WHEN c % 10 = 0 THEN 'golden_key' END)
  FROM generate_series(1, 1000) AS c, generate_series(1, 3) AS s;
SELECT treasure.put_chest(c + 1000, 10 + c % 90, 'gem', 1 + c % 3, CASE WHEN c % 10 = 0 THEN 'golden_key' END)
  FROM generate_series(1, 1000) AS c;
SELECT treasure.put_chest_item(c + 1000, 'pearl', 2), treasure.put_chest_item(c + 1000, 'ruby', 1)
  FROM generate_series(1, 1000) AS c;
SELECT treasure.put_loot(c + 2000, 3, '[{"item": "ruby", "qty": 1, "coins": 5, "weight": 5},
                                        {"item": "pearl", "qty": 2, "coins": 0, "weight": 3},
                                        {"item": null, "coins": 20, "weight": 2},
                                        {"item": "crown", "qty": 1, "coins": 0, "weight": 1, "max_repeats": 1}]',
                         'bench seed')
  FROM generate_series(1, 1000) AS c;
SELECT treasure.set_stock(c + 3000, 1000000000) FROM generate_series(1, 1000) AS c;
SELECT treasure.put_chest(9001, 50, 'gem'), treasure.put_chest(9002, 50, 'gem'), treasure.set_stock(9001, 1000000000);
SELECT treasure.put_chest(9003, 50, 'gem'), treasure.put_chest_item(9003, 'pearl', 1);
VACUUM ANALYZE;
SQL
old_claim='SELECT status FROM claim_treasure($1::bigint, $2::bigint, $3::uuid, $4::bigint)'
# rules SHAPE: the database-wide rules a shape runs under (the throttle and the caps apply to every chest).
rules() {
  case $1 in
    throttled) echo "SELECT treasure.set_claim_limit(1000000000, '1 second'), treasure.set_wallet_cap(NULL), treasure.set_item_cap('gem', NULL)" ;;
    capped) echo "SELECT treasure.set_claim_limit(NULL, NULL), treasure.set_wallet_cap(9000000000000000000), treasure.set_item_cap('gem', 1000000000)" ;;
    *) echo "SELECT treasure.set_claim_limit(NULL, NULL), treasure.set_wallet_cap(NULL), treasure.set_item_cap('gem', NULL)" ;;
  esac
}
offset() { case $1 in bundle) echo 1000 ;; loot) echo 2000 ;; limited) echo 3000 ;; *) echo 0 ;; esac; }
{
printf 'round\tvariant\tcpu_us_per_tap\twal_records_per_tap\n'
first=200000
for round in $(seq "$rounds"); do
  for variant in "$old plain" plain bundle loot limited throttled capped; do
    for path in default statements; do
      [ "$variant" = "$old plain" ] && [ $path = statements ] && continue
      if [ "$variant" = "$old plain" ]; then
        db=schema_old claim=$old_claim options=
      else
        db=schema_new options=
        claim="SELECT status FROM claim_treasure(\$1::bigint, \$2::bigint + $(offset "$variant"), \$3::uuid, \$4::bigint)"
        [ $path = statements ] && options='-c treasure.direct_claims=off'
        sql -d $db -c "$(rules "$variant")" >/dev/null
      fi
      sql -d $db -c CHECKPOINT
      sql -d postgres -c "SELECT pg_stat_reset_shared('wal')" >/dev/null
      cpu=$(PGOPTIONS="-c synchronous_commit=off $options" build/bench/memory_driver \
              "host=$PGHOST port=$PGPORT user=$PGUSER dbname=$db" "$taps" "$taps" "$first" "$players" \
              $((taps / players)) "$claim" |
            awk 'NR == 1 { c = $5 } END { printf "%.1f", ($5 - c) * 1000 / $1 }')
      wal=$(sql -d postgres -c "SELECT round(wal_records / $taps.0, 2) FROM pg_stat_wal")
      printf '%s\t%s %s\t%s\t%s\n' "$round" "$variant" "$path" "$cpu" "$wal"
      first=$((first + players))
    done
  done
done
} | tee "$results"
sql -d schema_new -c "$(rules plain)" >/dev/null
# Every claimed shape must have been paid: a run of refusals would measure the wrong thing.
sql -d schema_new -c "SELECT 'claims per chest range: ' || string_agg(format('%s..%s: %s', lo, lo + 999, n), ', ' ORDER BY lo)
                        FROM (SELECT (chest_id - 1) / 1000 * 1000 + 1 AS lo, count(*) AS n FROM treasure.claims
                               GROUP BY 1) r"

median_spread() {  # reads numbers, prints "median (min-max)"
  sort -g | awk '{ x[NR] = $1 } END { printf "%s (%s-%s)", NR % 2 ? x[(NR + 1) / 2] : (x[NR / 2] + x[NR / 2 + 1]) / 2, x[1], x[NR] }'
}
median() { sort -g | awk '{ x[NR] = $1 } END { print NR % 2 ? x[(NR + 1) / 2] : (x[NR / 2] + x[NR / 2 + 1]) / 2 }'; }
echo
echo "server CPU per claim, median (min-max) of $rounds rounds, and the ratio to $old plain and to plain (same path):"
base=$(awk -F'\t' -v v="$old plain default" 'NR > 1 && $2 == v { print $3 }' "$results" | median)
for path in default statements; do
  plain=$(awk -F'\t' -v v="plain $path" 'NR > 1 && $2 == v { print $3 }' "$results" | median)
  for variant in "$old plain" plain bundle loot limited throttled capped; do
    [ "$variant" = "$old plain" ] && [ $path = statements ] && continue
    v="$variant $path"
    m=$(awk -F'\t' -v v="$v" 'NR > 1 && $2 == v { print $3 }' "$results" | median)
    printf '%-22s %s us  x%.2f of %s plain  x%.2f of plain %s  wal %s\n' "$v" \
      "$(awk -F'\t' -v v="$v" 'NR > 1 && $2 == v { print $3 }' "$results" | median_spread)" \
      "$(echo "$m $base" | awk '{ print $1 / $2 }')" "$old" "$(echo "$m $plain" | awk '{ print $1 / $2 }')" "$path" \
      "$(awk -F'\t' -v v="$v" 'NR > 1 && $2 == v { print $4 }' "$results" | median)"
  done
done

# Part 2: one chest, 8 clients.
cat >"$script" <<'PGB'
\set player random(1000000, 1000000000)
SELECT status FROM claim_treasure(:player, :chest, gen_random_uuid());
PGB
echo
printf 'round\tchest\ttps\n' | tee "$contention"
for round in $(seq "$rounds"); do
  for chest in 9001 9002 9003; do
    sql -d schema_new -c CHECKPOINT
    tps=$(PGOPTIONS="-c synchronous_commit=off" pgbench -n -M prepared -c 8 -j 2 -T "$seconds" -D chest=$chest \
            -f "$script" schema_new 2>/dev/null | awk '/^tps/ { print $3 }')
    case $chest in 9001) shape=limited ;; 9002) shape=unlimited ;; 9003) shape=unlimited_bundle ;; esac
    printf '%s\t%s\t%s\n' "$round" "$shape" "$tps" | tee -a "$contention"
  done
done
limited=$(awk -F'\t' '$2 == "limited" { print $3 }' "$contention" | median)
unlimited=$(awk -F'\t' '$2 == "unlimited" { print $3 }' "$contention" | median)
echo "8 clients on one chest, tps median (min-max): limited $(awk -F'\t' '$2 == "limited" { print $3 }' "$contention" | median_spread)," \
     "unlimited $(awk -F'\t' '$2 == "unlimited" { print $3 }' "$contention" | median_spread)," \
     "limited/unlimited $(echo "$limited $unlimited" | awk '{ printf "%.2f", $1 / $2 }')" \
     "(per round: $(paste <(awk -F'\t' '$2 == "limited" { print $3 }' "$contention") \
                          <(awk -F'\t' '$2 == "unlimited" { print $3 }' "$contention") |
                    awk '{ printf "%s%.2f", (NR > 1 ? " " : ""), $1 / $2 }'))"
bundle=$(awk -F'\t' '$2 == "unlimited_bundle" { print $3 }' "$contention" | median)
echo "8 clients on one chest, the same route: unlimited with a bundle item $(awk -F'\t' '$2 == "unlimited_bundle" { print $3 }' "$contention" | median_spread)," \
     "limited/unlimited_bundle $(echo "$limited $bundle" | awk '{ printf "%.2f", $1 / $2 }')"
sql -d schema_new -c "SELECT format('chest 9001 stock %s claimed %s; claims of 9001 %s, of 9002 %s', s.stock, s.claimed,
                        (SELECT count(*) FROM treasure.claims WHERE chest_id = 9001),
                        (SELECT count(*) FROM treasure.claims WHERE chest_id = 9002))
                        FROM treasure.chest_stock(9001) s"
