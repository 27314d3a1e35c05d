#!/usr/bin/env python3
"""bench/floors.sh's helpers.

  floors_report.py percentiles PREFIX WARMUP_S RATE   nearest-rank p50/p95/p99/p99.7/max (ms) of pgbench's per-transaction
                                                  logs PREFIX.*, from each transaction's scheduled start (pgbench -R),
                                                  the first WARMUP_S seconds left out; one JSON object
  floors_report.py report OUT ...                 the Markdown report from OUT/cells.jsonl and the files beside it

Every ratio is taken within a round and reported as the median over the rounds with its range (min-max)."""
import glob
import json
import math
import os
import platform
import statistics
import sys

PERCENTILES = (("p50", 50), ("p95", 95), ("p99", 99), ("p99_7", 99.7))


def nearest_rank(values, percentile):
    return values[max(1, math.ceil(percentile / 100 * len(values))) - 1]


def percentiles(prefix, warmup, rate):
    rows = []
    for path in glob.glob(prefix + ".*"):
        with open(path) as log:
            for line in log:
                fields = line.split()
                rows.append((int(fields[4]) + int(fields[5]) / 1e6, int(fields[2]) / 1000))
    if not rows:
        sys.exit(f"floors: no transaction in {prefix}.*")
    start = min(at for at, _ in rows)
    latencies = sorted(ms for at, ms in rows if at >= start + float(warmup))
    result = {name: nearest_rank(latencies, p) for name, p in PERCENTILES}
    result.update(max=latencies[-1], count=len(latencies), rate=int(rate))
    print(json.dumps(result))


def spread(values, digits=2):
    return f"{statistics.median(values):.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


class Run:
    def __init__(self, out, ticks):
        self.out, self.ticks = out, ticks
        self.cells = {}
        with open(os.path.join(out, "cells.jsonl")) as lines:
            for cell in map(json.loads, lines):
                if cell["section"] == "warmup":
                    continue
                if "load" in cell:
                    with open(os.path.join(out, cell["load"])) as load_file:
                        load = json.load(load_file)
                    if load["latency_ms"]["count"] == 0:
                        sys.exit(f"floors: {cell['section']} {cell['cell']} round {cell['round']} confirmed no tap")
                    cell.update(tps=load["taps_per_second"], taps=load["taps"], latency=load["latency_ms"],
                                outcomes=load["outcomes"], refusals=load.get("auth", {}).get("refusals", {}))
                    if cell["gateway_ticks"] is not None:
                        to_us = 1e6 / ticks / load["taps"]
                        cell.update(gateway_us=cell["gateway_ticks"] * to_us, backends_us=cell["backend_ticks"] * to_us)
                latency_file = os.path.join(out, f"{cell['section']}_{cell['cell']}_{cell['round']}.json")
                if cell["section"] == "B":
                    with open(latency_file) as latency:
                        cell["latency"] = json.load(latency)
                self.cells[(cell["section"], cell["cell"], cell["round"])] = cell
        self.rounds = sorted({key[2] for key in self.cells})

    def cell(self, section, name, round_):
        try:
            return self.cells[(section, name, round_)]
        except KeyError:
            sys.exit(f"floors: no figure for {section} {name} in round {round_}")

    def per_round(self, section, name, figure):
        return [figure(self.cell(section, name, r)) for r in self.rounds]

    def not_held(self, section, names, rate_of):
        """How many of these cells fell more than 5% behind their fixed rate."""
        return sum(1 for n in names for r in self.rounds
                   if self.cell(section, n, r)["tps"] < 0.95 * rate_of(self.cell(section, n, r)))

    def ratio(self, section, top, bottom, figure):
        return [figure(self.cell(section, top, r)) / figure(self.cell(section, bottom, r)) for r in self.rounds]


def verdict(values, target, at_most):
    """Met when the median meets the target; says in how many rounds it did."""
    meets = [(v <= target) if at_most else (v >= target) for v in values]
    median_meets = (statistics.median(values) <= target) if at_most else (statistics.median(values) >= target)
    word = "**met**" if median_meets else "**not met**"
    return f"{word} ({sum(meets)} of {len(meets)} rounds)"


def held(achieved, rate):
    """A fixed-rate cell that fell more than 5% behind its rate measured an overload, not a latency at that rate."""
    return "yes" if achieved >= 0.95 * rate else "**no**"


def claims_text(count):
    return f"{count / 1e6:g}M" if count >= 1e6 else f"{count / 1e3:g}k"


def read_tsv(path):
    with open(path) as tsv:
        return [line.rstrip("\n").split("\t") for line in tsv if line.strip()]


def mib(size):
    return f"{int(size) / 1048576:.1f}"


def report(out, ticks, command, started_at, elapsed, rounds, seconds, clients, bulk_players, per_player,
           load_start, load_end, warmup):
    run = Run(out, int(ticks))
    rounds_text = ", ".join(str(r) for r in run.rounds)
    cpu = os.popen("lscpu | sed -n 's/^Model name: *//p'").read().strip() or platform.processor()
    with open(os.path.join(out, "bulk.json")) as bulk_file:
        bulk = json.load(bulk_file)
    summary = []  # (measure, ratio text, target text, verdict)

    print(f"Run {started_at}, {elapsed} s, on {platform.node()} ({os.cpu_count()} cores, {cpu}); load average "
          f"{load_start} at the start, {load_end} at the end (anything above 1-2 on these 2 cores is somebody "
          f"else's work): the ratios, each taken within a round, are the figures; absolute numbers move with the "
          f"neighbours.\n")
    print(f"Command: `{command}` ({rounds} rounds, {seconds} s per cell; `make bench-floors`).  Every round runs "
          f"each cell of its section once, in an order that rotates from round to round; a ratio is taken within "
          f"a round, then reported as the median over the rounds (min–max).  Durable commits unless a cell says "
          f"`off` (`synchronous_commit = off`).  pgbench: `-n -M prepared -j 2`, before every cell (also every `treasure load` "
          f"cell) an `ANALYZE` of the tables the claims grow (autovacuum is off: see FINDINGS) and a `CHECKPOINT`, random players 1..100,000 on chests 1..1,000 "
          f"(bench/setup.sql).  `treasure load`: {clients} clients, 1,000 players no earlier cell tapped "
          f"(`--first-player`), chests 1..1,000, UUIDv7 request_ids.  Gateways: `--pool {clients} --saga off`, one "
          f"with `--auth none`, one with the authentication `make demo` configures (`--auth jwt --jwks`, "
          f"`--rate-per-player 20:40`; ES256 tokens minted by the load generator, one per player), started before "
          f"the rounds and warmed up {warmup} s each.\n")

    # A. saturation.
    print("### A. Saturation, 8 connections (taps/s or TPS per round)\n")
    print(f"| cell | {' | '.join(f'round {r}' for r in run.rounds)} | median |")
    print(f"|---|{'---|' * len(run.rounds)}---|")
    labels = {"gateway": "gateway, `treasure load` 8 clients, no rate", "shim": "shim straight to PostgreSQL, 8 clients",
              "claim_on": "pgbench claim_treasure(), 8 clients", "claim_off": "pgbench claim_treasure(), 8 clients, async"}
    for name, label in labels.items():
        values = run.per_round("A", name, lambda c: c["tps"])
        print(f"| {label} | {' | '.join(f'{v:.0f}' for v in values)} | {statistics.median(values):.0f} |")
    saturation = run.ratio("A", "gateway", "claim_on", lambda c: c["tps"])
    shim_saturation = run.ratio("A", "shim", "claim_on", lambda c: c["tps"])
    print(f"\ngateway / pgbench: {spread(saturation)}; shim / pgbench: {spread(shim_saturation)} (the load "
          f"generator's own ceiling on these cores).\n")
    summary.append(("gateway saturation taps/s / pgbench claim_treasure() TPS, 8 connections", spread(saturation),
                    "≥ 0.8×", verdict(saturation, 0.8, False)))

    # B. latency at 50%.
    rate = {sync: run.cell("B", f"claim_{sync}", run.rounds[0])["tps"] for sync in ("on", "off")}
    print("### B. Latency at 50% of claim_treasure()'s saturation (pgbench -R, per-transaction logs, 8 connections)\n")
    print(f"Rates: half of section A's median pgbench TPS.  Latency from each transaction's scheduled start; the "
          f"first {warmup} s of each cell left out.\n")
    print("| cell | round | rate/s | TPS | rate held | p50 ms | p95 ms | p99 ms | p99.7 ms | max ms | transactions |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name in ("claim_on", "update_on", "claim_off", "update_off"):
        for r in run.rounds:
            c = run.cell("B", name, r)
            l = c["latency"]
            print(f"| {name} | {r} | {l['rate']} | {c['tps']:.0f} | {held(c['tps'], l['rate'])} | {l['p50']:.3f} | {l['p95']:.3f} | {l['p99']:.3f} | "
                  f"{l['p99_7']:.3f} | {l['max']:.3f} | {l['count']} |")
    print()
    print("| ratio claim / bare UPDATE | p95 | p99 | p99.7 | target (p95) |")
    print("|---|---|---|---|---|")
    for sync, label in (("off", "asynchronous"), ("on", "durable")):
        ratios = {p: run.ratio("B", f"claim_{sync}", f"update_{sync}", lambda c, p=p: c["latency"][p])
                  for p in ("p95", "p99", "p99_7")}
        print(f"| {label} | {spread(ratios['p95'])} | {spread(ratios['p99'])} | {spread(ratios['p99_7'])} | ≤ 1.5×: "
              f"{verdict(ratios['p95'], 1.5, True)} |")
        late = run.not_held("B", [f"claim_{sync}", f"update_{sync}"], lambda c: c["latency"]["rate"])
        summary.append((f"claim p95 / bare UPDATE p95 at 50% load, {label} (p99, p99.7 beside)",
                        f"{spread(ratios['p95'])} (p99 {statistics.median(ratios['p99']):.2f}×, p99.7 "
                        f"{statistics.median(ratios['p99_7']):.2f}×)", "≤ 1.5×",
                        verdict(ratios["p95"], 1.5, True) + (f"; {late} cells fell behind the rate" if late else "")))
    print()

    # C. one client.
    print("### C. One client (pgbench TPS per round)\n")
    print(f"| cell | {' | '.join(f'round {r}' for r in run.rounds)} | median |")
    print(f"|---|{'---|' * len(run.rounds)}---|")
    for name in ("claim_on", "update_on", "claim_off", "update_off"):
        values = run.per_round("C", name, lambda c: c["tps"])
        print(f"| {name} | {' | '.join(f'{v:.0f}' for v in values)} | {statistics.median(values):.0f} |")
    print()
    for sync, label in (("off", "asynchronous"), ("on", "durable")):
        ratios = run.ratio("C", f"claim_{sync}", f"update_{sync}", lambda c: c["tps"])
        print(f"- 1-client claim / bare UPDATE TPS, {label}: {spread(ratios)}, target ≥ 0.85: "
              f"{verdict(ratios, 0.85, False)}")
        summary.append((f"1-client claim TPS / bare UPDATE TPS, {label}", spread(ratios), "≥ 0.85×",
                        verdict(ratios, 0.85, False)))
    print()

    # D. tap-to-200 and CPU per tap.
    names = sorted({key[1] for key in run.cells if key[0] == "D"}, key=lambda n: (int(n.rsplit("_", 1)[1]), n))
    print("### D. Tap-to-200 through the gateway and the shim; CPU per tap (`treasure load --rate`, 8 clients)\n")
    print("CPU: utime+stime of the gateway process and of its 8 database backends (found by application_name) "
          "over the cell, divided by the taps; the load generator's CPU is left out.  Latency from each tap's due "
          "time (no coordinated omission).\n")
    print("| cell | round | taps/s | rate held | p50 ms | p95 ms | p99 ms | p99.7 ms | max ms | gateway CPU µs/tap | "
          "backends CPU µs/tap | gateway / backends | refusals |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name in names:
        for r in run.rounds:
            c = run.cell("D", name, r)
            l = c["latency"]
            cpu_columns = (f"{c['gateway_us']:.1f} | {c['backends_us']:.1f} | {c['gateway_us'] / c['backends_us']:.2f}"
                           if "gateway_us" in c else "– | – | –")
            print(f"| {name} | {r} | {c['tps']:.0f} | {held(c['tps'], c['rate'])} | {l['p50']:.2f} | {l['p95']:.2f} | {l['p99']:.2f} | "
                  f"{l['p99_7']:.2f} | {l['max']:.2f} | {cpu_columns} | {sum(c['refusals'].values()) or 0} |")
    print()
    print("| ratio | median (min–max) | target | |")
    print("|---|---|---|---|")
    cpu_cells = [n for n in names if not n.startswith("shim")]
    for name in cpu_cells:
        ratios = run.per_round("D", name, lambda c: c["gateway_us"] / c["backends_us"])
        auth = "JWT as in `make demo`" if name.startswith("jwt") else "auth off"
        line = f"gateway CPU per tap / backends' CPU per tap, {auth}, {name.rsplit('_', 1)[1]} taps/s"
        print(f"| {line} | {spread(ratios)} | ≤ 0.33× | {verdict(ratios, 0.33, True)} |")
        if name.rsplit("_", 1)[1] == names[0].rsplit("_", 1)[1]:
            summary.append((line, spread(ratios), "≤ 0.33×", verdict(ratios, 0.33, True)))
    for name in cpu_cells:
        if name.startswith("jwt"):
            ratios = run.ratio("D", name, name.replace("jwt", "gateway"), lambda c: c["gateway_us"])
            print(f"| gateway CPU per tap, JWT / auth off, {name.rsplit('_', 1)[1]} taps/s | {spread(ratios)} | – | |")
    for rate in sorted({n.rsplit("_", 1)[1] for n in names}, key=int):
        ratios = {p: run.ratio("D", f"gateway_{rate}", f"shim_{rate}", lambda c, p=p: c["latency"][p])
                  for p in ("p95", "p99", "p99_7")}
        print(f"| tap-to-200 p95 gateway / shim, {rate} taps/s | {spread(ratios['p95'])} | ≤ 1.3× | "
              f"{verdict(ratios['p95'], 1.3, True)} |")
        print(f"| the same, p99 / p99.7 | {spread(ratios['p99'])} / {spread(ratios['p99_7'])} | – | |")
        late = run.not_held("D", [f"gateway_{rate}", f"shim_{rate}"], lambda c: c["rate"])
        summary.append((f"tap-to-200 p95 gateway / shim straight to PostgreSQL, {rate} taps/s (p99, p99.7 beside)",
                        f"{spread(ratios['p95'])} (p99 {statistics.median(ratios['p99']):.2f}×, p99.7 "
                        f"{statistics.median(ratios['p99_7']):.2f}×)", "≤ 1.3×",
                        verdict(ratios["p95"], 1.3, True) + (f"; {late} cells fell behind the rate" if late else "")))
    print()

    # E. the 5M-claim cell.
    sizes_full = read_tsv(os.path.join(out, "sizes_full.tsv"))
    sizes_full_after = {row[0]: row[2] for row in read_tsv(os.path.join(out, "sizes_full_after.tsv"))}
    sizes_empty_after = {row[0]: row[2] for row in read_tsv(os.path.join(out, "sizes_empty_after.tsv"))}
    with open(os.path.join(out, "shared_buffers.txt")) as shared_buffers_file:
        shared_buffers = shared_buffers_file.read().strip()
    total = sum(int(row[2]) for row in sizes_full)
    check_text = ("`treasure.reconcile()`" if bulk["check"] == "reconcile" else
                  "the invariants' totals (claims = claim_events = the wallets' claim counters; their coins = the "
                  "balances = the wallets' coins; claims with an item = claim_awards rows; awarded gems = gems held)")
    print(f"### E. {bulk['claims']:,} claims of {int(bulk_players):,} players against the same cluster empty "
          f"(pgbench claim_treasure(), 8 connections)\n")
    print(f"The full database: bench/setup.sql's hunt, then `bench/floors_bulk_claims.sql` as the extension's owner "
          f"({per_player} claims per player with their claim_events, claim_awards (every fifth chest's gem), "
          f"inventories and wallets, `INSERT ... SELECT` over generate_series, v4 request_ids) in "
          f"{bulk['load_seconds']} s; {check_text} then found {bulk['disagreements']} disagreements "
          f"({bulk['check_seconds']} s); then `VACUUM (ANALYZE)` of both databases ({bulk['vacuum_seconds']} s), "
          f"since the bench cluster runs with autovacuum off.  The empty database holds the same hunt and no claim.  "
          f"Both get taps from players 1..{int(bulk_players):,} on chests 1..1,000 (`bench/floors_claim.pgb`; the "
          f"request_id from `public.floors_request_id(v7)`, v4 or v7, built the same way).  The treasure schema's "
          f"relations total {mib(total)} MiB against shared_buffers = {shared_buffers}.\n")
    print("| cell | " + " | ".join(f"round {r}" for r in run.rounds) + " | median TPS | buffer hit ratio |")
    print(f"|---|{'---|' * len(run.rounds)}---|---|")
    e_names = sorted({key[1] for key in run.cells if key[0] == "E"}, key=lambda n: (n.rsplit("_", 1)[1] != "on", n))
    for name in e_names:
        values = run.per_round("E", name, lambda c: c["tps"])
        hits = sum(run.per_round("E", name, lambda c: c["blks_hit"]))
        reads = sum(run.per_round("E", name, lambda c: c["blks_read"]))
        print(f"| {name} | {' | '.join(f'{v:.0f}' for v in values)} | {statistics.median(values):.0f} | "
              f"{hits / max(1, hits + reads):.4f} |")
    print()
    print("| ratio | median (min–max) | target | |")
    print("|---|---|---|---|")
    for sync in sorted({n.rsplit("_", 1)[1] for n in e_names}, reverse=True):
        label = "durable" if sync == "on" else "asynchronous"
        for ids in ("v4", "v7"):
            ratios = run.ratio("E", f"full_{ids}_{sync}", f"empty_{ids}_{sync}", lambda c: c["tps"])
            print(f"| full / empty, {ids} request_ids, {label} | {spread(ratios)} | ≥ 0.9× | "
                  f"{verdict(ratios, 0.9, False)} |")
            summary.append((f"claim TPS with {claims_text(bulk['claims'])} claims / empty, {ids} request_ids, {label}",
                            spread(ratios), "≥ 0.9×", verdict(ratios, 0.9, False)))
        ratios = run.ratio("E", f"full_v7_{sync}", f"full_v4_{sync}", lambda c: c["tps"])
        print(f"| v7 / v4 with {claims_text(bulk['claims'])} claims, {label} | {spread(ratios)} | – | |")
    print()
    print("What grows with the tables (MiB; after the bulk load, and after section E's taps; relations of at least "
          "0.5 MiB):\n")
    print("| relation | kind | full, loaded | full, after E | empty, after E |")
    print("|---|---|---|---|---|")
    for name, kind, size in sizes_full:
        if int(sizes_full_after.get(name, size)) < 512 * 1024:
            continue
        print(f"| {name} | {'index' if kind == 'i' else 'table'} | {mib(size)} | {mib(sizes_full_after.get(name, 0))} | "
              f"{mib(sizes_empty_after.get(name, 0))} |")
    versions = read_tsv(os.path.join(out, "versions.tsv"))
    print(f"\nrequest_ids written by section E's taps in the full database, by UUID version: "
          f"{', '.join(f'v{v}: {n}' for v, n in versions)}.\n")

    print("### Summary: each target against its floor, this run\n")
    print("| measure | ratio, median (min–max) | target | |")
    print("|---|---|---|---|")
    for measure, ratio_text, target, met in summary:
        print(f"| {measure} | {ratio_text} | {target} | {met} |")
    outcomes = {}
    for cell in run.cells.values():
        for name, count in cell.get("outcomes", {}).items():
            outcomes[name] = outcomes.get(name, 0) + count
    print(f"\nOutcomes of every `treasure load` cell: {json.dumps(outcomes, sort_keys=True)}.")


def main():
    if sys.argv[1] == "percentiles":
        percentiles(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        report(*sys.argv[2:15])


main()
