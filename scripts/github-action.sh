#!/usr/bin/env bash
# The GitHub Action's steps (action.yml calls this; tests run it against fixture repositories and
# a loopback file server holding a fake release).
#
#   github-action.sh cache-key   the cache key for this version and action source (to GITHUB_OUTPUT)
#   github-action.sh install     download the release binary for this runner into $INVLINT_ROOT/bin,
#                                verify its SHA-256 against the release's SHA256SUMS, or, only when
#                                the release has no binary for this platform, cargo install --locked
#   github-action.sh run         check the change the event names and set the `verdict` output
#   github-action.sh target      print the release target name for this machine
#
# Inputs come as environment variables: INPUT_VERSION (release version, e.g. 0.1.0; empty: the
# action's own Cargo.toml version), INPUT_GATE (merge|release), INPUT_CONFIG (policy path),
# INPUT_SARIF (file to write SARIF to; empty: none), INPUT_ARGS (extra arguments, ONE PER LINE:
# never word-split or glob-expanded), INVLINT_BIN (the binary; default $INVLINT_ROOT/bin/invlint),
# INVLINT_RELEASES_URL (where releases live; default GitHub's release downloads of the action's
# repository). GitHub provides GITHUB_EVENT_PATH, GITHUB_EVENT_NAME, GITHUB_OUTPUT and
# GITHUB_STEP_SUMMARY.
set -euo pipefail

cmd="${1:-}"
root="${INVLINT_ROOT:-$HOME/.invlint}"
action_dir="${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")/.." && pwd)}"

die() { # message, exit code
  echo "::error title=invlint::$1"
  echo "verdict=error" >>"${GITHUB_OUTPUT:-/dev/null}"
  exit "${2:-2}"
}

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$@"; else shasum -a 256 "$@"; fi
}

# The version to install (VERSION): INPUT_VERSION without a leading v, else the action's own.
resolve_version() {
  VERSION="${INPUT_VERSION:-}"
  VERSION="${VERSION#v}"
  if [ -z "$VERSION" ]; then
    VERSION="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$action_dir/Cargo.toml" | head -n1)"
  fi
  case "$VERSION" in
    "" | *[!0-9A-Za-z.+-]*) die "version '${INPUT_VERSION:-}' is not a release version (e.g. 0.1.0)" ;;
  esac
}

# The release target for this machine (RUNNER_OS/RUNNER_ARCH on GitHub, uname elsewhere).
target() {
  local os arch
  os="${RUNNER_OS:-$(uname -s)}"
  arch="${RUNNER_ARCH:-$(uname -m)}"
  case "$arch" in
    X64 | x86_64 | amd64) arch=x86_64 ;;
    ARM64 | aarch64 | arm64) arch=aarch64 ;;
    *) return 1 ;;
  esac
  case "$os" in
    Linux) echo "$arch-unknown-linux-gnu" ;;
    macOS | Darwin) echo "$arch-apple-darwin" ;;
    Windows | MINGW* | MSYS* | CYGWIN*) [ "$arch" = x86_64 ] && echo "x86_64-pc-windows-msvc" || return 1 ;;
    *) return 1 ;;
  esac
}

# Downloads URL to FILE. Prints the HTTP status; curl's own failures (no network) exit non-zero.
fetch() {
  curl --silent --show-error --location --retry 2 --proto '=https,http' \
    --output "$2" --write-out '%{http_code}' "$1"
}

# Builds from source: the action's own checkout when it is the wanted version, else crates.io.
build_from_source() {
  local v="$1" own
  if ! command -v cargo >/dev/null 2>&1; then
    die "no release binary fits this runner and cargo is not on PATH; add dtolnay/rust-toolchain@stable (or any Rust setup) before this action"
  fi
  own="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$action_dir/Cargo.toml" | head -n1)"
  if [ "$v" = "$own" ]; then
    cargo install --locked --path "$action_dir" --root "$root"
  else
    cargo install --locked invlint --version "=$v" --root "$root"
  fi
}

install() {
  local v t ext archive url status want got
  resolve_version
  v="$VERSION"
  if [ -x "$root/bin/invlint" ] && [ "$("$root/bin/invlint" --version 2>/dev/null)" = "invlint $v" ]; then
    echo "invlint $v already installed (cache hit)"
    return 0
  fi
  if ! t="$(target)"; then
    echo "invlint: no release binary for $(uname -s) $(uname -m); building from source"
    build_from_source "$v"
    return 0
  fi
  ext=tar.gz
  case "$t" in *windows*) ext=zip ;; esac
  archive="invlint-$t.$ext"
  url="${INVLINT_RELEASES_URL:-https://github.com/${INVLINT_REPOSITORY:-invlint/invlint}/releases/download}/v$v"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  status="$(fetch "$url/$archive" "$tmp/$archive")" || die "downloading $url/$archive failed"
  if [ "$status" = 404 ]; then
    echo "invlint: release v$v has no $archive; building from source"
    build_from_source "$v"
    return 0
  fi
  [ "$status" = 200 ] || die "downloading $url/$archive: HTTP $status"
  # Fail closed: a binary whose checksum cannot be checked is not installed.
  status="$(fetch "$url/SHA256SUMS" "$tmp/SHA256SUMS")" || die "downloading $url/SHA256SUMS failed"
  [ "$status" = 200 ] || die "release v$v has no SHA256SUMS (HTTP $status): refusing an unverified binary"
  want="$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1; exit }' "$tmp/SHA256SUMS")"
  [ -n "$want" ] || die "SHA256SUMS of v$v lists no $archive: refusing an unverified binary"
  got="$(cd "$tmp" && sha256 "$archive" | cut -d' ' -f1)"
  [ "$got" = "$want" ] || die "checksum mismatch for $archive: expected $want, got $got; not installed"
  mkdir -p "$tmp/x" "$root/bin"
  if [ "$ext" = zip ]; then
    if command -v unzip >/dev/null 2>&1; then
      unzip -q "$tmp/$archive" -d "$tmp/x"
    else
      7z x -y -o"$tmp/x" "$tmp/$archive" >/dev/null
    fi
    cp "$tmp/x/invlint-$t/invlint.exe" "$root/bin/invlint.exe"
    cp "$tmp/x/invlint-$t/invlint.exe" "$root/bin/invlint"
  else
    tar -xzf "$tmp/$archive" -C "$tmp/x" "invlint-$t/invlint"
    cp "$tmp/x/invlint-$t/invlint" "$root/bin/invlint"
  fi
  chmod 755 "$root/bin/invlint"
  echo "invlint: installed $("$root/bin/invlint" --version) ($archive, sha256 $got)"
}

# A hash of what the action would build from, so a moved tag (v1) never reuses an old build.
cache_key() {
  local v src
  resolve_version
  v="$VERSION"
  local parts=() p
  for p in Cargo.toml Cargo.lock src rules inv-rules.toml scripts; do
    if [ -e "$action_dir/$p" ]; then parts+=("$p"); fi
  done
  src="$(cd "$action_dir" && find "${parts[@]}" -type f | LC_ALL=C sort |
    while IFS= read -r f; do sha256 "$f"; done | sha256 | cut -c1-16)"
  echo "key=invlint-${RUNNER_OS:-$(uname -s)}-${RUNNER_ARCH:-$(uname -m)}-v$v-${GITHUB_ACTION_REF:-local}-$src" |
    tee -a "${GITHUB_OUTPUT:-/dev/null}"
}

# A field of the event file, via jq or python3 (empty when neither is there or it is absent).
event_field() {
  local path="${GITHUB_EVENT_PATH:-}"
  [ -n "$path" ] && [ -f "$path" ] || return 0
  if command -v jq >/dev/null 2>&1; then
    jq -r "$1 // empty" "$path" 2>/dev/null || true
  elif command -v python3 >/dev/null 2>&1; then
    python3 - "$path" "$1" <<'PY' 2>/dev/null || true
import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].lstrip(".").split("."):
    v = v.get(k) if isinstance(v, dict) else None
print(v if isinstance(v, str) else "")
PY
  fi
}

# True when the arguments already say what to compare.
names_mode() {
  local a
  for a in "$@"; do
    case "$a" in --base | --base=* | --range | --range=* | --all | --staged) return 0 ;; esac
  done
  return 1
}

is_sha() { [[ "$1" =~ ^[0-9a-f]{7,64}$ ]]; }

# In a shallow clone, makes `base` and HEAD's merge base with it present: fetch the base commit
# alone, then deepen HEAD's history in steps until they meet (GitHub's pull_request merge commit
# at fetch-depth 2 needs none of this: its first parent is the base).
ensure_base() {
  local base="$1" head d
  [ "$(git rev-parse --is-shallow-repository 2>/dev/null)" = true ] || return 0
  if ! git cat-file -e "$base^{commit}" 2>/dev/null; then
    echo "invlint: fetching the base commit $base"
    git fetch --no-tags --quiet --depth=1 origin "$base" || return 0
  fi
  head="$(git rev-parse HEAD)"
  for d in 50 200 1000; do
    git merge-base HEAD "$base" >/dev/null 2>&1 && return 0
    echo "invlint: deepening the clone by $d commits to find the merge base"
    git fetch --no-tags --quiet --deepen="$d" origin "$head" || break
  done
  git merge-base HEAD "$base" >/dev/null 2>&1 || git fetch --no-tags --quiet --unshallow origin || true
}

run() {
  local bin base before default event args line code verdict
  bin="${INVLINT_BIN:-$root/bin/invlint}"
  [ -x "$bin" ] || die "invlint is not installed at $bin (run the install step first)"
  event="${GITHUB_EVENT_NAME:-}"
  args=(check --format github --gate "${INPUT_GATE:-merge}")
  # Extra arguments: one per line, taken verbatim (no word splitting, no globbing).
  while IFS= read -r line || [ -n "$line" ]; do
    line="${line#"${line%%[![:space:]]*}"}"
    line="${line%"${line##*[![:space:]]}"}"
    [ -n "$line" ] && args+=("$line")
  done <<<"${INPUT_ARGS:-}"
  base=""
  case "$event" in
    pull_request | pull_request_target) base="$(event_field .pull_request.base.sha)" ;;
    merge_group) base="$(event_field .merge_group.base_sha)" ;;
    push)
      before="$(event_field .before)"
      if [[ "$before" =~ ^0+$ ]]; then
        # A new branch: compare with the default branch (invlint reads the same field).
        default="$(event_field .repository.default_branch)"
        if [[ "$default" =~ ^[A-Za-z0-9._/-]+$ ]] && [[ "$default" != -* ]]; then
          git fetch --no-tags --quiet --depth=1 origin "+refs/heads/$default:refs/remotes/origin/$default" || true
          base="$(git rev-parse --verify --quiet "origin/$default^{commit}" || true)"
        fi
      else
        base="$before"
      fi
      ;;
  esac
  if [ -n "$base" ] && is_sha "$base"; then
    ensure_base "$base"
  elif ! names_mode "${args[@]}"; then
    # No base from the event: invlint falls back to origin/HEAD, main, master. Say what to do
    # when none exists instead of failing on a revision error.
    if ! git rev-parse --verify --quiet origin/HEAD >/dev/null &&
      ! git rev-parse --verify --quiet main >/dev/null &&
      ! git rev-parse --verify --quiet master >/dev/null; then
      die "the '${event:-unknown}' event names no base commit and this clone has no origin/HEAD, main or master; pass one in args (--base <rev>, --range A..B or --all)"
    fi
  fi
  if [ -n "${INPUT_CONFIG:-}" ]; then args+=(--config "$INPUT_CONFIG"); fi
  if [ -n "${INPUT_SARIF:-}" ]; then args+=(--sarif-output "$INPUT_SARIF"); fi
  set +e
  "$bin" "${args[@]}"
  code=$?
  set -e
  case "$code" in
    0) verdict=pass ;;
    1) verdict=blocked ;;
    *) verdict=error ;;
  esac
  echo "verdict=$verdict" >>"${GITHUB_OUTPUT:-/dev/null}"
  exit "$code"
}

case "$cmd" in
install) install ;;
cache-key) cache_key ;;
run) run ;;
target) target || { echo "no release target for this machine" >&2; exit 1; } ;;
*)
  echo "usage: $0 install|cache-key|run|target" >&2
  exit 2
  ;;
esac
