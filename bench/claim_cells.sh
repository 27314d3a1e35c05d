# Sourced by bench/pipelined_claims.sh and bench/batched_claims.sh after bench_cluster.sh: their set-up and their
# two kinds of cell, each right after a CHECKPOINT.  They read the caller's $out, $bin, $db, $players, $chests,
# $connections, $seconds and $bench_name (the prefix of their messages).
#   claim_bench_start CLUSTER WHAT          a fresh $out holding a copy of $bin/treasure, the cluster
#                                            (bench_cluster_start, stopped on exit), database $db with
#                                            bench/setup.sql, and $dsn to it with durable commits
#   claim_cell NAME [treasure load flags]   treasure load over $connections connections for $seconds s; prints
#                                            "taps/s claimed/s p50 p95 p99 p99.7" (claimed counts replays too)
#   update_cell                              pgbench's bare single-row UPDATE (bench/peers/update.pgb) over the
#                                            same connections, durable; prints its TPS
sql() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }
claim_bench_start() {
  [ -x "$bin/treasure" ] || { echo "$bench_name: $bin/treasure is missing: run make client" >&2; exit 1; }
  rm -rf "$out"
  mkdir -p "$out"
  cp "$bin/treasure" "$out/treasure"  # build/ may be rebuilt while the run is under way
  trap bench_cluster_stop EXIT
  bench_cluster_start "$1" "$2"
  sql -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  sql -d "$db" -f bench/setup.sql >/dev/null
  dsn="host=$PGHOST port=$PGPORT user=$PGUSER dbname=$db options='-c synchronous_commit=on'"
  [ "$(sql -d "$db" -c 'SHOW fsync')" = on ] || echo "$bench_name: fsync is off on this cluster" >&2
}
claim_cell() {
  local name=$1
  shift
  sql -d "$db" -c CHECKPOINT
  "$out/treasure" load --dsn "$dsn" --players "$players" --chests "$chests" --concurrency "$connections" \
    --duration "$seconds" --json "$@" >"$out/$name.json" 2>"$out/$name.err" || {
    local status=$?
    tail -3 "$out/$name.err" >&2
    echo "$bench_name: treasure load $* exited with status $status (above 128: killed by signal $((status - 128)))" >&2
    return 1
  }
  jq -e -r '[.taps_per_second, ((.outcomes.claimed // 0) + (.outcomes.replayed // 0)) / .elapsed_seconds,
             .latency_ms.p50, .latency_ms.p95, .latency_ms.p99, .latency_ms.p99_7] |
            if .[0] > 0 then map(tostring) | join(" ") else error("no taps") end' "$out/$name.json" || {
    echo "$bench_name: $name has no figure" >&2
    return 1
  }
}
update_cell() {
  local output tps
  sql -d "$db" -c CHECKPOINT
  output=$(PGOPTIONS="-c synchronous_commit=on" pgbench -n -M prepared -c "$connections" -j 2 -T "$seconds" \
    -D p0=0 -D np="$players" -f bench/peers/update.pgb "$db" 2>&1) || {
    echo "$output" >&2
    return 1
  }
  tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$output")
  [ -n "$tps" ] && ! grep -q aborted <<<"$output" || {
    echo "$output" >&2
    return 1
  }
  echo "$tps"
}
# ratio_summary NAME < values: "NAME: median M, range LO-HI over N rounds" of one value per line.
ratio_summary() {
  sort -g | awk -v name="$1" '{ a[++n] = $1 }
    END { med = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
          printf "%s: median %.3f, range %.3f-%.3f over %d rounds\n", name, med, a[1], a[n], n }'
}
