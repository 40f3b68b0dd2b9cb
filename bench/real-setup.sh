#!/usr/bin/env bash
# real-setup.sh - install the peer tools and build the real-tree benchmark corpus.
#
#   OA_GIT=<full-history git dir of OpenAgentsInc/openagents> bash bench/real-setup.sh
#   bash bench/real-setup.sh <git dir>          # same, as an argument
#
# Adapted from ../shared/bench/setup.sh. The git dir (a bare mirror or a clone) is only
# read: each tree is a `git clone --shared --no-checkout` of it under $BENCH_TREES (default
# /tmp), checked out detached at a pinned revision, so nothing is written into OA_GIT (no
# worktree metadata, no index, no refs) and HEAD~20 is available for the diff benchmark.
# Peers come from registries only: ripgrep (apt, or `cargo install`), Semgrep and ast-grep
# (PyPI, in a venv under $BENCH_TOOLS). Idempotent: re-running does only what is missing.
set -euo pipefail

OA_GIT=${1:-${OA_GIT:-}}
TOOLS=${BENCH_TOOLS:-/tmp/invlint-bench-tools}
TREES_DIR=${BENCH_TREES:-/tmp}

SEMGREP_VERSION=1.182.0
ASTGREP_VERSION=0.51.1

# Pinned revisions (as in ../shared/bench), so figures stay comparable across sessions.
OA_HEAD_REV=bee73331047f40622adc480a68ce3efa3f35ad32 # openagents HEAD as of 2026-11
OA_FEB_REV=73a8e72e1832a6ff62b108c6fdca37fa9921a509  # openagents 2026-02-22 (Rust-heavy)

log() { printf '[real-setup] %s\n' "$*" >&2; }
export SEMGREP_ENABLE_VERSION_CHECK=0 SEMGREP_SEND_METRICS=off

install_peers() {
  mkdir -p "$TOOLS/bin"
  if ! command -v rg >/dev/null && [ ! -x "$TOOLS/bin/rg" ]; then
    if command -v apt-get >/dev/null; then
      apt-get install -y -q ripgrep >/dev/null
    else
      cargo install ripgrep --locked --root "$TOOLS" --quiet
    fi
  fi
  if ! { [ -x "$TOOLS/venv/bin/semgrep" ] && [ -x "$TOOLS/venv/bin/ast-grep" ]; }; then
    log "pip install semgrep $SEMGREP_VERSION, ast-grep-cli $ASTGREP_VERSION"
    [ -x "$TOOLS/venv/bin/python" ] || python3 -m venv "$TOOLS/venv"
    "$TOOLS/venv/bin/pip" install -q "semgrep==$SEMGREP_VERSION" "ast-grep-cli==$ASTGREP_VERSION"
  fi
  # /usr/bin/sg on Debian is shadow-utils' "switch group": call ast-grep by its full name.
  ln -sf "$TOOLS/venv/bin/semgrep" "$TOOLS/bin/semgrep"
  ln -sf "$TOOLS/venv/bin/ast-grep" "$TOOLS/bin/ast-grep"
}

# make_tree GITDIR REV DEST: a shared clone of GITDIR checked out detached at REV in DEST.
make_tree() {
  local gd=$1 rev=$2 dest=$3
  if [ -f "$dest/.git/bench-ready" ] && [ "$(git -C "$dest" rev-parse HEAD)" = "$rev" ]; then
    log "$dest already at ${rev:0:10}"
    return 0
  fi
  git --git-dir="$gd" cat-file -e "$rev^{commit}" || { log "ERROR: $rev not in $gd"; return 1; }
  log "building $dest at ${rev:0:10}"
  rm -rf "$dest"
  git clone --quiet --shared --no-checkout "$gd" "$dest"
  (
    cd "$dest"
    git update-ref --no-deref HEAD "$rev"
    git read-tree "$rev"
    # Blobs a partial mirror lacks (a few large binaries): marked skip-worktree and left out
    # of the tree, listed in .git/bench-missing (compare.sh keeps `git diff` away from them).
    git ls-files -s > .git/bench-index
    awk '{print $2}' .git/bench-index | git cat-file --batch-check \
      | awk '$2=="missing"{print $1}' > .git/bench-missing-oids
    awk -F'\t' 'NR==FNR{m[$1]=1; next} {split($1,a," "); if (a[2] in m) print $2}' \
      .git/bench-missing-oids .git/bench-index > .git/bench-missing
    if [ -s .git/bench-missing ]; then
      log "$(wc -l < .git/bench-missing) blob(s) absent from the git dir, left out of $dest"
      git update-index --skip-worktree --stdin < .git/bench-missing
    fi
    git checkout-index --all --quiet
    git update-index -q --refresh || true
    if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
      log "ERROR: $dest is not clean after checkout"
      exit 1
    fi
    rm -f .git/bench-index .git/bench-missing-oids
    touch .git/bench-ready
  )
  log "$dest: $(git -C "$dest" ls-files | wc -l) tracked files"
}

install_peers
[ -n "$OA_GIT" ] || { log "no git dir given (argument or OA_GIT): trees not built"; exit 2; }
make_tree "$OA_GIT" "$OA_HEAD_REV" "$TREES_DIR/oa-head"
make_tree "$OA_GIT" "$OA_FEB_REV" "$TREES_DIR/oa-feb"
log "done. Peers in $TOOLS/bin; trees $TREES_DIR/oa-head and $TREES_DIR/oa-feb."
