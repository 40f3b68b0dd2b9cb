#!/usr/bin/env python3
"""Per-check time from `invlint check ... --stats`, median of several runs, as a table.

usage: checkstats.py [--runs N] --cwd DIR -- INVLINT ARGS...

Run with `-j1`: each check then runs alone on one thread, so its wall time is its CPU time and
the shares add up to the run. Also prints the `stats:` summary line of the last run (files, .rs,
syn parses). Fails (exit 2) when the binary prints no per-check line, so a format change in
--stats cannot silently produce an empty table.
"""
import argparse
import re
import statistics
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--cwd", required=True)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    per = {}
    order = []
    summary = ""
    for _ in range(a.runs):
        p = subprocess.run(cmd, cwd=a.cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True)
        for line in p.stderr.splitlines():
            if line.startswith("stats: checks: "):
                # Names may hold ", " themselves: "SQL scan (INV-04, INV-06) 12.3 ms".
                items = re.findall(r"(.+?) ([0-9.]+) ms(?:, |$)", line[len("stats: checks: "):])
                for name, ms in items:
                    if name not in per:
                        order.append(name)
                        per[name] = []
                    per[name].append(float(ms))
            elif line.startswith("stats: "):
                summary = line
    if not per:
        print("no `stats: checks:` line in invlint's output", file=sys.stderr)
        sys.exit(2)
    med = {k: statistics.median(v) for k, v in per.items()}
    total = sum(med.values())
    print(f"`{summary}`")
    print()
    print("| check | median ms | share of the checks' time |")
    print("| --- | ---: | ---: |")
    for k in sorted(order, key=lambda k: -med[k]):
        print(f"| {k} | {med[k]:,.1f} | {100 * med[k] / total:.1f}% |")
    print(f"| all checks | {total:,.1f} | 100% |")


if __name__ == "__main__":
    main()
