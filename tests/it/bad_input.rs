//! Bad input: the built binary on hostile or broken policies, sources, repositories and PR
//! descriptions. Every case ends in a clear error (exit 2, a message naming the problem and a
//! help line naming the fix) or a correct result, and never in a panic.
//!
//! The matrix (`cli.rs` = already covered in tests/it/cli.rs, not repeated here):
//!
//! | #  | input                                              | where                  |
//! |----|----------------------------------------------------|------------------------|
//! | 1  | malformed TOML (`version = `)                      | cli.rs                 |
//! | 2  | unknown key in an invariant (`severity`)           | cli.rs                 |
//! | 3  | bad regex                                          | cli.rs                 |
//! | 4  | bad glob                                           | cli.rs                 |
//! | 5  | unknown check (with suggestion)                    | cli.rs                 |
//! | 6  | unknown escalation, unknown vocabulary set         | cli.rs                 |
//! | 7  | not a repository                                   | cli.rs                 |
//! | 8  | unknown base revision                              | cli.rs                 |
//! | 9  | GITHUB_EVENT_PATH not JSON                         | cli.rs                 |
//! | 10 | GITHUB_EVENT_PATH without a pull request (push)    | cli.rs                 |
//! | 11 | `--range` with a single revision                   | cli.rs                 |
//! | 12 | `--pr-body` file missing                           | cli.rs                 |
//! | 13 | duplicate invariant IDs (`INV-03` / `inv-03`)      | policy_problems        |
//! | 14 | duplicate TOML table                               | policy_problems        |
//! | 15 | unknown key in a check's settings table            | policy_problems        |
//! | 16 | wrong value type (`max-file-size = "big"`)         | policy_problems        |
//! | 17 | unsupported policy version                         | policy_problems        |
//! | 18 | regex over the size limit                          | policy_problems        |
//! | 19 | missing required key (`title`)                     | policy_problems        |
//! | 20 | empty policy file                                  | policy_files           |
//! | 21 | policy file not UTF-8                              | policy_files           |
//! | 22 | `--config` missing / a directory                   | policy_files           |
//! | 23 | non-UTF-8 source file                              | non_utf8_and_binary    |
//! | 24 | binary source file (NUL bytes)                     | non_utf8_and_binary    |
//! | 25 | 100 MB sparse file in the work tree (`--all`)      | huge_files             |
//! | 26 | committed file over `max-file-size` (diff modes)   | huge_files             |
//! | 27 | 1 MB single line                                   | very_long_line         |
//! | 28 | CRLF line endings (line/column in JSON)            | crlf_spans             |
//! | 29 | symlink loop (committed, in the work tree)         | symlink_loop           |
//! | 30 | submodule entry (gitlink)                          | submodule_gitlink      |
//! | 31 | deleted file                                       | change_kinds           |
//! | 32 | renamed file (finding at the new path)             | change_kinds           |
//! | 33 | mode-only change                                   | change_kinds           |
//! | 34 | empty file added                                   | change_kinds           |
//! | 35 | empty diff (head == base)                          | change_kinds           |
//! | 36 | non-UTF-8 file name                                | non_utf8_file_name     |
//! | 37 | shallow clone without the merge base               | shallow_clone          |
//! | 38 | shallow clone, base branch not fetched             | shallow_clone          |
//! | 39 | detached HEAD                                      | detached_head          |
//! | 40 | unrelated histories (`--range A...B`)              | revisions              |
//! | 41 | unknown revision in `--range`                      | revisions              |
//! | 42 | no default base (no origin/HEAD, main, master)     | revisions              |
//! | 43 | unborn HEAD (no commit yet), default and --staged  | unborn_head            |
//! | 44 | bare repository                                    | repository_shapes      |
//! | 45 | `-C` into `.git`, `-C` a missing directory         | repository_shapes      |
//! | 46 | unreadable PR description (chmod 000)              | pr_body_files          |
//! | 47 | PR description over 1 MiB                          | pr_body_files          |
//! | 48 | PR description not UTF-8, or a directory           | pr_body_files          |
//! | 49 | hostile markdown: nested fences                    | hostile_markdown       |
//! | 50 | hostile markdown: HTML, unterminated comment       | hostile_markdown       |
//! | 51 | hostile markdown: 10k-deep list and quote nesting  | hostile_markdown       |
//! | 52 | GITHUB_EVENT_PATH lacks the body (missing, null)   | github_event_shapes    |
//! | 53 | GITHUB_EVENT_PATH missing file, wrong JSON types   | github_event_shapes    |
//! | 54 | GITHUB_EVENT_PATH with an unknown base sha         | github_event_shapes    |
//! | 55 | check without its settings (empty required lists)  | policy_problems        |
//! | 56 | policy error on a 100,000-character line           | policy_problems        |
//!
//! Hostile input (issue 15): exit 0, 1 or 2 in bounded time, no forged log or terminal line, no
//! outside file printed, no write through a link. Each row is one input, run in the modes named.
//!
//! | #     | input                                                          | where              |
//! |-------|----------------------------------------------------------------|--------------------|
//! | 57-62 | Rust nested 800 `(`, 5,000 `{`, 1,500 `[`, 2,000 `Vec<`; 200k `return`s, `=`s; every mode | deep_nesting_is_refused_before_parsing |
//! | 63    | 250 `(` and 16,000 `return`s still parse                       | nesting_under_the_limit_still_parses |
//! | 64    | .proto with 5,000 nested messages, every mode                  | deep_proto_is_refused_before_parsing |
//! | 65-69 | tree modes 100600, 100000, 120755, 160644, 140000              | unusual_tree_modes |
//! | 70-74 | staged index modes 100600, 100000, 100777, 140000, 000644      | hostile_index_files |
//! | 75    | index cache-tree nested 100,000 deep                           | hostile_index_files |
//! | 76    | index extensions truncated, oversized, `link` cut short        | hostile_index_files |
//! | 77-78 | split index, sparse index (`--base`, `--range`, `--staged`)    | split_and_sparse_indexes |
//! | 79-80 | `ARRAY[` 64 deep in a .sql file and in a Rust `query("..")`    | deep_sql_is_bounded |
//! | 81-84 | file names: newline + `::error`, ESC + forged verdict, Markdown link/code/pipes/HTML, bidi override | hostile_names_and_text_never_reach_a_log_or_terminal_raw |
//! | 85-87 | source line with ESC/CR/OSC; PR text with ESC, CR, `::` commands; Cargo.toml key with newline + `::add-mask::` | hostile_names_and_text_never_reach_a_log_or_terminal_raw |
//! | 88    | the same with `--color always`: only our SGR colours           | hostile_names_and_text_never_reach_a_log_or_terminal_raw |
//! | 89-90 | `inv-rules.toml` a link out of the tree (`rules`, `--explain`, `--config`, `check`, `--staged`) | links_out_of_the_work_tree_are_never_read |
//! | 91-92 | `--pr-body` and `GITHUB_EVENT_PATH` links out of the tree      | links_out_of_the_work_tree_are_never_read |
//! | 93-95 | policy over 4 MiB, dangling policy link, `--config /proc/self/pagemap` | policy_reads_are_capped |
//! | 96-97 | `--sarif-output` and `GITHUB_STEP_SUMMARY` through a link      | outputs_never_write_through_a_link |
//! | 98-100 | objects missing from the store: the change's blob, its base blob, an untouched subtree | missing_objects_never_pass |
//!
//! tests/it/fuzz.rs mutates real inputs for every parser above (index, PR text, policy, SQL,
//! proto, Rust).
//!
//! Repositories are built with `invlint::engine::scratch` (fixed identity and date). The one
//! `git` subprocess (the shallow clone) runs with GIT_CONFIG_GLOBAL=/dev/null and
//! GIT_CONFIG_NOSYSTEM=1, so no user or system configuration is read. Nothing here writes under
//! `fixtures/`, so the fixture suite's -j1/-j8 comparison is unaffected; several cases below also
//! compare -j1 with -j8 themselves.

use crate::parallel;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use git2::{Repository, Signature, Time};
use invlint::engine::config::DEFAULT_POLICY;

use invlint::engine::scratch::{self, HeadAs, TreeFile};

const CLIENT: &str = "apps/openagents.com/resources/js/sync/khalaClient.ts";
const CLIENT_BASE: &str = "export function connect(topic: string) {\n  return new WebSocket(`/sync/socket/websocket?topic=${topic}`);\n}\n";
const SYNC_DIR: &str = "apps/openagents.com/resources/js/sync";

fn files(list: &[(&str, &[u8])]) -> Vec<TreeFile> {
    list.iter()
        .map(|(p, t)| (p.to_string(), t.to_vec()))
        .collect()
}

fn base_files() -> Vec<TreeFile> {
    files(&[(CLIENT, CLIENT_BASE.as_bytes()), ("README.md", b"# demo\n")])
}

fn violating() -> String {
    format!("{CLIENT_BASE}export const fallback = (u: string) => new EventSource(u);\n")
}

/// A repository with the base on `main` and `head` on `pr` (or staged).
fn repo_with(head: Vec<TreeFile>, head_as: HeadAs) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    scratch::build(&work, &base_files(), &head, head_as, "pr: change").unwrap();
    (tmp, work)
}

/// The base plus extra head files.
fn repo_adding(extra: &[(&str, &[u8])]) -> (tempfile::TempDir, PathBuf) {
    let mut head = base_files();
    head.extend(files(extra));
    repo_with(head, HeadAs::Commit)
}

fn sig() -> Signature<'static> {
    Signature::new(
        "invlint tests",
        "tests@invlint.invalid",
        &Time::new(1_767_225_600, 0),
    )
    .unwrap()
}

/// Commits the index after `edit` on top of HEAD.
fn commit_index(work: &Path, edit: impl FnOnce(&mut git2::Index)) {
    let repo = Repository::open(work).unwrap();
    let mut index = repo.index().unwrap();
    edit(&mut index);
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let parent = repo.head().unwrap().peel_to_commit().unwrap();
    repo.commit(Some("HEAD"), &sig(), &sig(), "pr: more", &tree, &[&parent])
        .unwrap();
}

fn invlint(dir: &Path, args: &[&str]) -> Output {
    invlint_env(dir, args, &[])
}

fn invlint_env(dir: &Path, args: &[&str], env: &[(&str, &Path)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_invlint"));
    cmd.current_dir(dir);
    // A policy these tests write into the work tree is not part of any commit: the policy that
    // judges a change is the base's (README, "Threat model"), so name it as the trusted one.
    let policy = dir.join("inv-rules.toml");
    if args.first() == Some(&"check")
        && !args.contains(&"--config")
        && std::fs::symlink_metadata(&policy).is_ok_and(|m| m.is_file())
    {
        cmd.args(["--config", "inv-rules.toml"]);
    }
    cmd.args(args)
        .env("NO_COLOR", "1")
        // Wide enough that no message below is wrapped.
        .env("COLUMNS", "400")
        .env_remove("GITHUB_EVENT_PATH")
        .env_remove("GITHUB_STEP_SUMMARY")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts the exit code and that nothing panicked; returns stdout + stderr for further checks.
#[track_caller]
fn expect(o: &Output, code: i32) -> String {
    let (out, err) = (stdout(o), stderr(o));
    assert!(
        !err.contains("panicked") && !out.contains("panicked"),
        "panic:\n{out}\n{err}"
    );
    assert_eq!(
        o.status.code(),
        Some(code),
        "exit code\nstdout:\n{out}\nstderr:\n{err}"
    );
    format!("{out}{err}")
}

/// Asserts a clean failure: exit 2, every needle in stderr, and a help line.
#[track_caller]
fn expect_error(o: &Output, needles: &[&str]) {
    let text = expect(o, 2);
    let err = stderr(o);
    for n in needles {
        assert!(err.contains(n), "{n:?} missing from:\n{text}");
    }
    assert!(err.contains("help:"), "no help line in:\n{err}");
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", stdout(o), stderr(o)))
}

/// -j1 and -j8 give byte-identical output in every format.
#[track_caller]
fn same_at_any_thread_count(work: &Path, args: &[&str]) {
    for format in ["human", "json", "github", "sarif", "markdown"] {
        let run = |j: &str| {
            let mut a = args.to_vec();
            a.extend(["--format", format, j]);
            invlint(work, &a)
        };
        let (one, eight) = (run("-j1"), run("-j8"));
        assert_eq!(one.status.code(), eight.status.code(), "{format}");
        assert_eq!(stdout(&one), stdout(&eight), "{format}");
    }
}

/// Every entry under `root`, symlinks by target (never followed), files by content.
fn snapshot(root: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    let mut out = std::collections::BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        out.insert(dir.clone(), Vec::new());
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            let meta = std::fs::symlink_metadata(&p).unwrap();
            if meta.file_type().is_symlink() {
                let t = std::fs::read_link(&p).unwrap();
                out.insert(p, t.into_os_string().into_encoded_bytes());
            } else if meta.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn write_policy(work: &Path, text: &str) {
    std::fs::write(work.join("inv-rules.toml"), text).unwrap();
}

const INV03: &str = "[invariant.INV-03]\ntitle = \"WS only\"\ncheck = \"sse-poll-lane\"\nescalation = \"block-merge\"\n";

/// The built-in policy with `from` replaced by `to` (which must occur).
fn policy_with(from: &str, to: &str) -> String {
    assert!(DEFAULT_POLICY.contains(from), "{from:?}");
    DEFAULT_POLICY.replacen(from, to, 1)
}

/// 1-based line of the first `needle` in `text`.
fn line_of(text: &str, needle: &str) -> usize {
    text[..text.find(needle).unwrap()].matches('\n').count() + 1
}

#[test]
fn policy_problems() {
    // (case, policy text, what the error must say); each case in its own repository, side by
    // side (`parallel::each`).
    let mut cases: Vec<(&str, String, Vec<String>)> = Vec::new();

    // 13: the same ID twice, differing only in case.
    let text = format!(
        "{DEFAULT_POLICY}\n[invariant.inv-03]\ntitle = \"x\"\ncheck = \"sse-poll-lane\"\nescalation = \"block-merge\"\nstatus = \"planned\"\n"
    );
    let needles = vec![
        "invariant `inv-03` duplicates `INV-03`".to_string(),
        format!("inv-rules.toml:{}:", line_of(&text, "[invariant.inv-03]")),
        "unique ID".to_string(),
    ];
    cases.push(("13", text, needles));

    // 14: a table declared twice is a TOML error, at its line.
    cases.push((
        "14",
        format!("{DEFAULT_POLICY}\n[invariant.INV-03]\ntitle = \"x\"\n"),
        strings(&["invlint::config::parse", "duplicate", "invariant"]),
    ));

    // 15: an unknown key inside a check's own table.
    cases.push((
        "15",
        policy_with(
            "[invariant.INV-03.sse-poll-lane]\n",
            "[invariant.INV-03.sse-poll-lane]\npathz = [\"apps/**\"]\n",
        ),
        strings(&["unknown field `pathz`", "expected one of", "`paths`"]),
    ));

    // 16: a string where a number belongs.
    let text = policy_with("max-file-size = 8388608", "max-file-size = \"big\"");
    let needles = vec![
        "invalid type".to_string(),
        format!(
            "inv-rules.toml:{}:",
            line_of(&text, "max-file-size = \"big\"")
        ),
    ];
    cases.push(("16", text, needles));

    // 17: a future policy version.
    cases.push((
        "17",
        policy_with("version = 1", "version = 2"),
        strings(&["unsupported policy version 2", "set `version = 1`"]),
    ));

    // 18: a regex that compiles to more than the size limit.
    cases.push((
        "18",
        policy_with(r"regex = '\bEventSource\b'", r"regex = '(\w{500}){500}'"),
        strings(&["invalid regex `(\\w{500}){500}`", "size limit"]),
    ));

    // 19: a required key missing.
    cases.push((
        "19",
        "version = 1\n[invariant.INV-03]\ncheck = \"sse-poll-lane\"\nescalation = \"block-merge\"\n"
            .to_string(),
        strings(&["missing field `title`"]),
    ));

    // 55: a check without its settings: every empty list named, at the invariant's header
    // (not at line 1), in plain words.
    cases.push((
        "55",
        format!("version = 1\n{INV03}"),
        strings(&[
            "`paths` is empty, so no file would ever be checked",
            "inv-rules.toml:2:1",
            "list at least one entry in `paths`",
        ]),
    ));

    // 56: an error at the end of a 100,000-character line: located, not drawn.
    let long = format!(
        "{DEFAULT_POLICY}\nnote = \"{}\" oops\n",
        "x".repeat(100_000)
    );
    let needles = vec![format!(
        "(at inv-rules.toml:{}:100011)",
        line_of(&long, "note = ")
    )];
    cases.push(("56", long, needles));

    assert_eq!(cases.len(), 9);
    parallel::each(cases, |(case, text, needles)| {
        let (_t, work) = repo_adding(&[]);
        write_policy(&work, &text);
        let needles: Vec<&str> = needles.iter().map(String::as_str).collect();
        let o = invlint(&work, &["check"]);
        eprintln!("policy problem {case}");
        expect_error(&o, &needles);
    });
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[test]
fn policy_files() {
    let (tmp, work) = repo_with(
        files(&[(CLIENT, violating().as_bytes()), ("README.md", b"# demo\n")]),
        HeadAs::Commit,
    );

    // 20: an empty policy declares nothing: nothing to check, nothing blocks.
    write_policy(&work, "");
    let text = expect(&invlint(&work, &["check"]), 0);
    assert!(text.contains("merge gate passed"), "{text}");

    // 21: not UTF-8.
    let bad = tmp.path().join("latin1.toml");
    std::fs::write(&bad, b"version = 1\n# caf\xe9\n").unwrap();
    expect_error(
        &invlint(&work, &["check", "--config", bad.to_str().unwrap()]),
        &["cannot read policy file", "UTF-8"],
    );

    // 22: missing, and a directory.
    expect_error(
        &invlint(&work, &["check", "--config", "no-such.toml"]),
        &["cannot read policy file no-such.toml", "--config"],
    );
    expect_error(
        &invlint(&work, &["check", "--config", tmp.path().to_str().unwrap()]),
        &["cannot read policy file"],
    );
}

#[test]
fn non_utf8_and_binary() {
    // 23: Latin-1 text in a file a check reads: skipped, named, and the run is incomplete.
    let latin1 = format!("{SYNC_DIR}/latin1.ts");
    let binary = format!("{SYNC_DIR}/blob.ts");
    let (_t, work) = repo_adding(&[
        (&latin1, b"// caf\xe9\nnew EventSource(u);\n"),
        (&binary, b"EventSource\0\x01\x02\xff"),
    ]);
    let o = invlint(&work, &["check", "--format", "json"]);
    expect(&o, 2);
    let doc = json(&o);
    let notes = doc["notes"].as_array().unwrap();
    assert!(
        notes.iter().any(|n| n["path"] == latin1.as_str()
            && n["message"].as_str().unwrap().contains("not valid UTF-8")
            && n["incomplete"] == true),
        "{notes:?}"
    );
    // 24: binary content (a NUL byte) is not text: no finding inside it, no error, but a note
    // says it was not checked (fail closed; at the release gate it is VER-01).
    let findings = doc["findings"].as_array().unwrap();
    assert!(
        findings.iter().all(|f| f["path"] != binary.as_str()),
        "{findings:?}"
    );
    assert!(
        notes.iter().any(|n| n["path"] == binary.as_str()
            && n["message"].as_str().unwrap().contains("binary content")
            && n["incomplete"] == false),
        "{notes:?}"
    );
    let text = expect(&invlint(&work, &["check"]), 2);
    assert!(
        text.contains(&format!("error: {latin1}: not valid UTF-8; not checked")),
        "{text}"
    );
    same_at_any_thread_count(&work, &["check"]);
    expect(&invlint(&work, &["check", "--all"]), 2);
}

#[test]
fn huge_files() {
    // 25: a 100 MB sparse file in the work tree: the audit skips it by its size, without
    // reading it (it would take seconds, and its zeros would make it "binary", not "too large").
    let (_t, work) = repo_with(base_files(), HeadAs::Stage);
    let big = format!("{SYNC_DIR}/huge.ts");
    let f = std::fs::File::create(work.join(&big)).unwrap();
    f.set_len(100 * 1024 * 1024).unwrap();
    drop(f);
    // `--all` audits what git tracks: stage it (an entry for an empty blob; the audit reads the
    // work tree, by its size first).
    {
        let repo = Repository::open(&work).unwrap();
        let blob = repo.blob(b"").unwrap();
        let mut index = repo.index().unwrap();
        index
            .add(&git2::IndexEntry {
                ctime: git2::IndexTime::new(0, 0),
                mtime: git2::IndexTime::new(0, 0),
                dev: 0,
                ino: 0,
                mode: 0o100644,
                uid: 0,
                gid: 0,
                file_size: 0,
                id: blob,
                flags: big.len() as u16,
                flags_extended: 0,
                path: big.as_bytes().to_vec(),
            })
            .unwrap();
        index.write().unwrap();
    }
    let start = Instant::now();
    let o = invlint(&work, &["check", "--all", "--format", "json"]);
    expect(&o, 0);
    assert!(start.elapsed() < Duration::from_secs(20));
    let doc = json(&o);
    let notes = doc["notes"].as_array().unwrap();
    assert!(
        notes.iter().any(|n| n["path"] == big.as_str()
            && n["message"]
                .as_str()
                .unwrap()
                .contains("104857600 bytes, over [limits] max-file-size")
            && n["incomplete"] == false),
        "{notes:?}"
    );

    // 26: a committed text file over the limit (lowered to keep the test fast): skipped with a
    // note in every diff mode, and a violation inside it is not reported.
    let mut text = "const a = 1;\n".repeat(2000);
    text.push_str("new EventSource(u);\n");
    let mut head = base_files();
    head.push((big.clone(), text.into_bytes()));
    for (head_as, mode) in [(HeadAs::Commit, "--base"), (HeadAs::Stage, "--staged")] {
        let (_t, work) = repo_with(head.clone(), head_as);
        write_policy(
            &work,
            &policy_with("max-file-size = 8388608", "max-file-size = 1000"),
        );
        let args: &[&str] = if mode == "--base" {
            &["check", "--base", "main", "--format", "json"]
        } else {
            &["check", "--staged", "--format", "json"]
        };
        let o = invlint(&work, args);
        expect(&o, 0);
        let doc = json(&o);
        assert_eq!(
            doc["findings"].as_array().unwrap().len(),
            0,
            "{mode}: {doc}"
        );
        let notes = doc["notes"].as_array().unwrap();
        assert!(
            notes.iter().any(|n| n["path"] == big.as_str()
                && n["message"]
                    .as_str()
                    .unwrap()
                    .contains("over [limits] max-file-size (1000)")),
            "{mode}: {notes:?}"
        );
    }
}

#[test]
fn very_long_line() {
    // 27: one 1 MB line with the violation at its end: found, at the right column, quickly.
    let mut line = "x".repeat(1024 * 1024);
    line.push_str(" new EventSource(u);");
    let path = format!("{SYNC_DIR}/long.ts");
    let (_t, work) = repo_adding(&[(&path, line.as_bytes())]);
    let start = Instant::now();
    let o = invlint(&work, &["check", "--format", "json"]);
    expect(&o, 1);
    assert!(start.elapsed() < Duration::from_secs(20));
    let doc = json(&o);
    let f = &doc["findings"][0];
    assert_eq!(f["path"], path.as_str());
    assert_eq!(f["line"], 1);
    assert_eq!(f["column"], 1024 * 1024 + 6);
    assert_eq!(f["end_column"], 1024 * 1024 + 17);
    // The human renderer locates it without drawing a megabyte of source (miette panicked on
    // columns past 65,535 before the excerpt was skipped).
    let o = invlint(&work, &["check"]);
    expect(&o, 1);
    let out = stdout(&o);
    assert!(
        out.contains(&format!("{path}:1:{}: this change adds", 1024 * 1024 + 6))
            && out.contains("(line too long to show)"),
        "{}",
        &out[..out.len().min(4000)]
    );
    assert!(out.len() < 10_000, "the long line was printed");
    same_at_any_thread_count(&work, &["check"]);
}

#[test]
fn crlf_spans() {
    // 28: CRLF line endings give the same line and columns as LF.
    let lf = violating();
    let crlf = lf.replace('\n', "\r\n");
    let mut spans = Vec::new();
    for text in [&lf, &crlf] {
        let (_t, work) = repo_with(
            files(&[(CLIENT, text.as_bytes()), ("README.md", b"# demo\n")]),
            HeadAs::Commit,
        );
        let o = invlint(&work, &["check", "--format", "json"]);
        expect(&o, 1);
        let f = json(&o)["findings"][0].clone();
        spans.push((
            f["line"].clone(),
            f["column"].clone(),
            f["end_line"].clone(),
            f["end_column"].clone(),
        ));
        let o = invlint(&work, &["check", "--format", "github"]);
        assert!(
            stdout(&o).contains(&format!(
                "file={CLIENT},line=4,endLine=4,col=44,endColumn=55"
            )),
            "{}",
            stdout(&o)
        );
    }
    assert_eq!(spans[0], spans[1]);
    assert_eq!(spans[0].0, 4);
    assert_eq!(spans[0].1, 44);
    assert_eq!(spans[0].3, 55);
}

#[test]
fn symlink_loop() {
    // 29: a -> b -> a, committed and in the work tree; plus a link out of the repository.
    let (_t, work) = repo_adding(&[]);
    let a = format!("{SYNC_DIR}/a.ts");
    let b = format!("{SYNC_DIR}/b.ts");
    std::os::unix::fs::symlink("b.ts", work.join(&a)).unwrap();
    std::os::unix::fs::symlink("a.ts", work.join(&b)).unwrap();
    let out = format!("{SYNC_DIR}/passwd.ts");
    std::os::unix::fs::symlink("/etc/passwd", work.join(&out)).unwrap();
    commit_index(&work, |i| {
        for p in [&a, &b, &out] {
            i.add_path(Path::new(p)).unwrap();
        }
    });
    let before = snapshot(&work);
    for (args, code) in [
        (&["check", "--base", "main", "--format", "json"][..], 0),
        (&["check", "--all", "--format", "json"][..], 0),
        (&["check", "--staged", "--format", "json"][..], 0),
        // The range's commit messages stand in for a PR description, and map no invariant.
        (
            &["check", "--range", "main..HEAD", "--format", "json"][..],
            1,
        ),
    ] {
        let o = invlint(&work, args);
        expect(&o, code);
        let doc = json(&o);
        assert!(
            doc["findings"]
                .as_array()
                .unwrap()
                .iter()
                .all(|f| f["id"].as_str().unwrap().starts_with("PR-")),
            "{doc}"
        );
        assert!(
            !stdout(&o).contains("root:"),
            "read through the link: {doc}"
        );
    }
    same_at_any_thread_count(&work, &["check", "--all"]);
    assert!(before == snapshot(&work), "the repository changed");
}

#[test]
fn submodule_gitlink() {
    // 30: a gitlink (mode 160000) pointing at a commit that is not in this repository.
    let (_t, work) = repo_adding(&[]);
    let path = "apps/vendor-sub";
    commit_index(&work, |i| {
        let entry = git2::IndexEntry {
            ctime: git2::IndexTime::new(0, 0),
            mtime: git2::IndexTime::new(0, 0),
            dev: 0,
            ino: 0,
            mode: 0o160000,
            uid: 0,
            gid: 0,
            file_size: 0,
            id: git2::Oid::from_str("1234567890abcdef1234567890abcdef12345678").unwrap(),
            flags: path.len() as u16,
            flags_extended: 0,
            path: path.as_bytes().to_vec(),
        };
        i.add(&entry).unwrap();
    });
    std::fs::create_dir_all(work.join(path)).unwrap();
    for args in [
        &["check", "--base", "main", "--format", "json"][..],
        &["check", "--all", "--format", "json"][..],
        &["check", "--staged", "--format", "json"][..],
    ] {
        let o = invlint(&work, args);
        expect(&o, 0);
        let doc = json(&o);
        let notes = doc["notes"].as_array().unwrap();
        assert!(notes.iter().all(|n| n["path"] != path), "{notes:?}");
    }
}

#[test]
fn change_kinds() {
    parallel::each(vec!["31", "32", "33", "34", "35"], |case| match case {
        "31" => {
            // 31: deleted.
            let (_t, work) = repo_with(files(&[("README.md", b"# demo\n")]), HeadAs::Commit);
            let o = invlint(&work, &["check", "--format", "json"]);
            expect(&o, 0);
            assert_eq!(json(&o)["summary"]["files_changed"], 1);
        }
        "32" => {
            // 32: renamed, with a violation: reported at the new path.
            let moved = format!("{SYNC_DIR}/khalaSocket.ts");
            let (_t, work) = repo_with(
                files(&[(&moved, violating().as_bytes()), ("README.md", b"# demo\n")]),
                HeadAs::Commit,
            );
            let o = invlint(&work, &["check", "--format", "json"]);
            expect(&o, 1);
            let doc = json(&o);
            assert_eq!(doc["findings"][0]["path"], moved.as_str());
            assert_eq!(doc["findings"][0]["line"], 4);
            assert_eq!(doc["summary"]["files_changed"], 1, "a rename is one change");
        }
        "33" => {
            // 33: mode only (made executable): a change with no added lines.
            let (_t, work) = repo_adding(&[]);
            commit_index(&work, |i| {
                let mut e = i.get_path(Path::new(CLIENT), 0).unwrap();
                e.mode = 0o100755;
                i.add(&e).unwrap();
            });
            let o = invlint(&work, &["check", "--format", "json"]);
            expect(&o, 0);
            let doc = json(&o);
            assert_eq!(doc["summary"]["files_changed"], 1);
            assert_eq!(doc["findings"].as_array().unwrap().len(), 0);
        }
        "34" => {
            // 34: an empty file added.
            let (_t, work) = repo_adding(&[(&format!("{SYNC_DIR}/empty.ts"), b"")]);
            let o = invlint(&work, &["check", "--format", "json"]);
            expect(&o, 0);
            assert_eq!(json(&o)["summary"]["files_changed"], 1);
            expect(&invlint(&work, &["check", "--all"]), 0);
        }
        "35" => {
            // 35: an empty diff: head is the base.
            let (_t, work) = repo_adding(&[]);
            let o = invlint(&work, &["check", "--format", "json"]);
            expect(&o, 0);
            assert_eq!(json(&o)["summary"]["files_changed"], 0);
            let text = expect(&invlint(&work, &["check", "--staged"]), 0);
            assert!(text.contains("merge gate passed"), "{text}");
            same_at_any_thread_count(&work, &["check"]);
        }
        other => unreachable!("no case {other}"),
    });
}

#[test]
fn non_utf8_file_name() {
    // 36: a file name that is not UTF-8 (allowed on Linux), committed and in the work tree.
    use std::os::unix::ffi::OsStrExt;
    let (_t, work) = repo_adding(&[]);
    let mut name = SYNC_DIR.as_bytes().to_vec();
    name.extend_from_slice(b"/caf\xe9.ts");
    let rel = Path::new(std::ffi::OsStr::from_bytes(&name));
    std::fs::write(work.join(rel), violating()).unwrap();
    commit_index(&work, |i| i.add_path(rel).unwrap());
    for args in [
        &["check", "--format", "json"][..],
        &["check", "--all", "--format", "json"][..],
    ] {
        let o = invlint(&work, args);
        let text = expect(&o, 1);
        let doc = json(&o);
        assert!(
            doc["findings"].as_array().unwrap().iter().any(|f| f["path"]
                .as_str()
                .unwrap()
                .starts_with(&format!("{SYNC_DIR}/caf"))
                && f["line"] == 4),
            "{args:?}: {text}"
        );
    }
}

/// `git` with no user or system configuration.
fn git(dir: &Path, args: &[&str]) -> Option<Output> {
    Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .output()
        .ok()
}

#[test]
fn shallow_clone() {
    // 37/38: main moved on after the pull request branched; a depth-1 clone has neither side's
    // parent, so there is no merge base in it.
    let (tmp, work) = repo_with(
        files(&[(CLIENT, violating().as_bytes()), ("README.md", b"# demo\n")]),
        HeadAs::Commit,
    );
    {
        let repo = Repository::open(&work).unwrap();
        let main = repo.find_branch("main", git2::BranchType::Local).unwrap();
        let parent = main.get().peel_to_commit().unwrap();
        let tree = parent.tree().unwrap();
        repo.commit(
            Some("refs/heads/main"),
            &sig(),
            &sig(),
            "main: later",
            &tree,
            &[&parent],
        )
        .unwrap();
    }
    let clone = tmp.path().join("clone");
    let url = format!("file://{}", work.display());
    let Some(o) = git(
        tmp.path(),
        &[
            "clone",
            "-q",
            "--depth",
            "1",
            "--no-single-branch",
            &url,
            clone.to_str().unwrap(),
        ],
    ) else {
        eprintln!("skipped: no git executable");
        return;
    };
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(Repository::open(&clone).unwrap().is_shallow());
    expect_error(
        &invlint(&clone, &["check", "--base", "origin/main"]),
        &[
            "no merge base between HEAD and `origin/main` (this clone is shallow)",
            "fetch-depth: 0",
        ],
    );
    expect_error(
        &invlint(&clone, &["check", "--base", "main"]),
        &[
            "cannot resolve revision `main`",
            "this clone is shallow",
            "git fetch",
        ],
    );
    // The work tree itself is complete: an audit works.
    expect(&invlint(&clone, &["check", "--all"]), 1);
}

#[test]
fn detached_head() {
    // 39: HEAD detached at the pull request's commit.
    let (_t, work) = repo_with(
        files(&[(CLIENT, violating().as_bytes()), ("README.md", b"# demo\n")]),
        HeadAs::Commit,
    );
    let repo = Repository::open(&work).unwrap();
    let id = repo.head().unwrap().target().unwrap();
    repo.set_head_detached(id).unwrap();
    let o = invlint(&work, &["check", "--format", "json"]);
    expect(&o, 1);
    assert_eq!(json(&o)["findings"][0]["line"], 4);
    expect(&invlint(&work, &["check", "--range", "main..HEAD"]), 1);
}

#[test]
fn revisions() {
    let (_t, work) = repo_adding(&[]);
    // 40: a commit with no common history.
    {
        let repo = Repository::open(&work).unwrap();
        let tree = repo.head().unwrap().peel_to_tree().unwrap();
        repo.commit(
            Some("refs/heads/orphan"),
            &sig(),
            &sig(),
            "orphan",
            &tree,
            &[],
        )
        .unwrap();
    }
    expect_error(
        &invlint(&work, &["check", "--range", "main...orphan"]),
        &[
            "no merge base between HEAD and `main...orphan`",
            "share no history",
        ],
    );
    expect_error(
        &invlint(&work, &["check", "--base", "orphan"]),
        &["no merge base", "share no history", "--base"],
    );
    // A two-dot range compares trees and needs no merge base.
    expect(&invlint(&work, &["check", "--range", "main..orphan"]), 0);

    // 41: an unknown revision in a range.
    expect_error(
        &invlint(&work, &["check", "--range", "main..nope"]),
        &["cannot resolve revision `main..nope`", "A..B"],
    );

    // 42: no default base at all.
    {
        let repo = Repository::open(&work).unwrap();
        repo.find_branch("main", git2::BranchType::Local)
            .unwrap()
            .rename("trunk", false)
            .unwrap();
    }
    expect_error(
        &invlint(&work, &["check"]),
        &["none of the default base revisions exists", "--base <rev>"],
    );
}

#[test]
fn unborn_head() {
    // 43: a repository with no commit yet.
    let tmp = tempfile::tempdir().unwrap();
    Repository::init(tmp.path()).unwrap();
    expect_error(
        &invlint(tmp.path(), &["check"]),
        &["cannot resolve revision `HEAD`", "--staged"],
    );
    // Staging the first files works: everything staged is new.
    let dir = tmp.path().join(SYNC_DIR);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(tmp.path().join(CLIENT), violating()).unwrap();
    let repo = Repository::open(tmp.path()).unwrap();
    let mut index = repo.index().unwrap();
    index.add_path(Path::new(CLIENT)).unwrap();
    index.write().unwrap();
    expect(&invlint(tmp.path(), &["check", "--staged"]), 1);
    expect(&invlint(tmp.path(), &["check", "--all"]), 1);
}

#[test]
fn repository_shapes() {
    // 44: bare.
    let tmp = tempfile::tempdir().unwrap();
    let bare = tmp.path().join("bare.git");
    Repository::init_bare(&bare).unwrap();
    expect_error(
        &invlint(&bare, &["check"]),
        &["is a bare repository", "git clone"],
    );
    // 45: inside .git of a normal repository, and a directory that does not exist.
    let (_t, work) = repo_adding(&[]);
    let o = invlint(&work.join(".git"), &["check"]);
    let code = o.status.code();
    if code == Some(2) {
        expect_error(&o, &["bare"]);
    } else {
        expect(&o, 0);
    }
    expect_error(
        &invlint(&work, &["-C", "no/such/dir", "check"]),
        &["no/such/dir", "-C DIR"],
    );
}

#[test]
fn pr_body_files() {
    let (tmp, work) = repo_with(
        files(&[(CLIENT, violating().as_bytes()), ("README.md", b"# demo\n")]),
        HeadAs::Commit,
    );
    // 46: unreadable (root reads anything, so only assert when the read really fails).
    let locked = tmp.path().join("locked.md");
    std::fs::write(&locked, "INV-03: affected\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let o = invlint(&work, &["check", "--pr-body", locked.to_str().unwrap()]);
    if std::fs::read(&locked).is_err() {
        expect_error(
            &o,
            &[
                "cannot read the PR description from",
                "ermission denied",
                "--pr-body FILE",
            ],
        );
    } else {
        expect(&o, 1);
    }
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o644)).unwrap();

    // 47: over 1 MiB.
    let huge = tmp.path().join("huge.md");
    std::fs::write(&huge, "INV-03: affected\n".repeat(70_000)).unwrap();
    expect_error(
        &invlint(&work, &["check", "--pr-body", huge.to_str().unwrap()]),
        &[
            "cannot read the PR description",
            "larger than 1048576 bytes",
        ],
    );

    // 48: not UTF-8; a directory.
    let latin1 = tmp.path().join("latin1.md");
    std::fs::write(&latin1, b"INV-03: affected caf\xe9\n").unwrap();
    expect_error(
        &invlint(&work, &["check", "--pr-body", latin1.to_str().unwrap()]),
        &["not UTF-8 (invalid byte at offset 20)"],
    );
    expect_error(
        &invlint(&work, &["check", "--pr-body", tmp.path().to_str().unwrap()]),
        &["cannot read the PR description"],
    );
}

#[test]
fn hostile_markdown() {
    let (tmp, work) = repo_with(
        files(&[(CLIENT, violating().as_bytes()), ("README.md", b"# demo\n")]),
        HeadAs::Commit,
    );
    let run = |name: &str, body: &str| {
        let path = tmp.path().join(name);
        std::fs::write(&path, body).unwrap();
        let start = Instant::now();
        let o = invlint(
            &work,
            &[
                "check",
                "--pr-body",
                path.to_str().unwrap(),
                "--format",
                "json",
            ],
        );
        assert!(start.elapsed() < Duration::from_secs(20), "{name} is slow");
        expect(&o, 1);
        same_at_any_thread_count(&work, &["check", "--pr-body", path.to_str().unwrap()]);
        json(&o)
    };
    // PR-04 about INV-03: the description marks it N/A although the change touches it.
    let claims_inv03_na = |doc: &serde_json::Value| -> bool {
        doc["findings"].as_array().unwrap().iter().any(|f| {
            f["id"] == "PR-04"
                && f["message"]
                    .as_str()
                    .unwrap()
                    .starts_with("INV-03 is marked N/A")
        })
    };

    // 49: a four-backtick fence quoting a three-backtick one: everything inside is code, so the
    // example "INV-03: N/A" in it is not a claim (PR-04 would flag a real one).
    let doc = run(
        "fences.md",
        "Adds a fallback.\n\nThe template, for reference:\n\n````markdown\n```\nINV-03: N/A\n```\nINV-03: N/A\n````\n~~~\n```\n~~~\n",
    );
    assert!(!claims_inv03_na(&doc), "{doc}");

    // 50: HTML everywhere, and a comment that never ends (hides the rest, as GitHub does).
    let doc = run(
        "html.md",
        "<details><summary>Notes</summary>\n<script>alert(1)</script><img src=x onerror=y>\n</details>\n<!-- INV-03: N/A\n\nINV-03: N/A\n",
    );
    assert!(!claims_inv03_na(&doc), "{doc}");

    // 51: 10,000-deep list and quote nesting, and a 10,000-level indented list (kept under the
    // 1 MiB cap), each ending in an invariant claim.
    let mut body = String::new();
    body.push_str(&"- ".repeat(10_000));
    body.push_str("INV-03: affected\n");
    body.push_str(&"> ".repeat(10_000));
    body.push_str("- [x] INV-03: affected\n");
    for depth in 0..10_000 {
        body.push_str(&" ".repeat(depth % 40));
        body.push_str("* [ ] x\n");
    }
    body.push_str(&"[".repeat(10_000));
    body.push_str(&"`".repeat(10_000));
    body.push('\n');
    let doc = run("deep.md", &body);
    assert!(!claims_inv03_na(&doc), "{doc}");
}

#[test]
fn github_event_shapes() {
    let (tmp, work) = repo_with(
        files(&[(CLIENT, violating().as_bytes()), ("README.md", b"# demo\n")]),
        HeadAs::Commit,
    );
    let event = tmp.path().join("event.json");
    let with_event = |body: &str, args: &[&str]| {
        std::fs::write(&event, body).unwrap();
        invlint_env(&work, args, &[("GITHUB_EVENT_PATH", &event)])
    };
    // 52: a pull request without a body (absent or null): the title is the description.
    for ev in [
        r#"{"pull_request":{"title":"INV-03: affected"}}"#,
        r#"{"pull_request":{"title":"INV-03: affected","body":null}}"#,
    ] {
        let o = with_event(ev, &["check", "--base", "main", "--format", "json"]);
        expect(&o, 1);
        let doc = json(&o);
        assert!(
            doc["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|f| f["id"] == "INV-03"),
            "{doc}"
        );
    }
    // 53: a missing event file; JSON of the wrong shape.
    std::fs::remove_file(&event).unwrap();
    expect_error(
        &invlint_env(
            &work,
            &["check", "--base", "main"],
            &[("GITHUB_EVENT_PATH", &event)],
        ),
        &[
            "cannot read the pull request from the GitHub event file",
            "GITHUB_EVENT_PATH",
        ],
    );
    for ev in [
        r#"[1, 2, 3]"#,
        r#"{"pull_request":"yes"}"#,
        r#"{"pull_request":{"title":7,"body":["INV-03"],"base":{"sha":42}}}"#,
        r#"{"pull_request":{"title":"t","body":"b","base":{"sha":"--upload-pack=evil"}}}"#,
    ] {
        expect(&with_event(ev, &["check", "--base", "main"]), 1);
    }
    // 54: a base sha the clone does not have (a shallow checkout): clear error.
    let o = with_event(
        r#"{"pull_request":{"title":"t","body":"b","base":{"sha":"0123456789abcdef0123456789abcdef01234567"}}}"#,
        &["check"],
    );
    expect_error(
        &o,
        &[
            "cannot resolve revision `0123456789abcdef0123456789abcdef01234567`",
            "git rev-parse",
        ],
    );
}

// ---------------------------------------------------------------------------------------------
// Hostile input (issue 15): whatever a change holds, invlint answers 0, 1 or 2 in bounded time,
// never forges a CI log or terminal line, never prints a file it was not asked to read and never
// writes through a link. Cases 57 onwards.

/// Output of every mode a pull request's files reach: the base plus `extra`, committed on `pr`
/// (`--base`, `--all`, `dry-run`) or only staged (`--staged`).
fn every_mode(extra: &[(&str, &[u8])]) -> Vec<Output> {
    let (_t, work) = repo_adding(extra);
    let mut head = base_files();
    head.extend(files(extra));
    let (_s, staged) = repo_with(head, HeadAs::Stage);
    vec![
        invlint(&work, &["check", "--base", "main", "--format", "json"]),
        invlint(&staged, &["check", "--staged", "--format", "json"]),
        invlint(&work, &["check", "--all", "--format", "json"]),
        invlint(&work, &["dry-run", "main..pr", "--format", "json"]),
    ]
}

/// A Rust file INV-02 parses (its text mentions the WebSocket), nesting `open`/`close` `n` deep.
fn nested_rust(open: &str, close: &str, n: usize) -> Vec<u8> {
    format!(
        "// websocket handler\nfn f() {{ let x = {}1{}; }}\n",
        open.repeat(n),
        close.repeat(n)
    )
    .into_bytes()
}

#[test]
fn deep_nesting_is_refused_before_parsing() {
    // 57-62: 700 nested parentheses overflowed a rayon worker's 2 MiB stack (exit 134) in every
    // mode; so did 1,000 nested blocks or arrays, and (with any stack) a statement of 200k
    // `return`s or `=`s. Each is now refused by the depth precheck with a run note, and the
    // other checks still run (INV-03 below).
    let cases: [(&str, Vec<u8>); 6] = [
        ("parens", nested_rust("(", ")", 800)),
        ("blocks", nested_rust("{", "}", 5_000)),
        ("arrays", nested_rust("[", "]", 1_500)),
        ("generics", {
            let mut t = b"// websocket\ntype T = ".to_vec();
            t.extend("Vec<".repeat(2_000).bytes());
            t.extend(b"u8");
            t.extend(">".repeat(2_000).bytes());
            t.extend(b";\n");
            t
        }),
        ("returns", nested_rust("return ", "", 200_000)),
        ("assignments", nested_rust("a = ", "", 200_000)),
    ];
    for (name, text) in cases {
        let path = format!("apps/runtime/src/{name}.rs");
        for (i, o) in every_mode(&[(&path, &text), (CLIENT, violating().as_bytes())])
            .iter()
            .enumerate()
        {
            let out = expect(o, 1);
            // dry-run's table has no notes; the three check modes say what was not parsed.
            assert!(
                i == 3 || out.contains("not parsed:"),
                "{name}: no note in\n{out}"
            );
            assert!(
                out.contains("INV-03"),
                "{name}: other checks did not run\n{out}"
            );
        }
    }
}

#[test]
fn nesting_under_the_limit_still_parses() {
    // 63: 250 nested parentheses and a 16,000-`return` statement are parsed (a 256 MiB worker
    // stack), without a note.
    for text in [
        nested_rust("(", ")", 250),
        nested_rust("return ", "", 16_000),
    ] {
        let (_t, work) = repo_adding(&[("apps/runtime/src/deep.rs", &text)]);
        let o = invlint(&work, &["check", "--base", "main", "--format", "json"]);
        expect(&o, 0);
        assert!(!stdout(&o).contains("not parsed"), "{}", stdout(&o));
    }
}

#[test]
fn deep_proto_is_refused_before_parsing() {
    // 64: a .proto of 5,000 nested messages (protox-parse recurses per level).
    let mut text = String::from("syntax = \"proto3\";\npackage openagents.sync.v1;\n");
    for i in 0..5_000 {
        text.push_str(&format!("message M{i} {{ "));
    }
    text.push_str(&"}".repeat(5_000));
    text.push('\n');
    let outputs = every_mode(&[("proto/openagents/sync/v1/deep.proto", text.as_bytes())]);
    for (i, o) in outputs.iter().enumerate() {
        let out = format!("{}{}", stdout(o), stderr(o));
        assert!(!out.contains("panicked") && o.status.code().is_some_and(|c| c <= 1));
        assert!(i == 3 || out.contains("nesting over"), "mode {i}: {out}");
    }
}

/// Writes a tree object by hand (libgit2's tree builder refuses modes git does not name, but
/// git itself only warns about them in `git fsck`) and commits it on top of HEAD.
fn commit_raw_tree(work: &Path, entries: &[(&str, &str, git2::Oid)]) {
    let repo = Repository::open(work).unwrap();
    let head = repo.head().unwrap().peel_to_commit().unwrap();
    let mut sorted: Vec<_> = head
        .tree()
        .unwrap()
        .iter()
        .map(|e| {
            (
                format!("{:o}", e.filemode_raw()),
                e.name().unwrap().to_string(),
                e.id(),
            )
        })
        .collect();
    sorted.extend(
        entries
            .iter()
            .map(|(m, n, id)| (m.to_string(), n.to_string(), *id)),
    );
    // git sorts tree entries by name, a directory as if its name ended in `/`.
    sorted.sort_by_key(|(m, n, _)| {
        let mut k = n.clone().into_bytes();
        if m == "40000" {
            k.push(b'/');
        }
        k
    });
    let mut raw = Vec::new();
    for (mode, name, id) in &sorted {
        raw.extend(format!("{mode} {name}\0").bytes());
        raw.extend(id.as_bytes());
    }
    let tree_id = repo
        .odb()
        .unwrap()
        .write(git2::ObjectType::Tree, &raw)
        .unwrap();
    let tree = repo.find_tree(tree_id).unwrap();
    repo.commit(Some("HEAD"), &sig(), &sig(), "pr: modes", &tree, &[&head])
        .unwrap();
}

#[test]
fn unusual_tree_modes() {
    // 65-69: modes 100600, 100000, 120755, 160644 and 140000 panicked with "unknown mode" in
    // the diff (git2's `DiffFile::mode`). Each is now read as git reads it: a blob (or link, or
    // gitlink), and a blob's text is checked like any other file's.
    for mode in ["100600", "100000", "120755", "160644", "140000"] {
        let (_t, work) = repo_adding(&[]);
        let blob = Repository::open(&work)
            .unwrap()
            .blob(violating().as_bytes())
            .unwrap();
        commit_raw_tree(&work, &[(mode, "odd-mode.ts", blob)]);
        for args in [
            &["check", "--base", "main", "--format", "json"][..],
            &["check", "--range", "main..pr", "--format", "github"][..],
            &["dry-run", "main..pr"][..],
        ] {
            let o = invlint(&work, args);
            let code = o.status.code();
            expect(&o, code.unwrap_or(-1).clamp(0, 1));
        }
    }
}

/// Writes `.git/index` by hand: version 2, `entries` (path, raw mode, blob; sorted by the
/// caller), then `extensions`, then a zero checksum (invlint's reader, like git's fast paths,
/// does not verify it).
fn write_raw_index(work: &Path, entries: &[(&str, u32, git2::Oid)], extensions: &[u8]) {
    let mut b = b"DIRC".to_vec();
    b.extend(2u32.to_be_bytes());
    b.extend((entries.len() as u32).to_be_bytes());
    for (path, mode, id) in entries {
        let start = b.len();
        b.extend([0u8; 24]); // ctime, mtime, dev, ino
        b.extend(mode.to_be_bytes());
        b.extend([0u8; 12]); // uid, gid, size
        b.extend(id.as_bytes());
        b.extend((path.len().min(0xfff) as u16).to_be_bytes());
        b.extend(path.bytes());
        let len = (62 + path.len() + 8) & !7;
        b.resize(start + len, 0);
    }
    b.extend(extensions);
    b.extend([0u8; 20]);
    std::fs::write(work.join(".git/index"), b).unwrap();
}

/// The base's files, staged with `client_mode` for the client and its violating text.
fn stage_violation_raw(work: &Path, client_mode: u32, extensions: &[u8]) {
    let repo = Repository::open(work).unwrap();
    let readme = repo.blob(b"# demo\n").unwrap();
    let client = repo.blob(violating().as_bytes()).unwrap();
    write_raw_index(
        work,
        &[
            ("README.md", 0o100644, readme),
            (CLIENT, client_mode, client),
        ],
        extensions,
    );
}

#[test]
fn hostile_index_files() {
    // 70-74: a staged entry with a mode git does not name panicked ("unknown mode"); the
    // staged file is now read as git reads it (a regular file) and checked.
    for mode in [0o100600, 0o100000, 0o100777, 0o140000, 0o000644] {
        let (_t, work) = repo_with(base_files(), HeadAs::Commit);
        stage_violation_raw(&work, mode, &[]);
        let o = invlint(&work, &["check", "--staged", "--format", "json"]);
        expect(&o, 1);
        assert!(stdout(&o).contains("\"INV-03\""), "mode {mode:o}");
    }
    // 75: a cache-tree (`TREE`) nested 100,000 deep overflowed the main thread's stack (1.3 GB
    // RSS); it is now ignored past 2,048 levels and every directory is compared.
    let mut tree = b"\0-1 1\n".to_vec();
    for _ in 0..100_000 {
        tree.extend(b"a\0-1 1\n");
    }
    tree.extend(b"a\0-1 0\n");
    let mut ext = b"TREE".to_vec();
    ext.extend((tree.len() as u32).to_be_bytes());
    ext.extend(&tree);
    let (_t, work) = repo_with(base_files(), HeadAs::Commit);
    stage_violation_raw(&work, 0o100644, &ext);
    let o = invlint(&work, &["check", "--staged", "--format", "json"]);
    expect(&o, 1);
    // 76: truncated and oversized extension records, and a count larger than the file.
    for tail in [&b"TREE\xff\xff\xff\xff"[..], b"TRE", b"link\0\0\0\x10abc"] {
        let (_t, work) = repo_with(base_files(), HeadAs::Commit);
        stage_violation_raw(&work, 0o100644, tail);
        let o = invlint(&work, &["check", "--staged"]);
        let code = o.status.code().unwrap_or(-1);
        expect(&o, code.clamp(1, 2));
    }
}

#[test]
fn split_and_sparse_indexes() {
    // 77-78: a split or sparse index failed every diff mode with a "repository may be corrupt"
    // hint. `--base` and `--range` now ignore the index; `--staged` names the feature and the
    // git command that removes it.
    let (_t, work) = repo_adding(&[(CLIENT, violating().as_bytes())]);
    let Some(o) = git(&work, &["update-index", "--split-index"]) else {
        eprintln!("skipped: no git");
        return;
    };
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(work.join("README.md"), "# changed\n").unwrap();
    assert!(git(&work, &["add", "README.md"]).unwrap().status.success());
    for args in [
        &["check", "--base", "main"][..],
        &["check", "--range", "main..pr"][..],
    ] {
        expect(&invlint(&work, args), 1);
    }
    expect_error(
        &invlint(&work, &["check", "--staged"]),
        &["split index", "git update-index --no-split-index"],
    );

    let (_t, work) = repo_adding(&[(CLIENT, violating().as_bytes())]);
    let o = git(&work, &["sparse-checkout", "set", "--sparse-index", "apps"]).unwrap();
    if !o.status.success() {
        eprintln!("skipped: this git has no sparse index: {}", stderr(&o));
        return;
    }
    expect(&invlint(&work, &["check", "--base", "main"]), 1);
    expect_error(
        &invlint(&work, &["check", "--staged"]),
        &["sparse index", "--no-sparse-index"],
    );
}

#[test]
fn deep_sql_is_bounded() {
    // 79-80: `ARRAY[` nested 64 deep, in a `.sql` migration or in a Rust string literal passed
    // to `query`, ran past 120 s (sqlparser retries each keyword-led level once the recursion
    // limit is hit: 2^n parses). Such a statement now goes to the text fallback, which still
    // finds the cross-plane table.
    let deep = format!(
        "SELECT {}1{} FROM control.users",
        "ARRAY[".repeat(64),
        "]".repeat(64)
    );
    let rust =
        format!("pub async fn load(db: &Client) {{\n    db.query(\"{deep}\", &[]).await;\n}}\n");
    for (path, text) in [
        (
            "apps/runtime/migrations/0001_deep.sql",
            format!("{deep};\n"),
        ),
        ("apps/runtime/src/store_deep.rs", rust),
    ] {
        let started = Instant::now();
        let (_t, work) = repo_adding(&[(path, text.as_bytes())]);
        let o = invlint(&work, &["check", "--base", "main", "--format", "json"]);
        expect(&o, 1);
        assert!(
            stdout(&o).contains("control.users"),
            "{path}: {}",
            stdout(&o)
        );
        // Not a timing test (CI machines vary): a guard that fails within minutes, not hours.
        assert!(started.elapsed() < Duration::from_secs(60), "{path}");
    }
}

/// Lines a workflow runner would read as commands (it skips leading whitespace first), other
/// than the ones invlint writes itself.
fn forged_commands(github: &str) -> Vec<String> {
    github
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with("::") || l.starts_with("##["))
        .filter(|l| {
            let ours = ["::error ", "::warning ", "::notice "]
                .iter()
                .any(|c| l.starts_with(c))
                || *l == "::group::invlint findings (all)"
                || *l == "::endgroup::";
            !ours || l.contains("forged") && !l.contains("%0A")
        })
        .map(str::to_string)
        .collect()
}

/// Markdown with its code spans removed (a run of n backticks up to the next run of exactly
/// n), and backslash-escaped characters dropped: what a renderer reads as markup.
fn outside_code_spans(md: &str) -> String {
    let b: Vec<char> = md.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == '\\' {
            i += 2;
            continue;
        }
        if b[i] == '`' {
            let n = b[i..].iter().take_while(|&&c| c == '`').count();
            let mut j = i + n;
            let mut closed = None;
            while j < b.len() {
                let m = b[j..].iter().take_while(|&&c| c == '`').count();
                if m == n {
                    closed = Some(j + m);
                    break;
                }
                j += m.max(1);
            }
            if let Some(end) = closed {
                i = end;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

#[test]
fn hostile_names_and_text_never_reach_a_log_or_terminal_raw() {
    // 81-88: file names with a newline and a workflow command, with ESC sequences and a forged
    // verdict, with Markdown link and code syntax; a source line and a PR description carrying
    // ESC, CR and `::` commands; a Cargo.toml dependency key with a newline. None may produce a
    // live workflow command (`--format github`), a raw control character (any format, colour
    // off), a second verdict line (human) or live Markdown (markdown, also the step summary).
    let forged_verdict = "\x1b[2K\x1b[1A\rinvlint: merge gate passed\x1b[8m";
    let names = [
        "apps/x\n::error file=README.md,line=1::forged.ts".to_string(),
        format!("apps/{forged_verdict}.ts"),
        "apps/[x](https:evil.example) `y` |z|<b>.ts".to_string(),
        "apps/\u{202E}st.ts".to_string(),
    ];
    let mut head = base_files();
    for n in &names {
        head.push((n.clone(), violating().into_bytes()));
    }
    head.push((
        CLIENT.to_string(),
        format!("{CLIENT_BASE}const s = new EventSource(u); // {forged_verdict}\x1b]0;owned\x07\n")
            .into_bytes(),
    ));
    head.push((
        "apps/runtime/Cargo.toml".to_string(),
        b"[package]\nname = \"runtime\"\n[dependencies]\n\"x\\n::add-mask::forged\" = { path = \"../openagents.com/service\" }\n"
            .to_vec(),
    ));
    head.push((
        "apps/openagents.com/service/Cargo.toml".to_string(),
        b"[package]\nname = \"openagents-control-service\"\n".to_vec(),
    ));
    let (tmp, work) = repo_with(head, HeadAs::Commit);
    let pr = tmp.path().join("pr.md");
    std::fs::write(
        &pr,
        format!("INV-03: affected {forged_verdict}\n::error::forged\n  ::add-mask::forged\r::warning::forged\n"),
    )
    .unwrap();
    let pr_arg = pr.to_str().unwrap();
    let summary = tmp.path().join("summary.md");
    for format in ["human", "github", "markdown", "json", "sarif"] {
        let o = invlint_env(
            &work,
            &[
                "check",
                "--base",
                "main",
                "--pr-body",
                pr_arg,
                "--format",
                format,
                "--color",
                "never",
            ],
            &[("GITHUB_STEP_SUMMARY", &summary)],
        );
        let out = expect(&o, 1);
        assert!(out.contains("EventSource"), "{format}: no findings\n{out}");
        // JSON and SARIF carry the names as data (a bidi override is a valid JSON character);
        // serde escapes every control character in them.
        let is_data = format == "json" || format == "sarif";
        assert!(
            !out.contains('\x1b')
                && !out.contains('\x07')
                && (is_data || !out.contains('\u{202E}')),
            "{format}: raw control character\n{out}"
        );
        assert!(
            !out.replace("\r\n", "\n").contains('\r'),
            "{format}: raw CR\n{out}"
        );
        match format {
            "github" => assert_eq!(forged_commands(&stdout(&o)), Vec::<String>::new(), "{out}"),
            "human" => assert_eq!(
                out.lines().filter(|l| l.starts_with("invlint: ")).count(),
                1,
                "a second verdict line\n{out}"
            ),
            "markdown" => {
                let live = outside_code_spans(&stdout(&o));
                assert!(!live.contains("](https:"), "live link\n{out}");
                assert!(!live.contains("<b>"), "live HTML\n{out}");
                assert!(
                    !out.lines().any(|l| l.trim_start().starts_with("::")),
                    "a line starting a command\n{out}"
                );
            }
            _ => {}
        }
    }
    // The step summary (Markdown) written beside `--format github`.
    let md = std::fs::read_to_string(&summary).unwrap();
    assert!(
        !md.contains('\x1b') && !outside_code_spans(&md).contains("](https:"),
        "{md}"
    );
    // Colour on: our own SGR colours only; no cursor movement, erase, title or conceal.
    let o = invlint(
        &work,
        &[
            "check",
            "--base",
            "main",
            "--pr-body",
            pr_arg,
            "--color",
            "always",
        ],
    );
    let out = expect(&o, 1);
    for bad in ["\x1b[2K", "\x1b[1A", "\x1b]0;", "\x1b[8m", "\r invlint"] {
        assert!(!out.contains(bad), "{bad:?} in\n{out}");
    }
}

/// Commits a symbolic link at `path` (relative to the work tree) pointing at `target`.
fn commit_symlink(work: &Path, path: &str, target: &Path) {
    std::os::unix::fs::symlink(target, work.join(path)).unwrap();
    commit_index(work, |i| i.add_path(Path::new(path)).unwrap());
}

#[test]
fn links_out_of_the_work_tree_are_never_read() {
    // 89-92: a policy, a PR description or a GitHub event file committed as a link to a file
    // outside the repository had its lines printed (the policy in a parse error's excerpt).
    // Each is now refused with exit 2 and a message naming the link; nothing of the target is
    // printed.
    let tmp = tempfile::tempdir().unwrap();
    let secret = tmp.path().join("credentials");
    std::fs::write(&secret, "SECRET-TOKEN-1 = [\nSECRET-TOKEN-2\n").unwrap();
    let leaks = |o: &Output| {
        let out = expect(o, 2);
        assert!(!out.contains("SECRET-TOKEN"), "leaked:\n{out}");
        out
    };
    let (_t, work) = repo_adding(&[(CLIENT, violating().as_bytes())]);
    commit_symlink(&work, "inv-rules.toml", &secret);
    for args in [
        &["rules"][..],
        &["--explain", "INV-03"][..],
        &["check", "--config", "inv-rules.toml"][..],
    ] {
        let out = leaks(&invlint(&work, args));
        assert!(out.contains("out of the work tree"), "{out}");
    }
    // `check` judges the change by the base's policy (here the built-in default): the link is
    // never read there either.
    let out = expect(&invlint(&work, &["check", "--base", "main"]), 1);
    assert!(!out.contains("SECRET-TOKEN"), "leaked:\n{out}");
    // `--staged` judges the change by HEAD's policy, read from git: there the link is a blob
    // holding the target's name, never the target.
    leaks(&invlint(&work, &["check", "--staged"]));

    let (_t, work) = repo_adding(&[(CLIENT, violating().as_bytes())]);
    commit_symlink(&work, "pr.md", &secret);
    leaks(&invlint(
        &work,
        &["check", "--base", "main", "--pr-body", "pr.md"],
    ));
    commit_symlink(&work, "event.json", &secret);
    let out = leaks(&invlint_env(
        &work,
        &["check", "--base", "main"],
        &[("GITHUB_EVENT_PATH", &work.join("event.json"))],
    ));
    assert!(out.contains("out of the work tree"), "{out}");
    // A link inside the work tree is fine.
    commit_symlink(&work, "pr-inner.md", Path::new("README.md"));
    expect(
        &invlint(
            &work,
            &["check", "--base", "main", "--pr-body", "pr-inner.md"],
        ),
        1,
    );
}

#[test]
fn policy_reads_are_capped() {
    // 93-95: a policy over 4 MiB inside the tree is refused by its size; a dangling link is an
    // error, never the default policy; a policy linked to /proc/self/pagemap read 2 GB, now at
    // most 4 MiB + 1 byte.
    let (_t, work) = repo_adding(&[(CLIENT, violating().as_bytes())]);
    let mut big = DEFAULT_POLICY.to_string();
    while big.len() <= 4 << 20 {
        big.push_str("# padding padding padding padding padding padding padding padding\n");
    }
    // (`check` judges a change by the base's policy; `rules` and `--config` read the work tree's.)
    std::fs::write(work.join("inv-rules.toml"), &big).unwrap();
    for args in [
        &["rules"][..],
        &["check", "--base", "main", "--config", "inv-rules.toml"],
    ] {
        let o = invlint(&work, args);
        expect(&o, 2);
        assert!(stderr(&o).contains("limit"), "{}", stderr(&o));
    }
    std::fs::remove_file(work.join("inv-rules.toml")).unwrap();
    std::os::unix::fs::symlink("no-such-file", work.join("inv-rules.toml")).unwrap();
    expect(&invlint(&work, &["rules"]), 2);
    let started = Instant::now();
    let o = invlint(
        &work,
        &["check", "--base", "main", "--config", "/proc/self/pagemap"],
    );
    expect(&o, 2);
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[test]
fn outputs_never_write_through_a_link() {
    // 96-97: `--sarif-output invlint.sarif`, where the change committed `invlint.sarif` as a
    // link, overwrote the link's target; so could the step summary. Both now refuse (exit 2)
    // and the target is untouched; a plain file is replaced as before.
    let tmp = tempfile::tempdir().unwrap();
    let target = tmp.path().join("bashrc");
    std::fs::write(&target, "keep me\n").unwrap();
    let (_t, work) = repo_adding(&[(CLIENT, violating().as_bytes())]);
    commit_symlink(&work, "invlint.sarif", &target);
    let o = invlint(
        &work,
        &["check", "--base", "main", "--sarif-output", "invlint.sarif"],
    );
    expect(&o, 2);
    assert!(stderr(&o).contains("symbolic link"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me\n");
    let summary = tmp.path().join("summary-link");
    std::os::unix::fs::symlink(&target, &summary).unwrap();
    let o = invlint_env(
        &work,
        &["check", "--base", "main", "--format", "github"],
        &[("GITHUB_STEP_SUMMARY", &summary)],
    );
    expect(&o, 2);
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me\n");
    let plain = tmp.path().join("out.sarif");
    std::fs::write(&plain, "old").unwrap();
    let o = invlint(
        &work,
        &[
            "check",
            "--base",
            "main",
            "--sarif-output",
            plain.to_str().unwrap(),
        ],
    );
    expect(&o, 1);
    assert!(std::fs::read_to_string(&plain)
        .unwrap()
        .contains("\"version\": \"2.1.0\""));
}

/// Deletes the loose object `spec` names (`main:README.md`, `pr:apps`) from `work`'s object
/// store, as a partial clone (`--filter=blob:none`) or a damaged store lacks it.
fn drop_object(work: &Path, spec: &str) -> String {
    let repo = Repository::open(work).unwrap();
    let id = repo.revparse_single(spec).unwrap().id().to_string();
    let loose = work.join(".git/objects").join(&id[..2]).join(&id[2..]);
    std::fs::remove_file(&loose).unwrap_or_else(|e| panic!("{}: {e}", loose.display()));
    id
}

#[test]
fn missing_objects_never_pass() {
    // 98: the change's own blob is not in the object store (a partial clone, a damaged store).
    // Nothing can be said of the file: the run names it, says which object, and is incomplete
    // (exit 2) in every format, never a pass.
    let (_t, work) = repo_adding(&[(CLIENT, violating().as_bytes())]);
    let id = drop_object(&work, &format!("pr:{CLIENT}"));
    let o = invlint(&work, &["check", "--base", "main"]);
    let text = expect(&o, 2);
    for needle in [CLIENT, "unreadable", id.as_str(), "incomplete"] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
    // Never worded or drawn as a pass: the verdict, the job summary and the annotations.
    assert!(
        text.contains("merge gate incomplete: 1 needed file(s) unreadable"),
        "{text}"
    );
    assert!(!text.contains("gate passed"), "{text}");
    let md = expect(
        &invlint(&work, &["check", "--base", "main", "--format", "markdown"]),
        2,
    );
    assert!(md.contains("### ⚠️ invlint: merge gate incomplete"), "{md}");
    assert!(!md.contains('✅'), "{md}");
    assert!(md.contains(&format!("- error: `{CLIENT}`")), "{md}");
    let o = invlint(&work, &["check", "--base", "main", "--format", "gitlab"]);
    expect(&o, 2);
    let report = json(&o);
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../schemas/gitlab-codequality.schema.json")).unwrap();
    assert!(
        jsonschema::validator_for(&schema)
            .unwrap()
            .is_valid(&report),
        "{report}"
    );
    assert!(
        report
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["check_name"] == "invlint/not-checked" && i["location"]["path"] == CLIENT),
        "{report}"
    );
    let gh = expect(
        &invlint(&work, &["check", "--base", "main", "--format", "github"]),
        2,
    );
    assert!(
        gh.lines()
            .any(|l| l.starts_with("::error title=invlint%3A not checked::")
                && l.contains(CLIENT)
                && l.contains(&id)),
        "{gh}"
    );
    let o = invlint(&work, &["check", "--base", "main", "--format", "json"]);
    expect(&o, 2);
    let doc = json(&o);
    let text = doc.to_string();
    assert!(
        text.contains(CLIENT) && text.contains("unreadable"),
        "{text}"
    );

    // 99: the base side of a changed file is missing: its added lines cannot be told from the
    // old ones, so every line at head counts as added (the violation blocks), and the run names
    // the side and the object. Before, libgit2's patch failed the whole run, naming only the
    // object.
    let (_t, work) = repo_adding(&[(CLIENT, violating().as_bytes())]);
    let id = drop_object(&work, &format!("main:{CLIENT}"));
    let text = expect(&invlint(&work, &["check", "--base", "main"]), 1);
    for needle in [
        "INV-03",
        "EventSource",
        &format!("{CLIENT}: base: unreadable"),
        id.as_str(),
        "incomplete",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
    // Where no check reads the base, the head was checked whole and the run may pass; the note
    // still says what was missing and what that did.
    let (_t, work) = repo_adding(&[("README.md", b"# changed\n")]);
    let id = drop_object(&work, "main:README.md");
    let text = expect(&invlint(&work, &["check", "--base", "main"]), 0);
    for needle in [
        "README.md: base: unreadable",
        id.as_str(),
        "every line at head counted as added",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }

    // 100: a directory the change does not touch is missing its tree object. The diff or the
    // coverage walk fails on it: a clear error naming the object, never "paths match
    // nothing" and a pass.
    let (_t, work) = repo_adding(&[("README.md", b"# changed\n")]);
    let id = drop_object(&work, &format!("pr:{SYNC_DIR}"));
    let o = invlint(&work, &["check", "--base", "main"]);
    let text = expect(&o, 2);
    for needle in [id.as_str(), "invlint::git::missing_object", "partial clone"] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
}
