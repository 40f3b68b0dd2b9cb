#!/usr/bin/env bash
# Benchmark: invlint against ripgrep on synthetic monorepos shaped like the reference layout.
#   bench/run.sh [RUNS] [SIZES...]     (defaults: 7 runs; trees of 20000 and 100000 files)
# Each tree has 210 commits, so HEAD~20 and HEAD~200 are meaningful bases. Writes
# bench/RESULTS.md (one table per tree). Needs python3 (3.11+, for tomllib), git, ripgrep
# (installed with apt-get or cargo if missing) and /usr/bin/time (GNU time, for peak RSS).
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-7}
shift || true
SIZES=("$@")
[ ${#SIZES[@]} -eq 0 ] && SIZES=(20000 100000)
COMMITS=210

if ! command -v rg >/dev/null 2>&1; then
  (command -v apt-get >/dev/null && apt-get install -y -q ripgrep) || cargo install --locked ripgrep
fi
cargo build --release --locked --quiet
# The real-tree sections (bench/real.sh, written by hand from its output) follow this marker and
# are kept when the generated-tree tables are rewritten.
MARK='<!-- real trees: bench/real.sh -->'
KEEP=$(mktemp)
if [ -f bench/RESULTS.md ] && grep -qF "$MARK" bench/RESULTS.md; then
  awk -v m="$MARK" '$0 == m {on = 1} on' bench/RESULTS.md > "$KEEP"
fi
{
  echo "# Benchmark results"
  echo
  echo "Produced by \`bench/run.sh\` on $(nproc) cores ($(uname -m), $(date -u +%Y-%m-%d))."
  echo "invlint $(target/release/invlint --version | cut -d' ' -f2), release build."
  echo
} > bench/RESULTS.md
for FILES in "${SIZES[@]}"; do
  WORK=bench/work/mono-$FILES-$COMMITS
  if [ ! -d "$WORK/.git" ]; then
    rm -rf "$WORK"
    python3 bench/gen.py "$WORK" --files "$FILES" --commits "$COMMITS"
  fi
  echo "## $FILES files" >> bench/RESULTS.md
  echo >> bench/RESULTS.md
  python3 bench/compare.py target/release/invlint "$WORK" --runs "$RUNS" --out bench/RESULTS.md
done
cat "$KEEP" >> bench/RESULTS.md
rm -f "$KEEP"
cat bench/RESULTS.md
