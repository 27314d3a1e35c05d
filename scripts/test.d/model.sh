# Property test: random call sequences against an in-memory model of the contract (tests/faults).
set -e
make -s fault-tests
build/tests/treasure_fault_tests --gtest_brief=1
