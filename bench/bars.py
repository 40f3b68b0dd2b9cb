#!/usr/bin/env python3
"""The three load/latency/memory bars of #19, measured on generated trees (bench/gen.py).

usage: bars.py INVLINT TREE20K TREE100K [--runs N] [--before OTHER_INVLINT]

- policy load: the `stats: policy load` line of `check --staged --stats` on an empty change,
  with the validated-policy cache off (a validating load) and on (a warm entry), plus the
  whole process of that empty `check --staged`;
- `check --staged` with one staged `.ts` file in the 20k-file tree, whole process;
- peak RSS of `check --all` on the 100k-file tree (`/usr/bin/time -f %M`).
Wall and CPU (user+sys, from wait4) medians of N runs; the load average is printed, since the
machine may be shared. With --before, the same rows for another build, interleaved.
"""
import argparse
import os
import re
import statistics
import subprocess
import tempfile


def run(cmd, env=None):
    """(wall s, cpu s, stderr) of one run."""
    import time
    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, ru = os.wait4(p.pid, 0)
    err = p.stderr.read().decode(errors="replace")
    p.stderr.close()
    return time.perf_counter() - t, ru.ru_utime + ru.ru_stime, err


def med(xs):
    return statistics.median(xs) * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("invlint")
    ap.add_argument("tree20k")
    ap.add_argument("tree100k")
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--before")
    a = ap.parse_args()
    bins = [("after", os.path.abspath(a.invlint))]
    if a.before:
        bins.insert(0, ("before", os.path.abspath(a.before)))
    cache = tempfile.mkdtemp(prefix="invlint-bars-cache-")
    env_on = dict(os.environ, XDG_CACHE_HOME=cache)
    env_off = dict(os.environ, INVLINT_POLICY_CACHE="off", XDG_CACHE_HOME=cache)
    print("load average at start:", open("/proc/loadavg").read().split()[:3])
    t20 = os.path.abspath(a.tree20k)

    # 1. policy load, empty change.
    subprocess.run(["git", "-C", t20, "reset", "-q"], check=True)
    for name, b in bins:
        for label, env in (("cache off", env_off), ("cache on", env_on)):
            cmd = [b, "-C", t20, "check", "--staged", "--stats", "--format", "json"]
            run(cmd, env)  # warm the page cache (and the policy cache, when on)
            walls, cpus, loads = [], [], []
            for _ in range(a.runs):
                w, c, err = run(cmd, env)
                walls.append(w)
                cpus.append(c)
                m = re.search(r"policy load ([0-9.]+) ms", err)
                if m:
                    loads.append(float(m.group(1)) / 1000)
            pl = f"{med(loads):.2f} ms" if loads else "n/a (no stats line)"
            print(f"[{name}] empty `check --staged` ({label}): policy load {pl}; "
                  f"process wall {med(walls):.1f} ms, cpu {med(cpus):.1f} ms")

    # 2. one staged file at 20k.
    victim = subprocess.run(["git", "-C", t20, "ls-files", "*.ts"], capture_output=True,
                            text=True).stdout.splitlines()[0]
    path = os.path.join(t20, victim)
    original = open(path).read()
    try:
        with open(path, "a") as f:
            f.write("export const STAGED_FOR_BENCH = 1;\n")
        subprocess.run(["git", "-C", t20, "add", victim], check=True)
        rows = {name: ([], []) for name, _ in bins}
        for name, b in bins:
            run([b, "-C", t20, "check", "--staged", "--format", "json"], env_on)
        for _ in range(a.runs):
            for name, b in bins:
                w, c, _ = run([b, "-C", t20, "check", "--staged", "--format", "json"], env_on)
                rows[name][0].append(w)
                rows[name][1].append(c)
        for name, _ in bins:
            print(f"[{name}] `check --staged`, one staged file, 20k files: "
                  f"wall {med(rows[name][0]):.1f} ms, cpu {med(rows[name][1]):.1f} ms")
        _, _, err = run([bins[-1][1], "-C", t20, "check", "--staged", "--stats", "--format",
                         "json"], env_on)
        print("   ", err.strip().replace("\n", "\n    "))
    finally:
        subprocess.run(["git", "-C", t20, "reset", "-q", "HEAD", victim])
        with open(path, "w") as f:
            f.write(original)

    # 3. peak RSS at 100k.
    t100 = os.path.abspath(a.tree100k)
    for name, b in bins:
        r = subprocess.run(["/usr/bin/time", "-f", "%M %U %S %e", b, "-C", t100, "check",
                            "--all", "--format", "json"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True, env=env_on)
        kib, u, s, e = r.stderr.strip().splitlines()[-1].split()
        print(f"[{name}] `check --all`, 100k files: peak RSS {int(kib)/1024:.1f} MiB, "
              f"cpu {float(u)+float(s):.2f} s, wall {e} s")
    print("load average at end:", open("/proc/loadavg").read().split()[:3])


if __name__ == "__main__":
    main()
