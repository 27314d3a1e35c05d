#!/usr/bin/env bash
# bench/run.sh quick|full: every benchmark of bench/README.md in one run on one cluster, so that the figures it
# compares are measured side by side.  `make bench` runs `full` (<= 15 min on 2 cores) and writes bench/RESULTS.md
# and bench/latency.png; `make bench-quick` runs `quick` (<= 1 min) into /tmp/treasure-bench-quick/.
# Starts and removes its own cluster, unless BENCH_USE_CLUSTER=1 with PGHOST/PGPORT/PGUSER naming a running one
# (scripts/test.sh, suite bench-quick); then it leaves that cluster's settings alone.
# Fails only when a benchmark is broken (a program fails, a run reports no figure), never on a number.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
mode=${1:-quick}

case $mode in
quick)
  seconds=2 clients_list="4" latency_seconds=2 latency_warmup=0.5 latency_clients=4 latency_fractions="50"
  contention_seconds=2 contention_scenarios="hot_players" gbench_min_time=0.3 gateway_seconds=2
  memory_claims=${BENCH_MEMORY_CLAIMS:-20000} memory_sample=5000 cpu_claims=2000 cpu_rounds=1
  out=/tmp/treasure-bench-quick results=/tmp/treasure-bench-quick/RESULTS.md plot=/tmp/treasure-bench-quick/latency.png ;;
full)
  seconds=4 clients_list="1 4 8 32" latency_seconds=7 latency_warmup=1 latency_clients=8 latency_fractions="50 80"
  contention_seconds=4 contention_scenarios="hot_players hot_chest same_claim" gbench_min_time=3 gateway_seconds=8
  memory_claims=${BENCH_MEMORY_CLAIMS:-1000000} memory_sample=100000 cpu_claims=5000 cpu_rounds=3
  out=/tmp/treasure-bench-full results=bench/RESULTS.md plot=bench/latency.png ;;
*)
  echo "usage: bench/run.sh quick|full" >&2
  exit 2 ;;
esac
db=treasure_bench
rm -rf "$out"
mkdir -p "$out"
started_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
SECONDS=0

# The settings added to PostgreSQL's defaults (cluster_start already sets shared_buffers = 256MB and
# max_connections = 120).  max_wal_size/checkpoint_timeout: no checkpoint starts inside a measurement; instead
# every pgbench run starts right after an explicit CHECKPOINT, so each pays the same full-page writes.
bench_settings=(
  "max_wal_size = '8GB'"
  "checkpoint_timeout = '30min'"
  "autovacuum = off"
)
# The programs, copied first: build/ may be rebuilt (or cleaned) by someone else while a run is under way.
bin=$(mktemp -d /tmp/treasure-bench-bin.XXXXXX)
for program in build/treasure build/treasure-gateway build/treasure-saga build/bench/client_bench build/bench/memory_driver; do
  [ -x "$program" ] || { echo "bench: $program is missing: run make bench-programs" >&2; exit 1; }
  cp "$program" "$bin/"
done
gateway_pid=
saga_pid=
cleanup() {
  rm -rf "$bin"
  if [ -n "$saga_pid" ]; then
    kill "$saga_pid" 2>/dev/null || true
    wait "$saga_pid" 2>/dev/null || true
  fi
  [ -n "$gateway_pid" ] && kill "$gateway_pid" 2>/dev/null && wait "$gateway_pid" 2>/dev/null
  [ "${BENCH_USE_CLUSTER:-0}" = 1 ] || cluster_stop
}
trap cleanup EXIT
if [ "${BENCH_USE_CLUSTER:-0}" = 1 ]; then
  echo "==> bench $mode on the running cluster at $PGHOST"
  bench_settings=("(the running cluster's own)")
else
  cluster_start bench
  for setting in "${bench_settings[@]}"; do
    psql -X -q -d postgres -c "ALTER SYSTEM SET ${setting%% =*} = ${setting#*= }"
  done
  psql -X -q -d postgres -c 'SELECT pg_reload_conf()' >/dev/null
fi

sql() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
# Autovacuum is off during the run (bench_settings): a vacuum of the multi-million-row claims tables takes one
# of the 2 cores for seconds and lands in whichever measurement happens to run.  Instead every section starts
# from the same state: its predecessor's rows vacuumed and analyzed, then (in pgbench_run) a CHECKPOINT.
# (Not in the quick run, which only has to prove that every benchmark still works.)
settle() { [ "$mode" = quick ] || [ "${BENCH_USE_CLUSTER:-0}" = 1 ] || sql -d $db -c "VACUUM (ANALYZE)"; }
sql -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
echo "==> loading the hunt (bench/setup.sql)"
sql -d $db -f bench/setup.sql >/dev/null
dsn="host=$PGHOST port=$PGPORT user=$PGUSER dbname=$db"

# Figures go to $out/*.tsv; the report is assembled from them at the end.
workload_file() {
  case $1 in
  claim) echo bench/claim.pgb ;;
  plpgsql) echo bench/peers/claim_plpgsql.pgb ;;
  sql) echo bench/peers/claim_sql.pgb ;;
  update) echo bench/peers/update.pgb ;;
  select1) echo bench/peers/select1.pgb ;;
  esac
}
# pgbench_run WORKLOAD SYNC CLIENTS SECONDS LOGPREFIX|- P0 NP C0 NC [extra pgbench args]: prints "tps latency_avg_ms".
pgbench_run() {
  local workload=$1 sync=$2 clients=$3 secs=$4 log=$5 p0=$6 np=$7 c0=$8 nc=$9
  shift 9
  local threads=$((clients < 2 ? clients : 2)) args=() output
  [ "$log" != - ] && args+=(-l --log-prefix="$log")
  sql -d $db -c CHECKPOINT
  output=$(PGOPTIONS="-c synchronous_commit=$sync" pgbench -n -M prepared -c "$clients" -j "$threads" -T "$secs" \
    -D p0="$p0" -D np="$np" -D c0="$c0" -D nc="$nc" "${args[@]}" "$@" -f "$(workload_file "$workload")" $db 2>&1) || {
    echo "$output" >&2
    return 1
  }
  local tps latency
  tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$output")
  latency=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' <<<"$output")
  if [ -z "$tps" ] || grep -q 'aborted' <<<"$output"; then
    echo "$output" >&2
    echo "bench: pgbench $workload reported no throughput or aborted" >&2
    return 1
  fi
  echo "$tps ${latency:-0}"
}
# Nearest-rank percentiles (ms) of pgbench per-transaction logs (column 3: latency in us, from the scheduled
# start with -R, so a stall counts against the system).  Also writes the sorted latencies for the plot.
# The first $latency_warmup s of each run are a warm-up, left out: pgbench opens new connections for every
# run, and a new connection's first claims prepare their statements (the very first one 5-8 ms), which a
# pooled connection pays once in its life; the same cut for every implementation.
percentiles_of() {
  local prefix=$1 t0
  t0=$(cat "$prefix".* | awk 'NR == 1 || $5 + $6 / 1e6 < m { m = $5 + $6 / 1e6 } END { printf "%.6f", m }')
  cat "$prefix".* | awk -v t0="$t0" -v warmup="$latency_warmup" '$5 + $6 / 1e6 >= t0 + warmup { print $3 / 1000 }' |
    sort -g >"$prefix.sorted"
  awk '{ v[NR] = $1 } END {
         if (NR == 0) exit 1
         n = split("50 95 99 99.7", p, " ")
         for (i = 1; i <= n; i++) { r = int(p[i] / 100 * NR + 0.999999); if (r < 1) r = 1; printf "%.3f ", v[r] }
         printf "%.3f %d\n", v[NR], NR }' "$prefix.sorted"
}

# 1. Throughput: every workload at every client count, both commit modes, interleaved per cell (the order of
#    the workloads rotates from cell to cell so none always runs first after the checkpoint).
echo "[${SECONDS}s] ==> throughput (${seconds}s per run)"
workloads=(claim plpgsql sql update select1)
: >"$out/throughput.tsv"
rotation=0
for sync in on off; do
  for clients in $clients_list; do
    for i in "${!workloads[@]}"; do
      workload=${workloads[$(((i + rotation) % ${#workloads[@]}))]}
      result=$(pgbench_run "$workload" $sync "$clients" "$seconds" - 0 100000 0 1000)
      read -r tps latency <<<"$result"
      printf '%s\t%s\t%s\t%s\t%s\n' "$workload" $sync "$clients" "$tps" "$latency" >>"$out/throughput.tsv"
      printf '   %-8s sync=%-3s clients=%-2s %10s TPS\n' "$workload" $sync "$clients" "$tps"
    done
    rotation=$((rotation + 1))
  done
done
tps_of() { awk -F'\t' -v w="$1" -v s="$2" -v c="$3" '$1 == w && $2 == s && $3 == c { print $4 }' "$out/throughput.tsv"; }
max_tps() { awk -F'\t' -v w="$1" -v s="$2" '$1 == w && $2 == s && $4 > m { m = $4 } END { print m }' "$out/throughput.tsv"; }

# 1b. Server CPU per claim: one connection, pipelined claims (no client wait), the backend's user+system CPU
#     time per claim from /proc.  Other processes' load barely moves it, unlike TPS on a shared machine.
settle
echo "[${SECONDS}s] ==> server CPU per claim ($cpu_rounds x $cpu_claims claims each)"
peer_sql=$(grep -v '^\\set\|^--' bench/peers/claim_sql.pgb | sed -e 's/:player::bigint/$1::bigint/g; s/:chest::bigint/$2::bigint/g' \
  -e 's/:session::bigint/$4::bigint/g; s/pg_catalog.gen_random_uuid()/$3::uuid/; s/;$//')
: >"$out/cpu.tsv"
cpu_base=60000000
for round in $(seq "$cpu_rounds"); do
  for workload in claim statements plpgsql sql; do
    options=
    case $workload in
    claim) query='SELECT status FROM claim_treasure($1::bigint, $2::bigint, $3::uuid, $4::bigint)' ;;
    statements)  # claim_treasure() without its direct path: what the direct path buys
      query='SELECT status FROM claim_treasure($1::bigint, $2::bigint, $3::uuid, $4::bigint)'
      options='-c treasure.direct_claims=off' ;;
    plpgsql) query='SELECT status FROM bench_peers.claim_plpgsql($1::bigint, $2::bigint, $3::uuid, $4::bigint)' ;;
    sql) query=$peer_sql ;;
    esac
    cpu_base=$((cpu_base + 1000000))
    PGOPTIONS="$options" "$bin/memory_driver" "$dsn" "$cpu_claims" "$cpu_claims" "$cpu_base" 100000 1000 "$query" \
      >"$out/cpu_$workload.txt"
    awk -v w="$workload" -v r="$round" 'NR == 1 { c = $5 } END { printf "%s\t%s\t%.1f\n", w, r, ($5 - c) * 1000 / $1 }' \
      "$out/cpu_$workload.txt" >>"$out/cpu.tsv"
    tail -1 "$out/cpu.tsv" | sed 's/^/   /'
  done
done

# 2. Latency at a fixed arrival rate: 50% (and 80%) of claim_treasure()'s saturation with durable commits, the
#    same rate for the peers and for the bare UPDATE (the floor this machine's commit and round trip set);
#    plus 50% of the asynchronous-commit saturation in the full run.  $latency_clients connections: the
#    gateway's pool size (8), enough for the rate; more connections on 2 cores only add scheduling delay.
#    Saturation = section 1's TPS at that many connections: the best TPS over all client counts can be more
#    than 8 connections reach, and "80%" of it was an overload.
settle
echo "[${SECONDS}s] ==> latency at a fixed arrival rate (${latency_seconds}s per run)"
: >"$out/latency.tsv"
latency_cells=()
for fraction in $latency_fractions; do latency_cells+=("on:$fraction"); done
[ "$mode" = full ] && latency_cells+=("off:50")
latency_rotation=0  # the order rotates from cell to cell, so that no implementation always runs first
for cell in "${latency_cells[@]}"; do
  sync=${cell%%:*} fraction=${cell#*:}
  latency_rotation=$((latency_rotation + 1))
  saturation=$(tps_of claim $sync "$latency_clients")
  [ -n "$saturation" ] || saturation=$(max_tps claim $sync)
  rate=$(awk -v t="$saturation" -v f="$fraction" 'BEGIN { printf "%d", t * f / 100 }')
  latency_workloads=(claim plpgsql sql update)
  for i in "${!latency_workloads[@]}"; do
    workload=${latency_workloads[$(((i + latency_rotation) % ${#latency_workloads[@]}))]}
    prefix="$out/lat_${workload}_${sync}_${fraction}"
    pgbench_run "$workload" $sync "$latency_clients" "$latency_seconds" "$prefix" 0 100000 0 1000 -R "$rate" >/dev/null
    result=$(percentiles_of "$prefix")
    read -r p50 p95 p99 p997 max count <<<"$result"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$workload" $sync "$fraction" "$rate" "$p50" "$p95" "$p99" "$p997" "$max" "$count" \
      >>"$out/latency.tsv"
    printf '   %-8s sync=%-3s %s%% (%s/s): p50 %s p95 %s p99 %s p99.7 %s max %s ms\n' "$workload" $sync "$fraction" "$rate" \
      "$p50" "$p95" "$p99" "$p997" "$max"
    rm -f "$prefix".[0-9]*
  done
done

# 3. Contention, 16 sessions, durable commits, each run on players no earlier run touched:
#    hot_players: 8 players, any chest (row locks on the same wallets and stats);
#    hot_chest:   any player, one chest (the chest row every claim reads);
#    same_claim:  4 players x 4 chests (the guard: after the first claim of a pair, already_claimed).
settle
echo "[${SECONDS}s] ==> contention (${contention_seconds}s per run)"
: >"$out/contention.tsv"
base=10000000
for scenario in $contention_scenarios; do
  for workload in claim plpgsql sql; do
    base=$((base + 10000000))
    case $scenario in
    hot_players) range=("$base" 8 0 1000) ;;
    hot_chest) range=("$base" 100000 6 1) ;;
    same_claim) range=("$base" 4 0 4) ;;
    esac
    result=$(pgbench_run "$workload" on 16 "$contention_seconds" - "${range[@]}")
    read -r tps latency <<<"$result"
    claimed=$(sql -d $db -c "SELECT count(*) FROM treasure.claims WHERE player_id > $base AND player_id <= $base + ${range[1]}")
    printf '%s\t%s\t%s\t%s\t%s\n' "$scenario" "$workload" "$tps" "$latency" "$claimed" >>"$out/contention.tsv"
    printf '   %-11s %-8s %10s TPS, %s claims written\n' "$scenario" "$workload" "$tps" "$claimed"
  done
done

# 4a. Client-side latency through the shim (Google Benchmark; every ClaimPath registered in client_bench.cpp):
#     the atomic path and the saga path with the same taps and threads.  The saga path needs treasure-saga's
#     workers (every role, 2 threads each), which run during this section only.  In the full run the saga
#     benchmarks get at least 5 s each (a saga tap is several times slower than an atomic one: >= 50 iterations
#     even at 100 ms a tap); the quick run gives them --benchmark_min_time like the rest.
settle
echo "[${SECONDS}s] ==> client-side latency through the shim (Google Benchmark: atomic and saga path)"
saga_min_time=$([ "$mode" = full ] && echo 5 || true)
"$bin/treasure-saga" --dsn "$dsn" --threads 2 >"$out/saga.out" 2>"$out/saga.err" &
saga_pid=$!
for _ in $(seq 100); do grep -q '^treasure-saga: running' "$out/saga.out" 2>/dev/null && break; sleep 0.1; done
grep -q '^treasure-saga: running' "$out/saga.out" || { cat "$out/saga.out" "$out/saga.err"; exit 1; }
TREASURE_BENCH_DSN="$dsn" TREASURE_BENCH_SAGA_MIN_TIME=$saga_min_time "$bin/client_bench" \
  --benchmark_min_time=$gbench_min_time --benchmark_out="$out/client_bench.csv" --benchmark_out_format=csv \
  >"$out/client_bench.txt" 2>&1 || { cat "$out/client_bench.txt" "$out/saga.err"; exit 1; }
# The sagas' steps after their answer (give_item, count) drain before the workers stop (bounded: 5 s).
for _ in $(seq 50); do
  [ "$(sql -d $db -c 'SELECT count(*) FROM treasure.saga_messages')" = 0 ] && break
  sleep 0.1
done
kill "$saga_pid" && wait "$saga_pid" 2>/dev/null || true
saga_pid=
grep -E '^claim/' "$out/client_bench.txt" | sed 's/^/   /'
for path in atomic saga; do
  grep -q "^\"claim/$path/" "$out/client_bench.csv" ||
    { cat "$out/client_bench.txt" "$out/saga.err"; echo "bench: client_bench reported no claim/$path figure" >&2; exit 1; }
done
if grep -q 'ERROR OCCURRED' "$out/client_bench.txt"; then
  cat "$out/client_bench.txt" "$out/saga.err"
  echo "bench: a client_bench benchmark failed" >&2
  exit 1
fi

# 4b. Tap-to-200 through the gateway with `treasure load`: first as fast as 8 clients go (its saturation), then
#     at 50% of it; the same rate straight to the database through the shim (--dsn) for comparison.
settle
echo "[${SECONDS}s] ==> tap-to-200 through treasure-gateway (${gateway_seconds}s per run)"
"$bin/treasure-gateway" --dsn "$dsn" --listen 127.0.0.1:0 --pool 8 >"$out/gateway.out" 2>"$out/gateway.err" &
gateway_pid=$!
for _ in $(seq 100); do grep -q '^listening' "$out/gateway.out" 2>/dev/null && break; sleep 0.1; done
url="http://$(sed -n 's/^listening //p' "$out/gateway.out")"
[ "$url" != "http://" ] || { cat "$out/gateway.err"; exit 1; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' /proc/"$gateway_pid"/status; }
json_number() { sed -n "s/^ *\"$1\": \([0-9.e+-]*\),\{0,1\}$/\1/p" "$2" | head -1; }
: >"$out/gateway.tsv"
load_run() {  # NAME TARGET-ARGS... (rate via $load_rate)
  local name=$1
  shift
  local rate_args=()
  [ "$load_rate" != 0 ] && rate_args=(--rate "$load_rate")
  local rss_before rss_max sampler
  rss_before=$(rss_kb)
  (while sleep 0.25; do rss_kb; done) >"$out/rss_$name.txt" 2>/dev/null &
  sampler=$!
  "$bin/treasure" load "$@" --players 100000 --chests 1000 --concurrency 8 --duration "$gateway_seconds" \
    "${rate_args[@]}" --json >"$out/load_$name.json" 2>"$out/load_$name.err" || { cat "$out/load_$name.err"; kill $sampler; return 1; }
  kill $sampler
  wait $sampler 2>/dev/null || true
  rss_max=$(sort -n "$out/rss_$name.txt" | tail -1)
  local f="$out/load_$name.json"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$load_rate" "$(json_number taps_per_second "$f")" \
    "$(json_number p50 "$f")" "$(json_number p95 "$f")" "$(json_number p99 "$f")" "$(json_number p99_7 "$f")" \
    "$(json_number max "$f")" "$rss_before" "${rss_max:-$rss_before}" >>"$out/gateway.tsv"
  tail -1 "$out/gateway.tsv" | sed 's/^/   /'
}
load_rate=0
load_run gateway_saturation --url "$url"
load_rate=$(awk -F'\t' '$1 == "gateway_saturation" { printf "%d", $3 / 2 }' "$out/gateway.tsv")
load_run gateway_50 --url "$url"
load_run shim_50 --dsn "$dsn"
gateway_rss_end=$(rss_kb)
kill "$gateway_pid" && wait "$gateway_pid" 2>/dev/null || true
gateway_pid=

# 5. Backend memory over many claims on one connection.
echo "[${SECONDS}s] ==> backend memory over $memory_claims claims on one connection"
settle
MEMORY_DRIVER_SPREAD_CHESTS=1 MEMORY_DRIVER_CONTEXTS="$out/memory_contexts.txt" \
  "$bin/memory_driver" "$dsn" "$memory_claims" "$memory_sample" 50000001 100000 1000 >"$out/memory.tsv"
sed 's/^/   /' "$out/memory.tsv"

# The plot: latency against percentile ("nines" on x) for each implementation at 50% of saturation.
if command -v gnuplot >/dev/null; then
  for workload in claim plpgsql sql update; do
    awk '{ v[NR] = $1 } END { for (k = 0; k <= 1000; k++) { p = 1 - 10 ^ (-k / 100); r = int(p * NR + 0.999999)
           if (r < 1) r = 1; if (r > NR) break; print k / 100, v[r] } }' "$out/lat_${workload}_on_50.sorted" >"$out/plot_$workload.dat"
  done
  awk -F'\t' '$1 == "gateway_50" { print 0.301, $4; print 1.301, $5; print 2, $6; print 2.523, $7 }' "$out/gateway.tsv" >"$out/plot_gateway.dat"
  # The shim's paths, 4 threads tapping back to back (Google Benchmark, section 4a): p50, p95, p99, p99.7.
  for path in atomic saga; do
    awk -F, -v path="$path" '$1 ~ "^\"claim/" path "/.*threads:4\"$" {
           print 0.301, $13 / 1000; print 1.301, $14 / 1000; print 2, $16 / 1000; print 2.523, $15 / 1000 }' \
      "$out/client_bench.csv" >"$out/plot_shim_$path.dat"
  done
  gnuplot <<GP
set terminal pngcairo size 1000,720 noenhanced
set output '$plot'
set title "Latency at 50% of claim_treasure() saturation (durable commits), $mode run $started_at"
set xlabel "percentile"
set ylabel "latency (ms, log scale)"
set logscale y
set grid
set key below font ",9"
set xrange [0:4.3]
set xtics ("p50" 0.301, "p90" 1, "p95" 1.301, "p99" 2, "p99.7" 2.523, "p99.9" 3, "p99.99" 4)
plot '$out/plot_claim.dat' with lines lw 2 title 'claim_treasure() (pgbench)', \
     '$out/plot_sql.dat' with lines lw 2 title 'single-statement SQL peer (pgbench)', \
     '$out/plot_plpgsql.dat' with lines lw 2 title 'PL/pgSQL peer (pgbench)', \
     '$out/plot_update.dat' with lines lw 1 dt 2 title 'bare UPDATE, the floor (pgbench)', \
     '$out/plot_shim_atomic.dat' with linespoints lw 2 pt 5 title 'atomic path through the shim, 4 threads back to back (Google Benchmark)', \
     '$out/plot_shim_saga.dat' with linespoints lw 2 pt 9 title 'saga path through the shim, 4 threads back to back (Google Benchmark)', \
     '$out/plot_gateway.dat' with linespoints lw 2 pt 7 title 'tap-to-200 through treasure-gateway at 50% of ITS saturation (treasure load)'
GP
fi

# 6.-9. and 11.- The sections measured by their own scripts (make bench-auth, bench/shapes_compare.sh, make
#    bench-shards, make bench-pipeline, make bench-batch, bench/claim_details_cost.sh, make bench-gateway-io: each several minutes,
#    which would take make bench past its 15 minutes) are not run here; the report carries the table each wrote
#    at its last run (bench/auth_cost.md, shapes_compare.md, sharded_gateway.md, pipelined_claims.md,
#    batched_claims.md, claim_details_cost.md, gateway_io.md), with its date.

# 10. Issue 17's ratio targets against this machine's floors (bench/floors.sh, its own databases on this cluster,
#     among them one of 5M claims; full run only: ~10 min, which bench-quick's budget cannot hold).
if [ "$mode" = full ]; then
  echo "[${SECONDS}s] ==> floors and ratios (bench/floors.sh)"
  BENCH_USE_CLUSTER=1 FLOORS_BIN="$bin" FLOORS_OUT="$out/floors" bash bench/floors.sh >"$out/floors.log" 2>&1 ||
    { cat "$out/floors.log"; exit 1; }
  grep '^\[\|^   round' "$out/floors.log"
fi

elapsed=$SECONDS
latency_warmup=$latency_warmup latency_clients=$latency_clients bash bench/report.sh "$mode" "$out" "$started_at" "$elapsed" "$plot" "${bench_settings[@]}" >"$results"
# carry_table SECTION NAME: bench/NAME.md, the table of bench/NAME.sh's last run, as section SECTION.
carry_table() {
  { echo
    echo "## $1. $(head -1 "bench/$2.md" | sed 's/^# //')"
    echo
    echo "From bench/$2.md: the table of bench/$2.sh's last run (not re-run by make bench)."
    sed -e '1d' -e 's/^# /### /' -e 's/^## /### /' "bench/$2.md"; } >>"$results"
}
if [ "$mode" = full ]; then
  section=6
  for table in auth_cost shapes_compare sharded_gateway pipelined_claims; do
    carry_table $section $table
    section=$((section + 1))
  done
fi
if [ "$mode" = full ]; then
  { echo
    echo "## 10. Floors and ratios (issue 17)"
    echo
    echo "Written by bench/floors.sh in this run (its raw cells in $out/floors/):"
    echo
    cat "$out/floors/floors.md"; } >>"$results"
  section=11
  for table in batched_claims claim_details_cost gateway_io; do
    carry_table $section $table
    section=$((section + 1))
  done
fi
echo "==> bench $mode done in ${elapsed}s: $results, $plot"
