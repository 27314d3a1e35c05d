#!/usr/bin/env bash
# bench/floors.sh: issue 17's ratio targets, each against a floor measured in the same run, as interleaved rounds:
#   A. saturation, 8 connections: the gateway (treasure load, 8 clients, no rate) against pgbench claim_treasure()
#      TPS (durable; asynchronous too, for section B's rates), and the shim straight to PostgreSQL for reference;
#   B. claim p95 against the bare single-row UPDATE p95 at 50% of A's claim TPS, durable and asynchronous
#      (pgbench -R, per-transaction logs, 8 connections);
#   C. 1-client claim TPS against bare UPDATE TPS, durable and asynchronous;
#   D. tap-to-200 through the gateway against the shim straight to PostgreSQL at 1,500 and 3,000 taps/s, 8 clients;
#      in the same cells, the gateway's CPU per tap against its database backends', with --auth none and with
#      the authentication `make demo` configures (JWT, --rate-per-player 20:40) at 1,500 taps/s;
#   E. claim TPS (pgbench, 8 connections) on a database already holding BULK_PLAYERS x 5 claims against the same
#      cluster's empty database, with random (v4) and time-ordered (v7) request_ids, durable and asynchronous.
#
#   bash bench/floors.sh [ROUNDS [SECONDS [BULK_PLAYERS]]]    defaults 3 rounds, 4 s per cell, 1,000,000 players
#   env: FLOORS_OUT         raw data directory (default /tmp/treasure-floors); the report is FLOORS_OUT/floors.md
#        FLOORS_BIN         directory holding treasure and treasure-gateway (default build/)
#        FLOORS_5M_SYNC     commit modes of section E (default "on off")
#        FLOORS_CHECK       reconcile|totals: how the bulk load's invariants are checked (see below)
#        BENCH_USE_CLUSTER=1 with PGHOST/PGPORT/PGUSER: use that running cluster (bench/run.sh does), else a
#                           throwaway one with bench/run.sh's settings (autovacuum off) is started and removed
#
# Each round runs every cell of its section once, in an order that rotates from round to round; a ratio is taken
# within a round and reported as the median over the rounds with its range.  CPU is utime+stime from /proc: the
# gateway process and its own database backends (by application_name); the load generator's CPU is left out.
# Fails only when a benchmark is broken (a program fails, a cell has no figure), never on a number.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
source bench/bench_cluster.sh
source bench/proc_cpu.sh
rounds=${1:-3} seconds=${2:-4} bulk_players=${3:-1000000}
claims_per_player=5 clients=8 players_per_cell=1000 low_rate=1500 high_rate=3000
# The first seconds of a pgbench -R cell are left out (new connections preparing their statements), as in run.sh.
warmup_seconds=$([ "${seconds%.*}" -ge 4 ] && echo 1 || echo 0.5)
out=${FLOORS_OUT:-/tmp/treasure-floors}
bin=${FLOORS_BIN:-build}
bulk_sync=${FLOORS_5M_SYNC:-on off}
db=treasure_floors db_full=treasure_floors_5m db_empty=treasure_floors_empty
for program in treasure treasure-gateway; do
  [ -x "$bin/$program" ] || { echo "floors: $bin/$program is missing: run make bench-programs" >&2; exit 1; }
done
rm -rf "$out"
mkdir -p "$out"
started_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
load_average_start=$(cut -d' ' -f1-3 /proc/loadavg)
SECONDS=0

declare -A gateway_pid url
cleanup() {
  for config in "${!gateway_pid[@]}"; do
    kill "${gateway_pid[$config]}" 2>/dev/null && wait "${gateway_pid[$config]}" 2>/dev/null || true
  done
  bench_cluster_stop
}
trap cleanup EXIT
bench_cluster_start floors "floors"
sql() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
dsn_of() { echo "host=$PGHOST port=$PGPORT user=$PGUSER dbname=$1${2:+ application_name=$2}"; }
# The request_id of section E's taps: v4 or v7 (RFC 9562: the Unix time in ms in the first 48 bits, version 7),
# both built the same way from gen_random_uuid() so that they cost the same.
request_id_function="
CREATE FUNCTION public.floors_request_id(v7 boolean) RETURNS uuid LANGUAGE sql VOLATILE
RETURN CASE WHEN v7 THEN pg_catalog.encode(pg_catalog.set_bit(pg_catalog.set_bit(pg_catalog.overlay(
                   pg_catalog.uuid_send(pg_catalog.gen_random_uuid()),
                   pg_catalog.substr(pg_catalog.int8send(
                     pg_catalog.floor(EXTRACT(epoch FROM pg_catalog.clock_timestamp()) * 1000)::bigint), 3),
                   1, 6), 52, 1), 53, 1), 'hex')::uuid
            ELSE pg_catalog.encode(pg_catalog.uuid_send(pg_catalog.gen_random_uuid()), 'hex')::uuid END;
COMMENT ON FUNCTION public.floors_request_id(boolean) IS 'bench/floors.sh: a random v4 or a time-ordered v7 UUID';"
# Three copies of bench/setup.sql's hunt: sections A-D's, the one E fills, and E's empty one.
for database in $db $db_full $db_empty; do sql -d postgres -c "DROP DATABASE IF EXISTS $database"; done
sql -d postgres -c "CREATE DATABASE $db"
sql -d $db -f bench/setup.sql >/dev/null
for database in $db_full $db_empty; do sql -d postgres -c "CREATE DATABASE $database TEMPLATE $db"; done
for database in $db_full $db_empty; do sql -d "$database" -c "$request_id_function"; done

# E's database: BULK_PLAYERS x 5 claims as claim_treasure() writes them, loaded as the owner, checked, vacuumed.
echo "[${SECONDS}s] ==> loading $((bulk_players * claims_per_player)) claims of $bulk_players players into $db_full"
load_started=$SECONDS
bulk_part() {  # true: the claims; false: everything else (the two run at once, in two sessions)
  sql -d $db_full -v players="$bulk_players" -v per_player=$claims_per_player -v claims="$1" \
    -f bench/floors_bulk_claims.sql >"$out/bulk_$1.log" 2>&1 || { cat "$out/bulk_$1.log"; return 1; }
}
bulk_part true &
claims_pid=$!
bulk_part false
wait $claims_pid
load_seconds=$((SECONDS - load_started))
# The invariants: treasure.reconcile() (per player, 76 s for 5M claims on this machine) with FLOORS_CHECK=reconcile
# or below 500,000 claims; else their totals (every claim has its event, its wallet's counters and its awards;
# the coins and the gems add up), one scan of each table.
check_started=$SECONDS
check=${FLOORS_CHECK:-$([ $((bulk_players * claims_per_player)) -lt 500000 ] && echo reconcile || echo totals)}
if [ "$check" = reconcile ]; then
  disagreements=$(sql -d $db_full -c "SELECT count(*) FROM treasure.reconcile()")
else
  disagreements=$(sql -d $db_full -c "
    SELECT count(*) FILTER (WHERE NOT ok) FROM (
      SELECT k.n = e.n AND e.n = w.claims AND k.coins = e.coins AND e.coins = w.balance AND w.balance = w.coins
             AND k.items = a.n AND a.qty = i.qty AS ok
        FROM (SELECT count(*) AS n, sum(coins_awarded) AS coins, count(item_awarded) AS items FROM treasure.claims) k,
             (SELECT count(*) AS n, sum(coins_awarded) AS coins FROM treasure.claim_events) e,
             (SELECT sum(claims) AS claims, sum(balance) AS balance, sum(coins_awarded) AS coins FROM treasure.wallets) w,
             (SELECT count(*) AS n, sum(qty) AS qty FROM treasure.claim_awards) a,
             (SELECT sum(qty) AS qty FROM treasure.inventories WHERE item = 'gem') i) totals")
fi
check_seconds=$((SECONDS - check_started))
[ "$disagreements" = 0 ] || { echo "floors: the bulk load broke an invariant ($check: $disagreements)" >&2; exit 1; }
vacuum_started=$SECONDS
sql -d $db_full -c "VACUUM (ANALYZE)"
sql -d $db_empty -c "VACUUM (ANALYZE)"
vacuum_seconds=$((SECONDS - vacuum_started))
printf '{"load_seconds": %s, "check": "%s", "check_seconds": %s, "vacuum_seconds": %s, "disagreements": %s, "claims": %s}\n' \
  $load_seconds "$check" $check_seconds $vacuum_seconds "$disagreements" \
  "$(sql -d $db_full -c 'SELECT count(*) FROM treasure.claims')" >"$out/bulk.json"
echo "   loaded in ${load_seconds}s, invariants ($check) ${check_seconds}s: $disagreements disagreements, VACUUM (ANALYZE) ${vacuum_seconds}s"
# What grows with the tables: every relation of the schema, in both databases.
relation_sizes() {
  sql -d "$1" -F $'\t' -c "SELECT c.relname, c.relkind, pg_relation_size(c.oid) FROM pg_class c
                              WHERE c.relnamespace = 'treasure'::regnamespace AND c.relkind IN ('r', 'i')
                                AND pg_relation_size(c.oid) > 0 ORDER BY 3 DESC"
}
relation_sizes $db_full >"$out/sizes_full.tsv"
relation_sizes $db_empty >"$out/sizes_empty.tsv"
sql -d postgres -c "SHOW shared_buffers" >"$out/shared_buffers.txt"

# The gateways: --auth none, and the JWT authentication of scripts/demo.d/gateway.sh; both with 8 connections.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$out/login.pem" 2>/dev/null
"$bin/treasure" token --key "$out/login.pem" --kid login-1 --print-jwks >"$out/jwks.json"
gateway_flags() {
  case $1 in
  none) echo --auth none ;;
  jwt) echo --auth jwt --jwks "$out/jwks.json" --rate-per-player 20:40 ;;
  esac
}
load_flags() { [ "$1" = jwt ] && echo --jwt-key "$out/login.pem" --jwt-kid login-1 || true; }
for config in none jwt; do
  # shellcheck disable=SC2046 # the flags are words without spaces (paths under $out)
  "$bin/treasure-gateway" --dsn "$(dsn_of $db "floors-$config")" --listen 127.0.0.1:0 --pool $clients --saga off \
    $(gateway_flags $config) >"$out/gateway_$config.out" 2>"$out/gateway_$config.err" &
  gateway_pid[$config]=$!
done
for config in none jwt; do
  for _ in $(seq 100); do grep -q '^listening' "$out/gateway_$config.out" 2>/dev/null && break; sleep 0.1; done
  url[$config]="http://$(sed -n 's/^listening //p' "$out/gateway_$config.out")"
  [ "${url[$config]}" != "http://" ] || { cat "$out/gateway_$config.err"; exit 1; }
done
backend_pids() { sql -d $db -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'floors-$1'"; }

# settle_cell DATABASE: before every cell, what autovacuum (off on the bench cluster) would have done by then:
# ANALYZE of the tables the claims grow, then a CHECKPOINT.  Without the ANALYZE, a pooled backend keeps the plan
# it made for claim_details()'s claim_awards look-up while that table was nearly empty, a sequential scan, and
# every later tap through the gateway scans the whole table (bench/FINDINGS.md, "Floors and ratios").
settle_cell() {
  sql -d "$1" -c "ANALYZE treasure.claims, treasure.claim_events, treasure.claim_awards, treasure.wallets,
                           treasure.inventories" -c CHECKPOINT
}
# record SECTION ROUND CELL JSON-FIELDS: one line of cells.jsonl.
record() { printf '{"section": "%s", "round": %s, "cell": "%s", %s}\n' "$1" "$2" "$3" "$4" >>"$out/cells.jsonl"; }
: >"$out/cells.jsonl"
# pgbench_cell SECTION ROUND CELL DATABASE SCRIPT SYNC CLIENTS P0 NP [pgbench args]: one pgbench run after a
# settle_cell; records its TPS (and, given -l, the prefix of its per-transaction logs).
pgbench_cell() {
  local section=$1 round=$2 cell=$3 database=$4 script=$5 sync=$6 connections=$7 p0=$8 np=$9
  shift 9
  local output tps blks
  settle_cell "$database"
  blks=$(sql -d "$database" -F ' ' -c "SELECT blks_hit, blks_read FROM pg_stat_database WHERE datname = current_database()")
  output=$(PGOPTIONS="-c synchronous_commit=$sync" pgbench -n -M prepared -c "$connections" \
    -j $((connections < 2 ? connections : 2)) -T "$seconds" -D p0="$p0" -D np="$np" -D c0=0 -D nc=1000 "$@" \
    -f "$script" "$database" 2>&1) || { echo "$output" >&2; return 1; }
  tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$output")
  if [ -z "$tps" ] || grep -q 'aborted' <<<"$output"; then
    echo "$output" >&2
    echo "floors: pgbench $cell reported no throughput or aborted" >&2
    return 1
  fi
  read -r hit_before read_before <<<"$blks"
  read -r hit_after read_after <<<"$(sql -d "$database" -F ' ' -c "SELECT blks_hit, blks_read FROM pg_stat_database WHERE datname = current_database()")"
  record "$section" "$round" "$cell" "\"tps\": $tps, \"blks_hit\": $((hit_after - hit_before)), \"blks_read\": $((read_after - read_before))"
  printf '   round %s %-22s %9.0f TPS\n' "$round" "$cell" "$tps"
}
next_player=1
# load_cell SECTION ROUND CELL TARGET RATE: one treasure load run (RATE 0: as fast as it goes) of fresh players,
# against the gateway TARGET (none, jwt; with the CPU of the gateway and its backends) or the shim (shim).
load_cell() {
  local section=$1 round=$2 cell=$3 target=$4 rate=$5 name="$1_$3_$2" target_args backends=() cpu_before=0 db_before=0
  local rate_args=()
  [ "$rate" != 0 ] && rate_args=(--rate "$rate")
  settle_cell $db
  if [ "$target" = shim ]; then
    target_args=(--dsn "$(dsn_of $db floors-shim)")
  else
    # shellcheck disable=SC2207,SC2046
    target_args=(--url "${url[$target]}" $(load_flags "$target"))
    # shellcheck disable=SC2207
    backends=($(backend_pids "$target"))
    cpu_before=$(cpu_ticks "${gateway_pid[$target]}")
    db_before=$(cpu_ticks "${backends[@]}")
  fi
  "$bin/treasure" load "${target_args[@]}" --first-player $next_player --players $players_per_cell --chests 1000 \
    --concurrency $clients --duration "$seconds" "${rate_args[@]}" --json >"$out/load_$name.json" 2>"$out/load_$name.err" ||
    { cat "$out/load_$name.err"; return 1; }
  next_player=$((next_player + players_per_cell))
  local cpu='"gateway_ticks": null, "backend_ticks": null, "backends": 0'
  if [ "$target" != shim ]; then
    cpu="\"gateway_ticks\": $(($(cpu_ticks "${gateway_pid[$target]}") - cpu_before)), \"backend_ticks\": $(($(cpu_ticks "${backends[@]}") - db_before)), \"backends\": ${#backends[@]}"
  fi
  record "$section" "$round" "$cell" "\"rate\": $rate, \"load\": \"load_$name.json\", $cpu"
  python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); l = r["latency_ms"]
print("   round %s %-22s %6.0f taps/s  p95 %.2f p99 %.2f p99.7 %.2f ms" % (sys.argv[2], sys.argv[3], r["taps_per_second"], l["p95"], l["p99"], l["p99_7"]))' \
    "$out/load_$name.json" "$round" "$cell"
}
# rotated CELL...: the cells in the order of this round (rotated by $round).
rotated() {
  local cells=("$@") i
  for i in "${!cells[@]}"; do echo "${cells[$(((i + round) % ${#cells[@]}))]}"; done
}

echo "[${SECONDS}s] ==> warm-up: each gateway and the shim, ${warmup_seconds} s"
saved_seconds=$seconds
seconds=$warmup_seconds
for target in none jwt shim; do load_cell warmup 0 "$target" "$target" $low_rate >/dev/null; done
seconds=$saved_seconds

run_a_cell() {
  case $1 in
  gateway) load_cell A "$round" gateway none 0 ;;
  shim) load_cell A "$round" shim shim 0 ;;
  claim_on | claim_off) pgbench_cell A "$round" "$1" $db bench/claim.pgb "${1#claim_}" $clients 0 100000 ;;
  esac
}
echo "[${SECONDS}s] ==> A. saturation, $clients connections: $rounds rounds x 4 cells of ${seconds}s"
for round in $(seq "$rounds"); do
  for cell in $(rotated gateway shim claim_on claim_off); do run_a_cell "$cell"; done
done
median_tps() {
  python3 -c 'import json, statistics, sys
print("%d" % (statistics.median(c["tps"] for c in map(json.loads, open(sys.argv[1])) if c["section"] == "A" and c["cell"] == sys.argv[2]) * 0.5))' \
    "$out/cells.jsonl" "$1"
}
rate_on=$(median_tps claim_on) rate_off=$(median_tps claim_off)

run_b_cell() {
  local workload=${1%_*} sync=${1##*_} rate script
  rate=$([ "$sync" = on ] && echo "$rate_on" || echo "$rate_off")
  script=$([ "$workload" = claim ] && echo bench/claim.pgb || echo bench/peers/update.pgb)
  pgbench_cell B "$round" "$1" $db "$script" "$sync" $clients 0 100000 -R "$rate" -l --log-prefix="$out/log_B_$1_$round"
  python3 bench/floors_report.py percentiles "$out/log_B_$1_$round" $warmup_seconds "$rate" >"$out/B_$1_$round.json"
  rm -f "$out/log_B_$1_$round".[0-9]*
}
echo "[${SECONDS}s] ==> B. latency at 50% of claim_treasure()'s TPS ($rate_on/s durable, $rate_off/s asynchronous), $clients connections"
for round in $(seq "$rounds"); do
  for cell in $(rotated claim_on update_on claim_off update_off); do run_b_cell "$cell"; done
done

echo "[${SECONDS}s] ==> C. one client: $rounds rounds x 4 cells of ${seconds}s"
for round in $(seq "$rounds"); do
  for cell in $(rotated claim_on update_on claim_off update_off); do
    script=$([ "${cell%_*}" = claim ] && echo bench/claim.pgb || echo bench/peers/update.pgb)
    pgbench_cell C "$round" "$cell" $db "$script" "${cell##*_}" 1 0 100000
  done
done

echo "[${SECONDS}s] ==> D. tap-to-200 and CPU per tap, $clients clients: $rounds rounds x 5 cells of ${seconds}s"
for round in $(seq "$rounds"); do
  for cell in $(rotated gateway_$low_rate jwt_$low_rate shim_$low_rate gateway_$high_rate shim_$high_rate); do
    target=${cell%_*}
    [ "$target" = gateway ] && target=none
    load_cell D "$round" "$cell" "$target" "${cell##*_}"
  done
done
for config in none jwt; do
  kill -0 "${gateway_pid[$config]}" || { cat "$out/gateway_$config.err"; echo "floors: the $config gateway died" >&2; exit 1; }
done

echo "[${SECONDS}s] ==> E. claim TPS with $((bulk_players * claims_per_player)) claims and with none, $clients connections"
for sync in $bulk_sync; do
  for round in $(seq "$rounds"); do
    for cell in $(rotated full_v4 full_v7 empty_v4 empty_v7); do
      database=$([ "${cell%_*}" = full ] && echo $db_full || echo $db_empty)
      pgbench_cell E "$round" "${cell}_$sync" "$database" bench/floors_claim.pgb "$sync" $clients 0 "$bulk_players" \
        -D v7="$([ "${cell#*_}" = v7 ] && echo 1 || echo 0)"
    done
  done
done
relation_sizes $db_full >"$out/sizes_full_after.tsv"
relation_sizes $db_empty >"$out/sizes_empty_after.tsv"
# request_ids written in section E, by version (the bulk load's are v4): the v7 cells really wrote v7 ids.
sql -d $db_full -F $'\t' -c "SELECT substr(request_id::text, 15, 1), count(*) FROM treasure.claims
                                WHERE claim_id > $((bulk_players * claims_per_player)) GROUP BY 1 ORDER BY 1" >"$out/versions.tsv"

load_average_end=$(cut -d' ' -f1-3 /proc/loadavg)
python3 bench/floors_report.py report "$out" "$(getconf CLK_TCK)" \
  "bash bench/floors.sh $rounds $seconds $bulk_players" "$started_at" "$SECONDS" "$rounds" "$seconds" "$clients" \
  "$bulk_players" "$claims_per_player" "$load_average_start" "$load_average_end" "$warmup_seconds" >"$out/floors.md"
echo "==> floors done in ${SECONDS}s: $out/floors.md"
cat "$out/floors.md"
