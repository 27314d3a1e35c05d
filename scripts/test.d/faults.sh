# Fault and abuse suite, short version (issue 7): postmaster kill -9, backend terminations, answers lost after
# commit, gateway kill -9, breaker trip to the saga path, saga kills, hostile HTTP, a 30 s soak and overload,
# with nothing acknowledged lost and nothing paid twice.  Runs on its own throwaway cluster (it kills its
# postmaster), never on make test's.  The full suite: make faults.  Its result files (the figures are printed
# at the end of the suite's output) go to a directory removed afterwards, pass or fail.
results=$(mktemp -d /tmp/treasure-test-faults.XXXXXX)
trap 'rm -rf "$results"' EXIT
env FAULTS_MODE=short FAULTS_RESULTS="$results" bash tests/faults/faults.sh
