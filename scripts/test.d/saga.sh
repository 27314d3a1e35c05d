# The saga path (issue 4): treasure-saga workers, SagaPath, failures, kills, duplicates, the seed's scenario,
# cross-path request_ids; reconcile() empty after each.  Builds its binaries first.
set -e
if grep -q 'saga/saga.mk' src/client.mk; then
  make -s saga saga-tests >/dev/null
else
  # Until src/client.mk includes it, build the saga rules on top of the client's.
  printf 'include src/client.mk\ninclude src/saga/saga.mk\n' | make -s -f - saga saga-tests >/dev/null
fi
exec bash tests/saga/saga_test.sh
