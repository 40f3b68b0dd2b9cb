#!/usr/bin/env python3
"""Time several shell commands side by side in one directory, interleaved, and print a table.

usage: sidebyside.py --cwd DIR [--runs N] [--warmup N] [--title T] [--ratio A/B ...] NAME=CMD ...

Each round runs every command once, in a rotated order, so machine noise (other engineers'
builds on a shared 2-core box) hits all of them. Reports per command the median wall time,
min and max, the median CPU time (user + system, children included, from wait4) and the peak
RSS; then each requested ratio of medians (A/B: how many times slower A is than B) and the
median of the per-round ratios, which is the steadier figure on a noisy machine.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time


def run_once(cmd, cwd):
    t = time.perf_counter()
    p = subprocess.Popen(["bash", "-c", cmd], cwd=cwd, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    return wall * 1000, (ru.ru_utime + ru.ru_stime) * 1000, ru.ru_maxrss / 1024, p.returncode


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cwd", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--title", default="")
    ap.add_argument("--ratio", action="append", default=[])
    ap.add_argument("cmds", nargs="+")
    a = ap.parse_args()
    cmds = []
    for c in a.cmds:
        name, _, cmd = c.partition("=")
        cmds.append((name, cmd))
    for _ in range(a.warmup):
        for _, cmd in cmds:
            run_once(cmd, a.cwd)
    res = {n: [] for n, _ in cmds}
    for r in range(a.runs):
        order = cmds[r % len(cmds):] + cmds[:r % len(cmds)]
        for name, cmd in order:
            res[name].append(run_once(cmd, a.cwd))
    print()
    print(f"### {a.title}")
    print()
    print(f"Medians of {a.runs} interleaved runs ({a.warmup} warm-up), {os.cpu_count()} cores.")
    print()
    print("| command | median ms | min | max | cpu ms | peak RSS MiB | exit |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    med = {}
    for name, cmd in cmds:
        rs = res[name]
        w = [x[0] for x in rs]
        med[name] = statistics.median(w)
        print(f"| {name} | {med[name]:,.0f} | {min(w):,.0f} | {max(w):,.0f} | "
              f"{statistics.median(x[1] for x in rs):,.0f} | {max(x[2] for x in rs):.1f} | "
              f"{','.join(sorted({str(x[3]) for x in rs}))} |")
    if a.ratio:
        print()
        print("| ratio | of medians | median of per-round ratios |")
        print("| --- | ---: | ---: |")
        for r in a.ratio:
            x, y = r.split("/")
            if x not in res or y not in res:
                continue
            per = statistics.median(p[0] / q[0] for p, q in zip(res[x], res[y]))
            print(f"| {x} / {y} | {med[x] / med[y]:.2f}x | {per:.2f}x |")
    for name, cmd in cmds:
        print(f"<!-- {name}: {cmd} -->")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
