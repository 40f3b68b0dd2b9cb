//! The built binary, as users run it: exit codes, `--explain`, `rules`, formats, `--staged`,
//! `--range`, `--all`, a broken policy, thread-count determinism, and a repository left exactly
//! as it was.

use crate::parallel;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use invlint::engine::scratch::{self, HeadAs, TreeFile};

const CLIENT: &str = "apps/openagents.com/resources/js/sync/khalaClient.ts";
const CLIENT_BASE: &str = "export function connect(topic: string) {\n  return new WebSocket(`/sync/socket/websocket?topic=${topic}`);\n}\n";

fn files(list: &[(&str, &str)]) -> Vec<TreeFile> {
    list.iter()
        .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
        .collect()
}

fn repo(head_client: &str, head_as: HeadAs) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let base = files(&[(CLIENT, CLIENT_BASE), ("README.md", "# demo\n")]);
    let head = files(&[(CLIENT, head_client), ("README.md", "# demo\n")]);
    let work = scratch::build(tmp.path(), &base, &head, head_as, "pr: change").unwrap();
    (tmp, work)
}

fn violating() -> String {
    format!("{CLIENT_BASE}export const fallback = (u: string) => new EventSource(u);\n")
}

fn clean() -> String {
    format!("{CLIENT_BASE}export const TOPICS = [\"runs\"];\n")
}

fn invlint(dir: &Path, args: &[&str]) -> Output {
    invlint_stdin(dir, args, None)
}

fn invlint_stdin(dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_invlint"));
    cmd.current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .env_remove("GITHUB_EVENT_PATH")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("the binary runs");
    if let Some(text) = stdin {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn blocking_finding_exits_1_with_span_and_policy() {
    let (_t, work) = repo(&violating(), HeadAs::Commit);
    let o = invlint(&work, &["check"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("INV-03(sse-poll-lane)"), "{out}");
    assert!(
        out.contains(&format!("{CLIENT}:4:")),
        "span line:col in {out}"
    );
    assert!(
        out.contains("`EventSource` opens an SSE/poll lane"),
        "{out}"
    );
    assert!(
        out.contains("pattern `event-source`"),
        "policy citation in {out}"
    );
    assert!(out.contains("see: invlint --explain INV-03"), "{out}");
    assert!(
        out.contains("merge gate blocked by 1 finding (INV-03)"),
        "{out}"
    );
}

#[test]
fn clean_change_exits_0() {
    let (_t, work) = repo(&clean(), HeadAs::Commit);
    let o = invlint(&work, &["check", "--base", "main"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("merge gate passed"));
}

#[test]
fn json_is_versioned_and_complete() {
    let (_t, work) = repo(&violating(), HeadAs::Commit);
    let o = invlint(&work, &["check", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["version"], 1);
    let f = &doc["findings"][0];
    assert_eq!(f["id"], "INV-03");
    assert_eq!(f["check"], "sse-poll-lane");
    assert_eq!(f["severity"], "error");
    assert_eq!(f["escalation"], "block-merge");
    assert_eq!(f["path"], CLIENT);
    assert_eq!(f["line"], 4);
    assert!(f["column"].as_u64().unwrap() > 1);
    assert!(f["end_column"].as_u64().unwrap() > f["column"].as_u64().unwrap());
    assert_eq!(doc["summary"]["exit_code"], 1);
    assert_eq!(doc["summary"]["blocking"], 1);
}

#[test]
fn staged_checks_the_index() {
    let (_t, work) = repo(&violating(), HeadAs::Stage);
    let o = invlint(&work, &["check", "--staged"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("staged changes"));
    let (_t2, work2) = repo(&clean(), HeadAs::Stage);
    assert_eq!(
        invlint(&work2, &["check", "--staged"]).status.code(),
        Some(0)
    );
}

#[test]
fn range_and_all_modes() {
    let (_t, work) = repo(&violating(), HeadAs::Commit);
    let o = invlint(&work, &["check", "--range", "main..pr"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let o = invlint(&work, &["check", "--range", "main"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("not a range"), "{}", stderr(&o));
    let o = invlint(&work, &["check", "--all"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stdout(&o).contains("whole work tree"));
}

#[test]
fn pr_body_from_stdin_and_missing_file() {
    let (_t, work) = repo(&clean(), HeadAs::Commit);
    // The description marks INV-03 N/A although the change touches an INV-03 surface: the
    // finding points into the text read from stdin.
    let o = invlint_stdin(
        &work,
        &["check", "--pr-body", "-"],
        Some("Add topics\n\nINV-03: N/A, no transport change\n"),
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(
        out.contains("PR-04(unclaimed-invariant)") && out.contains("[PR description:3:1]"),
        "{out}"
    );
    let o = invlint(&work, &["check", "--pr-body", "no-such-file.md"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("invlint::pr::read"), "{}", stderr(&o));
}

#[test]
fn explain_prints_page_and_live_policy() {
    let (_t, work) = repo(&clean(), HeadAs::Commit);
    for args in [&["--explain", "INV-03"][..], &["explain", "inv-03"][..]] {
        let o = invlint(&work, args);
        assert_eq!(o.status.code(), Some(0));
        let out = stdout(&o);
        for heading in [
            "## Why",
            "## Flagged",
            "## Accepted",
            "## How to fix",
            "## Configuration",
            "## Limits",
            "## Live policy",
        ] {
            assert!(out.contains(heading), "{heading} missing from {out}");
        }
        assert!(
            out.contains("inv-rules.toml (built-in default):"),
            "file:line refs in {out}"
        );
        assert!(out.contains("check = \"sse-poll-lane\""), "{out}");
        assert!(out.contains("@tests (vocabulary"), "{out}");
    }
}

#[test]
fn unknown_id_exits_2_with_suggestion() {
    let (_t, work) = repo(&clean(), HeadAs::Commit);
    let o = invlint(&work, &["--explain", "INV-3"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("did you mean `INV-03`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn rules_lists_every_invariant() {
    let (_t, work) = repo(&clean(), HeadAs::Commit);
    let o = invlint(&work, &["rules"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    for id in [
        "INV-01", "INV-02", "INV-03", "INV-04", "INV-05", "INV-06", "INV-07", "INV-08", "INV-09",
        "INV-10",
    ] {
        assert!(out.contains(id), "{id} missing from {out}");
    }
    assert!(out
        .lines()
        .any(|l| l.starts_with("INV-03") && l.contains("stable") && l.contains("block-merge")));
}

#[test]
fn broken_policy_reports_every_problem_with_spans() {
    let (_t, work) = repo(&violating(), HeadAs::Commit);
    let policy = r#"version = 1
[vocabulary]
tests = ["**/tests/**"]

[invariant.INV-03]
title = "WS only"
check = "sse-pol-lane"
escalation = "block-merge"

[invariant.INV-04]
title = "planes"
check = "sse-poll-lane"
escalation = "block-merj"

[invariant.INV-04.sse-poll-lane]
paths = ["apps/[**"]
exclude = ["@testz"]
patterns = [{ id = "x", regex = 'Event(Source', what = "x" }]
"#;
    std::fs::write(work.join("inv-rules.toml"), policy).unwrap();
    // The work tree's policy is in no commit: name it (the base's would judge the change).
    let o = invlint(&work, &["--config", "inv-rules.toml", "check"]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    let err = stderr(&o);
    for needle in [
        "unknown check `sse-pol-lane`",
        "did you mean `sse-poll-lane`?",
        "unknown escalation `block-merj`",
        "invalid glob `apps/[**`",
        "unknown vocabulary set `@testz`",
        "invalid regex `Event(Source`",
        "inv-rules.toml:7:9",
    ] {
        assert!(err.contains(needle), "{needle:?} missing from:\n{err}");
    }
}

#[test]
fn unknown_key_and_syntax_errors_exit_2() {
    let (_t, work) = repo(&clean(), HeadAs::Commit);
    std::fs::write(work.join("inv-rules.toml"), "version = 1\n[invariant.INV-03]\ntitle = \"x\"\ncheck = \"sse-poll-lane\"\nescalation = \"block-merge\"\nseverity = \"high\"\n").unwrap();
    let o = invlint(&work, &["--config", "inv-rules.toml", "check"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown field `severity`"),
        "{}",
        stderr(&o)
    );
    std::fs::write(work.join("inv-rules.toml"), "version = \n").unwrap();
    let o = invlint(&work, &["--config", "inv-rules.toml", "check"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("invlint::config::parse"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn not_a_repository_and_missing_base_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    let o = invlint(tmp.path(), &["check"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("not a git repository"),
        "{}",
        stderr(&o)
    );
    let (_t, work) = repo(&clean(), HeadAs::Commit);
    let o = invlint(&work, &["check", "--base", "no-such-branch"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("cannot resolve revision `no-such-branch`"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn output_is_identical_at_any_thread_count() {
    let (_t, work) = repo(&violating(), HeadAs::Commit);
    parallel::each(vec!["human", "json"], |format| {
        let one = invlint(&work, &["check", "-j1", "--format", format]);
        let eight = invlint(&work, &["check", "-j8", "--format", format]);
        assert_eq!(one.stdout, eight.stdout, "{format}");
        let all1 = invlint(&work, &["check", "--all", "-j1", "--format", format]);
        let all8 = invlint(&work, &["check", "--all", "-j8", "--format", format]);
        assert_eq!(all1.stdout, all8.stdout, "--all {format}");
    });
}

/// Every entry under `root` (work tree and `.git`): files by content and mtime, symlinks by
/// target, directories by mtime (so a lock file created and removed again is caught too).
fn snapshot_dir(root: &Path) -> BTreeMap<PathBuf, (Vec<u8>, Option<std::time::SystemTime>)> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let meta = std::fs::symlink_metadata(&dir).unwrap();
        out.insert(dir.clone(), (Vec::new(), meta.modified().ok()));
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            if meta.is_dir() {
                stack.push(p);
            } else if meta.file_type().is_symlink() {
                let target = std::fs::read_link(&p).unwrap();
                out.insert(p, (target.into_os_string().into_encoded_bytes(), None));
            } else {
                out.insert(
                    p.clone(),
                    (std::fs::read(&p).unwrap_or_default(), meta.modified().ok()),
                );
            }
        }
    }
    out
}

#[test]
fn repository_is_never_written() {
    parallel::each(vec![HeadAs::Commit, HeadAs::Stage], |head_as| {
        let (_t, work) = repo(&violating(), head_as);
        // Inputs and outputs outside the repository.
        let outside = tempfile::tempdir().unwrap();
        let pr = outside.path().join("pr.md");
        std::fs::write(&pr, "INV-03: N/A\n").unwrap();
        let sarif = outside.path().join("out.sarif");
        let before = snapshot_dir(&work);
        let mut runs: Vec<Vec<&str>> = Vec::new();
        for mode in [
            &["--base", "main"][..],
            &["--staged"][..],
            &["--range", "main..HEAD"][..],
            &["--all"][..],
        ] {
            for format in ["human", "json", "github", "sarif", "markdown"] {
                let mut args = vec!["check"];
                args.extend(mode);
                args.extend(["--format", format]);
                runs.push(args.clone());
                args.extend(["--pr-body", pr.to_str().unwrap()]);
                args.extend(["--sarif-output", sarif.to_str().unwrap()]);
                runs.push(args);
            }
        }
        for args in [
            &["rules"][..],
            &["--explain", "INV-03"][..],
            &["check", "--gate", "release"][..],
        ] {
            runs.push(args.to_vec());
        }
        assert_eq!(runs.len(), 43);
        // Side by side: concurrent runs must not write either.
        parallel::each(runs, |args| {
            let _ = invlint(&work, &args);
        });
        let after = snapshot_dir(&work);
        for (path, entry) in &before {
            assert!(after.get(path) == Some(entry), "{} changed", path.display());
        }
        assert_eq!(before.len(), after.len(), "entries were added");
    });
}

fn invlint_env(dir: &Path, args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_invlint"));
    cmd.current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_EVENT_PATH")
        .env_remove("GITHUB_STEP_SUMMARY")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the binary runs")
}

#[test]
fn github_event_file_gives_the_pr_description() {
    let (tmp, work) = repo(&violating(), HeadAs::Commit);
    let event = tmp.path().join("event.json");
    std::fs::write(
        &event,
        r#"{"action":"opened","pull_request":{"title":"khala: SSE fallback","body":"Invariant impact: INV-03 N/A\n"}}"#,
    )
    .unwrap();
    let out = invlint_env(
        &work,
        &["check", "--base", "main", "--format", "json"],
        &[("GITHUB_EVENT_PATH", &event)],
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"PR-04"), "{ids:?}");

    // A push event has no pull request: no description, no PR checks, no error.
    std::fs::write(&event, r#"{"ref":"refs/heads/main"}"#).unwrap();
    let out = invlint_env(
        &work,
        &["check", "--base", "main", "--format", "json"],
        &[("GITHUB_EVENT_PATH", &event)],
    );
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["id"] != "PR-04"),
        "{doc}"
    );
    // ... but it says so: the checklist was not checked (a note here, VER-01 at release).
    assert!(doc["notes"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["message"].as_str().unwrap().contains("none given")));

    std::fs::write(&event, "{not json").unwrap();
    let out = invlint_env(
        &work,
        &["check", "--base", "main"],
        &[("GITHUB_EVENT_PATH", &event)],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not JSON"), "{}", stderr(&out));
    assert!(stderr(&out).contains("--pr-body"), "{}", stderr(&out));
}

#[test]
fn github_format_annotates_and_writes_the_step_summary() {
    let (tmp, work) = repo(&violating(), HeadAs::Commit);
    let summary = tmp.path().join("summary.md");
    let sarif = tmp.path().join("out.sarif");
    let out = invlint_env(
        &work,
        &[
            "check",
            "--base",
            "main",
            "--format",
            "github",
            "--sarif-output",
            sarif.to_str().unwrap(),
        ],
        &[("GITHUB_STEP_SUMMARY", &summary)],
    );
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains(&format!(
            "::error file={CLIENT},line=4,endLine=4,col=44,endColumn=55,title=INV-03 sse-poll-lane::"
        )),
        "{text}"
    );
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        md.contains("merge gate blocked by 1 finding (INV-03)"),
        "{md}"
    );
    assert!(md.contains("| ⛔ | INV-03 `sse-poll-lane` |"), "{md}");
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(doc["runs"][0]["results"][0]["ruleId"], "INV-03");
    assert_eq!(
        doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        4
    );
}

#[test]
fn inline_suppression_uses_invlint_today_and_the_gate() {
    // A policy that lets INV-03 (block-merge) be suppressed, outside the repository.
    let policy_dir = tempfile::tempdir().unwrap();
    let policy = policy_dir.path().join("policy.toml");
    let text = invlint::engine::config::DEFAULT_POLICY.replacen(
        "[invariant.INV-03.sse-poll-lane]",
        "suppressible = true\nowners = [\"@o\"]\n\n[invariant.INV-03.sse-poll-lane]",
        1,
    );
    std::fs::write(&policy, text).unwrap();
    let head = format!(
        "{CLIENT_BASE}export const fallback = (u: string) => new EventSource(u); // invlint: allow(INV-03) reason=\"blocked sockets\" issue=#77 owner=@o until=2026-01-31\n"
    );
    let (_t, work) = repo(&head, HeadAs::Commit);
    let policy = policy.to_str().unwrap();
    let run = |today: &str, extra: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_invlint"));
        cmd.current_dir(&work)
            .args(["--config", policy, "check", "--base", "main"])
            .args(extra)
            .env("NO_COLOR", "1")
            .env("INVLINT_TODAY", today)
            .env_remove("GITHUB_EVENT_PATH")
            .stdin(Stdio::null());
        cmd.output().unwrap()
    };
    // Valid through its `until` day: suppressed, reported, not blocking.
    let o = run("2026-01-31", &["--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let f = &doc["findings"][0];
    assert_eq!(f["id"], "INV-03");
    assert_eq!(f["blocking"], false);
    assert!(f["suppression"]
        .as_str()
        .unwrap()
        .contains("blocked sockets"));
    let o = run("2026-01-31", &["--format", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        sarif["runs"][0]["results"][0]["suppressions"][0]["kind"],
        "inSource"
    );
    // The day after: expired, SUP-01 and INV-03 both block.
    let o = run("2026-02-01", &[]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(out.contains("SUP-01(bad-suppression)") && out.contains("expired on 2026-01-31"));
    // The release gate never lets a block-merge invariant be suppressed.
    let o = run("2026-01-31", &["--gate", "release"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("does not apply at the release gate"));
    // A malformed INVLINT_TODAY is a usage error.
    let o = run("31/01/2026", &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("INVLINT_TODAY"));
}

/// The README opens with an excerpt of `invlint demo`'s output; it must be the real output
/// (its first finding, verbatim, and the summary line), so it cannot go stale when the policy's
/// line numbers or a message change.
#[test]
fn readme_excerpt_is_the_demo_output() {
    let tmp = tempfile::tempdir().unwrap();
    let o = invlint(tmp.path(), &["demo"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o) + &stderr(&o);
    let out: String = out
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n");
    let readme = include_str!("../../README.md");
    let block = readme
        .split("```\n")
        .nth(1)
        .expect("the README opens with a fenced excerpt");
    let (head, tail) = block
        .split_once("\n…\n")
        .expect("the excerpt elides the middle with a `…` line");
    let head: String = head
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        out.contains(&head),
        "README's excerpt differs from `invlint demo` (COLUMNS=100); update it from:\n{out}"
    );
    let summary = tail.trim();
    assert!(
        out.lines().any(|l| l.trim() == summary),
        "README's summary line `{summary}` is not in the demo output:\n{out}"
    );
}

/// Under `git commit -a` git runs the pre-commit hook with GIT_INDEX_FILE naming the temporary
/// index about to be committed: `--staged` must check that one, not `.git/index`.
#[test]
fn staged_follows_git_index_file() {
    let (_t, work) = repo(&clean(), HeadAs::Stage);
    let (_t2, bad) = repo(&violating(), HeadAs::Stage);
    // An alternate index holding the violating blob: copy the other repository's index and
    // objects' blob into this one by staging the same text through a second index file.
    let alt = work.join(".git").join("next-index.lock");
    let bad_repo = git2::Repository::open(&bad).unwrap();
    let blob = bad_repo
        .find_blob(
            bad_repo
                .index()
                .unwrap()
                .get_path(std::path::Path::new(CLIENT), 0)
                .unwrap()
                .id,
        )
        .unwrap()
        .content()
        .to_vec();
    let repo = git2::Repository::open(&work).unwrap();
    let mut index = git2::Index::open(&alt).unwrap();
    index
        .read_tree(&repo.head().unwrap().peel_to_tree().unwrap())
        .unwrap();
    let mut entry = repo
        .index()
        .unwrap()
        .get_path(std::path::Path::new(CLIENT), 0)
        .unwrap();
    entry.id = repo.blob(&blob).unwrap();
    entry.file_size = blob.len() as u32;
    index.add(&entry).unwrap();
    index.write().unwrap();

    let plain = invlint(&work, &["check", "--staged"]);
    assert_eq!(plain.status.code(), Some(0), "{}", stdout(&plain));
    for value in [alt.to_str().unwrap(), ".git/next-index.lock"] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_invlint"));
        let o = cmd
            .current_dir(&work)
            .args(["check", "--staged"])
            .env("NO_COLOR", "1")
            .env("GIT_INDEX_FILE", value)
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(1), "{value}: {}", stdout(&o));
        assert!(stdout(&o).contains("EventSource"), "{}", stdout(&o));
    }
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_invlint"));
    let o = cmd
        .current_dir(&work)
        .args(["check", "--staged"])
        .env("NO_COLOR", "1")
        .env("GIT_INDEX_FILE", ".git/missing-index")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("GIT_INDEX_FILE"), "{}", stderr(&o));
}

/// See #17: fail closed on coverage. An invariant whose paths match no file of the tree is a
/// note at the merge gate (every format), blocks at the release gate, and does neither when the
/// policy marks it not applicable with a reason.
#[test]
fn blind_invariants_are_said_out_loud_and_block_the_release_gate() {
    let (tmp, work) = repo(&clean(), HeadAs::Commit);
    let o = invlint(&work, &["check", "--base", "main", "--format", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let blind = doc["summary"]["coverage"]["blind"]
        .as_array()
        .unwrap()
        .clone();
    assert!(blind.iter().any(|b| b == "INV-09"), "{doc}");
    assert!(
        doc["notes"].as_array().unwrap().iter().any(|n| n["message"]
            .as_str()
            .unwrap()
            .starts_with("INV-09 sees no file")),
        "{doc}"
    );
    let o = invlint(&work, &["check", "--base", "main", "--format", "sarif"]);
    assert!(stdout(&o).contains("toolExecutionNotifications"));
    let o = invlint(&work, &["check", "--base", "main"]);
    assert!(stdout(&o).contains("coverage: "), "{}", stdout(&o));

    // At release, with a complete description (so only coverage can block).
    let body = tmp.path().join("pr.md");
    std::fs::write(
        &body,
        "Sync: name the topics\n\n1. Invariant impact:\n   - INV-02, INV-03: affected (sync client, still WS only); INV-01, INV-04..INV-10: N/A - a constant only\n2. Contract impact:\n   - no contract change (`INV-01`).\n3. Transport impact:\n   - confirmed: no WS command RPC and no SSE/poll lane additions.\n4. Authority boundaries:\n   - confirmed: no cross-plane SQL.\n5. Service boundaries:\n   - confirmed: no implicit in-memory coupling.\n6. Operations:\n   - no runtime deploy or migration.\n7. Deletion/parity:\n   - nothing deleted.\n",
    )
    .unwrap();
    let body = body.to_str().unwrap();
    let o = invlint(
        &work,
        &[
            "check",
            "--base",
            "main",
            "--gate",
            "release",
            "--pr-body",
            body,
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("INV-09 sees no file"), "{}", stdout(&o));

    // Every blind invariant marked not applicable: the release gate passes.
    let mut policy = invlint::engine::config::DEFAULT_POLICY.to_string();
    for id in blind {
        let id = id.as_str().unwrap();
        let header = format!("[invariant.{id}]\n");
        policy = policy.replacen(
            &header,
            &format!("{header}not-applicable = \"this test tree has none\"\n"),
            1,
        );
    }
    let path = tmp.path().join("policy.toml");
    std::fs::write(&path, policy).unwrap();
    let o = invlint(
        &work,
        &[
            "--config",
            path.to_str().unwrap(),
            "check",
            "--base",
            "main",
            "--gate",
            "release",
            "--pr-body",
            body,
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("not applicable: "), "{}", stdout(&o));
}

/// GitHub code scanning (issue 20): columns in UTF-16 code units on a line with non-ASCII text
/// before the span, and findings on the PR description anchored to the policy entry that
/// requires them, with their description span kept in a property.
#[test]
fn sarif_columns_are_utf16_and_description_findings_have_a_file_location() {
    // `é` is one UTF-16 unit (two bytes), `🦀` two units (four bytes, one char).
    let head = format!(
        "{CLIENT_BASE}export const fallback = (u: string) => /* é🦀 */ new EventSource(u);\n"
    );
    for (with_policy, anchor, uri) in [
        (
            true,
            &["policy entry", "invariant declaration"][..],
            "inv-rules.toml",
        ),
        (false, &["built-in policy"][..], "inv-rules.toml"),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let policy = invlint::engine::config::DEFAULT_POLICY;
        let mut base = vec![(CLIENT, CLIENT_BASE), ("README.md", "# demo\n")];
        let mut next = vec![(CLIENT, head.as_str()), ("README.md", "# demo\n")];
        if with_policy {
            base.push(("inv-rules.toml", policy));
            next.push(("inv-rules.toml", policy));
        }
        let work = scratch::build(
            tmp.path(),
            &files(&base),
            &files(&next),
            HeadAs::Commit,
            "pr: x",
        )
        .unwrap();
        let body = tmp.path().join("pr.md");
        std::fs::write(&body, "## Summary\n\nA fallback.\n").unwrap();
        let out = invlint(
            &work,
            &[
                "check",
                "--base",
                "main",
                "--pr-body",
                body.to_str().unwrap(),
                "--format",
                "sarif",
            ],
        );
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}{}", stdout(&out), stderr(&out)));
        let run = &doc["runs"][0];
        assert_eq!(run["columnKind"], "utf16CodeUnits");
        let results = run["results"].as_array().unwrap();
        let inv03 = results.iter().find(|r| r["ruleId"] == "INV-03").unwrap();
        let region = &inv03["locations"][0]["physicalLocation"]["region"];
        // "export const fallback = (u: string) => /* é🦀 */ new " is 52 chars but 53 UTF-16
        // units: EventSource starts at UTF-16 column 54 (character column 53).
        assert_eq!(region["startLine"], 4, "{inv03}");
        assert_eq!(region["startColumn"], 54, "{inv03}");
        assert_eq!(region["endColumn"], 65, "{inv03}");
        let on_description: Vec<&serde_json::Value> = results
            .iter()
            .filter(|r| r["ruleId"].as_str().unwrap().starts_with("PR-"))
            .collect();
        assert!(!on_description.is_empty(), "{}", stdout(&out));
        for r in on_description {
            let phys = &r["locations"][0]["physicalLocation"];
            assert_eq!(phys["artifactLocation"]["uri"], uri, "{r}");
            assert!(phys["region"]["startLine"].as_u64().unwrap() >= 1, "{r}");
            let got = r["properties"]["anchor"].as_str().unwrap();
            assert!(anchor.contains(&got), "{got} not in {anchor:?}: {r}");
            if with_policy {
                // The cited entry of the policy, not its first line.
                assert!(phys["region"]["startLine"].as_u64().unwrap() > 1, "{r}");
            }
            if r["message"]["text"]
                .as_str()
                .unwrap()
                .starts_with("PR description, line")
            {
                assert_eq!(
                    r["properties"]["descriptionRegion"]["source"], "PR description",
                    "{r}"
                );
            }
        }
    }
}
