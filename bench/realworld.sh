#!/usr/bin/env bash
# realworld.sh - invlint's real-world fidelity run over the monorepo the spec was written for.
#
#   bash bench/realworld.sh GIT_DIR [OUT_DIR]
#   INVLINT=/tmp/invlint-before bash bench/realworld.sh GIT_DIR /tmp/rw-before
#
# GIT_DIR is a full-history git dir of OpenAgentsInc/openagents (bare mirror or clone). It is
# only read: the corpus is a `git clone --shared --no-checkout` of it in a temporary directory
# (removed at exit), so nothing is written into GIT_DIR (no worktree metadata, index or refs).
#
# The window (issue 18): the first-parent history of `main` whose committer date (`%cs`) is in
# FROM..TO (default 2026-02-15..2026-02-25), less the dates in SKIP_DATES (default 2026-02-21
# and 2026-02-24, kept back for an independent check). Each commit is checked out (detached, in
# the temporary clone: INV-01 reads the tree) and evaluated as a pull request against its first
# parent with its own message as the description, twice: `invlint dry-run --format json` and
# the same with `--no-pr-checks`. The policy is this project's inv-rules.toml (POLICY=...).
#
# JOBS=N runs N workers, each on its own shared clone (default 1); the result is the same.
# Writes into OUT_DIR (default /tmp/invlint-realworld):
#   findings.tsv   one finding a line: run, commit, date, code, path, line, key, verdict, message
#                  (key = short commit : code : path : first 12 hex of the message's SHA-256)
#   summary.md     per invariant: findings with and without PR checks, commits flagged, TP/FP
#                  from the triage table, precision over INV findings, untriaged findings
#   raw/           the per-commit dry-run JSON documents
# The triage table is bench/realworld-triage.tsv (TRIAGE=...): `key<TAB>TP|FP<TAB>reason`.
# Exit status: 0, or 3 when an INV finding is untriaged (2 when the run itself failed).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
GIT_DIR_ARG=${1:?usage: bash bench/realworld.sh GIT_DIR [OUT_DIR]}
OUT=${2:-/tmp/invlint-realworld}
INVLINT=${INVLINT:-$HERE/../target/release/invlint}
POLICY=${POLICY:-$HERE/../inv-rules.toml}
TRIAGE=${TRIAGE:-$HERE/realworld-triage.tsv}
FROM=${FROM:-2026-02-15}
TO=${TO:-2026-02-25}
SKIP_DATES=${SKIP_DATES:-2026-02-21 2026-02-24}
BRANCH=${BRANCH:-main}

[ -x "$INVLINT" ] || { echo "invlint binary '$INVLINT' not found (cargo build --release)" >&2; exit 2; }
INVLINT=$(cd "$(dirname "$INVLINT")" && pwd)/$(basename "$INVLINT")
POLICY=$(cd "$(dirname "$POLICY")" && pwd)/$(basename "$POLICY")
git --git-dir="$GIT_DIR_ARG" rev-parse --verify -q "refs/heads/$BRANCH^{commit}" >/dev/null ||
  git --git-dir="$GIT_DIR_ARG/.git" rev-parse --verify -q "refs/heads/$BRANCH^{commit}" >/dev/null ||
  { echo "'$GIT_DIR_ARG' has no branch $BRANCH" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/invlint-realworld.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# Fixed identity and no hooks: nothing of the user's config or the corpus runs.
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
git clone -q --shared --no-checkout "$GIT_DIR_ARG" "$WORK/corpus0"
git -C "$WORK/corpus0" config core.hooksPath /dev/null

mkdir -p "$OUT/raw"
rm -f "$OUT"/raw/*.json "$OUT/checkout-failed.txt" "$OUT/not-evaluated.txt"
git -C "$WORK/corpus0" log --first-parent --reverse --format='%H %cs' "origin/$BRANCH" |
  awk -v from="$FROM" -v to="$TO" -v skip="$SKIP_DATES" '
    BEGIN { n = split(skip, s, " "); for (i = 1; i <= n; i++) skipped[s[i]] = 1 }
    $2 >= from && $2 <= to && !($2 in skipped)' >"$OUT/commits.txt"
total=$(wc -l <"$OUT/commits.txt")
JOBS=${JOBS:-1}
echo "[realworld] $total commits, $FROM..$TO without $SKIP_DATES; $JOBS job(s); invlint $("$INVLINT" --version)" >&2

# One worker per shared clone: each checks out its commits (INV-01 reads the tree) and runs
# the two dry runs. Output files are per commit, so the result does not depend on JOBS.
worker() {
  local id=$1 corpus=$WORK/corpus$1 n=0
  [ -d "$corpus" ] || { git clone -q --shared --no-checkout "$GIT_DIR_ARG" "$corpus" &&
    git -C "$corpus" config core.hooksPath /dev/null; }
  # Vendored trees are never checked (`@vendored`), and a mirror may lack their largest blobs.
  git -C "$corpus" sparse-checkout set --no-cone '/*' '!/**/vendor/' '!/**/node_modules/'
  awk -v j="$JOBS" -v i="$id" '(NR - 1) % j == i' "$OUT/commits.txt" | while read -r sha date; do
    n=$((n + 1))
    if ! git -C "$corpus" checkout -q -f --detach "$sha" 2>"$WORK/checkout$id"; then
      # Fail closed: said in the summary (INV-01 then read the previous commit's tree).
      echo "$sha $(head -1 "$WORK/checkout$id")" >>"$OUT/checkout-failed.txt"
    fi
    for run in pr nopr; do
      flag=()
      [ "$run" = nopr ] && flag=(--no-pr-checks)
      rc=0
      (cd "$corpus" && "$INVLINT" --config "$POLICY" dry-run --format json -j2 "${flag[@]}" "$sha") \
        >"$OUT/raw/$sha.$run.json" 2>"$WORK/stderr$id" || rc=$?
      if [ "$rc" -gt 2 ]; then
        echo "[realworld] $sha ($run): invlint exited $rc" >&2; cat "$WORK/stderr$id" >&2; exit 2
      fi
      if ! [ -s "$OUT/raw/$sha.$run.json" ]; then
        # invlint refused the commit (exit 2: e.g. a blob missing from the mirror); counted
        # in the summary as not evaluated, never as clean.
        rm -f "$OUT/raw/$sha.$run.json"
        echo "$sha $run $(grep -m1 -v '^\s*$' "$WORK/stderr$id")" >>"$OUT/not-evaluated.txt"
      fi
    done
    if [ $((n % 50)) -eq 0 ]; then echo "[realworld] worker $id: $n commits" >&2; fi
  done
}
pids=()
for ((i = 0; i < JOBS; i++)); do worker "$i" & pids+=($!); done
for p in "${pids[@]}"; do wait "$p" || exit 2; done

python3 - "$OUT" "$TRIAGE" <<'EOF'
import collections, hashlib, json, os, sys
out, triage_path = sys.argv[1], sys.argv[2]
triage = {}
if os.path.exists(triage_path):
    for line in open(triage_path, encoding="utf-8"):
        if not line.strip() or line.startswith("#"):
            continue
        key, verdict, reason = (line.rstrip("\n").split("\t") + ["", ""])[:3]
        triage[key] = (verdict, reason)
dates = dict(l.split() for l in open(os.path.join(out, "commits.txt")))
rows, used = [], set()
per = collections.defaultdict(lambda: collections.Counter())
flagged = collections.defaultdict(set)
for sha in dates:
    for run in ("pr", "nopr"):
        raw = os.path.join(out, "raw", f"{sha}.{run}.json")
        if not os.path.exists(raw):
            continue
        doc = json.load(open(raw))
        for c in doc["commits"]:
            for f in c["findings"]:
                h = hashlib.sha256(f["message"].encode()).hexdigest()[:12]
                key = f'{sha[:9]}:{f["code"]}:{f["path"] or "-"}:{h}'
                verdict = triage.get(key, ("untriaged", ""))[0]
                used.add(key)
                rows.append((run, sha, dates[sha], f["code"], f["path"] or "-", str(f["line"] or ""), key, verdict, f["message"].replace("\t", " ").replace("\n", " ")))
                per[(f["code"], run)]["findings"] += 1
                flagged[(f["code"], run)].add(sha)
                if run == "nopr":
                    per[(f["code"], run)][verdict] += 1
with open(os.path.join(out, "findings.tsv"), "w", encoding="utf-8") as w:
    w.write("run\tcommit\tdate\tcode\tpath\tline\tkey\tverdict\tmessage\n")
    for r in rows:
        w.write("\t".join(r) + "\n")
codes = sorted({c for c, _ in per})
lines = ["| check | findings (PR checks) | findings (no PR checks) | commits flagged | TP | FP | untriaged | precision |",
         "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
tp = fp = un = 0
for code in codes:
    a, b = per[(code, "pr")], per[(code, "nopr")]
    inv = code.startswith("INV-")
    t, f_, u = b["TP"], b["FP"], b["untriaged"]
    if inv:
        tp, fp, un = tp + t, fp + f_, un + u
    prec = f"{100 * t / (t + f_):.1f} %" if inv and t + f_ else "-"
    lines.append(f"| {code} | {a['findings']} | {b['findings']} | {len(flagged[(code, 'nopr')] or flagged[(code, 'pr')])} | "
                 + (f"{t} | {f_} | {u} | {prec} |" if inv else "- | - | - | - |"))
total = len(dates)
overall = f"{100 * tp / (tp + fp):.1f} %" if tp + fp else "n/a (no INV findings)"
summary = [f"# invlint over {total} commits", "", *lines, "",
           f"INV findings (no PR checks): {tp + fp + un}; TP {tp}, FP {fp}, untriaged {un}; precision {overall}."]
skipped = os.path.join(out, "not-evaluated.txt")
if os.path.exists(skipped):
    bad = sorted({l.split()[0] for l in open(skipped)})
    summary.append(f"Commits invlint refused (exit 2, not evaluated, never counted as clean): {len(bad)}: " + ", ".join(b[:9] for b in bad) + " (not-evaluated.txt says why).")
failed = os.path.join(out, "checkout-failed.txt")
if os.path.exists(failed):
    n = sum(1 for _ in open(failed))
    summary.append(f"Commits whose checkout failed (a blob missing from the mirror; INV-01 read the previous tree): {n}, listed in checkout-failed.txt.")
stale = sorted(set(triage) - used)
if stale:
    summary.append(f"Triage rows matching no finding of this run (findings a fix removed, kept for the before run): {len(stale)}.")
if un:
    summary += ["", "Untriaged INV findings:", ""]
    summary += [f"- `{r[6]}` {r[8][:160]}" for r in rows if r[0] == "nopr" and r[3].startswith("INV-") and r[7] == "untriaged"]
open(os.path.join(out, "summary.md"), "w", encoding="utf-8").write("\n".join(summary) + "\n")
print("\n".join(summary))
sys.exit(3 if un else 0)
EOF
