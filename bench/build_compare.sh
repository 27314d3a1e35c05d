#!/usr/bin/env bash
# bench/build_compare.sh REV [ROUNDS] [TAPS]: backend CPU per claim of the extension as built at git revision
# REV against the working tree's build, side by side on one throwaway cluster with the hunt of bench/setup.sql.
# Each round runs both builds in turn: the installed treasure.so is swapped between connections (a backend
# loads the library when it first claims), so both claim against the same database.  Prints each run and
# the median per build.  The working tree's build is installed again at the end.  Needs make bench-programs.
# The claims connect with the caller's PGOPTIONS: PGOPTIONS='-c treasure.direct_claims=off' compares the
# statements path.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh
rev=${1:?usage: bench/build_compare.sh REV [ROUNDS] [TAPS]} rounds=${2:-9} taps=${3:-6000}
[ -x build/bench/memory_driver ] || { echo "bench: build/bench/memory_driver is missing: run make bench-programs" >&2; exit 1; }
scratch=$(mktemp -d /tmp/treasure-build-compare.XXXXXX)
libdir=$("$PG_CONFIG" --pkglibdir)
# Renamed into place (a new inode), never copied over the installed file: a backend that still maps it (one
# of the last run, exiting, or any other cluster's on this machine) would crash when its pages changed.
put_library() { as_root cp "$1" "$libdir/treasure.so.new" && as_root mv -f "$libdir/treasure.so.new" "$libdir/treasure.so"; }
cleanup() {
  put_library "$scratch/current.so" 2>/dev/null || true
  cluster_stop
  git worktree remove --force "$scratch/tree" 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT
make -s treasure.so >/dev/null
cp treasure.so "$scratch/current.so"
git worktree add --detach "$scratch/tree" "$rev" >/dev/null 2>&1
make -s -C "$scratch/tree" treasure.so >/dev/null 2>&1
cp "$scratch/tree/treasure.so" "$scratch/rev.so"
put_library "$scratch/current.so"

cluster_start build-compare >/dev/null
psql -X -q -d postgres -c "CREATE DATABASE build_compare"
psql -X -q -v ON_ERROR_STOP=1 -d build_compare -f bench/setup.sql >/dev/null 2>&1
dsn="host=$PGHOST port=$PGPORT user=$PGUSER dbname=build_compare"
claim='SELECT status FROM claim_treasure($1::bigint, $2::bigint, $3::uuid, $4::bigint)'
first=200000  # each run: 6 players no earlier run used, each opening taps/6 chests
for round in $(seq "$rounds"); do
  for build in rev current; do
    put_library "$scratch/$build.so"
    psql -X -q -d build_compare -c CHECKPOINT
    cpu=$(build/bench/memory_driver "$dsn" "$taps" "$taps" "$first" 6 $((taps / 6)) "$claim" |
          awk 'NR == 1 { c = $5 } END { printf "%.1f", ($5 - c) * 1000 / $1 }')
    printf '%s\t%s\t%s\n' "$round" "$build" "$cpu"
    first=$((first + 6))
  done
done | tee "$scratch/runs.tsv"
echo
echo "median backend CPU per claim (µs): rev = $rev ($(git rev-parse --short "$rev")), current = the working tree"
for build in rev current; do
  printf '%s\t' "$build"
  awk -F'\t' -v b=$build '$2 == b { print $3 }' "$scratch/runs.tsv" | sort -g |
    awk '{ x[NR] = $1 } END { print NR % 2 ? x[(NR + 1) / 2] : (x[NR / 2] + x[NR / 2 + 1]) / 2 }'
done
