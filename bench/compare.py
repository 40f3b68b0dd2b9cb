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
    # ripgrep joins every -e into one alternation, where repeated group names are an error:
    # named groups (used by invlint to pick a capture) become plain groups.
    import re
    out = [re.sub(r"\(\?P<\w+>", "(?:", p) for p in out]
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

    def pair(name, a, b, bar):
        timed(a), timed(b)  # warm the page cache for both
        ta, tb = [], []
        for _ in range(args.runs):
            ta.append(timed(a))
            tb.append(timed(b))
        ma, mb = statistics.median(ta), statistics.median(tb)
        rows.append((name, f"{ma*1000:.1f}", f"{mb*1000:.1f}", f"{ma/mb:.2f}x", bar))
        print(f"{name}: invlint {ma*1000:.1f} ms, baseline {mb*1000:.1f} ms, ratio {ma/mb:.2f}x",
              file=sys.stderr)
        return ma, mb

    def alone(name, a, bar):
        timed(a)
        t = statistics.median(timed(a) for _ in range(max(args.runs, 9)))
        rows.append((name, f"{t*1000:.1f}", "", "", bar))
        print(f"{name}: {t*1000:.1f} ms", file=sys.stderr)

    def rss(name, a, bar):
        out = subprocess.run(f"/usr/bin/time -f '%M' {a} >/dev/null 2>/tmp/invlint-rss",
                             shell=True)
        kib = int(open("/tmp/invlint-rss").read().strip().splitlines()[-1])
        rows.append((name, f"{kib/1024:.1f} MiB peak RSS", "", "", bar))
        print(f"{name}: {kib/1024:.1f} MiB", file=sys.stderr)

    for name, a, b in scenarios:
        bar = {"`check --all`": "<= 1.5x", "`check --base HEAD~20`": "<= 1.5x, < 200 ms",
               "`check --base HEAD~200`": "<= 1.2x"}.get(name.split(" vs ")[0], "")
        pair(name, a, b, bar)

    # -j2 against -j1 on the audit.
    j1 = f"{inv} -C {repo} check --all --format json -j 1"
    j2 = f"{inv} -C {repo} check --all --format json -j 2"
    m1, m2 = pair("`check --all -j1` vs `-j2` (ratio = j1/j2 speed-up)", j1, j2, ">= 1.5x")
    rows[-1] = (rows[-1][0], f"{m1*1000:.1f}", f"{m2*1000:.1f}", f"{m1/m2:.2f}x", ">= 1.5x")

    # One staged file, whole process (pre-commit).
    victim = subprocess.run(f"git -C {repo} ls-files '*.ts' | head -1", shell=True,
                            capture_output=True, text=True).stdout.strip()
    vpath = os.path.join(os.path.abspath(args.repo), victim)
    original = open(vpath).read()
    try:
        with open(vpath, "a") as f:
            f.write("export const STAGED_FOR_BENCH = 1;\n")
        subprocess.run(["git", "-C", os.path.abspath(args.repo), "add", victim], check=True)
        pair("`check --staged`, one staged file (whole process) vs `git diff --cached | rg`",
             f"{inv} -C {repo} check --staged --format json",
             f"git -C {repo} diff --cached -U0 | rg -n {rg_pats}", "< 20 ms")
    finally:
        subprocess.run(["git", "-C", os.path.abspath(args.repo), "reset", "-q", "HEAD", victim])
        with open(vpath, "w") as f:
            f.write(original)

    alone("`--version`", f"{inv} --version", "< 5 ms")
    alone("policy load and validation (`invlint rules`)", f"{inv} -C {repo} rules", "< 5 ms")
    rss("`check --all` memory", f"{inv} -C {repo} check --all --format json", "<= 64 MiB at 100k files")
    base = "HEAD~200" if ncommits > 200 else "HEAD~20"
    rss(f"`check --base {base}` memory", f"{inv} -C {repo} check --base {base} --format json",
        "<= 128 MiB")

    rg_version = subprocess.run("rg --version | head -1", shell=True, capture_output=True,
                                text=True).stdout.strip()
    lines = [
        f"Tree: {nfiles} files, {ncommits} commits (bench/gen.py). Machine: {os.cpu_count()} cores. "
        f"{rg_version}. {len(pats)} patterns from the policy's active invariants. "
        f"Medians of {args.runs} interleaved runs.",
        "",
        "| scenario | invlint (ms) | baseline (ms) | ratio | bar |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for name, ma, mb, r, bar in rows:
        lines.append(f"| {name} | {ma} | {mb} | {r} | {bar} |")
    table = "\n".join(lines) + "\n"
    print(table)
    if args.out:
        with open(args.out, "a") as f:
            f.write(table + "\n")


if __name__ == "__main__":
    main()
