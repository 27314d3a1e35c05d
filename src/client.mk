# The client shim: libtreasure-client (src/lib), treasure-gateway (src/gateway), treasure CLI (src/cli) and the
# GoogleTest suites (tests/client).  Its own CLIENT_* variables and one pattern rule for every client object
# (build/obj/<path of the source>.o): PGXS owns CXXFLAGS, CPPFLAGS and the implicit %.o rules, which are set up
# for the server module.  Needs libpqxx, cpp-httplib, prometheus-cpp, libjose (src/auth: JWS, JWK, base64url;
# with jansson and OpenSSL's libcrypto) and OpenSSL's libssl (the gateway's HTTPS, through Boost.Asio's ssl);
# the extension needs none of them.
#   make client          build/treasure, build/treasure-gateway, build/treasure-saga
#   make client-tests    build/tests/treasure_unit_tests, build/tests/treasure_db_tests
#   make install-client  copy the three programs to $(PREFIX)/bin, the player's page (src/web) to
#                        $(PREFIX)/share/treasure/web, where treasure-gateway looks for it

CLIENT_CXX      ?= g++
CLIENT_BUILD    ?= build
PREFIX          ?= /usr/local
CLIENT_PKGS     := libpqxx cpp-httplib prometheus-cpp-core jose jansson libssl libcrypto
CLIENT_CXXFLAGS ?= -std=c++17 -O2 -Wall -Wextra -Werror -pthread
CLIENT_DEPFLAGS := -MMD -MP
CLIENT_CPPFLAGS := -Isrc $(shell pkg-config --cflags $(CLIENT_PKGS) 2>/dev/null)
CLIENT_LDLIBS   := $(shell pkg-config --libs $(CLIENT_PKGS) 2>/dev/null) -lpq -pthread
CLIENT_TEST_LDLIBS := -lgtest_main -lgtest -pthread

CLIENT_LIB_SRCS     := $(wildcard src/lib/*.cpp src/auth/*.cpp)
CLIENT_GATEWAY_SRCS := $(filter-out src/gateway/main.cpp,$(wildcard src/gateway/*.cpp))
CLIENT_CLI_SRCS     := $(filter-out src/cli/main.cpp,$(wildcard src/cli/*.cpp))
CLIENT_UNIT_SRCS    := $(wildcard tests/client/unit/*.cpp)
CLIENT_DB_SRCS      := $(wildcard tests/client/db/*.cpp)
CLIENT_TEST_SUPPORT := $(wildcard tests/client/support/*.cpp)

client_objs = $(patsubst %.cpp,$(CLIENT_BUILD)/obj/%.o,$(1))
CLIENT_LIB_OBJS     := $(call client_objs,$(CLIENT_LIB_SRCS))
CLIENT_GATEWAY_OBJS := $(call client_objs,$(CLIENT_GATEWAY_SRCS))
CLIENT_CLI_OBJS     := $(call client_objs,$(CLIENT_CLI_SRCS))
CLIENT_ALL_OBJS     := $(CLIENT_LIB_OBJS) $(CLIENT_GATEWAY_OBJS) $(CLIENT_CLI_OBJS) \
                       $(call client_objs,src/gateway/main.cpp src/cli/main.cpp $(CLIENT_UNIT_SRCS) $(CLIENT_DB_SRCS) $(CLIENT_TEST_SUPPORT))
CLIENT_LIB          := $(CLIENT_BUILD)/libtreasure-client.a
CLIENT_PROGRAMS     := $(CLIENT_BUILD)/treasure $(CLIENT_BUILD)/treasure-gateway
CLIENT_TESTS        := $(CLIENT_BUILD)/tests/treasure_unit_tests $(CLIENT_BUILD)/tests/treasure_db_tests

# The saga path (treasure-saga, libtreasure-saga.a with SagaPath, its tests), the gateway's fallback; included
# here because the link rules below name $(SAGA_LIB) and prerequisites are expanded when read.
include src/saga/saga.mk

.PHONY: client client-tests install-client clean-client
client: $(CLIENT_PROGRAMS) $(SAGA_PROGRAM)
client-tests: $(CLIENT_TESTS)

# Every client object, production or test; only the tests see their support headers (tests/client, tests/faults).
$(CLIENT_BUILD)/obj/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(CLIENT_CXX) $(CLIENT_CXXFLAGS) $(CLIENT_DEPFLAGS) $(CLIENT_CPPFLAGS) -c $< -o $@

# Where treasure-gateway finds the page when neither --web-root nor <binary>/../share/treasure/web has it.
$(CLIENT_BUILD)/obj/src/gateway/static_files.o: CLIENT_CPPFLAGS += -DTREASURE_DATADIR='"$(PREFIX)/share/treasure"'

$(CLIENT_BUILD)/obj/tests/%.o: CLIENT_CPPFLAGS += -Itests/client
$(CLIENT_BUILD)/obj/tests/faults/%.o: CLIENT_CPPFLAGS += -Itests/faults

$(CLIENT_LIB): $(CLIENT_LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $^

$(CLIENT_BUILD)/treasure-gateway: $(call client_objs,src/gateway/main.cpp) $(CLIENT_GATEWAY_OBJS) $(SAGA_LIB) $(CLIENT_LIB)
	$(CLIENT_CXX) $(CLIENT_CXXFLAGS) -o $@ $^ $(CLIENT_LDLIBS)

$(CLIENT_BUILD)/treasure: $(call client_objs,src/cli/main.cpp) $(CLIENT_CLI_OBJS) $(CLIENT_LIB)
	$(CLIENT_CXX) $(CLIENT_CXXFLAGS) -o $@ $^ $(CLIENT_LDLIBS)

$(CLIENT_BUILD)/tests/treasure_unit_tests: $(call client_objs,$(CLIENT_UNIT_SRCS) $(CLIENT_TEST_SUPPORT)) $(CLIENT_GATEWAY_OBJS) $(SAGA_LIB) $(CLIENT_LIB)
	@mkdir -p $(dir $@)
	$(CLIENT_CXX) $(CLIENT_CXXFLAGS) -o $@ $^ $(CLIENT_LDLIBS) $(CLIENT_TEST_LDLIBS)

$(CLIENT_BUILD)/tests/treasure_db_tests: $(call client_objs,$(CLIENT_DB_SRCS) $(CLIENT_TEST_SUPPORT)) $(CLIENT_GATEWAY_OBJS) $(CLIENT_CLI_OBJS) $(SAGA_LIB) $(CLIENT_LIB)
	@mkdir -p $(dir $@)
	$(CLIENT_CXX) $(CLIENT_CXXFLAGS) -o $@ $^ $(CLIENT_LDLIBS) $(CLIENT_TEST_LDLIBS)

install-client: $(CLIENT_PROGRAMS) $(SAGA_PROGRAM)
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 755 $(CLIENT_PROGRAMS) $(SAGA_PROGRAM) $(DESTDIR)$(PREFIX)/bin/
	install -d $(DESTDIR)$(PREFIX)/share/treasure/web
	install -m 644 $(wildcard src/web/*.html src/web/*.js src/web/*.css src/web/*.json) $(DESTDIR)$(PREFIX)/share/treasure/web/

clean-client:
	rm -rf $(CLIENT_BUILD)

-include $(CLIENT_ALL_OBJS:.o=.d)
