#!/usr/bin/env bash
# Benchmark: invlint against ripgrep on a synthetic monorepo shaped like the reference layout.
#   bench/run.sh [FILES] [COMMITS] [RUNS]     (defaults: 20000 25 7)
# Writes bench/RESULTS.md. Needs python3 (3.11+, for tomllib), git and ripgrep (`rg`); installs
# ripgrep with apt-get or cargo if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
FILES=${1:-20000}
COMMITS=${2:-25}
RUNS=${3:-7}

if ! command -v rg >/dev/null 2>&1; then
  (command -v apt-get >/dev/null && apt-get install -y -q ripgrep) || cargo install --locked ripgrep
fi
cargo build --release --locked --quiet
WORK=bench/work/mono-$FILES-$COMMITS
if [ ! -d "$WORK/.git" ]; then
  rm -rf "$WORK"
  python3 bench/gen.py "$WORK" --files "$FILES" --commits "$COMMITS"
fi
python3 bench/compare.py target/release/invlint "$WORK" --runs "$RUNS" --out bench/RESULTS.md
