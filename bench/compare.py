#!/usr/bin/env python3
"""Time invlint against ripgrep on the same tree, interleaved, and print a Markdown table.

usage: compare.py INVLINT REPO [--runs N] [--policy inv-rules.toml] [--out RESULTS.md]

The patterns ripgrep searches are the `regex` (and `near`) values of every active invariant in
the policy, so both tools look for the same text. Each pair runs alternately (invlint, rg,
invlint, rg, ...) so that machine noise hits both; we report medians and their ratio.
"""
import argparse
import os
import shlex
import statistics
import subprocess
import sys
import time
import tomllib


def patterns(policy_path):
    with open(policy_path, "rb") as f:
        policy = tomllib.load(f)
    out = []
    for inv in policy.get("invariant", {}).values():
        if inv.get("status", "stable") not in ("stable", "preview"):
            continue
        stack = [inv]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                for k, v in node.items():
                    if k in ("regex", "near") and isinstance(v, str):
                        out.append(v)
                    else:
                        stack.append(v)
            elif isinstance(node, list):
                stack.extend(node)
    return sorted(set(out))


def timed(cmd):
    t = time.perf_counter()
    subprocess.run(cmd, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("invlint")
    ap.add_argument("repo")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--policy", default=os.path.join(os.path.dirname(__file__), "..", "inv-rules.toml"))
    ap.add_argument("--out")
    args = ap.parse_args()

    pats = patterns(args.policy)
    rg_pats = " ".join("-e " + shlex.quote(p) for p in pats)
    inv = shlex.quote(os.path.abspath(args.invlint))
    repo = shlex.quote(os.path.abspath(args.repo))
    nfiles = int(subprocess.run(f"git -C {repo} ls-files | wc -l", shell=True,
                                capture_output=True, text=True).stdout.strip())
    ncommits = int(subprocess.run(f"git -C {repo} rev-list --count HEAD", shell=True,
                                  capture_output=True, text=True).stdout.strip())

    scenarios = [
        ("`check --all` vs `rg` over the tree",
         f"{inv} -C {repo} check --all --format json",
         f"rg --no-messages -n {rg_pats} {repo}"),
        ("`check --base HEAD~20` vs `git diff -U0 HEAD~20 | rg`",
         f"{inv} -C {repo} check --base HEAD~20 --format json",
         f"git -C {repo} diff -U0 HEAD~20 | rg -n {rg_pats}"),
    ]
    if ncommits > 200:
        scenarios.append(("`check --base HEAD~200` vs `git diff -U0 HEAD~200 | rg`",
                          f"{inv} -C {repo} check --base HEAD~200 --format json",
                          f"git -C {repo} diff -U0 HEAD~200 | rg -n {rg_pats}"))

    rows = []
    for name, a, b in scenarios:
        timed(a), timed(b)  # warm the page cache for both
        ta, tb = [], []
        for _ in range(args.runs):
            ta.append(timed(a))
            tb.append(timed(b))
        ma, mb = statistics.median(ta), statistics.median(tb)
        rows.append((name, ma, mb, ma / mb))
        print(f"{name}: invlint {ma*1000:.1f} ms, baseline {mb*1000:.1f} ms, ratio {ma/mb:.2f}x",
              file=sys.stderr)

    rg_version = subprocess.run("rg --version | head -1", shell=True, capture_output=True,
                                text=True).stdout.strip()
    lines = [
        f"Tree: {nfiles} files, {ncommits} commits (bench/gen.py). Machine: {os.cpu_count()} cores. "
        f"{rg_version}. {len(pats)} patterns from the policy's active invariants. "
        f"Medians of {args.runs} interleaved runs.",
        "",
        "| scenario | invlint (ms) | baseline (ms) | ratio |",
        "| --- | ---: | ---: | ---: |",
    ]
    for name, ma, mb, r in rows:
        lines.append(f"| {name} | {ma*1000:.1f} | {mb*1000:.1f} | {r:.2f}x |")
    table = "\n".join(lines) + "\n"
    print(table)
    if args.out:
        with open(args.out, "w") as f:
            f.write("# Benchmark results\n\nProduced by `bench/run.sh`.\n\n" + table)


if __name__ == "__main__":
    main()
