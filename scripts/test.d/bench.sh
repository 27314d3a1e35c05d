# The benchmarks must not rot: build them and run `bench-quick` once against the test cluster (PGHOST/PGPORT/
# PGUSER from scripts/test.sh).  Fails only when a benchmark is broken, never on a number.  Its report
# (/tmp/treasure-bench-quick) is removed afterwards, pass or fail.
set -euo pipefail
cd "$(dirname "$0")/../.."
trap 'rm -rf /tmp/treasure-bench-quick' EXIT
make -s bench-programs >/dev/null
BENCH_USE_CLUSTER=1 BENCH_MEMORY_CLAIMS=10000 bash bench/run.sh quick
