# The saga path (issue 4): treasure-saga workers, SagaPath, failures, kills, duplicates, the seed's scenario,
# cross-path request_ids; reconcile() empty after each.  Builds its binaries first.
set -e
make -s saga saga-tests >/dev/null
exec bash tests/saga/saga_test.sh
