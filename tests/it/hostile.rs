//! Hostile changes: a pull request written to switch its own gate off. Every case is a real git
//! repository (base on `main`, the change on `pr` or staged), checked by the built binary as CI
//! would run it; each asserts that the violation is still reported, or that the change is
//! refused with a clear finding (README, "Threat model"; issue: "the change under review cannot
//! switch its own gate off").
//!
//! The violation throughout: a new `EventSource` in the Khala sync client (INV-03,
//! `block-merge`). The base commits the built-in policy as `inv-rules.toml`, as a real
//! repository would.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use invlint::engine::config::DEFAULT_POLICY;
use invlint::engine::scratch::{self, HeadAs, TreeFile};

use crate::parallel;

const CLIENT: &str = "apps/openagents.com/resources/js/sync/khalaClient.ts";
const SYNC_DIR: &str = "apps/openagents.com/resources/js/sync";
const CLIENT_BASE: &str = "export function connect(topic: string) {\n  return new WebSocket(`/sync/socket/websocket?topic=${topic}`);\n}\n";
const LANE: &str = "export const fallback = (u: string) => new EventSource(u);\n";
const PR_OK: &str = "Docs tweak\n\n- INV-01..INV-10: N/A - no code change\n";

fn base() -> Vec<TreeFile> {
    vec![
        (CLIENT.into(), CLIENT_BASE.into()),
        ("README.md".into(), b"# demo\n".to_vec()),
        ("inv-rules.toml".into(), DEFAULT_POLICY.into()),
    ]
}

fn violating() -> Vec<u8> {
    format!("{CLIENT_BASE}{LANE}").into_bytes()
}

/// `base()` with `edits` applied: `(path, Some(bytes))` writes, `(path, None)` deletes.
fn head(edits: &[(&str, Option<&[u8]>)]) -> Vec<TreeFile> {
    let mut files = base();
    for (path, bytes) in edits {
        files.retain(|(p, _)| p != path);
        if let Some(b) = bytes {
            files.push((path.to_string(), b.to_vec()));
        }
    }
    files
}

/// The built-in policy with `from` replaced by `to` (which must occur).
fn policy_with(from: &str, to: &str) -> Vec<u8> {
    assert!(DEFAULT_POLICY.contains(from), "{from:?}");
    DEFAULT_POLICY.replacen(from, to, 1).into_bytes()
}

struct Run {
    code: i32,
    doc: serde_json::Value,
    _tmp: tempfile::TempDir,
}

impl Run {
    fn ids(&self) -> Vec<String> {
        self.doc["findings"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|f| f["id"].as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    fn blocking(&self, id: &str) -> bool {
        self.doc["findings"]
            .as_array()
            .is_some_and(|a| a.iter().any(|f| f["id"] == id && f["blocking"] == true))
    }

    fn note(&self, needle: &str) -> bool {
        self.doc["notes"].as_array().is_some_and(|a| {
            a.iter()
                .any(|n| n["message"].as_str().unwrap_or("").contains(needle))
        })
    }

    fn message(&self, id: &str, needle: &str) -> bool {
        self.doc["findings"].as_array().is_some_and(|a| {
            a.iter()
                .any(|f| f["id"] == id && f["message"].as_str().unwrap_or("").contains(needle))
        })
    }
}

/// Builds the repository, lets `setup` tamper with it, runs `invlint <args> --format json`.
fn run_with(
    head: Vec<TreeFile>,
    head_as: HeadAs,
    args: &[&str],
    pr: Option<&str>,
    setup: impl FnOnce(&Path),
) -> Run {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    scratch::build(&work, &base(), &head, head_as, "pr: change").unwrap();
    setup(&work);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_invlint"));
    cmd.current_dir(&work)
        .args(args)
        .args(["--format", "json"])
        .env("NO_COLOR", "1")
        .env("INVLINT_TODAY", "2026-06-01")
        .env_remove("GITHUB_EVENT_PATH")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GIT_INDEX_FILE")
        .stdin(Stdio::null());
    if let Some(text) = pr {
        let path = tmp.path().join("pr.md");
        std::fs::write(&path, text).unwrap();
        cmd.arg("--pr-body").arg(path);
    }
    let out: Output = cmd.output().expect("the binary runs");
    let (so, se) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(!se.contains("panicked"), "panic:\n{so}\n{se}");
    let code = out.status.code().expect("exited");
    assert!((0..=2).contains(&code), "exit {code}\n{so}\n{se}");
    let doc = if code == 2 {
        serde_json::json!({ "error": se })
    } else {
        serde_json::from_str(&so).unwrap_or_else(|e| panic!("not JSON ({e}):\n{so}\n{se}"))
    };
    Run {
        code,
        doc,
        _tmp: tmp,
    }
}

fn run(head: Vec<TreeFile>, head_as: HeadAs, args: &[&str]) -> Run {
    run_with(head, head_as, args, None, |_| {})
}

fn check_base() -> [&'static str; 3] {
    ["check", "--base", "main"]
}

/// The violation is still reported and blocks.
#[track_caller]
fn still_blocked(r: &Run, case: &str) {
    assert_eq!(r.code, 1, "{case}: exit\n{:#}", r.doc);
    assert!(
        r.blocking("INV-03"),
        "{case}: INV-03 must block\n{:#}",
        r.doc
    );
}

// --- attributes never decide what is checked -------------------------------------------------

#[test]
fn attributes_do_not_hide_files() {
    let attrs: &[(&str, &str)] = &[
        (".gitattributes", "* -diff\n"),
        (".gitattributes", "* binary\n"),
        (".gitattributes", "* -text\n"),
        (".gitattributes", "* filter=lfs diff=lfs merge=lfs -text\n"),
        ("apps/.gitattributes", "*.ts -diff\n"),
    ];
    let cases: Vec<_> = attrs
        .iter()
        .flat_map(|a| [(a, HeadAs::Commit), (a, HeadAs::Stage)])
        .collect();
    parallel::each(cases, |((path, text), head_as)| {
        let h = head(&[(CLIENT, Some(&violating())), (path, Some(text.as_bytes()))]);
        let args: &[&str] = match head_as {
            HeadAs::Commit => &check_base(),
            HeadAs::Stage => &["check", "--staged"],
        };
        let r = run(h, head_as, args);
        still_blocked(&r, &format!("{path}: {text:?} ({head_as:?})"));
    });
}

#[test]
fn control_bytes_are_text() {
    let cases: Vec<_> = [("SOH", "\u{1}"), ("ESC", "\u{1b}"), ("DEL", "\u{7f}")]
        .into_iter()
        .flat_map(|c| [(c, HeadAs::Commit), (c, HeadAs::Stage)])
        .collect();
    parallel::each(cases, |((what, byte), head_as)| {
        let text = format!("// {byte}\n{CLIENT_BASE}{LANE}");
        let args: &[&str] = match head_as {
            HeadAs::Commit => &check_base(),
            HeadAs::Stage => &["check", "--staged"],
        };
        let r = run(head(&[(CLIENT, Some(text.as_bytes()))]), head_as, args);
        still_blocked(&r, &format!("{what} byte ({head_as:?})"));
    });
}

#[test]
fn a_nul_byte_is_noted_and_blocks_release() {
    let text = format!("// \0\n{CLIENT_BASE}{LANE}");
    let r = run(
        head(&[(CLIENT, Some(text.as_bytes()))]),
        HeadAs::Commit,
        &check_base(),
    );
    assert!(r.note("binary content"), "{:#}", r.doc);
    let r = run_with(
        head(&[(CLIENT, Some(text.as_bytes()))]),
        HeadAs::Commit,
        &["check", "--base", "main", "--gate", "release"],
        Some(PR_OK),
        |_| {},
    );
    assert_eq!(r.code, 1);
    assert!(r.blocking("VER-01"), "{:#}", r.doc);
    assert!(r.message("VER-01", "could not verify"));
}

#[test]
fn lfs_pointers_are_not_content() {
    let pointer = b"version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 99\n";
    let h = head(&[(&format!("{SYNC_DIR}/lane.ts"), Some(pointer))]);
    let r = run(h.clone(), HeadAs::Commit, &check_base());
    assert!(r.note("Git LFS pointer"), "{:#}", r.doc);
    let r = run_with(
        h,
        HeadAs::Commit,
        &["check", "--base", "main", "--gate", "release"],
        Some(PR_OK),
        |_| {},
    );
    assert!(r.blocking("VER-01"), "{:#}", r.doc);
}

// --- the change's policy never judges it ------------------------------------------------------

#[test]
fn policy_edits_do_not_judge_the_change() {
    let inv03 = "[invariant.INV-03]\ntitle = \"Khala live sync is WS-only (no new SSE/poll lanes)\"\ncheck = \"sse-poll-lane\"\nescalation = \"block-merge\"\nstatus = \"stable\"";
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("emptied", Vec::new(), "removes invariant INV-03"),
        (
            "retired",
            policy_with(inv03, &inv03.replace("\"stable\"", "\"retired\"")),
            "status from `stable` to `retired`",
        ),
        (
            "preview",
            policy_with(inv03, &inv03.replace("\"stable\"", "\"preview\"")),
            "to `preview`",
        ),
        (
            "planned",
            policy_with(inv03, &inv03.replace("\"stable\"", "\"planned\"")),
            "to `planned`",
        ),
        (
            "escalation block-release",
            policy_with(inv03, &inv03.replace("\"block-merge\"", "\"block-release\"")),
            "escalation from `block-merge` to `block-release`",
        ),
        (
            "escalation unless-mitigated",
            policy_with(
                inv03,
                &inv03.replace("\"block-merge\"", "\"block-merge-unless-mitigated\""),
            ),
            "escalation",
        ),
        (
            "paths narrowed",
            policy_with(
                "paths = [\"**/*.{rs,ts,tsx,js,jsx,mjs,cjs,vue,svelte,html,php,ex,exs,heex,swift,kt,java,go,py,rb,cs,dart,proto,sh,yaml,yml,json,md,mdx}\"]",
                "paths = [\"crates/**\"]",
            ),
            "removes from INV-03 `sse-poll-lane.paths`",
        ),
        (
            "exclude widened",
            policy_with("  \"@tests\",\n  \"@vendored\",\n  \"crates/pylon/**\",", "  \"@tests\",\n  \"@vendored\",\n  \"apps/openagents.com/**\",\n  \"crates/pylon/**\","),
            "adds to INV-03 `sse-poll-lane.exclude`",
        ),
        (
            "allow entry added",
            policy_with(
                "[[invariant.INV-03.sse-poll-lane.allow]]",
                &format!("[[invariant.INV-03.sse-poll-lane.allow]]\npath = \"{CLIENT}\"\npatterns = [\"event-source\"]\nreference = \"docs/adr/ADR-0008-bounded-vercel-sse-compatibility-lane.md\"\n\n[[invariant.INV-03.sse-poll-lane.allow]]"),
            ),
            "adds to INV-03 `sse-poll-lane.allow`",
        ),
        (
            "pattern removed",
            policy_with(
                "  { id = \"event-source\", regex = '\\bEventSource\\b', what = \"an SSE client (EventSource)\" },\n",
                "",
            ),
            "removes from INV-03 `sse-poll-lane.patterns`",
        ),
        (
            "suppressible",
            policy_with(inv03, &format!("{inv03}\nsuppressible = true")),
            "suppressible inline",
        ),
        (
            "vocabulary",
            policy_with(
                "docs = [\"docs/**\", \"**/docs/**\", \"**/*.md\"]",
                "docs = [\"docs/**\", \"**/docs/**\", \"**/*.md\", \"apps/**\"]",
            ),
            "vocabulary set `@docs`",
        ),
        (
            "max-file-size lowered",
            policy_with("max-file-size = 8388608", "max-file-size = 10"),
            "lowers [limits] max-file-size",
        ),
        ("does not load", b"[invariant.INV-03\n".to_vec(), "does not load"),
        (
            "glob too complex",
            policy_with(
                "  \"@tests\",\n  \"@vendored\",",
                &format!("  \"@tests\",\n  \"{}b{}\",\n  \"@vendored\",", "{a,".repeat(200), "}".repeat(200)),
            ),
            "does not load",
        ),
        (
            "check swapped",
            policy_with(inv03, &inv03.replace("\"sse-poll-lane\"", "\"forbidden-path\"")),
            "does not load",
        ),
    ];
    parallel::each(cases, |(name, policy, expected)| {
        let h = head(&[
            (CLIENT, Some(&violating())),
            ("inv-rules.toml", Some(&policy)),
        ]);
        let r = run(h, HeadAs::Commit, &check_base());
        still_blocked(&r, name);
        assert!(
            r.blocking("POL-01"),
            "{name}: POL-01 must block\n{:#}",
            r.doc
        );
        assert!(
            r.message("POL-01", expected),
            "{name}: POL-01 says {expected:?}\n{:#}",
            r.doc
        );
    });
}

#[test]
fn owner_changes_and_deletion_are_weakenings() {
    let h = head(&[(
        "inv-rules.toml",
        Some(&policy_with(
            "owners = [\"@AtlantisPleb\"]",
            "owners = [\"@mallory\"]",
        )),
    )]);
    let r = run_with(h, HeadAs::Commit, &check_base(), Some(PR_OK), |_| {});
    assert!(r.blocking("POL-01"), "{:#}", r.doc);
    assert!(r.message("POL-01", "changes who may approve"));

    let h = head(&[(CLIENT, Some(&violating())), ("inv-rules.toml", None)]);
    let r = run(h, HeadAs::Commit, &check_base());
    still_blocked(&r, "policy deleted");
    assert!(r.message("POL-01", "deletes inv-rules.toml"), "{:#}", r.doc);
}

#[test]
fn approvals_come_from_the_base_policy_and_never_pass_release() {
    let weaker = policy_with(
        "check = \"unordered-apply\"\nescalation = \"block-merge-unless-mitigated\"\nstatus = \"stable\"",
        "check = \"unordered-apply\"\nescalation = \"block-merge-unless-mitigated\"\nstatus = \"preview\"",
    );
    let h = head(&[("inv-rules.toml", Some(&weaker))]);
    // The base's owner approves: merges.
    let ok = format!("{PR_OK}\nINV-07 mitigation: approved by @AtlantisPleb, follow-up #12\n");
    let r = run_with(h.clone(), HeadAs::Commit, &check_base(), Some(&ok), |_| {});
    assert!(r.ids().contains(&"POL-01".to_string()), "{:#}", r.doc);
    assert!(!r.blocking("POL-01"), "{:#}", r.doc);
    // ... never at release.
    let r = run_with(
        h.clone(),
        HeadAs::Commit,
        &["check", "--base", "main", "--gate", "release"],
        Some(&ok),
        |_| {},
    );
    assert!(r.blocking("POL-01"), "{:#}", r.doc);
    // Someone else approves: blocks.
    let bad = format!("{PR_OK}\nINV-07 mitigation: approved by @mallory, follow-up #12\n");
    let r = run_with(h, HeadAs::Commit, &check_base(), Some(&bad), |_| {});
    assert!(r.blocking("POL-01"), "{:#}", r.doc);
    // A negated or follow-up-less approval does not count either.
    let h = head(&[("inv-rules.toml", Some(&weaker))]);
    let none = format!("{PR_OK}\nINV-07 mitigation: approved by @AtlantisPleb\n");
    let r = run_with(h, HeadAs::Commit, &check_base(), Some(&none), |_| {});
    assert!(r.blocking("POL-01"), "{:#}", r.doc);
}

#[test]
fn staged_policy_edits_are_judged_by_head() {
    let policy = policy_with(
        "check = \"sse-poll-lane\"\nescalation = \"block-merge\"\nstatus = \"stable\"",
        "check = \"sse-poll-lane\"\nescalation = \"block-merge\"\nstatus = \"retired\"",
    );
    let h = head(&[
        (CLIENT, Some(&violating())),
        ("inv-rules.toml", Some(&policy)),
    ]);
    let r = run(h, HeadAs::Stage, &["check", "--staged"]);
    still_blocked(&r, "staged retire");
    assert!(r.blocking("POL-01"), "{:#}", r.doc);
}

#[test]
fn a_first_policy_is_allowed_and_noted() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let base: Vec<TreeFile> = vec![(CLIENT.into(), CLIENT_BASE.into())];
    let head: Vec<TreeFile> = vec![
        (CLIENT.into(), CLIENT_BASE.into()),
        ("inv-rules.toml".into(), DEFAULT_POLICY.into()),
    ];
    scratch::build(&work, &base, &head, HeadAs::Commit, "pr: add a policy").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_invlint"))
        .current_dir(&work)
        .args(["check", "--base", "main", "--format", "json"])
        .env_remove("GITHUB_EVENT_PATH")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["id"] == "POL-01"
            && f["severity"] == "note"
            && f["message"].as_str().unwrap().contains("first policy")));
}

// --- renames -------------------------------------------------------------------------------

#[test]
fn renames_into_a_checked_path_count_as_added() {
    let tool =
        "export function lane(u: string) {\n  return new EventSource(u);\n}\n// a helper script\n"
            .to_string();
    // From an unchecked path into the sync client (pure and edited), and from a path INV-03
    // excludes (`crates/pylon/**`) into one it checks.
    for (from, to, edit) in [
        ("tools/sse.ts", format!("{SYNC_DIR}/sse.ts"), ""),
        ("tools/sse.ts", format!("{SYNC_DIR}/sse.ts"), "// moved\n"),
        (
            "crates/pylon/web/lane.ts",
            "crates/khala/web/lane.ts".to_string(),
            "",
        ),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let work = tmp.path().join("work");
        std::fs::create_dir(&work).unwrap();
        let mut b = base();
        b.push((from.into(), tool.clone().into_bytes()));
        let mut h = base();
        h.push((to.clone(), format!("{tool}{edit}").into_bytes()));
        scratch::build(&work, &b, &h, HeadAs::Commit, "pr: move").unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_invlint"))
            .current_dir(&work)
            .args(["check", "--base", "main", "--format", "json"])
            .env_remove("GITHUB_EVENT_PATH")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{from} -> {to} {edit:?}");
        let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert!(doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == "INV-03" && f["blocking"] == true));
    }
}

// --- suppressions ----------------------------------------------------------------------------

fn suppressible_policy(dir: &Path) -> PathBuf {
    let p = dir.join("trusted-policy.toml");
    let text = DEFAULT_POLICY.replacen(
        "[invariant.INV-03.sse-poll-lane]",
        "suppressible = true\nowners = [\"@lead\"]\n\n[invariant.INV-03.sse-poll-lane]",
        1,
    );
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn suppressions_bind_to_owner_and_line() {
    let cfg_dir = tempfile::tempdir().unwrap();
    let cfg = suppressible_policy(cfg_dir.path());
    let cfg = cfg.to_str().unwrap();
    let comment = |owner: &str| {
        format!("// invlint: allow(INV-03) reason=\"blocked sockets\" issue=#7 owner={owner}\n")
    };
    // @mallory is not an owner of INV-03: the suppression is refused, at both gates.
    for gate in ["merge", "release"] {
        let text = format!("{CLIENT_BASE}{}{LANE}", comment("@mallory"));
        let r = run_with(
            head(&[(CLIENT, Some(text.as_bytes()))]),
            HeadAs::Commit,
            &["--config", cfg, "check", "--base", "main", "--gate", gate],
            Some(PR_OK),
            |_| {},
        );
        still_blocked(&r, &format!("@mallory at {gate}"));
        assert!(r.message("SUP-01", "not an owner"), "{:#}", r.doc);
    }
    // The owner's suppression works at merge, is shown as new, and is void at release
    // (INV-03 is block-merge).
    let text = format!("{CLIENT_BASE}{}{LANE}", comment("@lead"));
    let r = run_with(
        head(&[(CLIENT, Some(text.as_bytes()))]),
        HeadAs::Commit,
        &["--config", cfg, "check", "--base", "main"],
        None,
        |_| {},
    );
    assert_eq!(r.code, 0, "{:#}", r.doc);
    assert!(r.message("SUP-01", "adds a suppression"), "{:#}", r.doc);
    let r = run_with(
        head(&[(CLIENT, Some(text.as_bytes()))]),
        HeadAs::Commit,
        &[
            "--config", cfg, "check", "--base", "main", "--gate", "release",
        ],
        Some(PR_OK),
        |_| {},
    );
    still_blocked(&r, "owner's suppression at release");
}

#[test]
fn an_old_suppression_does_not_cover_a_new_line() {
    let cfg_dir = tempfile::tempdir().unwrap();
    let cfg = suppressible_policy(cfg_dir.path());
    let old = format!(
        "{CLIENT_BASE}// invlint: allow(INV-03) reason=\"legacy\" issue=#7 owner=@lead\nexport const legacy = 1;\n"
    );
    let new = old.replace("owner=@lead\n", &format!("owner=@lead\n{LANE}"));
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let mut b = base();
    b.retain(|(p, _)| p != CLIENT);
    b.push((CLIENT.into(), old.into_bytes()));
    let mut h = base();
    h.retain(|(p, _)| p != CLIENT);
    h.push((CLIENT.into(), new.into_bytes()));
    scratch::build(&work, &b, &h, HeadAs::Commit, "pr: insert").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_invlint"))
        .current_dir(&work)
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "check",
            "--base",
            "main",
            "--format",
            "json",
        ])
        .env_remove("GITHUB_EVENT_PATH")
        .env("INVLINT_TODAY", "2026-06-01")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = doc["findings"].as_array().unwrap();
    assert!(
        f.iter()
            .any(|f| f["id"] == "INV-03" && f["blocking"] == true),
        "{doc:#}"
    );
    assert!(f.iter().any(|f| f["id"] == "SUP-01"
        && f["message"]
            .as_str()
            .unwrap()
            .contains("reviewed for another line")));
}

// --- matchers fail loudly --------------------------------------------------------------------

#[test]
fn policy_matchers_never_fall_back_to_empty() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: String| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let anchor = "  { id = \"event-source\",";
    let extra = |n: usize| -> String {
        (0..n)
            .map(|i| format!("  {{ id = \"w{i}\", regex = '\\w{{50}}q{i}', what = \"x\" }},\n"))
            .collect()
    };
    // Five large patterns: still one set that matches, so the lane is still found.
    let five = write(
        "five.toml",
        DEFAULT_POLICY.replacen(anchor, &format!("{}{anchor}", extra(5)), 1),
    );
    let r = run(
        head(&[(CLIENT, Some(&violating()))]),
        HeadAs::Commit,
        &["--config", &five, "check", "--base", "main"],
    );
    still_blocked(&r, "five \\w{50} patterns");
    // Sixty: the set would exceed the limit: a load error (exit 2), never an empty matcher.
    let sixty = write(
        "sixty.toml",
        DEFAULT_POLICY.replacen(anchor, &format!("{}{anchor}", extra(60)), 1),
    );
    let r = run(
        head(&[(CLIENT, Some(&violating()))]),
        HeadAs::Commit,
        &["--config", &sixty, "check", "--base", "main"],
    );
    assert_eq!(r.code, 2, "{:#}", r.doc);
    assert!(r.doc["error"].as_str().unwrap().contains("together exceed"));
    // A glob with 200 nested alternations: a load error with its span.
    let nested = write(
        "nested.toml",
        DEFAULT_POLICY.replacen(
            "  \"@tests\",\n  \"@vendored\",",
            &format!(
                "  \"@tests\",\n  \"{}b{}\",\n  \"@vendored\",",
                "{a,".repeat(200),
                "}".repeat(200)
            ),
            1,
        ),
    );
    let r = run(
        head(&[(CLIENT, Some(&violating()))]),
        HeadAs::Commit,
        &["--config", &nested, "check", "--base", "main"],
    );
    assert_eq!(r.code, 2);
    assert!(r.doc["error"].as_str().unwrap().contains("too complex"));
    // Too many patterns, too long a regex: load errors.
    let many = write(
        "many.toml",
        DEFAULT_POLICY.replacen(
            anchor,
            &format!(
                "{}{anchor}",
                (0..300)
                    .map(|i| format!("  {{ id = \"p{i}\", regex = 'p{i}x', what = \"x\" }},\n"))
                    .collect::<String>()
            ),
            1,
        ),
    );
    let r = run(
        head(&[]),
        HeadAs::Commit,
        &["--config", &many, "check", "--base", "main"],
    );
    assert_eq!(r.code, 2);
    assert!(r.doc["error"]
        .as_str()
        .unwrap()
        .contains("over the cap of 256"));
    let long = write(
        "long.toml",
        DEFAULT_POLICY.replacen(
            anchor,
            &format!(
                "  {{ id = \"long\", regex = '{}', what = \"x\" }},\n{anchor}",
                "a".repeat(5000)
            ),
            1,
        ),
    );
    let r = run(
        head(&[]),
        HeadAs::Commit,
        &["--config", &long, "check", "--base", "main"],
    );
    assert_eq!(r.code, 2);
    assert!(r.doc["error"]
        .as_str()
        .unwrap()
        .contains("over the cap of 4096"));
}

// --- ignore files hide nothing from --all ----------------------------------------------------

#[test]
fn ignore_files_do_not_empty_the_audit() {
    let cases: &[(&str, &str)] = &[
        (".ignore", "*\n"),
        (".gitignore", "apps/\n"),
        ("apps/.ignore", "*.ts\n"),
        (".rgignore", "*\n"),
    ];
    parallel::each(cases.to_vec(), |(path, text)| {
        let h = head(&[(CLIENT, Some(&violating())), (path, Some(text.as_bytes()))]);
        let r = run(h, HeadAs::Commit, &["check", "--all"]);
        still_blocked(&r, &format!("--all with {path}"));
    });
    // The repository's own exclude file, written outside the tree.
    let h = head(&[(CLIENT, Some(&violating()))]);
    let r = run_with(h, HeadAs::Commit, &["check", "--all"], None, |work| {
        std::fs::write(work.join(".git/info/exclude"), "*\n").unwrap();
    });
    still_blocked(&r, "--all with .git/info/exclude");
}

// --- the release gate needs a description ------------------------------------------------------

#[test]
fn release_without_a_description_blocks() {
    let benign = format!("{CLIENT_BASE}// tidy\n");
    let h = head(&[(CLIENT, Some(benign.as_bytes()))]);
    let r = run(
        h.clone(),
        HeadAs::Commit,
        &["check", "--base", "main", "--gate", "release"],
    );
    assert_eq!(r.code, 1, "{:#}", r.doc);
    assert!(r.blocking("VER-01"));
    assert!(r.message("VER-01", "no PR description"));
    // At the merge gate: a note in every format.
    let r = run(h, HeadAs::Commit, &["check", "--base", "main"]);
    assert_eq!(r.code, 0);
    assert!(r.note("none given"), "{:#}", r.doc);
}
