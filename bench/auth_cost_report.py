#!/usr/bin/env python3
"""bench/auth_cost.sh's Markdown table from its raw cells (cpu.tsv and one load_CONFIG_ROUND.json per cell).

Every ratio is taken within a round, against that round's --auth none, and reported as the median over the
rounds with its range (min-max); absolute figures are medians over the rounds."""
import json
import os
import platform
import statistics
import sys


def read_cells(out, ticks_per_second):
    cells = {}
    with open(os.path.join(out, "cpu.tsv")) as tsv:
        for line in tsv:
            config, round_, gateway_ticks, backend_ticks, backends = line.split("\t")
            if round_ == "0":  # the warm-up
                continue
            with open(os.path.join(out, f"load_{config}_{round_}.json")) as load_file:
                load = json.load(load_file)
            taps = load["taps"]
            if taps == 0 or load["latency_ms"]["count"] == 0:
                sys.exit(f"auth_cost: the {config} cell of round {round_} confirmed no tap")
            to_us = 1e6 / ticks_per_second / taps
            cells[(config, int(round_))] = {
                "gateway_us": int(gateway_ticks) * to_us,
                "backends_us": int(backend_ticks) * to_us,
                "backends": int(backends),
                "taps": taps,
                "taps_per_second": load["taps_per_second"],
                "latency": load["latency_ms"],
                "outcomes": load["outcomes"],
                "refusals": load.get("auth", {}).get("refusals", {}),
                "tokens_minted": load.get("auth", {}).get("tokens_minted", 0),
            }
    return cells


def spread(values, digits):
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def main():
    (out, ticks, configs, rounds, command, started_at, elapsed, rate, seconds, clients, players,
     load_average) = sys.argv[1:13]
    configs, rounds = configs.split(), int(rounds)
    cells = read_cells(out, int(ticks))
    for config in configs:
        for round_ in range(1, rounds + 1):
            if (config, round_) not in cells:
                sys.exit(f"auth_cost: no figure for {config} in round {round_}")

    def per_round(config, figure):
        return [figure(cells[(config, r)]) for r in range(1, rounds + 1)]

    def ratio_to_none(config, figure):
        return [figure(cells[(config, r)]) / figure(cells[("none", r)]) for r in range(1, rounds + 1)]

    cpu = os.popen("lscpu | sed -n 's/^Model name: *//p'").read().strip() or platform.processor()
    print("# What authentication costs the gateway (issue 14, Measure)\n")
    print(f"Run {started_at}, {elapsed} s, on {platform.node()} ({os.cpu_count()} cores, {cpu}), shared with "
          f"other sessions (load average {load_average} at the end): the ratios, taken within a round, are the "
          f"figures; absolute microseconds move with the neighbours.\n")
    print(f"Command: `{command}` (run by `make bench`, and alone by `make bench-auth`).  {rounds} rounds; in each, "
          f"every configuration once for {seconds} s at {rate} taps/s from {clients} clients (`treasure load "
          f"--rate {rate} --concurrency {clients}`), the order rotating from round to round.  Six gateways run "
          f"at once (`--pool 8 --saga off`), warmed up first.  Each cell taps {players} players no cell tapped "
          f"before, so its claims are fresh and a cached cell checks each player's token once, on that player's "
          f"first tap.  Durable commits, bench/setup.sql's hunt.\n")
    print("CPU: utime+stime from /proc/PID/stat over the cell, divided by the taps: the gateway process, and the "
          "gateway's own 8 database backends (by application_name).  The load generator's CPU is left out.  "
          "Ratios: median over the rounds (min–max).  Latency: tap-to-200 from each tap's due time, median over "
          "the rounds of each round's percentile.\n")
    print("| --auth | gateway CPU µs/tap | gateway CPU / none | backends CPU µs/tap | gateway / backends "
          "| p95 ms | p99 ms | p99.7 ms | p95 / none | taps/s | signature checks/tap |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for config in configs:
        def gateway(c):
            return c["gateway_us"]

        def p95(c):
            return c["latency"]["p95"]

        if config.endswith("-uncached"):
            checks = "1"
        elif config.endswith("-cached"):
            checks = spread(per_round(config, lambda c: c["tokens_minted"] / c["taps"]), 3)
        else:
            checks = "0"
        print(f"| {config} | {spread(per_round(config, gateway), 1)} "
              f"| {'1' if config == 'none' else spread(ratio_to_none(config, gateway), 3)} "
              f"| {spread(per_round(config, lambda c: c['backends_us']), 1)} "
              f"| {spread(per_round(config, lambda c: c['gateway_us'] / c['backends_us']), 2)} "
              f"| {statistics.median(per_round(config, p95)):.2f} "
              f"| {statistics.median(per_round(config, lambda c: c['latency']['p99'])):.2f} "
              f"| {statistics.median(per_round(config, lambda c: c['latency']['p99_7'])):.2f} "
              f"| {'1' if config == 'none' else spread(ratio_to_none(config, p95), 2)} "
              f"| {statistics.median(per_round(config, lambda c: c['taps_per_second'])):.0f} "
              f"| {checks} |")
    cached = [statistics.median(ratio_to_none(c, lambda cell: cell["gateway_us"])) for c in configs
              if c.endswith("-cached")]
    verdict = "met" if cached and max(cached) <= 1.15 else "not met"
    print(f"\nTarget: authentication adds ≤ 15% gateway CPU per tap once a player's token is cached "
          f"(jwt cached / none ≤ 1.15): **{verdict}** (medians {', '.join(f'{r:.3f}' for r in cached)}).\n")
    outcomes, refusals = {}, {}
    for cell in cells.values():
        for name, count in cell["outcomes"].items():
            outcomes[name] = outcomes.get(name, 0) + count
        for name, count in cell["refusals"].items():
            refusals[name] = refusals.get(name, 0) + count
    print(f"Outcomes over all measured cells: {json.dumps(outcomes, sort_keys=True)}; refusals by the gateway: "
          f"{json.dumps(refusals, sort_keys=True) if refusals else 'none'}.  \"signature checks/tap\" of a cached "
          f"cell is the tokens the load generator minted (one per player) over its taps; an uncached cell checks "
          f"every tap's.")


main()
