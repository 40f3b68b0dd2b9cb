//! `invlint report` over a fixed history: a real git repository with fixed author, committer and
//! dates over three weeks, with known landed violations (INV-03), mitigations with follow-ups
//! (one closed by a later `Fixes #513`), inline suppressions (one expired at the report date,
//! one active) and a legacy deletion citing its parity gate (INV-10), plus commits before and
//! after the window that must not count.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use git2::{IndexAddOption, Repository, RepositoryInitOptions, Signature, Time};
use invlint::report::{self, Day, ReportOptions, Status};

const CLIENT: &str = "apps/openagents.com/resources/js/sync/khalaClient.ts";
const CLIENT_BASE: &str = "// Khala live sync client.\nexport function connectKhala(topic: string, lastSeq: number): WebSocket {\n  const socket = new WebSocket(\"/sync/socket/websocket\");\n  socket.onopen = () =>\n    socket.send(JSON.stringify({ event: \"sync:subscribe\", topic, resume_after: lastSeq }));\n  return socket;\n}\n";
const SYNC: &str = "crates/openagents-client-core/src/thread_sync.rs";
const SYNC_BASE: &str = "use crate::khala_protocol::KhalaFrame;\n\n#[derive(Debug, Default)]\npub struct ThreadState {\n    pub threads: std::collections::BTreeMap<String, String>,\n}\n";
const MOBILE_A: &str = "apps/mobile/src/screens/Home.tsx";
const MOBILE_B: &str = "apps/mobile/src/screens/Settings.tsx";

/// An apply function that never reads `seq` (INV-07), optionally preceded by `comment`.
fn apply_fn(name: &str, comment: &str) -> String {
    format!(
        "\n{comment}pub fn {name}(state: &mut ThreadState, frame: &KhalaFrame) {{\n    let title = String::from_utf8_lossy(&frame.payload).into_owned();\n    state.threads.insert(frame.topic.clone(), title);\n}}\n"
    )
}

fn sse(n: usize) -> String {
    format!("\nexport function fallback{n}(topic: string) {{\n  return new EventSource(`/internal/v1/khala/topics/${{topic}}/stream{n}`);\n}}\n")
}

/// Seconds of `day` at 12:00 UTC.
fn noon(day: &str) -> i64 {
    Day::parse(day).unwrap().start_secs() + 12 * 3600
}

/// Commits `(day, message, files)` in turn on `main`, each tree replacing the last whole.
/// Files of a tree: (path, text).
type Files = Vec<(String, String)>;

/// A commit to make: (day, message, whole tree).
type Planned<'a> = (&'a str, String, Files);

fn build(dir: &Path, commits: &[Planned<'_>]) -> Vec<String> {
    let mut init = RepositoryInitOptions::new();
    init.initial_head("main");
    let repo = Repository::init_opts(dir, &init).unwrap();
    let mut ids = Vec::new();
    let mut parent: Option<git2::Oid> = None;
    for (day, message, files) in commits {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            if p.file_name().unwrap() != ".git" {
                if p.is_dir() {
                    std::fs::remove_dir_all(&p).unwrap();
                } else {
                    std::fs::remove_file(&p).unwrap();
                }
            }
        }
        for (path, text) in files {
            let full = dir.join(path);
            std::fs::create_dir_all(full.parent().unwrap()).unwrap();
            std::fs::write(full, text).unwrap();
        }
        let mut index = repo.index().unwrap();
        index.clear().unwrap();
        index
            .add_all(["*"], IndexAddOption::DEFAULT | IndexAddOption::FORCE, None)
            .unwrap();
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = Signature::new(
            "invlint test",
            "test@invlint.invalid",
            &Time::new(noon(day), 0),
        )
        .unwrap();
        let parents: Vec<git2::Commit<'_>> = parent
            .iter()
            .map(|p| repo.find_commit(*p).unwrap())
            .collect();
        let refs: Vec<&git2::Commit<'_>> = parents.iter().collect();
        let id = repo
            .commit(Some("HEAD"), &sig, &sig, message, &tree, &refs)
            .unwrap();
        parent = Some(id);
        ids.push(id.to_string());
    }
    ids
}

/// The fixture history; returns the work tree and commit IDs, oldest first.
fn history() -> (tempfile::TempDir, PathBuf, Vec<String>) {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("repo");
    std::fs::create_dir_all(&work).unwrap();
    let mut files: Files = vec![
        ("README.md".into(), "# demo\n".into()),
        (CLIENT.into(), CLIENT_BASE.into()),
        (SYNC.into(), SYNC_BASE.into()),
        (MOBILE_A.into(), "export const Home = () => null;\n".into()),
        (
            MOBILE_B.into(),
            "export const Settings = () => null;\n".into(),
        ),
    ];
    let set = |files: &mut Files, path: &str, text: String| match files
        .iter_mut()
        .find(|(p, _)| p == path)
    {
        Some(f) => f.1 = text,
        None => files.push((path.to_string(), text)),
    };
    let mut commits: Vec<Planned<'_>> = Vec::new();
    commits.push((
        "2026-01-28",
        "init: monorepo skeleton".into(),
        files.clone(),
    ));
    // Before the window: a violation that must not count.
    set(&mut files, CLIENT, format!("{CLIENT_BASE}{}", sse(0)));
    commits.push((
        "2026-01-30",
        "sync: SSE fallback (before the window)".into(),
        files.clone(),
    ));

    // Week of 2026-02-02.
    let client1 = format!("{CLIENT_BASE}{}{}", sse(0), sse(1));
    set(&mut files, CLIENT, client1.clone());
    commits.push((
        "2026-02-03",
        "sync: second SSE fallback <script>alert(1)</script>".into(),
        files.clone(),
    ));
    let mut sync = format!("{SYNC_BASE}{}", apply_fn("apply_frame", ""));
    set(&mut files, SYNC, sync.clone());
    commits.push((
        "2026-02-04",
        "client-core: apply frames during the cursor migration\n\nINV-07 mitigation: approved by @AtlantisPleb, follow-up #512\n".into(),
        files.clone(),
    ));

    // Week of 2026-02-09.
    sync.push_str(&apply_fn("apply_delta", ""));
    set(&mut files, SYNC, sync.clone());
    commits.push((
        "2026-02-10",
        "client-core: apply deltas\n\nINV-07 mitigation: approved by @AtlantisPleb, follow-up #513\n".into(),
        files.clone(),
    ));
    sync.push_str(&apply_fn(
        "apply_patch",
        "// invlint: allow(INV-07) reason=\"patches are idempotent\" issue=#9 owner=@AtlantisPleb until=2026-02-15\n",
    ));
    set(&mut files, SYNC, sync.clone());
    commits.push((
        "2026-02-11",
        "client-core: apply patches".into(),
        files.clone(),
    ));
    set(
        &mut files,
        "README.md",
        "# demo\n\nDeltas are ordered again.\n".into(),
    );
    commits.push((
        "2026-02-12",
        "client-core: order deltas by seq\n\nFixes #513.\n".into(),
        files.clone(),
    ));
    sync.push_str(&apply_fn(
        "apply_batch",
        "// invlint: allow(INV-07) reason=\"batches replay safely\" issue=#10 owner=@AtlantisPleb until=2026-03-31\n",
    ));
    set(&mut files, SYNC, sync.clone());
    commits.push((
        "2026-02-13",
        "client-core: apply batches".into(),
        files.clone(),
    ));

    // Week of 2026-02-16.
    files.retain(|(p, _)| p != MOBILE_A);
    commits.push((
        "2026-02-17",
        "mobile: remove the Home screen after OA-RUST-054\n".into(),
        files.clone(),
    ));
    set(&mut files, CLIENT, format!("{client1}{}", sse(2)));
    commits.push((
        "2026-02-18",
        "sync: third SSE fallback".into(),
        files.clone(),
    ));

    // After the window: must not count.
    set(&mut files, CLIENT, format!("{client1}{}{}", sse(2), sse(3)));
    commits.push((
        "2026-02-23",
        "sync: fourth SSE fallback (after the window)".into(),
        files.clone(),
    ));
    let ids = build(&work, &commits);
    (tmp, work, ids)
}

fn options(work: &Path, config: Option<PathBuf>) -> ReportOptions {
    ReportOptions {
        dir: work.to_path_buf(),
        branch: "main".into(),
        since: Day::parse("2026-02-02").unwrap(),
        until: Day::parse("2026-02-20"),
        today: Day::parse("2030-01-01").unwrap(),
        config,
        threads: 2,
        pr_checks: false,
        cache: None,
    }
}

fn row<'a>(r: &'a report::Report, code: &str) -> &'a report::summary::InvariantRow {
    r.summary
        .invariants
        .iter()
        .find(|i| i.code == code)
        .unwrap_or_else(|| panic!("no row for {code}"))
}

#[test]
fn fixture_history_gives_the_expected_counts_and_statuses() {
    let (_t, work, ids) = history();
    let r = report::run(&options(&work, None), &|_, _| {}).unwrap();
    assert_eq!(
        r.summary.commits, 8,
        "2026-02-03..2026-02-18, not before or after"
    );
    assert_eq!(r.commits[0].0.id, ids[2]);
    assert!(
        r.summary.not_evaluated.is_empty(),
        "{:?}",
        r.summary.not_evaluated
    );

    let inv03 = row(&r, "INV-03");
    assert_eq!(inv03.counts.landed_violations, 2);
    assert_eq!(inv03.counts.mitigations_open, 0);
    assert_eq!((inv03.kpi.value, inv03.kpi.status), (2, Status::Yellow));
    assert_eq!(inv03.weekly, [1, 0, 1]);

    let inv07 = row(&r, "INV-07");
    assert_eq!(inv07.counts.landed_violations, 0, "mitigated or suppressed");
    assert_eq!(inv07.counts.mitigations_accepted, 2);
    assert_eq!(
        inv07.counts.mitigations_open, 1,
        "#513 is fixed by a later commit"
    );
    assert_eq!(inv07.counts.suppressions_added, 2);
    assert_eq!(inv07.counts.suppressions_active, 1);
    assert_eq!(
        inv07.counts.suppressions_expired, 1,
        "until 2026-02-15 < 2026-02-20"
    );
    assert_eq!((inv07.kpi.value, inv07.kpi.status), (1, Status::Yellow));
    assert_eq!(inv07.weekly, [1, 0, 0]);

    let inv10 = row(&r, "INV-10");
    assert_eq!(inv10.counts.legacy_deletions, 1);
    assert_eq!(
        inv10.counts.landed_violations, 0,
        "block-release: a warning at merge"
    );
    assert_eq!(r.summary.legacy[0].files, [MOBILE_A]);
    assert_eq!(r.summary.legacy[0].gates_cited, ["OA-RUST-054"]);

    for code in [
        "INV-01", "INV-02", "INV-04", "INV-05", "INV-06", "INV-08", "INV-09",
    ] {
        let i = row(&r, code);
        assert_eq!((i.kpi.value, i.kpi.status), (0, Status::Green), "{code}");
    }
    assert_eq!(
        (r.summary.total.value, r.summary.total.status),
        (3, Status::Red)
    );
    assert_eq!(r.summary.weeks, ["2026-02-02", "2026-02-09", "2026-02-16"]);
    assert_eq!(r.summary.weekly_total, [2, 0, 1]);

    let m: Vec<(&str, bool, Option<&str>)> = r
        .summary
        .mitigations
        .iter()
        .map(|m| (m.follow_up.as_str(), m.open, m.closed_by.as_deref()))
        .collect();
    assert_eq!(
        m,
        [("#512", true, None), ("#513", false, Some(&ids[6][..9]))]
    );

    // Owner lanes: @AtlantisPleb owns INV-07, INV-08 and INV-10 in the default policy.
    let lane = r
        .summary
        .owners
        .iter()
        .find(|o| o.owner == "@AtlantisPleb")
        .unwrap();
    assert_eq!(lane.invariants, ["INV-07", "INV-08", "INV-10"]);
    assert_eq!((lane.kpi.value, lane.kpi.status), (1, Status::Yellow));
    assert_eq!(r.exit_code(), 1);

    // Still active judged at the report date: at 2026-02-14 neither has expired.
    let mut early = options(&work, None);
    early.until = Day::parse("2026-02-14");
    let r2 = report::run(&early, &|_, _| {}).unwrap();
    assert_eq!(row(&r2, "INV-07").counts.suppressions_expired, 0);
    assert_eq!(row(&r2, "INV-07").counts.suppressions_active, 2);
    // Without --until, today (injected) judges: 2030 expires both.
    let mut open_ended = options(&work, None);
    open_ended.until = None;
    let r3 = report::run(&open_ended, &|_, _| {}).unwrap();
    assert_eq!(row(&r3, "INV-07").counts.suppressions_expired, 2);
    assert_eq!(
        row(&r3, "INV-03").counts.landed_violations,
        3,
        "the tip's commit counts too"
    );
}

#[test]
fn output_is_identical_at_any_thread_count_and_from_the_cache() {
    let (_t, work, _ids) = history();
    let cache = tempfile::tempdir().unwrap();
    let mut one = options(&work, None);
    one.threads = 1;
    let mut many = options(&work, None);
    many.threads = 4;
    many.cache = Some(cache.path().to_path_buf());
    let a = report::run(&one, &|_, _| {}).unwrap();
    let b = report::run(&many, &|_, _| {}).unwrap();
    let c = report::run(&many, &|_, _| {}).unwrap();
    let md = report::markdown::render(&a);
    assert_eq!(md, report::markdown::render(&b));
    assert_eq!(md, report::markdown::render(&c), "from the cache");
    assert_eq!(report::json::render(&a), report::json::render(&c));
    let entries = std::fs::read_dir(cache.path().join("report-v1"))
        .unwrap()
        .count();
    assert_eq!(entries, 8, "one cache file per evaluated commit");
    // Corrupt every entry: the report is recomputed, not wrong.
    for e in std::fs::read_dir(cache.path().join("report-v1")).unwrap() {
        std::fs::write(e.unwrap().path(), b"{\"key\":").unwrap();
    }
    let d = report::run(&many, &|_, _| {}).unwrap();
    assert_eq!(md, report::markdown::render(&d));
}

fn invlint(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_invlint"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env("INVLINT_TODAY", "2030-01-01")
        .env_remove("GITHUB_EVENT_PATH")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn thresholds_come_from_the_policy_report_table() {
    let (t, work, _ids) = history();
    let policy = t.path().join("policy.toml");
    // green up to 2, yellow at 3, red from 4: INV-03 (2) green, INV-07 (1) green, total 3 yellow.
    std::fs::write(
        &policy,
        format!(
            "{}\n[report]\ngreen-max = 2\nyellow-max = 3\n",
            invlint::engine::config::DEFAULT_POLICY
        ),
    )
    .unwrap();
    let r = report::run(&options(&work, Some(policy.clone())), &|_, _| {}).unwrap();
    assert_eq!(row(&r, "INV-03").kpi.status, Status::Green);
    assert_eq!(r.summary.total.status, Status::Yellow);
    assert_eq!(r.exit_code(), 1);

    // The CLI reads the same table; bad tables are errors with a span.
    std::fs::write(
        &policy,
        format!(
            "{}\n[report]\ngreen-max = 3\nyellow-max = 1\n",
            invlint::engine::config::DEFAULT_POLICY
        ),
    )
    .unwrap();
    let out = invlint(
        &work,
        &[
            "--config",
            policy.to_str().unwrap(),
            "report",
            "--since",
            "2026-02-02",
            "--no-cache",
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("yellow-max (1) is below green-max (3)"),
        "{err}"
    );
    assert!(
        err.contains("yellow-max = 1"),
        "the excerpt shows the line: {err}"
    );
    for bad in ["green-max = -1", "red-max = 4", "green-max = \"zero\""] {
        std::fs::write(
            &policy,
            format!(
                "{}\n[report]\n{bad}\n",
                invlint::engine::config::DEFAULT_POLICY
            ),
        )
        .unwrap();
        let e = invlint::load_policy(Some(&policy), None).unwrap_err();
        let text = format!("{e:?}");
        assert!(
            text.contains("SourceSpan"),
            "{bad}: the error points into the policy: {text}"
        );
        assert!(
            text.contains("negative") || text.contains("red-max") || text.contains("invalid type"),
            "{bad}: {text}"
        );
    }
}

#[test]
fn markdown_is_paste_ready_and_escapes_commit_text() {
    let (_t, work, _ids) = history();
    let out = invlint(
        &work,
        &[
            "report",
            "--since",
            "2026-02-02",
            "--until",
            "2026-02-20",
            "--no-pr-checks",
            "--no-cache",
            "-j",
            "2",
        ],
    );
    let md = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        md.contains(
            "| KPI-05 (invariants) | **all invariants** | `owner:contracts-docs` | 🔴 red | 3 |"
        ),
        "{md}"
    );
    assert!(md.contains("| `INV-03` | "), "{md}");
    assert!(md.contains("| 🟡 yellow | 2 | 2 (2 findings) |"), "{md}");
    assert!(!md.contains("<script>"), "commit text is escaped: {md}");
    assert!(
        md.contains("\\<script\\>alert\\(1\\)\\<\\/script\\>"),
        "{md}"
    );
    assert!(
        md.contains("- [ ] open: follow-up `#512` for `INV-07`"),
        "{md}"
    );
    assert!(md.contains("**expired** on 2026\\-02\\-15"), "{md}");
    // The README shows the KPI table and the details sections as this run prints them.
    let readme = include_str!("../../README.md");
    let shown: Vec<&str> = md
        .lines()
        .skip_while(|l| !l.starts_with("| KPI | Invariant"))
        .take_while(|l| l.starts_with('|'))
        .chain(
            md.lines()
                .skip_while(|l| !l.starts_with("- [ ] open"))
                .take(1),
        )
        .chain(
            md.lines()
                .filter(|l| l.starts_with("- `INV-07` at ") || l.starts_with("- `INV-10` ")),
        )
        .collect();
    // Header, rule, KPI-05 row, 17 invariants; an open follow-up; two suppressions; a deletion.
    assert_eq!(shown.len(), 2 + 1 + 17 + 1 + 2 + 1, "{shown:#?}");
    for line in shown {
        assert!(
            readme.contains(line),
            "the README shows this output: {line}"
        );
    }
}

#[test]
fn json_output_validates_against_the_published_schema() {
    let (_t, work, _ids) = history();
    let r = report::run(&options(&work, None), &|_, _| {}).unwrap();
    let doc: serde_json::Value = serde_json::from_str(&report::json::render(&r)).unwrap();
    let schema: serde_json::Value = serde_json::from_str(report::json::SCHEMA).unwrap();
    let v = jsonschema::validator_for(&schema).expect("the schema compiles");
    let errors: Vec<String> = v.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["total"]["status"], "red");
    // And the schema is not vacuous: a wrong status fails it.
    let mut bad = doc.clone();
    bad["total"]["status"] = "purple".into();
    assert!(!v.is_valid(&bad));
}

#[test]
fn source_files_of_the_report_stay_under_800_lines() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/report");
    let mut seen = 0;
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let lines = std::fs::read_to_string(&p).unwrap().lines().count();
        assert!(lines < 800, "{} has {lines} lines", p.display());
        seen += 1;
    }
    assert!(seen >= 8);
}

/// Headless Chromium, when installed: `INVLINT_CHROMIUM`, else `chromium` or `chromium-browser`
/// on PATH.
fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("INVLINT_CHROMIUM").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|d| ["chromium", "chromium-browser"].map(|n| d.join(n)))
        .find(|p| p.is_file())
}

/// Runs Chromium headless with `args` and a 120 s limit; returns stdout.
fn run_chromium(bin: &Path, profile: &Path, args: &[String]) -> String {
    // stdout to a file: a pipe nobody reads while waiting would fill and stall the browser.
    let out_file = profile.join("stdout.txt");
    let mut child = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_file).unwrap())
        .stderr(std::fs::File::create(profile.join("stderr.txt")).unwrap())
        .spawn()
        .expect("chromium starts");
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > std::time::Duration::from_secs(120) {
            let _ = child.kill();
            panic!("chromium did not finish within 120 s");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(
        status.success(),
        "chromium failed: {}",
        std::fs::read_to_string(profile.join("stderr.txt")).unwrap_or_default()
    );
    std::fs::read_to_string(&out_file).unwrap()
}

#[test]
fn html_page_renders_in_headless_chromium() {
    let Some(bin) = chromium() else {
        let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
        assert!(
            !ci,
            "CI=true but Chromium is missing: .ci/run installs Debian's `chromium` package"
        );
        eprintln!("\n\n*** SKIPPED html_page_renders_in_headless_chromium: Chromium is not installed (apt-get install chromium, or set INVLINT_CHROMIUM) ***\n\n");
        return;
    };
    let (_t, work, _ids) = history();
    let r = report::run(&options(&work, None), &|_, _| {}).unwrap();
    let html = report::html::render(&r);
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report");
    std::fs::create_dir_all(&out_dir).unwrap();
    let page = out_dir.join("report.html");
    std::fs::write(&page, &html).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}", page.display());

    let dom = run_chromium(&bin, profile.path(), &["--dump-dom".into(), url.clone()]);
    assert!(dom.contains("id=\"kpi\""), "the page rendered: {dom}");
    assert!(
        !dom.contains("<script"),
        "no script element: attacker text stays text"
    );
    assert!(dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    let row_re = regex::Regex::new(
        r#"<tr class="kpi-row[^"]*" id="([^"]+)" data-invariant="([^"]+)" data-value="(\d+)" data-status="(\w+)">.*?<span class="badge status-(\w+)" data-status="(\w+)" style="background-color:\s*([^";]+);?">(\w+)</span>"#,
    )
    .unwrap();
    let mut seen = Vec::new();
    for c in row_re.captures_iter(&dom) {
        let (code, value, status) = (&c[2], c[3].parse::<u64>().unwrap(), &c[4]);
        let expected = r.thresholds.status(value);
        assert_eq!(status, expected.as_str(), "{code}: value {value}");
        assert_eq!(&c[5], status, "{code}: badge class");
        assert_eq!(&c[6], status, "{code}: badge status");
        assert_eq!(c[7].trim(), expected.color(), "{code}: badge colour");
        assert_eq!(&c[8], status, "{code}: badge text");
        seen.push(code.to_string());
    }
    let mut want: Vec<String> = vec!["all".into()];
    want.extend(r.summary.invariants.iter().map(|i| i.code.clone()));
    assert_eq!(seen, want, "every invariant row is in the DOM, in order");
    assert!(dom.contains(r#"data-invariant="INV-03" data-value="2" data-status="yellow""#));
    assert!(dom.contains(r#"data-invariant="all" data-value="3" data-status="red""#));
    // Links: every item links to its commit entry and its explain text, which exist.
    let href = regex::Regex::new(r##"href="#([^"]+)""##).unwrap();
    let mut links = 0;
    for c in href.captures_iter(&dom) {
        assert!(
            dom.contains(&format!("id=\"{}\"", &c[1])),
            "dangling link #{}",
            &c[1]
        );
        links += 1;
    }
    assert!(links > 20, "{links} links");
    assert!(
        !dom.contains("src=\"http") && !dom.contains("href=\"http"),
        "no network"
    );

    let shot = out_dir.join("report.png");
    let _ = std::fs::remove_file(&shot);
    run_chromium(
        &bin,
        profile.path(),
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,1400".into(),
            url,
        ],
    );
    let png = std::fs::read(&shot).expect("chromium wrote the screenshot");
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n") && png.len() > 20_000,
        "{} bytes",
        png.len()
    );
    eprintln!("screenshot for a person to look at: {}", shot.display());
}
