#!/usr/bin/env bash
# bench/http_server/compare.sh [ROUNDS] [SECONDS]: the real treasure-gateway (cpp-httplib, a thread per keep-alive
# connection) against beast-gateway (Boost.Beast/Asio, one I/O thread and a fixed pool of DB workers) on the
# same taps, the same database and the same pool size, rounds interleaved (A B, then B A, ...).
#
# Per cell (rate x server x round): `treasure load` with CLIENTS keep-alive connections at a fixed rate (or as
# fast as they go: rate 0 = saturation) for SECONDS; tap-to-answer p50/p95/p99/p99.7 from the due time (no
# coordinated omission), achieved taps/s, errors, and from /proc the server process's utime+stime, its
# threads' context switches, and the CPU of that server's own database backends (found by application_name),
# each per tap.  Then, per rate, the beast/httplib ratio of every figure: median and min..max over the rounds.
#
# Environment: RATES (default "1500 3000 0"), CLIENTS (8), POOL (8: database connections of both servers, and
# beast-gateway's DB workers), THREADS (32: treasure-gateway's --threads, its default), SYNC (off: the
# cluster's synchronous_commit; on makes the WAL flush, not the HTTP layer, the bottleneck at ~2,900 taps/s
# here), WIDE (64: one more cell with that many connections at the first rate, to show what a thread per
# connection does past --threads, with a third server, treasure-gateway --threads 2*WIDE; 0 = skip), OUT (/tmp/treasure-http-server), BENCH_USE_CLUSTER=1 (use the
# cluster PGHOST/PGPORT/PGUSER name instead of a throwaway one; its settings are left alone).
# Needs: make -f Makefile -f bench/http_server/http_server.mk http-server-programs
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/common.sh
rounds=${1:-6}
seconds=${2:-8}
rates=${RATES:-1500 3000 0}
clients=${CLIENTS:-8}
pool=${POOL:-8}
threads=${THREADS:-32}
sync=${SYNC:-off}
wide=${WIDE:-64}
out=${OUT:-/tmp/treasure-http-server}
db=treasure_http_server
rm -rf "$out"
mkdir -p "$out"

bin=$(mktemp -d /tmp/treasure-http-server-bin.XXXXXX)
for program in build/treasure build/treasure-gateway build/bench/http_server/beast-gateway; do
  [ -x "$program" ] || { echo "compare: $program is missing: make -f Makefile -f bench/http_server/http_server.mk http-server-programs" >&2; exit 1; }
  cp "$program" "$bin/"
done
httplib_pid= beast_pid= wide_pid=
cleanup() {
  for pid in $httplib_pid $beast_pid $wide_pid; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  rm -rf "$bin"
  [ "${BENCH_USE_CLUSTER:-0}" = 1 ] || cluster_stop
}
trap cleanup EXIT
if [ "${BENCH_USE_CLUSTER:-0}" = 1 ]; then
  echo "==> on the running cluster at $PGHOST"
else
  cluster_start http-server
  # bench/run.sh's settings (no checkpoint and no autovacuum inside a measurement), plus the commit mode.
  for setting in "max_wal_size = '8GB'" "checkpoint_timeout = '30min'" "autovacuum = off" "synchronous_commit = $sync"; do
    psql -X -q -d postgres -c "ALTER SYSTEM SET ${setting%% =*} = ${setting#*= }"
  done
  psql -X -q -d postgres -c 'SELECT pg_reload_conf()' >/dev/null
fi
sql() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
sql -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
sql -d $db -f bench/setup.sql >/dev/null
# The database's C functions point at a private copy of the installed treasure.so.  Another engineer's
# `make install` overwrites that file in place, and a backend that had mapped it crashes (SIGSEGV, seen on this
# machine while this was written); with the copy the run keeps one build of the extension from start to end.
mkdir "$bin/lib"
cp "$(pg_config --pkglibdir)/treasure.so" "$bin/lib/treasure.so"
chmod 755 "$bin" "$bin/lib"
sql -d $db -c "UPDATE pg_catalog.pg_proc SET probin = '$bin/lib/treasure' WHERE probin = '\$libdir/treasure'" >/dev/null
[ "$(sql -d $db -c "SELECT count(*) FROM pg_catalog.pg_proc WHERE probin = '$bin/lib/treasure'")" -gt 0 ] ||
  { echo "compare: could not point the treasure functions at $bin/lib/treasure.so" >&2; exit 1; }
dsn="host=$PGHOST port=$PGPORT user=$PGUSER dbname=$db"

# Both servers run for the whole comparison (the idle one costs nothing); each has its own POOL backends.
"$bin/treasure-gateway" --dsn "$dsn application_name=httplib" --listen 127.0.0.1:0 --pool "$pool" \
  --threads "$threads" --saga off >"$out/httplib.out" 2>"$out/httplib.err" &
httplib_pid=$!
"$bin/beast-gateway" --dsn "$dsn application_name=beast" --listen 127.0.0.1:0 --pool "$pool" \
  >"$out/beast.out" 2>"$out/beast.err" &
beast_pid=$!
# For the wide cell only: the gateway with threads enough for every connection.
if [ "$wide" != 0 ]; then
  "$bin/treasure-gateway" --dsn "$dsn application_name=httplib_threads$((2 * wide))" --listen 127.0.0.1:0 --pool "$pool" \
    --threads $((2 * wide)) --saga off >"$out/httplib_threads$((2 * wide)).out" 2>"$out/httplib_threads$((2 * wide)).err" &
  wide_pid=$!
fi
url_of() {
  local file=$out/$1.out
  for _ in $(seq 100); do grep -q '^listening' "$file" 2>/dev/null && break; sleep 0.1; done
  local address
  address=$(sed -n 's/^listening //p' "$file")
  [ -n "$address" ] || { cat "$out/$1.err" >&2; exit 1; }
  echo "http://$address"
}
declare -A url pid
url[httplib]=$(url_of httplib) pid[httplib]=$httplib_pid
url[beast]=$(url_of beast) pid[beast]=$beast_pid
wide_server=httplib_threads$((2 * wide))
[ "$wide" = 0 ] || { url[$wide_server]=$(url_of $wide_server) pid[$wide_server]=$wide_pid; }

# CPU in clock ticks (utime + stime of every thread) and context switches of every thread, from /proc.
ticks_of() {
  [ $# -gt 0 ] || { echo 0; return; }
  cat $(for p in "$@"; do echo /proc/"$p"/stat; done) 2>/dev/null | awk '{ s += $14 + $15 } END { print s + 0 }'
}
switches_of() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ { s += $2 } END { print s + 0 }'; }
backends_of() { sql -d postgres -c "SELECT pid FROM pg_stat_activity WHERE application_name = '$1'" | tr '\n' ' '; }
# Other engineers' benchmarks share these 2 cores: wait until none runs.
wait_quiet() {
  while pgrep -f build_compare.sh >/dev/null || pgrep -f memory_driver >/dev/null; do
    echo "   (another benchmark is running; waiting)" >&2
    sleep 10
  done
}
json_number() { jq -r "$1 // 0" "$2"; }

# cell NAME SERVER ROUND RATE CONNECTIONS: one measurement, one line of $out/cells.tsv.
printf 'cell\tserver\tround\trate\tconnections\ttaps_per_s\ttaps\terrors\tp50_ms\tp95_ms\tp99_ms\tp99_7_ms\tserver_us_per_tap\tbackends_us_per_tap\tswitches_per_tap\tloadavg\tdisturbed\n' >"$out/cells.tsv"
cell() {
  local name=$1 server=$2 round=$3 rate=$4 connections=$5
  local rate_args=() backends s0 s1 b0 b1 c0 c1 load f=$out/load_${name}_${server}_$round.json
  [ "$rate" != 0 ] && rate_args=(--rate "$rate")
  wait_quiet
  load=$(cut -d' ' -f1 /proc/loadavg)
  backends=$(backends_of "$server")
  s0=$(ticks_of "${pid[$server]}") b0=$(ticks_of $backends) c0=$(switches_of "${pid[$server]}")
  "$bin/treasure" load --url "${url[$server]}" --players 100000 --chests 1000 --concurrency "$connections" \
    --duration "$seconds" "${rate_args[@]}" --json >"$f" 2>"$out/load.err" || { cat "$out/load.err" >&2; exit 1; }
  s1=$(ticks_of "${pid[$server]}") b1=$(ticks_of $backends) c1=$(switches_of "${pid[$server]}")
  # disturbed = another benchmark was found running right after the cell (it may have started during it).
  local disturbed=0
  if pgrep -f build_compare.sh >/dev/null || pgrep -f memory_driver >/dev/null; then disturbed=1; fi
  local taps errors
  taps=$(json_number .taps "$f")
  errors=$(jq -r '[.outcomes | to_entries[] | select(.key | test("^(claimed|replayed|already_claimed|key_required|chest_closed)$") | not) | .value] | add // 0' "$f")
  printf '%s\t%s\t%s\t%s\t%s\t%.0f\t%s\t%s\t%.3f\t%.3f\t%.3f\t%.3f\t%.1f\t%.1f\t%.2f\t%s\t%s\n' "$name" "$server" "$round" "$rate" \
    "$connections" "$(json_number .taps_per_second "$f")" "$taps" "$errors" "$(json_number .latency_ms.p50 "$f")" \
    "$(json_number .latency_ms.p95 "$f")" "$(json_number .latency_ms.p99 "$f")" "$(json_number .latency_ms.p99_7 "$f")" \
    "$(awk -v d=$((s1 - s0)) -v n="$taps" 'BEGIN { print n ? d * 10000 / n : 0 }')" \
    "$(awk -v d=$((b1 - b0)) -v n="$taps" 'BEGIN { print n ? d * 10000 / n : 0 }')" \
    "$(awk -v d=$((c1 - c0)) -v n="$taps" 'BEGIN { print n ? d / n : 0 }')" "$load" "$disturbed" >>"$out/cells.tsv"
  tail -1 "$out/cells.tsv" | sed 's/^/   /'
  # A broken benchmark fails the run; errors are only expected where connections exceed a server's threads.
  if [ "$connections" = "$clients" ] && [ "$errors" -gt $((taps / 100)) ]; then
    echo "compare: $server answered $errors of $taps taps with an error: $(jq -r .first_error "$f")" >&2
    exit 1
  fi
}
[ "$(getconf CLK_TCK)" = 100 ] || { echo "compare: assumes 100 clock ticks per second" >&2; exit 1; }

echo "==> warm-up (not recorded)"
for server in httplib beast; do
  "$bin/treasure" load --url "${url[$server]}" --players 100000 --chests 1000 --concurrency "$clients" --duration 2 >/dev/null 2>&1
done
echo "==> $rounds rounds x rates ($rates) x {httplib, beast}, $clients connections, ${seconds}s per cell, pool $pool, synchronous_commit=$sync"
first_rate=${rates%% *}
for round in $(seq 1 "$rounds"); do
  order="httplib beast"
  [ $((round % 2)) = 0 ] && order="beast httplib"
  for rate in $rates; do
    name=rate_$rate
    [ "$rate" = 0 ] && name=saturation
    for server in $order; do cell "$name" "$server" "$round" "$rate" "$clients"; done
  done
  if [ "$wide" != 0 ]; then
    wide_order="$order $wide_server"
    [ $((round % 2)) = 0 ] && wide_order="$wide_server $order"
    for server in $wide_order; do cell "wide${wide}_rate_$first_rate" "$server" "$round" "$first_rate" "$wide"; done
  fi
done

python3 - "$out/cells.tsv" >"$out/summary.md" <<'PY'
import csv, statistics, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
cells = list(dict.fromkeys(r["cell"] for r in rows))
figures = ["taps_per_s", "p50_ms", "p95_ms", "p99_ms", "p99_7_ms", "server_us_per_tap", "backends_us_per_tap",
           "server_per_backends", "switches_per_tap", "errors"]
def value(r, f):
    if f == "server_per_backends":
        b = float(r["backends_us_per_tap"])
        return float(r["server_us_per_tap"]) / b if b else float("nan")
    return float(r[f])
def spread(xs):
    xs = sorted(xs)
    return f"{statistics.median(xs):.3g} ({xs[0]:.3g}..{xs[-1]:.3g})"
print("Medians over the rounds, (min..max) beside; a ratio is beast's figure over the other server's, of the same round.\n")
for c in cells:
    by = {(r["server"], r["round"]): r for r in rows if r["cell"] == c}
    rounds = sorted({k[1] for k in by}, key=int)
    first = next(iter(by.values()))
    print(f"### {c}: {first['connections']} connections, rate {first['rate']} (0 = as fast as they go), {len(rounds)} rounds\n")
    servers = list(dict.fromkeys(r["server"] for r in rows if r["cell"] == c))
    others = [x for x in servers if x != "beast"]
    names = {"httplib": "httplib (treasure-gateway)", "beast": "beast-gateway"}
    print("| figure | " + " | ".join(names.get(x, x) for x in others + ["beast"]) + " | " +
          " | ".join(f"ratio beast/{x}" for x in others) + " |")
    print("|---" * (1 + 2 * len(others) + 1) + "|")
    for f in figures:
        columns = [spread([value(by[(x, k)], f) for k in rounds if (x, k) in by]) for x in others + ["beast"]]
        for x in others:
            ratios = [value(by[("beast", k)], f) / value(by[(x, k)], f) for k in rounds
                      if (x, k) in by and ("beast", k) in by and value(by[(x, k)], f)]
            columns.append(spread(ratios) if ratios else "-")
        print(f"| {f} | " + " | ".join(columns) + " |")
    loads = [float(r["loadavg"]) for r in by.values()]
    disturbed = sum(int(r.get("disturbed", 0)) for r in by.values())
    print(f"\nload average (1 min) before the cells: {min(loads):.2f}..{max(loads):.2f}; "
          f"cells with another benchmark running right after them: {disturbed} of {len(by)}\n")
PY
cat "$out/summary.md"
echo "==> raw cells: $out/cells.tsv, summary: $out/summary.md"
