#!/usr/bin/env bash
# The GitHub Action's steps (action.yml calls this; tests run it against fixture repositories).
#
#   github-action.sh install   build invlint from the action's checkout into $INVLINT_ROOT/bin
#   github-action.sh run       check the pull request and set the `verdict` output
#
# Inputs come as environment variables: INPUT_GATE (merge|release), INPUT_CONFIG (policy path),
# INPUT_SARIF (file to write SARIF to; empty: none), INPUT_ARGS (extra arguments), INVLINT_BIN
# (the binary; default $INVLINT_ROOT/bin/invlint). GitHub provides GITHUB_EVENT_PATH,
# GITHUB_OUTPUT and GITHUB_STEP_SUMMARY.
set -euo pipefail

cmd="${1:-}"
root="${INVLINT_ROOT:-$HOME/.invlint}"

case "$cmd" in
install)
  action_dir="${GITHUB_ACTION_PATH:-$(cd "$(dirname "$0")/.." && pwd)}"
  if [ -x "$root/bin/invlint" ]; then
    echo "invlint already installed (cache hit): $("$root/bin/invlint" --version)"
    exit 0
  fi
  if ! command -v cargo >/dev/null 2>&1; then
    echo "::error title=invlint::cargo is not on PATH; add dtolnay/rust-toolchain@stable (or any Rust setup) before this action"
    exit 2
  fi
  cargo install --locked --path "$action_dir" --root "$root"
  ;;
run)
  bin="${INVLINT_BIN:-$root/bin/invlint}"
  if [ "$(git rev-parse --is-shallow-repository 2>/dev/null || echo false)" = "true" ]; then
    echo "::error title=invlint::the checkout is shallow, so the pull request's merge base may be missing; set 'fetch-depth: 0' on actions/checkout"
    echo "verdict=error" >>"${GITHUB_OUTPUT:-/dev/null}"
    exit 2
  fi
  args=(check --format github --gate "${INPUT_GATE:-merge}")
  if [ -n "${INPUT_CONFIG:-}" ]; then args+=(--config "$INPUT_CONFIG"); fi
  if [ -n "${INPUT_SARIF:-}" ]; then args+=(--sarif-output "$INPUT_SARIF"); fi
  if [ -n "${INPUT_ARGS:-}" ]; then
    # Word-split on purpose: extra arguments are a space-separated list.
    # shellcheck disable=SC2206
    extra=(${INPUT_ARGS})
    args+=("${extra[@]}")
  fi
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
  ;;
*)
  echo "usage: $0 install|run" >&2
  exit 2
  ;;
esac
