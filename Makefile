# treasure: the PostgreSQL extension (PGXS) and its C++ client shim.
#   make / make install               the extension only: PGXS and the server headers, nothing else
#   make client / make install-client the client shim: treasure, treasure-gateway, treasure-saga (src/client.mk)
#   make installcheck                 pg_regress + isolation suites against a running server (PGHOST/PGPORT/PGUSER)
#   make demo / make test             the README's two commands: install packages, build and install both,
#                                     throwaway cluster, run, clean up

EXTENSION  = treasure treasure_router

MODULE_big = treasure
OBJS       = $(patsubst %.cpp,%.o,$(wildcard extension/*.cpp))

# treasure: one base install script and the upgrade/downgrade chain, every version reached through it (sql/README.md).
DATA       = sql/treasure--1.0.0.sql sql/treasure_router--1.0.0.sql \
             $(wildcard sql/treasure--*--*.sql sql/treasure_router--*--*.sql)

REGRESS      = $(sort $(basename $(notdir $(wildcard tests/regress/sql/*.sql))))
REGRESS_OPTS = --inputdir=tests/regress --outputdir=tests/regress/output --load-extension=treasure
ISOLATION      = $(sort $(basename $(notdir $(wildcard tests/isolation/specs/*.spec))))
ISOLATION_OPTS = --inputdir=tests/isolation --outputdir=tests/isolation/output --load-extension=treasure

EXTRA_CLEAN = tests/regress/output tests/isolation/output

# pg_config on PATH picks the server to build for; Debian's PostgreSQL 15 only when none is on PATH.
PG_CONFIG ?= $(if $(shell command -v pg_config 2>/dev/null),pg_config,/usr/lib/postgresql/15/bin/pg_config)

# C++17 inside the server.  PostgreSQL's headers are a system include so their warnings stay out of ours.
PG_CXXFLAGS += -std=c++17 -Wall -Wextra -Wno-missing-field-initializers -MMD -MP
# make TREASURE_WERROR=1 (what make test builds): the extension's own warnings are errors.
ifeq ($(TREASURE_WERROR),1)
PG_CXXFLAGS += -Werror
endif
# make TREASURE_DIRECT=0: the statements-only build every PostgreSQL major other than the verified ones gets
# (extension/pg_compat.hpp); make test builds and tests it on 15 as well.
ifeq ($(TREASURE_DIRECT),0)
PG_CPPFLAGS += -DTREASURE_DIRECT_PATH=0
endif
PG_CPPFLAGS += -isystem $(shell $(PG_CONFIG) --includedir-server 2>/dev/null)
SHLIB_LINK  += -lstdc++
# No LLVM bitcode: the JIT cannot inline through SPI anyway, and it would need clang to accept our C++ flags.
override with_llvm = no

PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)
ifneq ($(PGXS),)
include $(PGXS)
endif
# treasure.so is renamed into place, never written over a file running backends map (scripts/install-library.sh).
INSTALL_SHLIB = $(CURDIR)/scripts/install-library.sh

# -MMD: each object's header dependencies, so that changing a header rebuilds what includes it.
-include $(OBJS:.o=.d)
EXTRA_CLEAN += $(OBJS:.o=.d)

.PHONY: demo test format format-check
demo:
	scripts/demo.sh

test:
	scripts/test.sh

# The house style (.clang-format): Debian 12's clang-format 14, called by that name so another version's
# different opinions never reformat the tree.
CLANG_FORMAT   ?= clang-format-14
FORMAT_SOURCES  = $(sort $(shell find extension src tests bench -name '*.cpp' -o -name '*.hpp'))
format:
	$(CLANG_FORMAT) -i $(FORMAT_SOURCES)

format-check:
	$(CLANG_FORMAT) --dry-run --Werror $(FORMAT_SOURCES)

# The client shim (library, treasure CLI, treasure-gateway, treasure-saga) has its own targets and flags,
# apart from PGXS's; `make clean` removes its build/ directory too.
include src/client.mk
include tests/faults/faults.mk
clean: clean-client

# Benchmarks (make bench, make bench-quick) keep their rules beside them.
include bench/bench.mk
