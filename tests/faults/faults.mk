# Fault and property tests (GoogleTest + libpqxx); uses the CLIENT_* variables and object rule of src/client.mk.
FAULT_TEST_SRCS := $(wildcard tests/faults/*.cpp)
FAULT_TEST_OBJS := $(patsubst %.cpp,$(CLIENT_BUILD)/obj/%.o,$(FAULT_TEST_SRCS))
FAULT_TESTS     := $(CLIENT_BUILD)/tests/treasure_fault_tests

.PHONY: fault-tests
fault-tests: $(FAULT_TESTS)

$(FAULT_TESTS): $(FAULT_TEST_OBJS) $(CLIENT_BUILD)/obj/tests/client/support/test_database.o
	@mkdir -p $(dir $@)
	$(CLIENT_CXX) $(CLIENT_CXXFLAGS) -o $@ $^ $(CLIENT_LDLIBS) $(CLIENT_TEST_LDLIBS)

-include $(FAULT_TEST_OBJS:.o=.d)

# The fault and abuse suite proper (make faults, make fault-programs).
include tests/faults/faults-suite.mk
