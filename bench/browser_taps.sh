#!/usr/bin/env bash
# bench/browser_taps.sh: the tap as the player sees it next to the tap as the gateway sees it.  One headless Chromium
# page (tests/browser's puppeteer-core) taps BROWSER_TAPS chests (default 200) through treasure-gateway on loopback;
# prints the browser's tap-to-painted-confirmation p50/p95, the same taps in the gateway's treasure_latency_seconds
# (reported by the page) and the gateway's own treasure_claim_duration_seconds for them.  On a throwaway cluster of
# its own unless BENCH_USE_CLUSTER=1 (then PGHOST/PGPORT/PGUSER).  Writes $BENCH_BROWSER_OUT (default
# /tmp/treasure-bench-browser)/browser_taps.json.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
out=${BENCH_BROWSER_OUT:-/tmp/treasure-bench-browser}
taps=${BROWSER_TAPS:-200}
mkdir -p "$out"
gateway_pid=
finish() {
  [ -n "$gateway_pid" ] && kill -TERM "$gateway_pid" 2>/dev/null && wait "$gateway_pid" 2>/dev/null
  [ "${BENCH_USE_CLUSTER:-0}" = 1 ] || cluster_stop
}
trap finish EXIT
[ "${BENCH_USE_CLUSTER:-0}" = 1 ] || cluster_start bench-browser >/dev/null
(cd tests/browser && PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >/dev/null)
db=treasure_bench_browser
psql -X -q -d postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
psql -X -q -v ON_ERROR_STOP=1 -d $db -c 'CREATE EXTENSION treasure' \
  -c "SELECT treasure.put_chest(c, 10) FROM generate_series(1, $((taps + 1))) c" >/dev/null
build/treasure-gateway --dsn "host=$PGHOST port=$PGPORT user=$PGUSER dbname=$db" --listen 127.0.0.1:0 \
  --web-root src/web --pool 4 >"$out/gateway.out" 2>"$out/gateway.err" &
gateway_pid=$!
for _ in $(seq 1 100); do grep -q '^listening ' "$out/gateway.out" && break; sleep 0.1; done
address=$(sed -n 's/^listening //p' "$out/gateway.out")
[ -n "$address" ] || { cat "$out/gateway.err"; exit 1; }
echo "==> bench: $taps browser taps through treasure-gateway on $address (headless $(chromium --version 2>/dev/null))"
GATEWAY_URL="http://$address" METRICS_URL="http://$address/metrics" CHROMIUM=$(command -v chromium) TAPS=$taps \
  node bench/browser_taps.mjs | tee "$out/browser_taps.json"
