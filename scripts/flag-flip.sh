#!/usr/bin/env bash
# The fast rollback, measured: flip atomic_claims in the flags file while treasure-gateway is under load and
# report how long the running gateway (no restart) takes to move traffic to the other path, and back.
#
#   scripts/flag-flip.sh [SECONDS_BEFORE_EACH_FLIP]      (default 3)
#
# Load: `treasure load` (8 clients, as fast as they go) plus 4 probe loops that send one claim at a time and
# log when each request started and ended (bash's $EPOCHREALTIME, microseconds) and its "path" (atomic, saga,
# or the error kind: no_path when no saga path is configured).  The flags file is rewritten atomically
# (write tmp && mv) at T.  Reported per flip:
#   last_old_start_ms   the last request started after T that the old path still answered: every request
#                       started later took the new path (the flip is complete; 0 when none)
#   first_new_start_ms  the first request started after T that the new path answered
#   first_new_end_ms    the first answer from the new path
# The gateway re-reads the file at most every 200 ms, so both should stay under ~200 ms plus a request.
# Uses the running cluster named by PGHOST (else starts a throwaway one), binaries from $TREASURE_BUILD_DIR
# (default build/), and treasure-saga when it was built, so flag-off claims take the saga path.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

wait_s=${1:-3}
build=${TREASURE_BUILD_DIR:-build}
for program in treasure treasure-gateway; do
  [ -x "$build/$program" ] || { echo "flag-flip: $build/$program missing (make client)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/treasure-flagflip.XXXXXX)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "${KEEP:-}" ] && echo "flag-flip: logs kept in $work" >&2 || rm -rf "$work"
  cluster_stop
}
trap cleanup EXIT
if [ -z "${PGHOST:-}" ] || ! "$PG_BIN/pg_isready" -q -h "$PGHOST" -p "${PGPORT:-5432}"; then
  cluster_start flagflip >/dev/null
else
  CLUSTER_DIR=  # not ours: cluster_stop leaves it alone
fi

db=treasure_flagflip
dsn="host=$PGHOST port=${PGPORT:-5432} user=${PGUSER:-postgres} dbname=$db"
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
psql -X -q -d $db -c "CREATE EXTENSION treasure"
"$build/treasure" chests --dsn "$dsn" --count 20 --coins 10 >/dev/null

flags=$work/flags.json
set_rule() {  # atomic rewrite, as the README asks
  printf '{"flags": {"atomic_claims": {"rule": "%s"}}}\n' "$1" >"$flags.tmp"
  mv "$flags.tmp" "$flags"
}
set_rule on

saga=none
if [ -x "$build/treasure-saga" ] &&
  [ "$(psql -X -At -d $db -c "SELECT count(*) FROM pg_proc WHERE proname = 'saga_claim'")" != 0 ]; then
  "$build/treasure-saga" --dsn "$dsn" --threads 2 >"$work/saga.log" 2>&1 &
  pids+=($!)
  saga=treasure-saga
fi

"$build/treasure-gateway" --dsn "$dsn" --listen 127.0.0.1:0 --flags "$flags" --pool 8 \
  >"$work/gateway.out" 2>"$work/gateway.err" &
pids+=($!)
for _ in $(seq 1 100); do grep -q '^listening' "$work/gateway.out" && break; sleep 0.05; done
address=$(sed -n 's/^listening //p' "$work/gateway.out")
[ -n "$address" ] || { cat "$work/gateway.err"; exit 1; }

duration=$((3 * wait_s + 2))
"$build/treasure" load --url "http://$address" --players 100000 --chests 20 --concurrency 8 \
  --duration "$duration" --json >"$work/load.json" 2>/dev/null &
load_pid=$!

probe() {  # probe ID: one claim at a time, "start_us end_us path" per answer
  local id=$1 n=0 start body path
  while [ ! -e "$work/stop" ]; do
    n=$((n + 1))
    start=${EPOCHREALTIME/./}
    body=$(curl -s -m 10 -H 'Content-Type: application/json' -X POST "http://$address/v1/claims" \
      -d "{\"player_id\": $((500000 + id * 100000 + n)), \"chest_id\": 1, \"request_id\": \"$(</proc/sys/kernel/random/uuid)\"}" || true)
    path=${body#*\"path\":\"}
    if [ "$path" != "$body" ]; then path=${path%%\"*}; else
      path=${body#*\"error\":\"}
      [ "$path" != "$body" ] && path=${path%%\"*} || path=none
    fi
    echo "$start ${EPOCHREALTIME/./} $path" >>"$work/probe.$id"
  done
}
for id in 1 2 3 4; do probe $id & pids+=($!); done

sleep "$wait_s"
t_off=${EPOCHREALTIME/./}
set_rule off
sleep "$wait_s"
t_on=${EPOCHREALTIME/./}
set_rule on
sleep "$wait_s"
touch "$work/stop"
wait "$load_pid" || true
sleep 0.5

# report FROM_US TO_US OLD: how long after FROM the old answers stopped and the new ones began.  Only requests
# answered before TO (the next flip) count: a request is routed some time after it starts (curl's start-up,
# the gateway's queue), so one that started just before TO may already see the next flip.
report() {
  cat "$work"/probe.* | awk -v t="$1" -v until="$2" -v old="$3" '
    $1 >= t && $2 < until && $3 == old && $1 > last_old { last_old = $1 }
    $1 >= t && $2 < until && $3 != old && (first_start == "" || $1 < first_start) { first_start = $1 }
    $2 >= t && $2 < until && $3 != old && (first_new == "" || $2 < first_new) { first_new = $2; new_path = $3 }
    $1 >= t && $2 < until { n++ }
    END {
      printf "{\"last_old_start_ms\": %.1f, \"first_new_start_ms\": %.1f, \"first_new_end_ms\": %.1f, \"new_path\": \"%s\", \"probes\": %d}",
             (last_old == "" ? 0 : (last_old - t) / 1000), (first_start - t) / 1000, (first_new - t) / 1000, new_path, n
    }'
}
off=$(report "$t_off" "$t_on" atomic)
on_path=$(awk -v t="$t_off" -v u="$t_on" '$1 > t + 1000000 && $1 < u { print $3; exit }' "$work"/probe.*)
on=$(report "$t_on" 99999999999999999 "${on_path:-saga}")
answers=$(cat "$work"/probe.* | awk '{ c[$3]++ } END { s = ""; for (p in c) s = s sprintf("%s\"%s\": %d", (s == "" ? "" : ", "), p, c[p]); print "{" s "}" }')
load_paths=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(json.dumps({"taps": r["taps"], "outcomes": r["outcomes"], "paths": r["paths"]}))' "$work/load.json" 2>/dev/null || true)
restarts=$(grep -c 'listening on' "$work/gateway.err" || true)
printf '{"saga": "%s", "flip_to_off": %s, "flip_to_on": %s, "probe_answers": %s, "load": %s, "gateway_starts": %s}\n' \
  "$saga" "$off" "$on" "$answers" "${load_paths:-null}" "$restarts"
# Exit 1 when a flip took a second or more (the promise: under a second, without a restart).
python3 - "$off" "$on" "$restarts" <<'PY'
import json, sys
off, on, starts = json.loads(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3])
worst = max(off["last_old_start_ms"], off["first_new_start_ms"], on["last_old_start_ms"], on["first_new_start_ms"])
sys.exit(0 if worst < 1000 and starts == 1 else 1)
PY
