# The saga path: treasure-saga (workers + orchestrator), the SagaPath class (in libtreasure-saga.a, for the
# gateway and the CLI), and its tests.  Included by src/client.mk, whose CLIENT_* variables and object rule it
# uses.
#   make saga          build/treasure-saga, build/libtreasure-saga.a
#   make saga-tests    build/tests/treasure_saga_tests, build/tests/treasure_saga_latency

SAGA_LIB_SRCS  := src/saga/saga_path.cpp src/saga/saga_worker.cpp
SAGA_TEST_SRCS := $(wildcard tests/saga/*_test.cpp)
SAGA_LIB_OBJS  := $(call client_objs,$(SAGA_LIB_SRCS))
SAGA_ALL_OBJS  := $(SAGA_LIB_OBJS) $(call client_objs,src/saga/main.cpp $(SAGA_TEST_SRCS) tests/saga/latency.cpp)
SAGA_LIB       := $(CLIENT_BUILD)/libtreasure-saga.a
SAGA_PROGRAM   := $(CLIENT_BUILD)/treasure-saga
SAGA_TESTS     := $(CLIENT_BUILD)/tests/treasure_saga_tests $(CLIENT_BUILD)/tests/treasure_saga_latency

.PHONY: saga saga-tests
saga: $(SAGA_PROGRAM) $(SAGA_LIB)
saga-tests: $(SAGA_TESTS)

$(SAGA_LIB): $(SAGA_LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(SAGA_PROGRAM): $(call client_objs,src/saga/main.cpp) $(SAGA_LIB)
	$(CLIENT_CXX) $(CLIENT_CXXFLAGS) -o $@ $^ $(CLIENT_LDLIBS)

$(CLIENT_BUILD)/tests/treasure_saga_tests: $(call client_objs,$(SAGA_TEST_SRCS)) $(SAGA_LIB) $(CLIENT_LIB)
	@mkdir -p $(dir $@)
	$(CLIENT_CXX) $(CLIENT_CXXFLAGS) -o $@ $^ $(CLIENT_LDLIBS) $(CLIENT_TEST_LDLIBS)

# The load generator of the treasure CLI driving the atomic and the saga path in one run.
$(CLIENT_BUILD)/tests/treasure_saga_latency: $(call client_objs,tests/saga/latency.cpp) $(CLIENT_CLI_OBJS) $(SAGA_LIB) $(CLIENT_LIB)
	@mkdir -p $(dir $@)
	$(CLIENT_CXX) $(CLIENT_CXXFLAGS) -o $@ $^ $(CLIENT_LDLIBS)

-include $(SAGA_ALL_OBJS:.o=.d)
