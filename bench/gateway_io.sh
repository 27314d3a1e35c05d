#!/usr/bin/env bash
# bench/gateway_io.sh: where the gateway's atomic claims wait for the database (issue 17), side by side in one
# run: --claim-io workers (a --pool thread per claim, blocking libpqxx) against --claim-io reactor (the I/O thread,
# non-blocking pipelined libpq connections, src/gateway/claim_reactor.hpp).
#   - gateway CPU per tap, its backends' CPU per tap and their ratio, at fixed rates (RATES, 8 clients);
#   - tap-to-200 p50/p95/p99/p99.7 at those rates, and the shim straight to PostgreSQL at the same rates;
#   - saturation taps/s (8 clients, no rate).
#
#   bash bench/gateway_io.sh [ROUNDS [SECONDS]]     defaults 3 rounds, 8 s per cell
#   env: GATEWAY_IO_RATES    the fixed rates (default "1000 1500 3000")
#        GATEWAY_IO_OUT      raw data directory (default /tmp/treasure-gateway-io)
#        GATEWAY_IO_RESULTS  the Markdown table written (default bench/gateway_io.md)
#        GATEWAY_IO_BIN      directory holding treasure and treasure-gateway (default build/)
#        GATEWAY_IO_REACTOR  extra flags of the reactor gateway (e.g. "--claim-io-connections 4 --claim-io-depth 4")
#        BENCH_USE_CLUSTER=1 with PGHOST/PGPORT/PGUSER: use that running cluster, else a throwaway one
#
# Both gateways run at once (--pool 8, --auth none, --saga off), each with its own backends (application_name),
# so both are warm.  Each round runs every cell once, in an order that rotates from round to round; a ratio is
# taken within a round (workers / reactor) and reported as the median and range over the rounds.  Every cell taps
# its own fresh players (treasure load --first-player), after the ANALYZE and CHECKPOINT bench/floors.sh gives
# its cells.  CPU is utime+stime from /proc (bench/proc_cpu.sh): the gateway process, and its database backends
# read before each cell (the reactor opens its connections on its first taps); the load generator is left out.
# Fails only when a benchmark is broken (a program fails, a cell has no figure), never on a number.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
source bench/bench_cluster.sh
source bench/proc_cpu.sh
rounds=${1:-3} seconds=${2:-8}
read -r -a rates <<<"${GATEWAY_IO_RATES:-1000 1500 3000}"
players_per_cell=100 clients=8
out=${GATEWAY_IO_OUT:-/tmp/treasure-gateway-io}
results=${GATEWAY_IO_RESULTS:-bench/gateway_io.md}
bin=${GATEWAY_IO_BIN:-build}
db=treasure_gateway_io_bench
for program in treasure treasure-gateway; do
  [ -x "$bin/$program" ] || { echo "gateway_io: $bin/$program is missing: run make client" >&2; exit 1; }
done
rm -rf "$out"
mkdir -p "$out"
started_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
SECONDS=0

configs=(workers reactor)
declare -A gateway_pid url
cleanup() {
  for config in "${!gateway_pid[@]}"; do
    kill "${gateway_pid[$config]}" 2>/dev/null && wait "${gateway_pid[$config]}" 2>/dev/null || true
  done
  bench_cluster_stop
}
trap cleanup EXIT
bench_cluster_start gateway-io "gateway claim io"
sql() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
sql -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
sql -d $db -f bench/setup.sql >/dev/null
dsn_of() { echo "host=$PGHOST port=$PGPORT user=$PGUSER dbname=$db application_name=$1"; }

for config in "${configs[@]}"; do
  extra=()
  # shellcheck disable=SC2206 # GATEWAY_IO_REACTOR is flags without spaces
  [ "$config" = reactor ] && extra=(${GATEWAY_IO_REACTOR:-})
  "$bin/treasure-gateway" --dsn "$(dsn_of "gateway-io-$config")" --listen 127.0.0.1:0 --pool $clients --saga off \
    --auth none --claim-io "$config" "${extra[@]}" >"$out/gateway_$config.out" 2>"$out/gateway_$config.err" &
  gateway_pid[$config]=$!
done
for config in "${configs[@]}"; do
  for _ in $(seq 100); do grep -q '^listening' "$out/gateway_$config.out" 2>/dev/null && break; sleep 0.1; done
  url[$config]="http://$(sed -n 's/^listening //p' "$out/gateway_$config.out")"
  [ "${url[$config]}" != "http://" ] || { cat "$out/gateway_$config.err"; exit 1; }
done
backend_pids() { sql -d $db -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'gateway-io-$1'"; }

next_player=1
: >"$out/cells.tsv"
# cell TARGET RATE ROUND: one treasure load run (RATE 0: as fast as it goes) against TARGET (workers, reactor: a
# gateway, with its CPU and its backends'; shim: straight to PostgreSQL).
cell() {
  local target=$1 rate=$2 round=$3 name="$1_$2_$3" target_args backends=() cpu_before=0 db_before=0 rate_args=()
  [ "$rate" != 0 ] && rate_args=(--rate "$rate")
  sql -d $db -c "ANALYZE treasure.claims, treasure.claim_events, treasure.claim_awards, treasure.wallets,
                          treasure.inventories" -c CHECKPOINT
  if [ "$target" = shim ]; then
    target_args=(--dsn "$(dsn_of gateway-io-shim)")
  else
    target_args=(--url "${url[$target]}")
    # shellcheck disable=SC2207
    backends=($(backend_pids "$target"))
    cpu_before=$(cpu_ticks "${gateway_pid[$target]}")
    db_before=$(cpu_ticks "${backends[@]}")
  fi
  "$bin/treasure" load "${target_args[@]}" --first-player $next_player --players $players_per_cell --chests 1000 \
    --concurrency $clients --duration "$seconds" "${rate_args[@]}" --json >"$out/load_$name.json" 2>"$out/load_$name.err" ||
    { cat "$out/load_$name.err"; return 1; }
  next_player=$((next_player + players_per_cell))
  local gateway_ticks=0 backend_ticks=0
  if [ "$target" != shim ]; then
    gateway_ticks=$(($(cpu_ticks "${gateway_pid[$target]}") - cpu_before))
    backend_ticks=$(($(cpu_ticks "${backends[@]}") - db_before))
  fi
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$target" "$rate" "$round" "$gateway_ticks" "$backend_ticks" ${#backends[@]} \
    >>"$out/cells.tsv"
  python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); l = r["latency_ms"]
print("   round %s %-16s %6.0f taps/s  p95 %.2f p99 %.2f p99.7 %.2f ms" % (sys.argv[2], sys.argv[3], r["taps_per_second"], l["p95"], l["p99"], l["p99_7"]))' \
    "$out/load_$name.json" "$round" "${target}_$rate"
}

echo "[${SECONDS}s] ==> warm-up: each gateway and the shim, 2 s"
saved_seconds=$seconds
seconds=2
for target in workers reactor shim; do cell "$target" "${rates[0]}" 0 >/dev/null; done
seconds=$saved_seconds

cells=()
for rate in "${rates[@]}" 0; do
  cells+=("workers:$rate" "reactor:$rate")
  [ "$rate" != 0 ] && cells+=("shim:$rate")
done
echo "[${SECONDS}s] ==> $rounds rounds x ${#cells[@]} cells of ${seconds}s, $clients clients (rates ${rates[*]}, 0 = saturation)"
for round in $(seq "$rounds"); do
  for i in "${!cells[@]}"; do
    spec=${cells[$(((i + round - 1) % ${#cells[@]}))]}
    cell "${spec%%:*}" "${spec#*:}" "$round"
  done
done
for config in "${configs[@]}"; do
  kill -0 "${gateway_pid[$config]}" || { cat "$out/gateway_$config.err"; echo "gateway_io: the $config gateway died" >&2; exit 1; }
done
curl -s "${url[reactor]}/metrics" | grep '^treasure_claim_reactor_taps_total' >"$out/reactor_metrics.txt" || true

load_after=$(cut -d' ' -f1-3 /proc/loadavg)
python3 bench/gateway_io_report.py "$out" "$(getconf CLK_TCK)" "$rounds" "${rates[*]}" \
  "${GATEWAY_IO_RATES:+GATEWAY_IO_RATES=\"$GATEWAY_IO_RATES\" }bash bench/gateway_io.sh $rounds $seconds${GATEWAY_IO_REACTOR:+ (reactor: $GATEWAY_IO_REACTOR)}" "$started_at" \
  "$SECONDS" "$seconds" "$clients" "$load_before" "$load_after" >"$results"
echo "==> gateway claim io done in ${SECONDS}s: $results"
cat "$results"
