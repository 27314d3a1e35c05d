#!/usr/bin/env python3
"""bench/gateway_io.sh's Markdown table from its raw cells (cells.tsv and one load_TARGET_RATE_ROUND.json each).

A ratio is taken within a round (the two gateways' cells of the same round, or a gateway's against that round's
shim) and reported as the median over the rounds with its range (min-max); absolute figures are medians over the
rounds with their range."""
import json
import os
import platform
import statistics
import sys


def read_cells(out, ticks_per_second):
    cells = {}
    with open(os.path.join(out, "cells.tsv")) as tsv:
        for line in tsv:
            target, rate, round_, gateway_ticks, backend_ticks, backends = line.rstrip("\n").split("\t")
            if round_ == "0":  # the warm-up
                continue
            with open(os.path.join(out, f"load_{target}_{rate}_{round_}.json")) as load_file:
                load = json.load(load_file)
            taps = load["taps"]
            if taps == 0 or load["latency_ms"]["count"] == 0:
                sys.exit(f"gateway_io: the {target} cell at {rate} taps/s of round {round_} confirmed no tap")
            to_us = 1e6 / ticks_per_second / taps
            cells[(target, int(rate), int(round_))] = {
                "gateway_us": int(gateway_ticks) * to_us,
                "backends_us": int(backend_ticks) * to_us,
                "backends": int(backends),
                "taps_per_second": load["taps_per_second"],
                "latency": load["latency_ms"],
                "outcomes": load["outcomes"],
            }
    return cells


def spread(values, digits):
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def main():
    (out, ticks, rounds, rates, command, started_at, elapsed, seconds, clients, load_before,
     load_after) = sys.argv[1:12]
    rounds, rates = int(rounds), [int(r) for r in rates.split()]
    cells = read_cells(out, int(ticks))
    for rate in rates + [0]:
        for target in ["workers", "reactor"] + (["shim"] if rate else []):
            for round_ in range(1, rounds + 1):
                if (target, rate, round_) not in cells:
                    sys.exit(f"gateway_io: no figure for {target} at {rate} taps/s in round {round_}")

    def values(target, rate, figure):
        return [figure(cells[(target, rate, r)]) for r in range(1, rounds + 1)]

    def ratios(first, second, rate, figure):
        return [figure(cells[(first, rate, r)]) / figure(cells[(second, rate, r)]) for r in range(1, rounds + 1)]

    gateway_us = lambda c: c["gateway_us"]
    backends_us = lambda c: c["backends_us"]
    cpu_ratio = lambda c: c["gateway_us"] / c["backends_us"]
    latency = lambda key: (lambda c: c["latency"][key])
    cpu = os.popen("lscpu | sed -n 's/^Model name: *//p'").read().strip() or platform.processor()
    print("# Gateway claim I/O: --claim-io workers against --claim-io reactor\n")
    print(f"- command: `{command}`, {rounds} rounds, {seconds} s per cell, {clients} clients, cells rotated per round")
    print(f"- date: {started_at} ({elapsed} s); machine: {cpu}, {os.cpu_count()} cores")
    print(f"- load average (1, 5, 15 min) before: {load_before}; after: {load_after} (other sessions share these "
          "cores: the ratios, measured side by side, are what count)")
    print("- both gateways `--pool 8 --auth none --saga off`, running at once; figures are medians over the rounds "
          "(range); ratios are taken within a round\n")
    print("## CPU per tap at a fixed rate\n")
    print("| rate | claim io | gateway µs/tap | backends µs/tap | gateway / backends | backends |")
    print("|---|---|---|---|---|---|")
    for rate in rates:
        for target in ("workers", "reactor"):
            print(f"| {rate} | {target} | {spread(values(target, rate, gateway_us), 1)} | "
                  f"{spread(values(target, rate, backends_us), 1)} | {spread(values(target, rate, cpu_ratio), 3)} | "
                  f"{max(values(target, rate, lambda c: c['backends']))} |")
        print(f"| {rate} | **workers / reactor** | {spread(ratios('workers', 'reactor', rate, gateway_us), 2)} | "
              f"{spread(ratios('workers', 'reactor', rate, backends_us), 2)} | "
              f"{spread(ratios('workers', 'reactor', rate, cpu_ratio), 2)} | |")
    print("\n## Tap-to-200 latency at a fixed rate (ms)\n")
    print("| rate | target | taps/s | p50 | p95 | p99 | p99.7 | p95 / shim's |")
    print("|---|---|---|---|---|---|---|---|")
    for rate in rates:
        for target in ("workers", "reactor", "shim"):
            vs_shim = spread(ratios(target, "shim", rate, latency("p95")), 2) if target != "shim" else ""
            print(f"| {rate} | {target} | {spread(values(target, rate, lambda c: c['taps_per_second']), 0)} | "
                  + " | ".join(spread(values(target, rate, latency(k)), 2) for k in ("p50", "p95", "p99", "p99_7"))
                  + f" | {vs_shim} |")
        print(f"| {rate} | **workers / reactor** | | "
              + " | ".join(spread(ratios("workers", "reactor", rate, latency(k)), 2) for k in ("p50", "p95", "p99", "p99_7"))
              + " | |")
    print("\n## Saturation (no rate, 8 clients)\n")
    print("| claim io | taps/s | p95 ms | p99.7 ms | gateway µs/tap | backends µs/tap |")
    print("|---|---|---|---|---|---|")
    for target in ("workers", "reactor"):
        print(f"| {target} | {spread(values(target, 0, lambda c: c['taps_per_second']), 0)} | "
              f"{spread(values(target, 0, latency('p95')), 2)} | {spread(values(target, 0, latency('p99_7')), 2)} | "
              f"{spread(values(target, 0, gateway_us), 1)} | {spread(values(target, 0, backends_us), 1)} |")
    print(f"| **reactor / workers** | {spread(ratios('reactor', 'workers', 0, lambda c: c['taps_per_second']), 2)} | "
          f"{spread(ratios('reactor', 'workers', 0, latency('p95')), 2)} | | | |")
    print("\n## Outcomes (all cells, all rounds)\n")
    for target in ("workers", "reactor"):
        total = {}
        for (t, _, _), cell in cells.items():
            if t == target:
                for outcome, count in cell["outcomes"].items():
                    total[outcome] = total.get(outcome, 0) + count
        print(f"- {target}: " + ", ".join(f"{k} {v}" for k, v in sorted(total.items())))
    metrics = os.path.join(out, "reactor_metrics.txt")
    if os.path.exists(metrics):
        print("- the reactor gateway's `treasure_claim_reactor_taps_total` at the end: "
              + ", ".join(line.split("{")[1].replace("}", "").strip() for line in open(metrics) if "{" in line))


main()
