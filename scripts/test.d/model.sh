# Property test: random call sequences against an in-memory model of the contract (tests/faults), once as
# installed (the direct path claims chests without a key) and once with every claim through the statements.
set -e
make -s fault-tests
build/tests/treasure_fault_tests --gtest_brief=1
PGOPTIONS="${PGOPTIONS:-} -c treasure.direct_claims=off" build/tests/treasure_fault_tests --gtest_brief=1
