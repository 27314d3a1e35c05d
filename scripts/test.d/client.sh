#!/usr/bin/env bash
# Client shim suite (src/, tests/client/): the GoogleTest binaries.  Run by scripts/test.sh from the repository
# root with a running cluster; the database tests create their own databases on the server named by
# TREASURE_TEST_DSN (or the libpq environment: PGHOST, PGPORT, PGUSER).
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ -z "${TREASURE_TEST_DSN:-}" ] && [ -z "${PGHOST:-}" ]; then
  echo "client suite: set TREASURE_TEST_DSN (or PGHOST) to a server with the treasure extension installed" >&2
  exit 1
fi

make -s -j2 client client-tests
echo "--- unit tests (breaker, flags, router, retry, uuid)"
build/tests/treasure_unit_tests --gtest_brief=1
echo "--- database tests (client, gateway over HTTP, programs as processes)"
TREASURE_BUILD_DIR=build build/tests/treasure_db_tests --gtest_brief=1
