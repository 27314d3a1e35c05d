#!/usr/bin/env bash
# `make test`: install what is missing, build, start a throwaway cluster, run every suite, clean up.
# Exits non-zero when any suite fails; the cluster is removed whatever happens.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/common.sh

install_packages || exit 1
build_and_install || exit 1
trap cluster_stop EXIT
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

# The claims of chests without a key go through the direct path by default; the statements that claim every
# other chest must give the same results for those too, so the three suites run again without it.
statements_suite() {
  (export PGOPTIONS="${PGOPTIONS:-} -c treasure.direct_claims=off" && regress_suite && isolation_suite && pgtap_suite)
}

run_suite regress regress_suite
run_suite isolation isolation_suite
run_suite pgtap pgtap_suite
run_suite statements statements_suite
for suite in scripts/test.d/*.sh; do
  [ -e "$suite" ] || continue
  run_suite "$(basename "$suite" .sh)" bash "$suite"
done

echo
[ ${#failed_names[@]} -gt 0 ] && echo "failed suites: ${failed_names[*]}"
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
