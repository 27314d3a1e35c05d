#!/usr/bin/env bash
# Analytics reads on a streaming replica: starts a real standby of the test cluster (replica_start:
# pg_basebackup -R, streaming) and runs the ReplicaTest suite against both: claims on the primary, reads from
# the standby, fallback to the primary when replay is paused or the standby is stopped, no claim on the standby.
# Needs build/tests/treasure_db_tests (make client-tests, which scripts/test.sh builds first).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/common.sh

if [ -z "${PGHOST:-}" ]; then
  echo "replica suite: needs the running test cluster (PGHOST/PGPORT), as scripts/test.sh provides" >&2
  exit 1
fi

trap replica_stop EXIT
replica_start test-replica

pg_ctl_as_owner="$PG_BIN/pg_ctl"
[ "$(id -u)" -eq 0 ] && pg_ctl_as_owner="runuser -u postgres -- $PG_BIN/pg_ctl"
export TREASURE_TEST_DSN="${TREASURE_TEST_DSN:-host=$PGHOST port=$PGPORT user=postgres}"
export TREASURE_REPLICA_DSN="host=$REPLICA_HOST port=5432 user=postgres"
export TREASURE_REPLICA_STOP_CMD="$pg_ctl_as_owner -D $REPLICA_DIR/data -m fast -w stop >/dev/null"
export TREASURE_REPLICA_START_CMD="$pg_ctl_as_owner -D $REPLICA_DIR/data -l $REPLICA_DIR/server.log -w -t 60 start >/dev/null"

echo "--- replica tests (standby in $REPLICA_DIR)"
TREASURE_BUILD_DIR=build build/tests/treasure_db_tests --gtest_filter='ReplicaTest.*' --gtest_brief=1
