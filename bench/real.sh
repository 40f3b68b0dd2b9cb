#!/usr/bin/env bash
# real.sh - invlint on the real monorepo, side by side with ripgrep, Semgrep and ast-grep.
#
#   bash bench/real.sh [INVLINT_BIN] [GIT_DIR]
#   RUNS=7 TREES="/tmp/oa-feb" bash bench/real.sh target/release/invlint
#   BASELINE=/tmp/invlint-main bash bench/real.sh target/release/invlint   # before/after rows
#
# GIT_DIR (or OA_GIT) is a full-history git dir of OpenAgentsInc/openagents, only read: when
# given, bench/real-setup.sh first builds the pinned trees from it (shared clones under /tmp)
# and installs the peers. Adapted from ../shared/bench/compare.sh. Per tree it prints:
#  1. full scan: rg / Semgrep (regex) / ast-grep running the same rule (added SSE or polling
#     code, bench/rules/), invlint `check --all` running its whole default policy;
#  2. diff mode, HEAD~$DIFF_BACK..HEAD: `git diff -U0 | rg`, Semgrep --baseline-commit, invlint
#     `check --base HEAD~$DIFF_BACK`;
#  3. -j1 against -j2 (and the machine's core count, when more);
#  4. per-check CPU: `check --all -j1 --stats` (one thread, so each check's wall time is its
#     CPU time; the median of $RUNS runs per check), and syn parse counts.
# Medians of interleaved runs only (bench/sidebyside.py); never single runs.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RULES=$HERE/rules
TOOLS=${BENCH_TOOLS:-/tmp/invlint-bench-tools}
RUNS=${RUNS:-5}
WARMUP=${WARMUP:-1}
DIFF_BACK=${DIFF_BACK:-20}
TREES=${TREES:-${BENCH_TREES:-/tmp}/oa-head ${BENCH_TREES:-/tmp}/oa-feb}
export PATH="$TOOLS/bin:$PATH"
export SEMGREP_ENABLE_VERSION_CHECK=0 SEMGREP_SEND_METRICS=off

INVLINT=${1:-$HERE/../target/release/invlint}
[ -x "$INVLINT" ] || { echo "invlint binary '$INVLINT' not found (cargo build --release)" >&2; exit 2; }
INVLINT=$(cd "$(dirname "$INVLINT")" && pwd)/$(basename "$INVLINT")
BASELINE=${BASELINE:-}
if [ -n "$BASELINE" ]; then
  [ -x "$BASELINE" ] || { echo "BASELINE '$BASELINE' is not an executable" >&2; exit 2; }
  BASELINE=$(cd "$(dirname "$BASELINE")" && pwd)/$(basename "$BASELINE")
fi
GIT_DIR_ARG=${2:-${OA_GIT:-}}
if [ -n "$GIT_DIR_ARG" ]; then
  bash "$HERE/real-setup.sh" "$GIT_DIR_ARG" || exit 2
fi
for t in rg semgrep ast-grep git python3; do
  command -v "$t" >/dev/null || { echo "missing: $t (run bench/real-setup.sh)" >&2; exit 2; }
done

PAT=$(cat "$RULES/sse-poll.rg.txt")
q() { printf '%q' "$1"; }
SBS=(python3 "$HERE/sidebyside.py" --runs "$RUNS" --warmup "$WARMUP")

echo "# Real trees: invlint and its peers"
echo
echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%Y-%m-%d)"
echo "peers: $(rg --version | head -1); semgrep $(semgrep --version); $(ast-grep --version)"
echo "invlint: $("$INVLINT" --version) ($INVLINT)"
[ -n "$BASELINE" ] && echo "baseline (invlint-before rows): $BASELINE"

for tree in $TREES; do
  if ! git -C "$tree" rev-parse --git-dir >/dev/null 2>&1; then
    echo; echo "skip $tree: not a git work tree (run bench/real-setup.sh)"; continue
  fi
  meta=$(git -C "$tree" rev-parse --git-dir)
  base=$(git -C "$tree" rev-parse "HEAD~$DIFF_BACK") || continue
  excl=""
  if [ -s "$meta/bench-missing" ]; then
    while IFS= read -r p; do excl+=" $(q ":(exclude)$p")"; done < "$meta/bench-missing"
  fi
  nfiles=$(git -C "$tree" ls-files | wc -l)
  nchanged=$(eval "git -C $(q "$tree") diff --name-only $base HEAD -- $excl" | wc -l)
  name="$(basename "$tree") ($(git -C "$tree" rev-parse --short=8 HEAD))"
  echo; echo "## $name, $nfiles tracked files"

  "${SBS[@]}" --cwd "$tree" --title "$name: full scan" \
    --ratio invlint/rg --ratio semgrep-regex/invlint --ratio ast-grep/invlint --ratio rg/io-floor \
    "io-floor=git ls-files -z | xargs -0 cat >/dev/null 2>&1" \
    "rg=rg -n -e $(q "$PAT") ." \
    "semgrep-regex=semgrep scan --metrics=off -q --config $(q "$RULES/sse-poll.semgrep-regex.yml") ." \
    "ast-grep=ast-grep scan -r $(q "$RULES/sse-poll.ast-grep.yml") ." \
    "invlint=$(q "$INVLINT") check --all --format json" \
    ${BASELINE:+"invlint-before=$(q "$BASELINE") check --all --format json" --ratio invlint-before/invlint --ratio invlint-before/rg}

  "${SBS[@]}" --cwd "$tree" \
    --title "$name: diff mode, HEAD~$DIFF_BACK..HEAD ($nchanged files changed)" \
    --ratio invlint/diff+rg --ratio semgrep-baseline/invlint --ratio invlint/git-diff-U0 \
    "git-diff-U0=git diff -U0 $base HEAD -- $excl >/dev/null" \
    "diff+rg=git diff -U0 $base HEAD -- $excl | rg -e $(q "^\+.*($PAT)")" \
    "semgrep-baseline=semgrep scan --metrics=off -q --config $(q "$RULES/sse-poll.semgrep-regex.yml") --baseline-commit $base ." \
    "invlint=$(q "$INVLINT") check --base $base --format json" \
    ${BASELINE:+"invlint-before=$(q "$BASELINE") check --base $base --format json" --ratio invlint-before/invlint --ratio invlint-before/diff+rg}

  jobs=("j1=$(q "$INVLINT") check --all -j1 --format json" "j2=$(q "$INVLINT") check --all -j2 --format json")
  ratios=(--ratio j1/j2)
  if [ "$(nproc)" -gt 2 ]; then
    for j in 4 8 16; do
      [ "$j" -le "$(nproc)" ] || continue
      jobs+=("j$j=$(q "$INVLINT") check --all -j$j --format json"); ratios+=(--ratio "j1/j$j")
    done
  fi
  "${SBS[@]}" --cwd "$tree" --title "$name: check --all, -j scaling" "${ratios[@]}" "${jobs[@]}"

  echo
  echo "### $name: per-check CPU, \`check --all -j1 --stats\` (median of $RUNS)"
  echo
  python3 "$HERE/checkstats.py" --runs "$RUNS" --cwd "$tree" -- "$INVLINT" check --all -j1 --format json --stats
  if [ -n "$BASELINE" ]; then
    echo; echo "Baseline, same command:"; echo
    python3 "$HERE/checkstats.py" --runs "$RUNS" --cwd "$tree" -- "$BASELINE" check --all -j1 --format json --stats
  fi
done
