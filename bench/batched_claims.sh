#!/usr/bin/env bash
# bench/batched_claims.sh: the moonshot of issue 17 through the batched entry point.  Claims/s through
# treasure.claim_treasure_batch() (treasure load --batch, lib/batched_claims.hpp: up to 32 taps in one
# transaction, one commit) at 32 connections, against bare single-row UPDATE transactions/s (pgbench,
# bench/peers/update.pgb) over the same 32 connections, all with durable commits (synchronous_commit = on); and,
# at one fixed arrival rate, the batched p95/p99/p99.7 per tap beside the unbatched ones (treasure load without
# --batch: one claim_treasure() per tap).
#
#   bash bench/batched_claims.sh [ROUNDS [SECONDS]]     defaults 5 rounds, 8 s per cell
#   env: BATCHED_OUT       raw data directory (default /tmp/treasure-batched-claims)
#        BATCHED_BIN       directory holding treasure (default build/)
#        BATCHED_RATE      the fixed rate of the latency cells (default: half the unbatched claims/s of a
#                          calibration run before the rounds)
#        BENCH_USE_CLUSTER=1 with PGHOST/PGPORT/PGUSER: use that running cluster, else a throwaway one with
#                          bench/run.sh's settings is started and removed
#
# Every round runs the six cells once, in an order that rotates from round to round, each right after a
# CHECKPOINT; a ratio is taken within a round and reported as the median and range over the rounds.  At a fixed
# rate a connection sends every tap due by the time it is free (at most 32) as one batch, and each tap's
# latency runs from when it was due, so the wait for the batch before it counts.  The load generators run on
# the same machine as the server.  Fails only when a benchmark is broken, never on a number.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
source bench/bench_cluster.sh
rounds=${1:-5} seconds=${2:-8}
connections=32 players=100000 chests=1000
out=${BATCHED_OUT:-/tmp/treasure-batched-claims}
bin=${BATCHED_BIN:-build}
db=treasure_batched_bench
bench_name=batched_claims
started_at=$(date -u +%Y-%m-%dT%H:%M:%SZ)
SECONDS=0
source bench/claim_cells.sh
claim_bench_start batched-bench "batched claims"

if [ -n "${BATCHED_RATE:-}" ]; then
  rate=$BATCHED_RATE
else
  echo "[${SECONDS}s] ==> calibration: unbatched claims at $connections connections, as fast as possible"
  read -r calibration _ < <(claim_cell calibration)
  rate=$(awk -v t="$calibration" 'BEGIN { printf "%d", t / 2 }')
fi
echo "[${SECONDS}s] ==> $rounds rounds of ${seconds}s cells; latency cells at $rate taps/s"

cells=(update batch32 batch8 unbatched batch32_at_rate unbatched_at_rate)
: >"$out/rounds.tsv"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for ((round = 1; round <= rounds; round++)); do
  declare -A figure=()
  for ((i = 0; i < ${#cells[@]}; i++)); do
    cell=${cells[$(((i + round - 1) % ${#cells[@]}))]}
    case $cell in
    update) figure[$cell]=$(update_cell) ;;
    batch32) figure[$cell]=$(claim_cell "r$round-$cell" --batch 32) ;;
    batch8) figure[$cell]=$(claim_cell "r$round-$cell" --batch 8) ;;
    unbatched) figure[$cell]=$(claim_cell "r$round-$cell") ;;
    batch32_at_rate) figure[$cell]=$(claim_cell "r$round-$cell" --batch 32 --rate "$rate") ;;
    unbatched_at_rate) figure[$cell]=$(claim_cell "r$round-$cell" --rate "$rate") ;;
    esac
    echo "[${SECONDS}s] round $round $cell: ${figure[$cell]}"
  done
  read -r b32_taps b32_claimed _ <<<"${figure[batch32]}"
  read -r _ b8_claimed _ <<<"${figure[batch8]}"
  read -r _ u_claimed _ <<<"${figure[unbatched]}"
  read -r _ _ br50 br95 br99 br997 <<<"${figure[batch32_at_rate]}"
  read -r _ _ ur50 ur95 ur99 ur997 <<<"${figure[unbatched_at_rate]}"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "${figure[update]}" "$b32_taps" \
    "$b32_claimed" "$b8_claimed" "$u_claimed" "$br50" "$br95" "$br99" "$br997" "$ur50" "$ur95" "$ur99" "$ur997" \
    >>"$out/rounds.tsv"
  unset figure
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# The report: every round, then the medians and ranges of the within-round ratios.
{
  echo "started $started_at, $rounds rounds of ${seconds}s, $connections connections, batches of 32 and 8," \
    "latency cells at $rate taps/s; load average before $load_before, after $load_after; ${SECONDS}s"
  echo
  echo "| round | UPDATE TPS (pgbench) | batch 32 taps/s | batch 32 claims/s | batch 8 claims/s | unbatched claims/s | batch 32 claims/s / UPDATE | batch 8 / UPDATE | p50/p95/p99/p99.7 at rate, batch 32 (ms) | the same unbatched (ms) | p95 ratio |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  awk -F'\t' '{ printf "| %s | %.0f | %.0f | %.0f | %.0f | %.0f | %.3f | %.3f | %.2f / %.2f / %.2f / %.2f | %.2f / %.2f / %.2f / %.2f | %.2f |\n",
                $1, $2, $3, $4, $5, $6, $4 / $2, $5 / $2, $7, $8, $9, $10, $11, $12, $13, $14, $8 / $12 }' "$out/rounds.tsv"
  echo
  awk -F'\t' '{ print $4 / $2 }' "$out/rounds.tsv" | ratio_summary "claims/s batch 32 / bare UPDATE TPS (target >= 1.0)"
  awk -F'\t' '{ print $5 / $2 }' "$out/rounds.tsv" | ratio_summary "claims/s batch 8 / bare UPDATE TPS"
  awk -F'\t' '{ print $4 / $6 }' "$out/rounds.tsv" | ratio_summary "claims/s batch 32 / unbatched"
  awk -F'\t' '{ print $8 / $12 }' "$out/rounds.tsv" | ratio_summary "p95 batch 32 / unbatched at the same rate (target <= 2.0)"
  awk -F'\t' '{ print $9 / $13 }' "$out/rounds.tsv" | ratio_summary "p99 batch 32 / unbatched at the same rate"
  awk -F'\t' '{ print $10 / $14 }' "$out/rounds.tsv" | ratio_summary "p99.7 batch 32 / unbatched at the same rate"
} | tee "$out/report.md"
