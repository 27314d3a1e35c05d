# Sourced by bench/pipelined_claims.sh and bench/batched_claims.sh after bench_cluster.sh: their two kinds of cell,
# each right after a CHECKPOINT.  They read the caller's $out, $db, $dsn, $players, $chests, $connections,
# $seconds and $bench_name (the prefix of their messages), and sql() (psql -At as the caller defines it).
#   claim_cell NAME [treasure load flags]   treasure load over $connections connections for $seconds s; prints
#                                            "taps/s claimed/s p50 p95 p99 p99.7" (claimed counts replays too)
#   update_cell                              pgbench's bare single-row UPDATE (bench/peers/update.pgb) over the
#                                            same connections, durable; prints its TPS
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
