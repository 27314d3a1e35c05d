# Benchmark targets; see bench/README.md.
.PHONY: bench-quick
bench-quick:
	bash bench/quick.sh 10 4
