#!/usr/bin/env bash
# bench/pipelined_claims.sh: the moonshot of issue 17.  Claims/s through libpq's pipeline mode (treasure load
# --pipeline, lib/pipelined_claims.hpp) at 32 connections with at most 32 taps in flight on each, against bare
# single-row UPDATE transactions/s (pgbench, bench/peers/update.pgb) over the same 32 connections, both with
# durable commits (synchronous_commit = on); and, at one fixed arrival rate, the pipelined p95 beside the
# unpipelined p95 (treasure load without --pipeline: one tap at a time per connection).
#
#   bash bench/pipelined_claims.sh [ROUNDS [SECONDS]]     defaults 5 rounds, 8 s per cell
#   env: PIPELINED_OUT      raw data directory (default /tmp/treasure-pipelined-claims)
#        PIPELINED_BIN      directory holding treasure (default build/)
#        PIPELINED_RATE     the fixed rate of the latency cells (default: half the unpipelined claims/s of a
#                           calibration run before the rounds)
#        BENCH_USE_CLUSTER=1 with PGHOST/PGPORT/PGUSER: use that running cluster, else a throwaway one with
#                           bench/run.sh's settings is started and removed
#
# Every round runs the five cells once, in an order that rotates from round to round, each right after a
# CHECKPOINT (as bench/run.sh does); a ratio is taken within a round and reported as the median and range over
# the rounds.  The load generators (pgbench, treasure load) run on the same machine as the server in every cell.
# Fails only when a benchmark is broken (a program fails, a cell has no figure), never on a number.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
source bench/bench_cluster.sh
rounds=${1:-5} seconds=${2:-8}
connections=32 depth=32 players=100000 chests=1000
out=${PIPELINED_OUT:-/tmp/treasure-pipelined-claims}
bin=${PIPELINED_BIN:-build}
db=treasure_pipelined_bench
bench_name=pipelined_claims
started_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
SECONDS=0
source bench/claim_cells.sh
claim_bench_start pipelined-bench "pipelined claims"

load() { claim_cell "$@"; }
update() { update_cell; }

if [ -n "${PIPELINED_RATE:-}" ]; then
  rate=$PIPELINED_RATE
else
  echo "[${SECONDS}s] ==> calibration: unpipelined claims at $connections connections, as fast as possible"
  read -r calibration _ < <(load calibration)
  rate=$(awk -v t="$calibration" 'BEGIN { printf "%d", t / 2 }')
fi
echo "[${SECONDS}s] ==> $rounds rounds of ${seconds}s cells; latency cells at $rate taps/s"

cells=(update pipelined unpipelined pipelined_at_rate unpipelined_at_rate)
: >"$out/rounds.tsv"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for ((round = 1; round <= rounds; round++)); do
  declare -A figure=()
  for ((i = 0; i < ${#cells[@]}; i++)); do
    cell=${cells[$(((i + round - 1) % ${#cells[@]}))]}
    case $cell in
    update) figure[$cell]=$(update) ;;
    pipelined) figure[$cell]=$(load "r$round-$cell" --pipeline $depth) ;;
    unpipelined) figure[$cell]=$(load "r$round-$cell") ;;
    pipelined_at_rate) figure[$cell]=$(load "r$round-$cell" --pipeline $depth --rate "$rate") ;;
    unpipelined_at_rate) figure[$cell]=$(load "r$round-$cell" --rate "$rate") ;;
    esac
    echo "[${SECONDS}s] round $round $cell: ${figure[$cell]}"
  done
  read -r p_taps p_claimed _ <<<"${figure[pipelined]}"
  read -r u_taps u_claimed _ <<<"${figure[unpipelined]}"
  read -r _ _ pr50 pr95 pr99 pr997 <<<"${figure[pipelined_at_rate]}"
  read -r _ _ ur50 ur95 ur99 ur997 <<<"${figure[unpipelined_at_rate]}"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "${figure[update]}" "$p_taps" "$p_claimed" \
    "$u_taps" "$u_claimed" "$pr50" "$pr95" "$pr99" "$pr997" "$ur95" "$ur99" "$ur997" >>"$out/rounds.tsv"
  unset figure
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# The report: every round, then the medians and ranges of the within-round ratios.
{
  echo "started $started_at, $rounds rounds of ${seconds}s, $connections connections, pipeline depth $depth," \
    "latency cells at $rate taps/s; load average before $load_before, after $load_after; ${SECONDS}s"
  echo
  echo "| round | UPDATE TPS (pgbench) | pipelined taps/s | pipelined claims/s | unpipelined taps/s | claims/s pipelined / UPDATE | pipelined p95 at rate (ms) | unpipelined p95 at rate (ms) | p95 ratio | p99 pipelined / unpipelined | p99.7 pipelined / unpipelined |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  awk -F'\t' '{ printf "| %s | %.0f | %.0f | %.0f | %.0f | %.3f | %.2f | %.2f | %.2f | %.2f / %.2f | %.2f / %.2f |\n",
                $1, $2, $3, $4, $5, $4 / $2, $8, $11, $8 / $11, $9, $12, $10, $13 }' "$out/rounds.tsv"
  echo
  awk -F'\t' '
    function summary(name, a, n,   i, j, t, med) {
      for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
      med = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
      printf "%s: median %.3f, range %.3f-%.3f over %d rounds\n", name, med, a[1], a[n], n
    }
    { n++; claims[n] = $4 / $2; taps[n] = $3 / $2; speedup[n] = $4 / $6; p95[n] = $8 / $11 }
    END {
      summary("claims/s pipelined / bare UPDATE TPS (target >= 1.0)", claims, n)
      summary("answered taps/s pipelined / bare UPDATE TPS", taps, n)
      summary("claims/s pipelined / unpipelined", speedup, n)
      summary("p95 pipelined / unpipelined at the same rate (target <= 2.0)", p95, n)
    }' "$out/rounds.tsv"
} | tee "$out/report.md"
