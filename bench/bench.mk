# Benchmarks (see bench/README.md).  Included by the top-level Makefile after src/client.mk, whose CLIENT_*
# flags the C++ drivers reuse; explicit rules only (PGXS owns CXXFLAGS and the implicit %.o rules).
#   make bench          the full run (~15 min on 2 cores, bench/floors.sh included): writes bench/RESULTS.md and
#                       bench/latency.png; sections 6-9 are the tables of make bench-auth, bench/shapes_compare.sh,
#                       make bench-shards and make bench-pipeline's last runs (bench/*.md)
#   make bench-quick    the same sections, shortened (<= 1 min): /tmp/treasure-bench-quick/RESULTS.md (raw data beside it)
#   make bench-auth     only bench/auth_cost.sh (what authentication costs the gateway, ~6 min): bench/auth_cost.md
#   make bench-gateway-io  only bench/gateway_io.sh (--claim-io workers against reactor side by side, ~6 min):
#                       bench/gateway_io.md
#   make bench-floors   only bench/floors.sh (issue 17's ratio targets against this machine's floors, ~10 min):
#                       /tmp/treasure-floors/floors.md (make bench appends it to bench/RESULTS.md as section 10)
#   make bench-browser  the tap in headless Chromium: the browser's p50/p95 next to the gateway's figure for the
#                       same taps (bench/browser_taps.sh); make bench ends with it
#   make bench-shards   only bench/sharded_gateway.sh (~2.5 min): tap-to-200 through the sharded gateway (4 shards)
#                       against the unsharded gateway and the gateway through the PL/Proxy router; its table is
#                       copied by hand into bench/RESULTS.md section 8 (not part of make bench)
#   make bench-pipeline claims/s through libpq's pipeline mode at 32 connections vs pgbench's bare UPDATE TPS, and
#                       the pipelined p95 beside the unpipelined one at one rate (bench/pipelined_claims.sh, ~4 min)
#   make bench-batch    claims/s through treasure.claim_treasure_batch() (batches of 32 and 8) at 32 connections vs
#                       pgbench's bare UPDATE TPS, and the batched p95 beside the unbatched one at one rate
#                       (bench/batched_claims.sh, ~6 min)
#   make bench-programs build/bench/client_bench (Google Benchmark; the atomic and the saga path),
#                       build/bench/memory_driver, and the programs the runs start (treasure, treasure-gateway,
#                       treasure-saga)
BENCH_BUILD    := $(CLIENT_BUILD)/bench
BENCH_PROGRAMS := $(BENCH_BUILD)/client_bench $(BENCH_BUILD)/memory_driver

.PHONY: bench bench-quick bench-auth bench-gateway-io bench-floors bench-browser bench-shards bench-pipeline bench-batch bench-programs
bench-programs: $(BENCH_PROGRAMS) $(CLIENT_PROGRAMS) $(SAGA_PROGRAM)

# SagaPath lives in $(SAGA_LIB), which needs $(CLIENT_LIB) after it (the link order of static libraries).
$(BENCH_BUILD)/client_bench: bench/client_bench.cpp $(SAGA_LIB) $(CLIENT_LIB)
	@mkdir -p $(dir $@)
	$(CLIENT_CXX) $(CLIENT_CXXFLAGS) $(CLIENT_CPPFLAGS) -o $@ $< $(SAGA_LIB) $(CLIENT_LIB) $(CLIENT_LDLIBS) -lbenchmark -pthread

$(BENCH_BUILD)/memory_driver: bench/memory_driver.cpp
	@mkdir -p $(dir $@)
	$(CLIENT_CXX) $(CLIENT_CXXFLAGS) -I$(shell $(PG_CONFIG) --includedir) -o $@ $< -lpq

bench: install bench-programs
	bash bench/run.sh full
	bash bench/browser_taps.sh

bench-browser: install bench-programs
	bash bench/browser_taps.sh

bench-quick: install bench-programs
	bash bench/run.sh quick

bench-auth: install bench-programs
	bash bench/auth_cost.sh

bench-gateway-io: install bench-programs
	bash bench/gateway_io.sh

bench-shards: install bench-programs
	bash bench/sharded_gateway.sh

bench-floors: install bench-programs
	bash bench/floors.sh

bench-pipeline: install $(CLIENT_BUILD)/treasure
	bash bench/pipelined_claims.sh

bench-batch: install $(CLIENT_BUILD)/treasure
	bash bench/batched_claims.sh
