#!/usr/bin/env bash
# bench/auth_cost.sh: what authentication costs the gateway (issue 14, "Measure"): gateway CPU per tap and
# tap-to-200 latency with --auth none, api-key, and jwt (ES256 and RS256, each with the verified-token cache on
# and with --jwt-cache-entries 0, where every tap checks its signature), side by side in one run.
#
#   bash bench/auth_cost.sh [ROUNDS [SECONDS [RATE]]]     defaults 6 rounds, 8 s per cell, 1000 taps/s
#   env: AUTH_COST_OUT     raw data directory (default /tmp/treasure-auth-cost)
#        AUTH_COST_RESULTS the Markdown table written (default bench/auth_cost.md)
#        AUTH_COST_BIN     directory holding treasure and treasure-gateway (default build/)
#        BENCH_USE_CLUSTER=1 with PGHOST/PGPORT/PGUSER: use that running cluster (bench/run.sh does), else a
#                          throwaway one with bench/run.sh's settings is started and removed
#
# All six gateways run at once, each with its own 8 backends (named by application_name), so every one is warm
# and no start-up lands in a measurement.  Each round runs every configuration once, in an order that rotates
# from round to round; a ratio is taken within a round (against that round's --auth none) and reported as the
# median and range over the rounds.  Each cell taps its own 100 players (treasure load --first-player), none of
# them tapped before: the claims are fresh in every cell, and a cached cell verifies each player's token once
# (its first tap), then looks it up.
# CPU is utime+stime from /proc/PID/stat, before and after the cell: the gateway process, and the gateway's own
# database backends (pg_stat_activity by application_name); the load generator's CPU is left out.
# Fails only when a benchmark is broken (a program fails, a cell has no figure), never on a number.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
source bench/bench_cluster.sh
rounds=${1:-6} seconds=${2:-8} rate=${3:-1000}
players_per_cell=100 clients=8
out=${AUTH_COST_OUT:-/tmp/treasure-auth-cost}
results=${AUTH_COST_RESULTS:-bench/auth_cost.md}
bin=${AUTH_COST_BIN:-build}
db=treasure_auth_bench
for program in treasure treasure-gateway; do
  [ -x "$bin/$program" ] || { echo "auth_cost: $bin/$program is missing: run make client" >&2; exit 1; }
done
rm -rf "$out"
mkdir -p "$out"
started_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
SECONDS=0

configs=(none api-key jwt-es256-cached jwt-es256-uncached jwt-rs256-cached jwt-rs256-uncached)
declare -A gateway_pid
cleanup() {
  for config in "${!gateway_pid[@]}"; do
    kill "${gateway_pid[$config]}" 2>/dev/null && wait "${gateway_pid[$config]}" 2>/dev/null || true
  done
  bench_cluster_stop
}
trap cleanup EXIT
bench_cluster_start auth-cost "auth cost"
sql() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
sql -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
sql -d $db -f bench/setup.sql >/dev/null

# The credentials: one EC P-256 and one RSA 2048 key (each its own JWKS), and one API key.
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$out/es256.pem" 2>/dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$out/rs256.pem" 2>/dev/null
"$bin/treasure" token --key "$out/es256.pem" --kid bench-es --alg ES256 --print-jwks >"$out/es256.jwks"
"$bin/treasure" token --key "$out/rs256.pem" --kid bench-rs --alg RS256 --print-jwks >"$out/rs256.jwks"
api_key=$(openssl rand -hex 24)
printf '{"keys": [{"name": "auth-bench", "sha256": "%s", "scopes": ["claim"]}]}\n' \
  "$(printf %s "$api_key" | sha256sum | cut -d' ' -f1)" >"$out/api-keys.json"

gateway_flags() {
  case $1 in
  none) echo --auth none ;;
  api-key) echo --auth api-key --api-keys "$out/api-keys.json" ;;
  jwt-es256-cached) echo --auth jwt --jwks "$out/es256.jwks" ;;
  jwt-es256-uncached) echo --auth jwt --jwks "$out/es256.jwks" --jwt-cache-entries 0 ;;
  jwt-rs256-cached) echo --auth jwt --jwks "$out/rs256.jwks" ;;
  jwt-rs256-uncached) echo --auth jwt --jwks "$out/rs256.jwks" --jwt-cache-entries 0 ;;
  esac
}
load_flags() {
  case $1 in
  none) ;;
  api-key) echo --api-key "$api_key" ;;
  jwt-es256-*) echo --jwt-key "$out/es256.pem" --jwt-kid bench-es --jwt-alg ES256 ;;
  jwt-rs256-*) echo --jwt-key "$out/rs256.pem" --jwt-kid bench-rs --jwt-alg RS256 ;;
  esac
}
application_name() { echo "auth-bench-$1"; }

declare -A url
for config in "${configs[@]}"; do
  # shellcheck disable=SC2046 # the flags are words without spaces (paths under $out)
  "$bin/treasure-gateway" --dsn "host=$PGHOST port=$PGPORT user=$PGUSER dbname=$db application_name=$(application_name "$config")" \
    --listen 127.0.0.1:0 --pool 8 --saga off $(gateway_flags "$config") >"$out/gateway_$config.out" 2>"$out/gateway_$config.err" &
  gateway_pid[$config]=$!
done
for config in "${configs[@]}"; do
  for _ in $(seq 100); do grep -q '^listening' "$out/gateway_$config.out" 2>/dev/null && break; sleep 0.1; done
  url[$config]="http://$(sed -n 's/^listening //p' "$out/gateway_$config.out")"
  [ "${url[$config]}" != "http://" ] || { cat "$out/gateway_$config.err"; exit 1; }
done

source bench/proc_cpu.sh  # cpu_ticks
backend_pids() { sql -d $db -c "SELECT pid FROM pg_stat_activity WHERE application_name = '$(application_name "$1")'"; }
next_player=1
# cell CONFIG ROUND: one measured run of treasure load at $rate against CONFIG's gateway.
cell() {
  local config=$1 round=$2 name="$1_$2" backends gateway_before gateway_after backends_before backends_after
  # shellcheck disable=SC2207
  backends=($(backend_pids "$config"))
  gateway_before=$(cpu_ticks "${gateway_pid[$config]}")
  backends_before=$(cpu_ticks "${backends[@]}")
  # shellcheck disable=SC2046
  "$bin/treasure" load --url "${url[$config]}" $(load_flags "$config") --first-player $next_player \
    --players $players_per_cell --chests 1000 --concurrency $clients --duration "$seconds" --rate "$rate" --json \
    >"$out/load_$name.json" 2>"$out/load_$name.err" || { cat "$out/load_$name.err"; return 1; }
  gateway_after=$(cpu_ticks "${gateway_pid[$config]}")
  backends_after=$(cpu_ticks "${backends[@]}")
  next_player=$((next_player + players_per_cell))
  printf '%s\t%s\t%s\t%s\t%s\n' "$config" "$round" $((gateway_after - gateway_before)) \
    $((backends_after - backends_before)) ${#backends[@]} >>"$out/cpu.tsv"
}
: >"$out/cpu.tsv"
echo "[${SECONDS}s] ==> warm-up: every gateway, 1 s"
saved_seconds=$seconds
seconds=1
for config in "${configs[@]}"; do cell "$config" 0; done
seconds=$saved_seconds
echo "[${SECONDS}s] ==> $rounds rounds x ${#configs[@]} configurations, ${seconds} s at $rate taps/s, $clients clients each"
for round in $(seq "$rounds"); do
  for i in "${!configs[@]}"; do
    config=${configs[$(((i + round - 1) % ${#configs[@]}))]}
    cell "$config" "$round"
    printf '   round %s %-19s' "$round" "$config"
    python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); l = r["latency_ms"]
print(" %6.0f taps/s  p95 %.2f ms  refusals %s" % (r["taps_per_second"], l["p95"], r.get("auth", {}).get("refusals", {})))' \
      "$out/load_${config}_$round.json"
  done
done
for config in "${configs[@]}"; do
  grep -q "^listening" "$out/gateway_$config.out" && kill -0 "${gateway_pid[$config]}" ||
    { cat "$out/gateway_$config.err"; echo "auth_cost: the $config gateway died" >&2; exit 1; }
done

# Each cell's players are its own (--first-player): the claims must spread over all of them.
read -r lowest highest distinct <<<"$(sql -d $db -F ' ' -c "SELECT min(player_id), max(player_id), count(DISTINCT player_id) FROM treasure.claims")"
echo "   claims by $distinct players, ids $lowest..$highest (the cells' ranges: 1..$((next_player - 1)))"
[ "${highest:-0}" -gt $players_per_cell ] || { echo "auth_cost: the cells did not tap their own players" >&2; exit 1; }

load_average=$(cut -d' ' -f1-3 /proc/loadavg)
python3 bench/auth_cost_report.py "$out" "$(getconf CLK_TCK)" "${configs[*]}" "$rounds" \
  "bash bench/auth_cost.sh $rounds $seconds $rate" "$started_at" "$SECONDS" "$rate" "$seconds" "$clients" \
  "$players_per_cell" "$load_average" >"$results"
echo "==> auth cost done in ${SECONDS}s: $results"
cat "$results"
