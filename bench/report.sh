#!/usr/bin/env bash
# `invlint report` over the real monorepo (issue 21): the first-parent commits of main whose
# committer day (UTC) is 2026-02-12..2026-02-25 (1,004 commits, ending 2026-02-25), on 2 cores,
# release build, cold cache, then warm cache. Never writes into the mirror: a shared clone in a
# temporary directory.
set -euo pipefail
cd "$(dirname "$0")/.."
MIRROR=${MIRROR:-/work/.mirror/OpenAgentsInc+openagents/repo}
TIP=${TIP:-1e528d71de6dd52bc9d78466df4007d23d8ddc89}
BIN=${BIN:-$PWD/target/release/invlint}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
git clone -q --shared --no-checkout "$MIRROR" "$WORK/repo"
git -C "$WORK/repo" checkout -q -b bench "$TIP"
echo "commits: $(git -C "$WORK/repo" log --first-parent --format=%ct bench | python3 -c '
import sys, datetime
days = [datetime.datetime.fromtimestamp(int(l), datetime.timezone.utc).date().isoformat() for l in sys.stdin]
print(sum("2026-02-12" <= d <= "2026-02-25" for d in days))')"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
run() {
  local label=$1; shift
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -f "%U %S %M" -o "$WORK/$label.time" \
    taskset -c 0,1 "$BIN" -C "$WORK/repo" report --branch bench --since 2026-02-12 --until 2026-02-25 \
    -j 2 "$@" -o "$WORK/$label.out" || true
  end=$(date +%s.%N)
  read -r user sys rss < <(tail -1 "$WORK/$label.time")
  echo "$label: $(python3 -c "print(round($end - $start, 1))") s wall, $(python3 -c "print(round($user + $sys, 1))") s CPU (user+sys), peak RSS $((rss / 1024)) MiB, load $(cut -d' ' -f1-3 /proc/loadavg)"
}
export XDG_CACHE_HOME="$WORK/cache"
run cold --format json
run warm --format json
run cold-no-pr-checks --format markdown --no-pr-checks --no-cache
python3 - "$WORK/cold.out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print("evaluated:", d["commits"] - len(d["not_evaluated"]), "of", d["commits"], "; total KPI", d["total"])
for n in d["not_evaluated"]:
    print("  not evaluated:", n["short"], n["error"][:120])
PY
