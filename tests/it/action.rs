//! The GitHub Action's script (scripts/github-action.sh) end to end, as GitHub runs it: the
//! install step against a fake release on a loopback HTTP server (checksums, fallback to
//! `cargo install --locked`), the cache key, and the check step on shallow clones made the way
//! actions/checkout makes them (`git clone --depth 2` of GitHub's pull-request merge commit),
//! with simulated event files for `pull_request`, `push` and `merge_group`.
//!
//! Nothing here touches the network (the server listens on 127.0.0.1, clones use `file://`) or
//! the user's git configuration.

use crate::common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Instant;

const CLIENT: &str = "apps/openagents.com/resources/js/sync/khalaClient.ts";
const CLIENT_BASE: &str = "export function connect(topic: string) {\n  return new WebSocket(`/sync/socket/websocket?topic=${topic}`);\n}\n";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn script() -> PathBuf {
    root().join("scripts/github-action.sh")
}

/// Environment that ignores the developer's git configuration and any real CI context.
fn hermetic<'a>(cmd: &'a mut Command, home: &Path) -> &'a mut Command {
    cmd.env("HOME", home)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "invlint test")
        .env("GIT_AUTHOR_EMAIL", "test@invlint.invalid")
        .env("GIT_COMMITTER_NAME", "invlint test")
        .env("GIT_COMMITTER_EMAIL", "test@invlint.invalid")
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_EVENT_PATH")
        .env_remove("GITHUB_EVENT_NAME")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_OUTPUT")
        .env_remove("GITHUB_ACTION_REF")
        .env_remove("GITLAB_CI")
        .env_remove("RUNNER_OS")
        .env_remove("RUNNER_ARCH")
        .env_remove("INPUT_VERSION")
        .env_remove("INPUT_ARGS")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn git(dir: &Path, home: &Path, args: &[&str]) -> String {
    let out = hermetic(&mut Command::new("git"), home)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn write(dir: &Path, rel: &str, body: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, body).unwrap();
}

fn violating() -> String {
    format!("{CLIENT_BASE}export const fallback = (u: string) => new EventSource(u);\n")
}

/// An "origin" repository: `main` with the base, branch `feature` with `commits` on top, and
/// GitHub's merge commit of the two on `refs/pull/7/merge`. Returns (origin, base sha).
fn origin(tmp: &Path, commits: &[(&str, &str)]) -> (PathBuf, String) {
    let o = tmp.join("origin");
    std::fs::create_dir_all(&o).unwrap();
    git(&o, tmp, &["init", "-q", "-b", "main"]);
    write(&o, CLIENT, CLIENT_BASE);
    write(&o, "README.md", "# demo\n");
    git(&o, tmp, &["add", "-A"]);
    git(&o, tmp, &["commit", "-q", "-m", "base"]);
    git(&o, tmp, &["checkout", "-q", "-b", "feature"]);
    for (i, (path, body)) in commits.iter().enumerate() {
        write(&o, path, body);
        git(&o, tmp, &["add", "-A"]);
        git(&o, tmp, &["commit", "-q", "-m", &format!("feature {i}")]);
    }
    git(&o, tmp, &["checkout", "-q", "main"]);
    // The base moves on after the branch point, as it does on a busy repository.
    write(&o, "docs/later.md", "later\n");
    git(&o, tmp, &["add", "-A"]);
    git(&o, tmp, &["commit", "-q", "-m", "main moves on"]);
    let base = git(&o, tmp, &["rev-parse", "HEAD"]);
    git(&o, tmp, &["checkout", "-q", "--detach"]);
    git(
        &o,
        tmp,
        &["merge", "-q", "--no-ff", "-m", "Merge feature", "feature"],
    );
    git(&o, tmp, &["update-ref", "refs/pull/7/merge", "HEAD"]);
    git(&o, tmp, &["checkout", "-q", "main"]);
    (o, base)
}

/// `actions/checkout` with `fetch-depth: depth` of `refspec`, detached, like GitHub does it.
fn checkout(tmp: &Path, origin: &Path, refspec: &str, depth: u32) -> PathBuf {
    let w = tmp.join("work");
    std::fs::create_dir_all(&w).unwrap();
    git(&w, tmp, &["init", "-q"]);
    let url = format!("file://{}", origin.display());
    git(&w, tmp, &["remote", "add", "origin", &url]);
    let depth = format!("--depth={depth}");
    git(
        &w,
        tmp,
        &["fetch", "-q", "--no-tags", &depth, "origin", refspec],
    );
    git(&w, tmp, &["checkout", "-q", "--detach", "FETCH_HEAD"]);
    w
}

struct Run {
    out: Output,
    outputs: String,
}

fn action_run(work: &Path, home: &Path, event: &str, payload: &str, args: &str) -> Run {
    let ev = home.join("event.json");
    std::fs::write(&ev, payload).unwrap();
    let output = home.join("github-output");
    let _ = std::fs::remove_file(&output);
    let out = hermetic(&mut Command::new("bash"), home)
        .arg(script())
        .arg("run")
        .current_dir(work)
        .env("INVLINT_BIN", env!("CARGO_BIN_EXE_invlint"))
        .env("GITHUB_EVENT_PATH", &ev)
        .env("GITHUB_EVENT_NAME", event)
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_STEP_SUMMARY", home.join("summary.md"))
        .env("INPUT_GATE", "merge")
        .env("INPUT_SARIF", home.join("out.sarif"))
        .env("INPUT_ARGS", args)
        .output()
        .expect("bash runs");
    Run {
        out,
        outputs: std::fs::read_to_string(&output).unwrap_or_default(),
    }
}

fn pr_event(base: &str, login: &str) -> String {
    format!(
        r#"{{"action":"synchronize","number":7,"pull_request":{{"title":"khala: add an SSE fallback","body":"Invariant impact: INV-03 affected.","user":{{"login":"{login}"}},"base":{{"ref":"main","sha":"{base}"}},"head":{{"ref":"feature"}}}}}}"#
    )
}

/// Done-when of issue 20: a simulated `pull_request` event on a depth-2 clone of GitHub's merge
/// commit runs the Action's script end to end, and its SARIF passes the 2.1.0 schema and what
/// GitHub's ingestion enforces.
#[test]
fn pull_request_on_a_depth_2_merge_commit_end_to_end() {
    let tmp = tempfile::tempdir().unwrap();
    let (o, base) = origin(tmp.path(), &[(CLIENT, &violating())]);
    let work = checkout(tmp.path(), &o, "refs/pull/7/merge", 2);
    assert_eq!(
        git(&work, tmp.path(), &["rev-parse", "--is-shallow-repository"]),
        "true"
    );
    let run = action_run(
        &work,
        tmp.path(),
        "pull_request",
        &pr_event(&base, "octocat"),
        "",
    );
    let shown = text(&run.out);
    assert_eq!(run.out.status.code(), Some(1), "{shown}");
    assert!(run.outputs.contains("verdict=blocked"), "{}", run.outputs);
    assert!(
        shown.contains(&format!("::error file={CLIENT},line=4,")),
        "{shown}"
    );
    // The merge commit's first parent is the base: nothing was fetched or deepened, and only the
    // pull request's own change was compared (not docs/later.md, which main added).
    assert!(
        !shown.contains("deepening") && !shown.contains("fetching"),
        "{shown}"
    );
    assert!(shown.contains("checked 1 changed file"), "{shown}");
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(tmp.path().join("out.sarif")).unwrap())
            .unwrap();
    let errors = common::sarif::schema_errors(&sarif);
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    let problems = common::sarif::github_ingestion_problems(&sarif);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert!(results.iter().any(|r| r["ruleId"] == "INV-03"), "{sarif}");
}

/// The pull request's head checked out at depth 2 (no merge commit): the script fetches the
/// base commit alone and deepens until the merge base is there.
#[test]
fn a_shallow_head_checkout_fetches_the_base_and_deepens() {
    let tmp = tempfile::tempdir().unwrap();
    let commits: Vec<(String, String)> = (0..4)
        .map(|i| (format!("docs/f{i}.md"), format!("{i}\n")))
        .chain([(CLIENT.to_string(), violating())])
        .collect();
    let refs: Vec<(&str, &str)> = commits
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    let (o, base) = origin(tmp.path(), &refs);
    let work = checkout(tmp.path(), &o, "refs/heads/feature", 2);
    let run = action_run(
        &work,
        tmp.path(),
        "pull_request",
        &pr_event(&base, "octocat"),
        "",
    );
    let shown = text(&run.out);
    assert_eq!(run.out.status.code(), Some(1), "{shown}");
    assert!(shown.contains("fetching the base commit"), "{shown}");
    assert!(shown.contains("deepening the clone"), "{shown}");
    // All five commits of the branch, not the two the clone started with.
    assert!(shown.contains("checked 5 changed files"), "{shown}");
}

/// `push` compares with the event's `before`; a new branch (all-zero `before`) with the default
/// branch; `merge_group` with its `base_sha`.
#[test]
fn push_and_merge_group_events_name_their_base() {
    let tmp = tempfile::tempdir().unwrap();
    let (o, _) = origin(
        tmp.path(),
        &[
            ("docs/a.md", "a\n"),
            (CLIENT, &violating()),
            ("docs/b.md", "b\n"),
        ],
    );
    let before = git(&o, tmp.path(), &["rev-parse", "feature~3"]);
    let work = checkout(tmp.path(), &o, "refs/heads/feature", 2);
    // A push of three commits: `before` is not in the depth-2 clone.
    let run = action_run(
        &work,
        tmp.path(),
        "push",
        &format!(
            r#"{{"ref":"refs/heads/feature","before":"{before}","after":"x","repository":{{"default_branch":"main"}}}}"#
        ),
        "",
    );
    let shown = text(&run.out);
    assert_eq!(run.out.status.code(), Some(1), "{shown}");
    assert!(shown.contains("checked 3 changed files"), "{shown}");

    // A new branch: all-zero `before`, compared with origin/main.
    let zeros = "0".repeat(40);
    let run = action_run(
        &work,
        tmp.path(),
        "push",
        &format!(
            r#"{{"ref":"refs/heads/feature","before":"{zeros}","after":"x","repository":{{"default_branch":"main"}}}}"#
        ),
        "",
    );
    let shown = text(&run.out);
    assert_eq!(run.out.status.code(), Some(1), "{shown}");
    assert!(shown.contains("of origin/main"), "{shown}");

    // merge_group: the queue's base.
    let group_base = git(&o, tmp.path(), &["rev-parse", "feature~1"]);
    let run = action_run(
        &work,
        tmp.path(),
        "merge_group",
        &format!(r#"{{"merge_group":{{"base_sha":"{group_base}","head_sha":"x"}}}}"#),
        "",
    );
    let shown = text(&run.out);
    // Only docs/b.md changed since the queue's base: nothing blocks.
    assert_eq!(run.out.status.code(), Some(0), "{shown}");
    assert!(shown.contains("checked 1 changed file"), "{shown}");
}

/// An event that names no base, in a clone without origin/HEAD, main or master, fails with what
/// to pass instead of a bare revision error.
#[test]
fn no_base_anywhere_fails_with_what_to_pass() {
    let tmp = tempfile::tempdir().unwrap();
    let (o, _) = origin(tmp.path(), &[(CLIENT, &violating())]);
    let work = checkout(tmp.path(), &o, "refs/heads/feature", 2);
    let run = action_run(
        &work,
        tmp.path(),
        "workflow_dispatch",
        r#"{"inputs":{}}"#,
        "",
    );
    let shown = text(&run.out);
    assert_eq!(run.out.status.code(), Some(2), "{shown}");
    assert!(run.outputs.contains("verdict=error"), "{}", run.outputs);
    assert!(shown.contains("no origin/HEAD, main or master"), "{shown}");
    assert!(shown.contains("--base <rev>"), "{shown}");
    // With a mode in `args` it runs.
    let run = action_run(
        &work,
        tmp.path(),
        "workflow_dispatch",
        r#"{"inputs":{}}"#,
        "--all",
    );
    assert_eq!(run.out.status.code(), Some(1), "{}", text(&run.out));
}

/// `args` is one argument per line: a space stays inside its argument and `*` is not globbed.
#[test]
fn args_are_one_per_line_never_split_or_globbed() {
    let tmp = tempfile::tempdir().unwrap();
    let (o, base) = origin(tmp.path(), &[(CLIENT, &violating())]);
    let work = checkout(tmp.path(), &o, "refs/pull/7/merge", 2);
    std::fs::write(work.join("my pr.md"), "Invariant impact: none.\n").unwrap();
    // Files for a glob to expand to, if the script globbed.
    std::fs::write(work.join("INV-03"), "").unwrap();
    let event = pr_event(&base, "octocat");
    let run = action_run(
        &work,
        tmp.path(),
        "pull_request",
        &event,
        "--pr-body\nmy pr.md\n-j\n2\n",
    );
    let shown = text(&run.out);
    assert_eq!(run.out.status.code(), Some(1), "{shown}");
    assert!(!shown.contains("error: unexpected argument"), "{shown}");
    let run = action_run(
        &work,
        tmp.path(),
        "pull_request",
        &event,
        "  --select\n  INV-0*  \n",
    );
    let shown = text(&run.out);
    assert_eq!(run.out.status.code(), Some(2), "{shown}");
    assert!(shown.contains("--select INV-0*"), "{shown}");
}

// ---------------------------------------------------------------------------------------------
// Install: a fake release on a loopback server.

/// Serves the files under `dir` over HTTP/1.0 on 127.0.0.1 until the test ends; 404 otherwise.
fn serve(dir: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).is_err() {
                continue;
            }
            // Drain the headers.
            let mut h = String::new();
            while reader.read_line(&mut h).is_ok_and(|n| n > 2) {
                h.clear();
            }
            let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
            let file = dir.join(path.trim_start_matches('/'));
            let mut stream = stream;
            let ok = !path.contains("..") && file.is_file();
            let body = if ok {
                std::fs::read(&file).unwrap()
            } else {
                b"not found".to_vec()
            };
            let status = if ok { "200 OK" } else { "404 Not Found" };
            let _ = write!(
                stream,
                "HTTP/1.0 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(&body);
        }
    });
    format!("http://{addr}")
}

fn sha256_hex(path: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum runs");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// A release directory `v<version>/` holding invlint-<target>.tar.gz (the binary under test)
/// and SHA256SUMS (`sums`: None for the real checksum, Some(text) to replace the file).
fn fake_release(dir: &Path, version: &str, sums: Option<&str>) -> String {
    fake_release_of(dir, version, sums, Path::new(env!("CARGO_BIN_EXE_invlint")))
}

/// `fake_release` with `binary` packed as invlint (a release the script must refuse need not
/// carry the 50 MB debug build).
fn fake_release_of(dir: &Path, version: &str, sums: Option<&str>, binary: &Path) -> String {
    let target = String::from_utf8(
        Command::new("bash")
            .arg(script())
            .arg("target")
            .env_remove("RUNNER_OS")
            .env_remove("RUNNER_ARCH")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap()
    .trim()
    .to_string();
    let rel = dir.join(format!("v{version}"));
    let stage = dir.join(format!("stage/invlint-{target}"));
    std::fs::create_dir_all(&stage).unwrap();
    std::fs::create_dir_all(&rel).unwrap();
    std::fs::copy(binary, stage.join("invlint")).unwrap();
    let archive = format!("invlint-{target}.tar.gz");
    let st = Command::new("tar")
        // Fastest gzip level: the test is about the download, not the compression.
        .args(["-I", "gzip -1", "-cf"])
        .arg(rel.join(&archive))
        .arg("-C")
        .arg(dir.join("stage"))
        .arg(format!("invlint-{target}"))
        .status()
        .unwrap();
    assert!(st.success());
    let sums = match sums {
        Some(s) => s.replace("ARCHIVE", &archive),
        None => format!("{}  {archive}\n", sha256_hex(&rel.join(&archive))),
    };
    std::fs::write(rel.join("SHA256SUMS"), sums).unwrap();
    archive
}

fn install(home: &Path, url: &str, version: &str, path: Option<&str>) -> Output {
    let mut cmd = Command::new("bash");
    hermetic(&mut cmd, home)
        .arg(script())
        .arg("install")
        .env("INVLINT_ROOT", home.join("invlint-root"))
        .env("INVLINT_RELEASES_URL", url)
        .env("GITHUB_ACTION_PATH", root())
        .env("INPUT_VERSION", version);
    if let Some(p) = path {
        cmd.env("PATH", p);
    }
    cmd.output().expect("bash runs")
}

#[test]
fn install_downloads_a_verified_binary_and_reaches_a_finding_fast() {
    let tmp = tempfile::tempdir().unwrap();
    let releases = tmp.path().join("releases");
    let version = env!("CARGO_PKG_VERSION");
    fake_release(&releases, version, None);
    let url = serve(releases.clone());
    let (o, base) = origin(tmp.path(), &[(CLIENT, &violating())]);
    let work = checkout(tmp.path(), &o, "refs/pull/7/merge", 2);

    // Cold: an empty install root, then the check, until the first annotation.
    let started = Instant::now();
    let out = install(tmp.path(), &url, "", None);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("installed invlint {version}")),
        "{}",
        text(&out)
    );
    let bin = tmp.path().join("invlint-root/bin/invlint");
    assert_eq!(
        std::fs::read(&bin).unwrap(),
        std::fs::read(env!("CARGO_BIN_EXE_invlint")).unwrap()
    );
    let ev = tmp.path().join("event.json");
    std::fs::write(&ev, pr_event(&base, "octocat")).unwrap();
    let mut child = hermetic(&mut Command::new("bash"), tmp.path())
        .arg(script())
        .arg("run")
        .current_dir(&work)
        .env("INVLINT_BIN", &bin)
        .env("GITHUB_EVENT_PATH", &ev)
        .env("GITHUB_EVENT_NAME", "pull_request")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = None;
    for line in BufReader::new(child.stdout.take().unwrap()).lines() {
        if line.unwrap().starts_with("::error file=") && first.is_none() {
            first = Some(started.elapsed());
        }
    }
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(1));
    let first = first.expect("a finding was annotated");
    eprintln!(
        "cold to first finding (loopback download, checksum, shallow PR check): {:.2} s",
        first.as_secs_f64()
    );
    // Downloading a binary, not compiling one (about 3 minutes on 2 cores).
    assert!(first.as_secs() < 30, "{first:?}");

    // A second install is a cache hit.
    let out = install(tmp.path(), &url, version, None);
    assert!(text(&out).contains("cache hit"), "{}", text(&out));
}

#[test]
fn install_refuses_an_unverifiable_binary() {
    let tmp = tempfile::tempdir().unwrap();
    let releases = tmp.path().join("releases");
    // Whatever these archives hold must never be installed: a stand-in binary will do.
    let stand_in = tmp.path().join("stand-in");
    std::fs::write(&stand_in, "#!/bin/sh\necho never run\n").unwrap();
    fake_release_of(
        &releases,
        "7.7.7",
        Some(&format!("{}  ARCHIVE\n", "0".repeat(64))),
        &stand_in,
    );
    fake_release_of(
        &releases,
        "7.7.8",
        Some("deadbeef  some-other-file.tar.gz\n"),
        &stand_in,
    );
    let url = serve(releases.clone());
    let bin = tmp.path().join("invlint-root/bin/invlint");
    let out = install(tmp.path(), &url, "7.7.7", None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("checksum mismatch"), "{}", text(&out));
    assert!(!bin.exists());
    let out = install(tmp.path(), &url, "v7.7.8", None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("refusing an unverified binary"),
        "{}",
        text(&out)
    );
    assert!(!bin.exists());
    std::fs::remove_file(releases.join("v7.7.8/SHA256SUMS")).unwrap();
    let out = install(tmp.path(), &url, "7.7.8", None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("no SHA256SUMS"), "{}", text(&out));
    let out = install(tmp.path(), &url, "1.0;rm -rf /", None);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

/// Only when the release has no binary for the runner does it build, with `--locked`.
#[test]
fn install_falls_back_to_cargo_install_locked_only_without_a_binary() {
    let tmp = tempfile::tempdir().unwrap();
    let releases = tmp.path().join("releases");
    std::fs::create_dir_all(&releases).unwrap();
    let url = serve(releases.clone());
    let fake = tmp.path().join("fakebin");
    std::fs::create_dir_all(&fake).unwrap();
    let log = tmp.path().join("cargo.log");
    write(
        &fake,
        "cargo",
        &format!("#!/bin/sh\necho \"$@\" >> '{}'\n", log.display()),
    );
    Command::new("chmod")
        .arg("+x")
        .arg(fake.join("cargo"))
        .status()
        .unwrap();
    let path = format!("{}:{}", fake.display(), std::env::var("PATH").unwrap());
    let out = install(tmp.path(), &url, "9.9.9", Some(&path));
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("has no invlint-"), "{}", text(&out));
    let own = env!("CARGO_PKG_VERSION");
    let out = install(tmp.path(), &url, own, Some(&path));
    assert!(out.status.success(), "{}", text(&out));
    let calls = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<&str> = calls.lines().collect();
    assert_eq!(lines.len(), 2, "{calls}");
    assert!(
        lines[0].starts_with("install --locked invlint --version =9.9.9 --root "),
        "{calls}"
    );
    assert!(
        lines[1].starts_with(&format!(
            "install --locked --path {} --root ",
            root().display()
        )),
        "{calls}"
    );
}

/// The cache key names the version, the action's ref and its source: a moved tag or another
/// version never reuses an old binary.
#[test]
fn the_cache_key_follows_version_ref_and_source() {
    let tmp = tempfile::tempdir().unwrap();
    let action = tmp.path().join("action");
    write(
        &action,
        "Cargo.toml",
        "[package]\nname = \"invlint\"\nversion = \"0.1.0\"\n",
    );
    write(&action, "Cargo.lock", "# lock\n");
    write(&action, "src/main.rs", "fn main() {}\n");
    let key = |version: &str, reference: &str| {
        let mut cmd = Command::new("bash");
        hermetic(&mut cmd, tmp.path())
            .arg(script())
            .arg("cache-key")
            .env("GITHUB_ACTION_PATH", &action)
            .env("GITHUB_ACTION_REF", reference)
            .env("INPUT_VERSION", version);
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let k = key("", "v1");
    assert!(
        k.starts_with("key=invlint-") && k.contains("-v0.1.0-v1-"),
        "{k}"
    );
    assert_eq!(k, key("0.1.0", "v1"));
    assert_ne!(k, key("0.2.0", "v1"));
    assert_ne!(k, key("", "v2"));
    write(&action, "src/main.rs", "fn main() { println!(); }\n");
    assert_ne!(
        k,
        key("", "v1"),
        "a moved tag with new source gets a new key"
    );
}

/// action.yml: the key comes from the script (no hashFiles on the action's path), and the
/// cache is saved before the check runs, so a blocked check cannot prevent it.
#[test]
fn action_yml_saves_the_cache_before_the_check() {
    let yml = std::fs::read_to_string(root().join("action.yml")).unwrap();
    assert!(!yml.contains("hashFiles"), "{yml}");
    let save = yml.find("uses: actions/cache/save@").expect("a save step");
    let check = yml.find("id: check").expect("the check step");
    let restore = yml
        .find("uses: actions/cache/restore@")
        .expect("a restore step");
    assert!(restore < save && save < check, "{yml}");
    assert!(yml.contains("key: ${{ steps.key.outputs.key }}"), "{yml}");
    assert!(
        yml.contains("INPUT_VERSION: ${{ inputs.version }}"),
        "{yml}"
    );
    let mut buf = String::new();
    std::fs::File::open(root().join("Cargo.toml"))
        .unwrap()
        .read_to_string(&mut buf)
        .unwrap();
    // Release artifacts are stripped; cargo-binstall finds the same archives the action does.
    assert!(buf.contains("strip = true"), "{buf}");
    assert!(buf.contains("[package.metadata.binstall]"), "{buf}");
    assert!(buf.contains("invlint-{ target }"), "{buf}");
}

/// The README's workflow uploads SARIF only where the token can write: not on fork or
/// Dependabot pull requests (read-only tokens), where the upload step would fail the job.
#[test]
fn the_readme_workflow_guards_the_sarif_upload() {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let wf = readme
        .split("<!-- example-workflow -->")
        .nth(1)
        .unwrap()
        .split("\n```\n")
        .next()
        .unwrap();
    let upload = wf.find("upload-sarif").expect("an upload step");
    let guard = &wf[..upload];
    assert!(
        guard.contains("github.event.pull_request.head.repo.full_name == github.repository"),
        "{wf}"
    );
    assert!(guard.contains("github.actor != 'dependabot[bot]'"), "{wf}");
    assert!(wf.contains("fetch-depth: 2"), "{wf}");
    assert!(!wf.contains("fetch-depth: 0"), "{wf}");
}

/// shellcheck (from INVLINT_TOOLS, installed by .ci/run) finds nothing in the Action's script,
/// and does find the unquoted expansion a word-splitting `args` would need.
#[test]
fn shellcheck_accepts_the_action_script() {
    let Some(sc) = std::env::var_os("INVLINT_TOOLS")
        .map(|d| PathBuf::from(d).join("venv/bin/shellcheck"))
        .filter(|p| p.exists())
    else {
        assert!(
            std::env::var("CI").is_err(),
            "venv/bin/shellcheck not found under INVLINT_TOOLS; run `bash .ci/run`"
        );
        eprintln!("skipped: venv/bin/shellcheck not found under INVLINT_TOOLS");
        return;
    };
    let out = Command::new(&sc).arg(script()).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let tmp = tempfile::tempdir().unwrap();
    let bad = tmp.path().join("bad.sh");
    std::fs::write(
        &bad,
        "#!/usr/bin/env bash\nextra=($INPUT_ARGS)\necho \"${extra[@]}\"\n",
    )
    .unwrap();
    let out = Command::new(&sc).arg(&bad).output().unwrap();
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("SC2206"), "{}", text(&out));
}
