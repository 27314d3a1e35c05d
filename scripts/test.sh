#!/usr/bin/env bash
# `make test`: install what is missing, build, start a throwaway cluster, run every suite, clean up.
# Exits non-zero when any suite fails; clusters and scratch directories are removed whatever happens.
#
# Every suite is one line of the list at the bottom: its name and the runner it calls.  The SQL suites
# (regress, isolation, pgTAP) run three times: the default build (direct path), the same build with every
# claim through the statements (treasure.direct_claims = off), and the statements-only build that PostgreSQL
# majors other than the verified ones get (make TREASURE_DIRECT=0).
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

install_packages || exit 1
build_and_install || exit 1
echo "==> building the test programs and benchmarks"
make -s -j2 client-tests saga saga-tests fault-tests fault-programs bench-programs >/dev/null || exit 1

scratch=$(mktemp -d /tmp/treasure-test.XXXXXX)
cleanup() {
  cluster_stop
  rm -rf "$scratch"
}
trap cleanup EXIT
cluster_start test || exit 1

passed=0
failed=0
failed_names=()
run_suite() {
  local name=$1
  shift
  echo
  echo "==> suite: $name"
  if "$@"; then
    passed=$((passed + 1))
    echo "==> suite $name: passed"
  else
    failed=$((failed + 1))
    failed_names+=("$name")
    echo "==> suite $name: FAILED"
  fi
}

show_diffs() {
  local file
  for file in tests/regress/output/regression.diffs tests/isolation/output/regression.diffs; do
    [ -s "$file" ] && { echo "---- $file"; head -200 "$file"; }
  done
  return 1
}

regress_suite() { make -s installcheck ISOLATION= || show_diffs; }
isolation_suite() { make -s installcheck REGRESS= || show_diffs; }
pgtap_suite() {
  psql -X -q -v ON_ERROR_STOP=1 -d postgres -c 'DROP DATABASE IF EXISTS treasure_pgtap' \
    -c 'CREATE DATABASE treasure_pgtap' &&
    psql -X -q -v ON_ERROR_STOP=1 -d treasure_pgtap -c 'CREATE EXTENSION pgtap' -c 'CREATE EXTENSION treasure' &&
    pg_prove --dbname treasure_pgtap --ext .sql tests/pgtap/
}
sql_suites() { regress_suite && isolation_suite && pgtap_suite; }

# The same suites with every claim through the statements.
statements_suite() { (export PGOPTIONS="${PGOPTIONS:-} -c treasure.direct_claims=off" && sql_suites); }

# The statements-only build, made in a copy of the tree so its objects never mix with the default build's,
# installed for these suites only; the default build is installed again afterwards, pass or fail.
install_library() {  # install_library FILE
  as_root scripts/install-library.sh "$1" "$("$PG_CONFIG" --pkglibdir)/treasure.so"
}
statements_only_suite() {
  local tree=$scratch/statements-only status
  mkdir -p "$tree" &&
    cp -r Makefile treasure.control treasure_router.control sql extension src tests bench "$tree" &&
    rm -f "$tree"/extension/*.o "$tree"/extension/*.d "$tree"/*.so &&
    make -s -C "$tree" TREASURE_DIRECT=0 TREASURE_WERROR=1 treasure.so >/dev/null &&
    install_library "$tree/treasure.so" || return 1
  if [ "$(psql -X -q -At -d postgres -c "LOAD 'treasure'" -c 'SHOW treasure.direct_path_built')" != off ]; then
    echo "the installed library is not the statements-only build"
    install_library treasure.so
    return 1
  fi
  sql_suites
  status=$?
  install_library treasure.so || return 1
  return $status
}

# The benchmarks must not rot: bench-quick once against this cluster, asserting no time.
bench_quick_suite() {
  (trap 'rm -rf /tmp/treasure-bench-quick' EXIT
   BENCH_USE_CLUSTER=1 BENCH_MEMORY_CLAIMS=10000 bash bench/run.sh quick)
}

# The GoogleTest binaries of the client shim (src/, tests/client/): unit tests, then the database tests.
client_suite() {
  build/tests/treasure_unit_tests --gtest_brief=1 &&
    TREASURE_BUILD_DIR=build build/tests/treasure_db_tests --gtest_brief=1
}

# The property test (tests/faults/contract_model_test.cpp) against the model, on both claim paths.
model_suite() {
  build/tests/treasure_fault_tests --gtest_brief=1 &&
    PGOPTIONS="${PGOPTIONS:-} -c treasure.direct_claims=off" build/tests/treasure_fault_tests --gtest_brief=1
}

# The short fault and abuse suite, on a cluster of its own (make faults runs the full one); then again with every
# gateway and driver behind authentication (player tokens), so the saga path and the breaker are shown to work
# unchanged there.
faults_suite() { FAULTS_MODE=short FAULTS_RESULTS="$scratch/faults" bash tests/faults/faults.sh; }
faults_auth_suite() { FAULTS_MODE=short FAULTS_AUTH=jwt FAULTS_RESULTS="$scratch/faults-auth" bash tests/faults/faults.sh; }

# The player's page and treasure-client.js in headless Chromium against real gateways (tests/browser); its
# screenshot and figures stay in the scratch directory's browser/ until the run ends.
browser_suite() { BROWSER_RESULTS="$scratch/browser" bash tests/browser/browser_test.sh; }

run_suite format        make -s format-check
run_suite regress       regress_suite
run_suite isolation     isolation_suite
run_suite pgtap         pgtap_suite
run_suite statements    statements_suite
run_suite statements-only-build statements_only_suite
run_suite client        client_suite
run_suite model         model_suite
run_suite replica       bash tests/replica/replica_test.sh
run_suite saga          bash tests/saga/saga_test.sh
run_suite shards        bash tests/shards/shards_test.sh
run_suite upgrade       bash tests/upgrade/upgrade_test.sh
run_suite dump          bash tests/dump/dump_restore.sh
run_suite bench-quick   bench_quick_suite
run_suite browser       browser_suite
run_suite faults        faults_suite
run_suite faults-auth   faults_auth_suite

echo
[ ${#failed_names[@]} -gt 0 ] && echo "failed suites: ${failed_names[*]}"
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
