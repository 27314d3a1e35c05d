#!/usr/bin/env bash
# bench/sharded_gateway.sh: tap-to-200 latency through the sharded gateway (4 shards, each claim straight to its
# owning shard) against the unsharded gateway (one database) and against the gateway going through the PL/Proxy
# router (issue 17, "Beyond one machine without a second hop"), at the same fixed rate, side by side in one run.
#
#   bash bench/sharded_gateway.sh [ROUNDS [SECONDS [RATE]]]     defaults 12 rounds, 3 s per cell, 150 taps/s
#   env: SHARD_BENCH_OUT       raw data directory (default /tmp/treasure-shard-bench)
#        SHARD_BENCH_BIN       directory holding treasure and treasure-gateway (default build/)
#        BENCH_USE_CLUSTER=1   with PGHOST/PGPORT/PGUSER: use that running cluster, else a throwaway one with
#                              bench/run.sh's settings (autovacuum off) is started and removed
#
# All three gateways run at once (--saga off, auth none), each with 8 database connections in all (the sharded one
# --pool 2 on each of its 4 shards), all databases on this one cluster: the sharding saves the router's second hop
# (a second backend per claim), not a machine.  Each round runs every configuration once, in an order that rotates
# from round to round; a ratio is taken within a round and reported as the median and the range over the rounds.
# Each cell taps 100 players of its own (treasure load --first-player), none of them tapped before, 8 clients.
# (A random chest per tap: a few taps meet a chest their player already claimed, 409 already_claimed, like
# bench/run.sh's cells.)  Fails only when a benchmark is broken (a program fails, a cell has no figure, a tap gets
# no claim status, a claim on a shard that does not own its player), never on a number.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
source bench/bench_cluster.sh
rounds=${1:-12} seconds=${2:-3} rate=${3:-150}
players_per_cell=100 clients=8 shards=4
out=${SHARD_BENCH_OUT:-/tmp/treasure-shard-bench}
bin=${SHARD_BENCH_BIN:-build}
db=treasure_shard_bench_one
for program in treasure treasure-gateway; do
  [ -x "$bin/$program" ] || { echo "sharded_gateway: $bin/$program is missing: run make client" >&2; exit 1; }
done
rm -rf "$out"
mkdir -p "$out"
started_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
SECONDS=0

configs=(sharded unsharded router)
declare -A gateway_pid
cleanup() {
  for config in "${!gateway_pid[@]}"; do
    kill "${gateway_pid[$config]}" 2>/dev/null && wait "${gateway_pid[$config]}" 2>/dev/null || true
  done
  if [ "${BENCH_USE_CLUSTER:-0}" = 1 ]; then
    bash scripts/shards.sh drop $shards >/dev/null 2>&1 || true
    psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true
  else
    cluster_stop
  fi
}
trap cleanup EXIT
bench_cluster_start shard-bench "sharded gateway bench"
sql() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
sql -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
bash scripts/shards.sh drop $shards >/dev/null 2>&1 || true
bash scripts/shards.sh create $shards >/dev/null
# The same 1,000 coin chests everywhere (the router's put_chest writes them on every shard).
chests="SELECT count(treasure.put_chest(c, 10 + c % 90)) FROM generate_series(1, 1000) AS c"
sql -d $db -c 'CREATE EXTENSION treasure' -c "$chests" >/dev/null
sql -d treasure_router -c "$chests" >/dev/null

conninfo="host=$PGHOST port=$PGPORT user=$PGUSER"
gateway_flags() {  # gateway_flags CONFIG: its flags in the array flags
  case $1 in
  sharded) flags=(--shard-map-from "$conninfo dbname=treasure_router" --pool 2) ;;
  unsharded) flags=(--dsn "$conninfo dbname=$db" --pool 8) ;;
  router) flags=(--dsn "$conninfo dbname=treasure_router" --pool 8) ;;
  esac
}
declare -A url
for config in "${configs[@]}"; do
  gateway_flags "$config"
  "$bin/treasure-gateway" --listen 127.0.0.1:0 --saga off "${flags[@]}" \
    >"$out/gateway_$config.out" 2>"$out/gateway_$config.err" &
  gateway_pid[$config]=$!
done
for config in "${configs[@]}"; do
  for _ in $(seq 100); do grep -q '^listening' "$out/gateway_$config.out" 2>/dev/null && break; sleep 0.1; done
  url[$config]="http://$(sed -n 's/^listening //p' "$out/gateway_$config.out")"
  [ "${url[$config]}" != "http://" ] || { cat "$out/gateway_$config.err"; exit 1; }
done

next_player=1
# cell CONFIG ROUND: one measured run of treasure load at $rate against CONFIG's gateway.
cell() {
  local config=$1 round=$2
  "$bin/treasure" load --url "${url[$config]}" --first-player $next_player --players $players_per_cell \
    --chests 1000 --concurrency $clients --duration "$seconds" --rate "$rate" --json \
    >"$out/load_${config}_$round.json" 2>"$out/load_${config}_$round.err" || { cat "$out/load_${config}_$round.err"; return 1; }
  next_player=$((next_player + players_per_cell))
}
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
    printf '   round %s %-10s' "$round" "$config"
    python3 -c 'import json, sys; r = json.load(open(sys.argv[1])); l = r["latency_ms"]
print(" %6.0f taps/s  p95 %.2f  p99 %.2f  p99.7 %.2f ms  %s" % (r["taps_per_second"], l["p95"], l["p99"], l["p99_7"], r["outcomes"]))' \
      "$out/load_${config}_$round.json"
  done
done
for config in "${configs[@]}"; do
  kill -0 "${gateway_pid[$config]}" 2>/dev/null || { cat "$out/gateway_$config.err"; echo "sharded_gateway: the $config gateway died" >&2; exit 1; }
done
# Every claim of the sharded cells is on the shard the router names.
misplaced=0
for ((k = 0; k < shards; k++)); do
  misplaced=$((misplaced + $(sql -d treasure_shard_$k -c "SELECT count(*) FROM treasure.claims
                                                            WHERE hashint8(player_id) & $((shards - 1)) <> $k")))
done
[ "$misplaced" = 0 ] || { echo "sharded_gateway: $misplaced claims on a shard that does not own their player" >&2; exit 1; }

load_average=$(cut -d' ' -f1-3 /proc/loadavg)
python3 - "$out" "$rounds" "${configs[*]}" <<'PY' | tee "$out/report.md"
import json, statistics, sys
out, rounds, configs = sys.argv[1], int(sys.argv[2]), sys.argv[3].split()
cells = {(c, r): json.load(open(f"{out}/load_{c}_{r}.json")) for c in configs for r in range(1, rounds + 1)}
for cell, report in cells.items():
    bad = {k: v for k, v in report["outcomes"].items() if k not in ("claimed", "already_claimed")}
    if bad or report["latency_ms"]["count"] == 0:
        sys.exit(f"sharded_gateway: cell {cell} has taps without a claim status: {bad}")
quantiles = [("p95", "p95"), ("p99", "p99"), ("p99.7", "p99_7")]
def spread(values):
    return f"{statistics.median(values):.2f} ({min(values):.2f}–{max(values):.2f})"
print("| gateway | taps/s | " + " | ".join(f"{name} ms" for name, _ in quantiles) + " |")
print("|---|---|" + "---|" * len(quantiles))
for c in configs:
    rates = [cells[c, r]["taps_per_second"] for r in range(1, rounds + 1)]
    print(f"| {c} | {statistics.median(rates):.0f} | " + " | ".join(
        spread([cells[c, r]["latency_ms"][key] for r in range(1, rounds + 1)]) for _, key in quantiles) + " |")
print()
print("| ratio, within each round (median and range) | " + " | ".join(name for name, _ in quantiles) + " |")
print("|---|" + "---|" * len(quantiles))
for a, b in (("sharded", "unsharded"), ("sharded", "router"), ("router", "unsharded")):
    print(f"| {a} / {b} | " + " | ".join(
        spread([cells[a, r]["latency_ms"][key] / cells[b, r]["latency_ms"][key] for r in range(1, rounds + 1)])
        for _, key in quantiles) + " |")
PY
echo
echo "command: bash bench/sharded_gateway.sh $rounds $seconds $rate; started $started_at; ${SECONDS}s;" \
  "load average at the end $load_average; $(nproc) cores" | tee -a "$out/report.md"
