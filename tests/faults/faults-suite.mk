# The fault and abuse suite (issue 7): `make faults` runs it in full (about 15 minutes: every fault, a
# five-minute soak, overload); scripts/test.sh runs the short version inside `make test`.
# Builds the suite's programs from tests/faults/driver (load, cut proxy, abuse) and tests/faults/fuzz (the
# seeded random test of the gateway's request parser), with src/client.mk's CLIENT_* variables.
#   make fault-programs   build/tests/treasure_fault_driver, build/tests/treasure_fuzz_tests
#   make faults           the full suite on its own throwaway cluster (FAULTS_MODE=short for the quick one)

FAULT_DRIVER_SRCS := $(wildcard tests/faults/driver/*.cpp)
FAULT_FUZZ_SRCS   := $(wildcard tests/faults/fuzz/*.cpp)
FAULT_SUITE_OBJS  := $(patsubst %.cpp,$(CLIENT_BUILD)/obj/%.o,$(FAULT_DRIVER_SRCS) $(FAULT_FUZZ_SRCS))
FAULT_DRIVER      := $(CLIENT_BUILD)/tests/treasure_fault_driver
FAULT_FUZZ        := $(CLIENT_BUILD)/tests/treasure_fuzz_tests
FAULTS_MODE       ?= full

.PHONY: faults fault-programs
fault-programs: $(FAULT_DRIVER) $(FAULT_FUZZ)

faults:
	FAULTS_MODE=$(FAULTS_MODE) bash tests/faults/faults.sh

$(FAULT_DRIVER): $(patsubst %.cpp,$(CLIENT_BUILD)/obj/%.o,$(FAULT_DRIVER_SRCS)) $(CLIENT_BUILD)/obj/src/cli/load_flags.o $(CLIENT_LIB)
	@mkdir -p $(dir $@)
	$(CLIENT_CXX) $(CLIENT_CXXFLAGS) -o $@ $^ $(CLIENT_LDLIBS)

$(FAULT_FUZZ): $(patsubst %.cpp,$(CLIENT_BUILD)/obj/%.o,$(FAULT_FUZZ_SRCS)) $(CLIENT_BUILD)/obj/src/gateway/claim_json.o $(CLIENT_LIB)
	@mkdir -p $(dir $@)
	$(CLIENT_CXX) $(CLIENT_CXXFLAGS) -o $@ $^ $(CLIENT_LDLIBS) $(CLIENT_TEST_LDLIBS)

-include $(FAULT_SUITE_OBJS:.o=.d)
