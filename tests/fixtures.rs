//! Every fixture case (`fixtures/<CODE>/<case>/case.toml`) becomes a real temporary git
//! repository (base committed on `main`, head committed on `pr` or only staged), is checked by
//! the engine at 1 and at 8 threads, and is compared with its snapshot (`expected.snap`).
//!
//! This is a `harness = false` test (libtest-mimic): each case is its own trial, named
//! `<CODE>/<case>`, and trials run in parallel. `cargo test --test fixtures INV-03/` runs the
//! cases whose name contains the filter; `-- --list` lists them; a failure names its case.
//!
//! Names carry intent (STYLE.md §7): `fail-*` must yield at least one finding with the
//! directory's code, `pass-*` none above note level (a note such as "this change adds a suppression" is for reviewers); that is asserted before the snapshot, so an empty snapshot
//! cannot pass.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use common::sarif::{github_ingestion_problems, sarif_validator};
use invlint::engine::config::Config;
use invlint::engine::diff::DiffMode;
use invlint::engine::render;
use invlint::engine::scratch::{self, HeadAs};
use invlint::{CheckOptions, Gate};
use libtest_mimic::{Arguments, Failed, Trial};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    /// One line: what this case shows.
    description: String,
    /// "base" (default: HEAD against main), "staged" or "all".
    #[serde(default)]
    mode: Option<String>,
    /// "merge" (default) or "release".
    #[serde(default)]
    gate: Option<String>,
    /// Policy file in the case directory, read whole instead of the built-in policy.
    #[serde(default)]
    config: Option<String>,
    /// Policy overlay in the case directory: its tables are merged into the built-in policy's
    /// (a key it sets replaces the default's; an array, of tables too, replaces the default's
    /// whole), so a case states only what it changes instead of carrying a copy.
    #[serde(default)]
    overlay: Option<String>,
    /// Expected exit code.
    exit: i32,
    /// Commit message of the head commit.
    #[serde(default)]
    message: Option<String>,
    /// The date inline suppressions' `until` is compared with (YYYY-MM-DD); default 2026-06-01,
    /// so snapshots do not depend on the day the tests run.
    #[serde(default)]
    today: Option<String>,
    /// `false`: drop the policy's PR-description checks, for a case about another invariant at
    /// the release gate that has no description to give (else VER-01 would block it).
    #[serde(default)]
    pr_checks: Option<bool>,
    /// Measure coverage (an invariant that sees no file is a note, blocking at release). Off
    /// by default: most cases are trees of a few files made for one invariant.
    #[serde(default)]
    coverage: bool,
}

/// A case's repository, built once and checked several times (at 1 and 8 threads, at both
/// gates): the check never writes into the repository it reads.
struct Prepared {
    dir: PathBuf,
    case: Case,
    /// Keeps the repository's directory alive.
    _tmp: tempfile::TempDir,
    workdir: PathBuf,
    mode: DiffMode,
    pr: Option<Arc<invlint::engine::source::Source>>,
    config: Arc<Config>,
}

fn read_case(dir: &Path) -> Case {
    toml::from_str(&std::fs::read_to_string(dir.join("case.toml")).unwrap())
        .unwrap_or_else(|e| panic!("{}: bad case.toml: {e}", dir.display()))
}

/// The built-in policy with `overlay` merged in: tables merge key by key, anything else (a
/// value, an array, an array of tables) replaces the default's.
fn overlay_policy(default: &str, overlay: &str) -> Result<String, String> {
    fn merge(into: &mut toml_edit::Table, from: &toml_edit::Table) {
        for (key, item) in from.iter() {
            match (into.get_mut(key), item) {
                (Some(toml_edit::Item::Table(a)), toml_edit::Item::Table(b)) => merge(a, b),
                _ => {
                    into.insert(key, item.clone());
                }
            }
        }
    }
    let mut doc: toml_edit::DocumentMut = default
        .parse()
        .map_err(|e| format!("the built-in policy: {e}"))?;
    let over: toml_edit::DocumentMut = overlay.parse().map_err(|e| format!("overlay: {e}"))?;
    merge(doc.as_table_mut(), over.as_table());
    Ok(doc.to_string())
}

/// The validated policy of `text` (without the PR-description checks when `no_pr_checks`),
/// loaded once per distinct text: most cases share the built-in policy, and loading it is
/// tested on its own (tests/setup.rs, tests/bad_input.rs); here it is the checks under test.
fn policy(text: &str, no_pr_checks: bool) -> Result<Arc<Config>, String> {
    type Slot = Arc<std::sync::OnceLock<Result<Arc<Config>, String>>>;
    static LOADED: Mutex<Vec<((String, bool), Slot)>> = Mutex::new(Vec::new());
    let slot = {
        let mut loaded = LOADED.lock().unwrap();
        let key = (text.to_string(), no_pr_checks);
        match loaded.iter().find(|(k, _)| *k == key) {
            Some((_, slot)) => slot.clone(),
            None => {
                let slot = Slot::default();
                loaded.push((key, slot.clone()));
                slot
            }
        }
    };
    slot.get_or_init(|| {
        let mut config =
            invlint::parse_policy("inv-rules.toml", text).map_err(|e| format!("{e:?}"))?;
        if no_pr_checks {
            config.invariants.retain(|i| {
                invlint::REGISTRY
                    .find(&i.check)
                    .is_none_or(|c| c.meta().kind != invlint::engine::check::Kind::Pr)
            });
        }
        Ok(Arc::new(config))
    })
    .clone()
}

/// Builds the case's repository and loads its policy.
fn prepare(dir: &Path) -> Prepared {
    prepare_with(dir, invlint::engine::config::DEFAULT_POLICY)
}

/// `prepare`, with `default` standing for the built-in policy.
fn prepare_with(dir: &Path, default: &str) -> Prepared {
    let case = read_case(dir);
    let base = scratch::read_tree(&dir.join("base")).unwrap();
    let head = scratch::read_tree(&dir.join("head")).unwrap();
    let mode = match case.mode.as_deref().unwrap_or("base") {
        "base" => DiffMode::Base(Some("main".into())),
        "staged" => DiffMode::Staged,
        "all" => DiffMode::All,
        other => panic!("{}: unknown mode {other}", dir.display()),
    };
    let head_as = if mode == DiffMode::Staged {
        HeadAs::Stage
    } else {
        HeadAs::Commit
    };
    let tmp = tempfile::tempdir().unwrap();
    let workdir = scratch::build(
        tmp.path(),
        &base,
        &head,
        head_as,
        case.message
            .as_deref()
            .unwrap_or("pr: the change under test"),
    )
    .unwrap();
    let pr = std::fs::read_to_string(dir.join("pr.md"))
        .ok()
        .map(|t| invlint::engine::pr::from_text(&t));
    let text = match (&case.config, &case.overlay) {
        (Some(_), Some(_)) => panic!("{}: `config` or `overlay`, not both", dir.display()),
        (Some(name), None) => std::fs::read_to_string(dir.join(name)).unwrap(),
        (None, Some(name)) => {
            overlay_policy(default, &std::fs::read_to_string(dir.join(name)).unwrap())
                .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        }
        (None, None) => default.to_string(),
    };
    let config = policy(&text, case.pr_checks == Some(false))
        .unwrap_or_else(|e| panic!("{}: policy: {e}", dir.display()));
    Prepared {
        dir: dir.to_path_buf(),
        case,
        _tmp: tmp,
        workdir,
        mode,
        pr,
        config,
    }
}

impl Prepared {
    /// The case's own gate.
    fn gate(&self) -> Gate {
        match self.case.gate.as_deref().unwrap_or("merge") {
            "merge" => Gate::Merge,
            "release" => Gate::Release,
            other => panic!("unknown gate {other}"),
        }
    }

    /// Checks the case's repository at `threads` threads and at `gate`.
    fn check(&self, threads: usize, gate: Gate) -> invlint::Report {
        self.check_as(self.mode.clone(), threads, gate, 0)
    }

    /// [`Prepared::check`] in `mode`, with audit windows of `window` files (0: the default).
    fn check_as(
        &self,
        mode: DiffMode,
        threads: usize,
        gate: Gate,
        window: usize,
    ) -> invlint::Report {
        let dir = &self.dir;
        let opts = CheckOptions {
            dir: self.workdir.clone(),
            mode,
            config: None,
            pr: self.pr.clone(),
            threads,
            gate,
            coverage: self.case.coverage,
            audit_window: window,
            today: Some(
                invlint::engine::suppress::Date::parse(
                    self.case.today.as_deref().unwrap_or("2026-06-01"),
                )
                .unwrap_or_else(|| panic!("{}: today is not YYYY-MM-DD", dir.display())),
            ),
        };
        let repo = git2::Repository::open(&self.workdir).unwrap();
        invlint::check_with_config(&opts, repo, self.workdir.clone(), self.config.clone())
            .unwrap_or_else(|e| panic!("{}: check failed: {e:?}", dir.display()))
    }
}

/// Asserts the case's intent and exit code; returns (snapshot text, other formats).
fn judge_case(dir: &Path, report: invlint::Report) -> (String, String) {
    let case = read_case(dir);
    let code = dir.parent().unwrap().file_name().unwrap().to_str().unwrap();
    let name = dir.file_name().unwrap().to_str().unwrap();
    let with_code = report.findings.iter().filter(|f| f.code == code).count();
    if name.starts_with("fail-") {
        assert!(
            with_code > 0,
            "{}: a fail-* case must yield a {code} finding",
            dir.display()
        );
    } else if name.starts_with("pass-") {
        // A pass case may carry notes (a suppression this change adds, shown to reviewers),
        // never a warning or an error.
        let acted_on = report
            .findings
            .iter()
            .filter(|f| f.code == code && f.level != invlint::engine::finding::Severity::Note)
            .count();
        assert_eq!(
            acted_on,
            0,
            "{}: a pass-* case must yield no {code} finding, got:\n{}",
            dir.display(),
            render::human::render(
                &report,
                render::human::HumanOptions {
                    color: false,
                    width: 80
                }
            )
        );
    } else {
        panic!("{}: case names start with fail- or pass-", dir.display());
    }
    let human = render::human::render(
        &report,
        render::human::HumanOptions {
            color: false,
            width: 80,
        },
    );
    let json = render::json::render(&report);
    let errors: Vec<String> = output_validator()
        .iter_errors(&serde_json::from_str(&json).unwrap())
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{}: --format json does not validate against invlint-output.schema.json:\n{}",
        dir.display(),
        errors.join("\n")
    );
    // Every policy citation names its entry; the snapshot keeps the name and drops the line (a
    // comment added to the policy moves lines, never names).
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    for f in doc["findings"].as_array().into_iter().flatten() {
        if !f["policy"].is_null() {
            assert!(
                f["policy"]["entry"].is_string(),
                "{}: a finding cites no policy entry: {}",
                dir.display(),
                f["policy"]
            );
        }
    }
    let json = without_policy_lines(&json);
    let exit = report.exit_code();
    // Every other format, for the determinism comparison and the SARIF schema check.
    let sarif = render::sarif::render(&report);
    validate_sarif(dir, &sarif);
    let problems = github_ingestion_problems(&serde_json::from_str(&sarif).unwrap());
    assert!(
        problems.is_empty(),
        "{}: GitHub code scanning would reject this SARIF:\n{}",
        dir.display(),
        problems.join("\n")
    );
    let others = format!(
        "{sarif}\n{}\n{}",
        render::github::render(&report),
        render::markdown::render(&report, &render::markdown::Links::default())
    );
    assert_eq!(exit, case.exit, "{}: exit code\n{human}", dir.display());
    (
        format!(
            "# {}\n# exit code: {exit}\n\n{human}\n--- json ---\n{json}",
            case.description
        ),
        others,
    )
}

/// `--format json` without the `"line"` of policy citations (the line after `"entry"`).
fn without_policy_lines(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    let mut after_entry = false;
    for line in json.lines() {
        let t = line.trim_start();
        if after_entry && t.starts_with("\"line\": ") {
            after_entry = false;
            continue;
        }
        after_entry = t.starts_with("\"entry\": ");
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// invlint-output.schema.json, the published schema of `--format json`.
fn output_validator() -> &'static jsonschema::Validator {
    static V: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    V.get_or_init(|| {
        let schema: serde_json::Value = serde_json::from_str(render::json::SCHEMA).unwrap();
        jsonschema::validator_for(&schema).expect("invlint-output.schema.json compiles")
    })
}

fn the_output_schema_check_can_fail() {
    let finding = |on: &str, print: Option<&str>| {
        let mut f = serde_json::json!({
            "id": "INV-03", "check": "sse-poll-lane", "severity": "error",
            "escalation": "block-merge", "blocking": true, "on": on,
            "path": "a.ts", "line": 1, "column": 1, "end_line": 1, "end_column": 2,
            "message": "m", "label": null, "help": null, "policy": null, "related": [],
            "mitigation": null
        });
        if let Some(p) = print {
            f["fingerprint"] = serde_json::json!(p);
        }
        f
    };
    let doc = |f: serde_json::Value| {
        serde_json::json!({
            "version": 1, "tool": "invlint", "tool_version": "0.1.0", "gate": "merge",
            "compared": "x", "policy": "inv-rules.toml",
            "summary": { "exit_code": 1, "blocking": 1, "non_blocking": 0,
                         "files_changed": 1, "planned": [] },
            "findings": [f], "notes": []
        })
    };
    let v = output_validator();
    assert!(v.is_valid(&doc(finding("file", Some("0123456789abcdef")))));
    // No fingerprint, an unknown `on`, an undeclared field: each is caught.
    assert!(!v.is_valid(&doc(finding("file", None))));
    assert!(!v.is_valid(&doc(finding("elsewhere", Some("0123456789abcdef")))));
    let mut extra = finding("file", Some("0123456789abcdef"));
    extra["undocumented"] = serde_json::json!(1);
    assert!(!v.is_valid(&doc(extra)));
}

fn validate_sarif(dir: &Path, sarif: &str) {
    let doc: serde_json::Value = serde_json::from_str(sarif)
        .unwrap_or_else(|e| panic!("{}: SARIF is not JSON: {e}", dir.display()));
    let errors: Vec<String> = sarif_validator()
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{}: SARIF does not validate against the 2.1.0 schema:\n{}",
        dir.display(),
        errors.join("\n")
    );
}

fn fixture_dirs() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut out = Vec::new();
    for code in std::fs::read_dir(&root).unwrap().flatten() {
        if !code.path().is_dir() {
            continue;
        }
        for case in std::fs::read_dir(code.path()).unwrap().flatten() {
            if case.path().join("case.toml").is_file() {
                out.push(case.path());
            }
        }
    }
    out.sort();
    out
}

/// `<CODE>/<case>`: the trial's name, what `cargo test --test fixtures <filter>` matches.
fn case_name(dir: &Path) -> String {
    let part = |p: &Path| p.file_name().unwrap().to_string_lossy().into_owned();
    format!("{}/{}", part(dir.parent().unwrap()), part(dir))
}

/// What the escalation check saw across fail-* cases: (class, gate, blocking).
type Seen = Mutex<BTreeSet<(&'static str, &'static str, bool)>>;

/// One case: its output at 1 and 8 threads agrees, and matches its snapshot; for a fail-* case,
/// every finding blocks exactly as its escalation class says, at both gates.
fn fixture_case(dir: &Path, seen: &Seen) {
    let prepared = prepare(dir);
    let gate = prepared.gate();
    let report_one = prepared.check(1, gate);
    let is_fail = dir
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("fail-");
    if is_fail {
        let other = match gate {
            Gate::Merge => Gate::Release,
            Gate::Release => Gate::Merge,
        };
        for (g, report) in [(gate, &report_one), (other, &prepared.check(2, other))] {
            check_escalation(dir, g, report, seen);
        }
    }
    let (one, one_other) = judge_case(dir, report_one);
    let (eight, eight_other) = judge_case(dir, prepared.check(8, gate));
    assert_eq!(
        one,
        eight,
        "{}: output differs between -j1 and -j8",
        dir.display()
    );
    assert_eq!(
        one_other,
        eight_other,
        "{}: SARIF/GitHub/Markdown output differs between -j1 and -j8",
        dir.display()
    );
    // An audit runs the windowed checks one window of files at a time, dropping each window's
    // texts (engine::windows): one file per window must find what a run without windows
    // finds, in every case's tree.
    let audit = |window| render::json::render(&prepared.check_as(DiffMode::All, 2, gate, window));
    assert_eq!(
        audit(1),
        audit(usize::MAX),
        "{}: an audit one file per window differs from one without windows",
        dir.display()
    );
    insta::with_settings!({
        snapshot_path => dir,
        prepend_module_to_snapshot => false,
        omit_expression => true,
    }, {
        insta::assert_snapshot!("expected", one);
    });
}

fn the_sarif_check_can_fail() {
    // A result without a message and a region with a zero line break the 2.1.0 schema.
    let bad = serde_json::json!({
        "version": "2.1.0",
        "runs": [{ "tool": { "driver": { "name": "invlint" } },
                   "results": [{ "ruleId": "INV-03",
                                 "locations": [{ "physicalLocation": { "region": { "startLine": 0 } } }] }] }]
    });
    assert!(sarif_validator().iter_errors(&bad).count() >= 2);
}

fn the_github_ingestion_check_can_fail() {
    // Schema-valid, and what invlint produced before issue 20: a result on the PR description
    // without a location, a rule without helpUri, no columnKind.
    let bad = serde_json::json!({
        "version": "2.1.0",
        "runs": [{ "tool": { "driver": { "name": "invlint", "rules": [{ "id": "PR-01" }] } },
                   "results": [{ "ruleId": "PR-01", "message": { "text": "x" },
                                 "partialFingerprints": { "invlintFinding/v1": "ab" } },
                               { "ruleId": "INV-09", "message": { "text": "y" } }] }]
    });
    assert!(sarif_validator().iter_errors(&bad).next().is_none());
    let problems = github_ingestion_problems(&bad);
    for want in [
        "columnKind",
        "no helpUri",
        "0 locations",
        "not a driver rule",
        "no fingerprint",
    ] {
        assert!(
            problems.iter().any(|p| p.contains(want)),
            "{want} not caught: {problems:?}"
        );
    }
}

fn an_overlay_merges_into_the_default_policy() {
    let default = invlint::engine::config::DEFAULT_POLICY;
    let text = overlay_policy(
        default,
        "[invariant.INV-03]\nsuppressible = true\n\n[invariant.INV-03.sse-poll-lane]\npaths = [\"apps/**\"]\n",
    )
    .unwrap();
    let merged = invlint::parse_policy("inv-rules.toml", &text).unwrap();
    let default = invlint::parse_policy("inv-rules.toml", default).unwrap();
    let inv03 = |c: &Config| {
        c.invariants
            .iter()
            .find(|i| i.id == "INV-03")
            .map(|i| (i.is_suppressible, i.title.clone(), i.escalation))
            .unwrap()
    };
    // The overlay's key changed, its neighbours kept the default's values, and every other
    // invariant is still there.
    assert!(inv03(&merged).0 && !inv03(&default).0);
    assert_eq!(inv03(&merged).1, inv03(&default).1);
    assert_eq!(inv03(&merged).2, inv03(&default).2);
    assert_eq!(merged.invariants.len(), default.invariants.len());
    assert!(text.contains("paths = [\"apps/**\"]"));
    assert!(overlay_policy(invlint::engine::config::DEFAULT_POLICY, "[invariant").is_err());
}

/// The built-in policy with a comment line added before every table header: every entry moves
/// down, none changes.
fn comment_edited_default() -> String {
    let mut out = String::new();
    for line in invlint::engine::config::DEFAULT_POLICY.lines() {
        if line.starts_with('[') {
            out.push_str("# a comment added by the test, moving every line below it\n");
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// Editing a comment in the built-in policy changes no snapshot: for the first fail-* case of
/// each code that runs on the built-in policy (or an overlay on it), the output with a
/// comment-edited policy is the output with the policy as shipped.
fn a_comment_edit_in_the_default_policy_changes_no_snapshot() {
    let edited = comment_edited_default();
    assert!(edited.lines().count() > invlint::engine::config::DEFAULT_POLICY.lines().count() + 20);
    let mut codes = BTreeSet::new();
    let mut citing = 0;
    for dir in fixture_dirs() {
        let code = dir.parent().unwrap().to_path_buf();
        let case = read_case(&dir);
        let is_fail = dir
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("fail-");
        if !is_fail || case.config.is_some() || codes.contains(&code) {
            continue;
        }
        codes.insert(code);
        let as_shipped = prepare(&dir);
        let gate = as_shipped.gate();
        let (want, _) = judge_case(&dir, as_shipped.check(1, gate));
        let (got, _) = judge_case(&dir, prepare_with(&dir, &edited).check(1, gate));
        assert_eq!(
            got,
            want,
            "{}: a policy comment edit changed the output",
            dir.display()
        );
        citing += usize::from(want.contains("made this a finding"));
    }
    // Enough cases cite a policy entry for the comparison to mean something.
    assert!(
        codes.len() >= 10 && citing >= 5,
        "{} codes, {citing} citing",
        codes.len()
    );
}

/// OA-RUST-003's escalation rules, on every finding of a fail-* case at one gate:
/// `block-merge` blocks at both; `block-merge-unless-mitigated` blocks at both unless an
/// owner-approved mitigation covers it; `block-release` warns at merge and blocks at release.
/// (Suppressed, preview and warning-level findings never block.)
fn check_escalation(dir: &Path, gate: Gate, report: &invlint::Report, seen: &Seen) {
    use invlint::engine::config::{Escalation, Status};
    use invlint::engine::finding::Severity;
    for f in &report.findings {
        let eligible =
            f.level == Severity::Error && f.status == Status::Stable && f.suppression.is_none();
        let expected = eligible
            && match f.escalation {
                Escalation::BlockMerge => true,
                Escalation::BlockMergeUnlessMitigated => f.mitigation.is_none(),
                Escalation::BlockRelease => gate == Gate::Release,
            };
        assert_eq!(
            f.is_blocking,
            expected,
            "{}: {} {} at the {} gate",
            dir.display(),
            f.code,
            f.message,
            gate.as_str()
        );
        if eligible {
            seen.lock()
                .unwrap()
                .insert((f.escalation.as_str(), gate.as_str(), f.is_blocking));
        }
    }
    let blocks = report.findings.iter().any(|f| f.is_blocking);
    assert_eq!(report.exit_code() == 1, blocks, "{}", dir.display());
}

/// Every escalation class is seen blocking and not blocking where it should, across the
/// fail-* cases (checked only when every case ran).
fn every_escalation_class_is_exercised(seen: &Seen) -> Result<(), String> {
    let seen = seen.lock().unwrap();
    for want in [
        ("block-merge", "merge", true),
        ("block-merge", "release", true),
        ("block-merge-unless-mitigated", "merge", true),
        ("block-merge-unless-mitigated", "merge", false),
        ("block-merge-unless-mitigated", "release", true),
        ("block-release", "merge", false),
        ("block-release", "release", true),
    ] {
        if !seen.contains(&want) {
            return Err(format!("no fixture shows {want:?}"));
        }
    }
    Ok(())
}

fn trial(name: &str, f: impl FnOnce() + Send + 'static) -> Trial {
    Trial::test(name, move || {
        f();
        Ok::<(), Failed>(())
    })
}

fn main() {
    let args = Arguments::from_args();
    let seen: &'static Seen = Box::leak(Box::new(Mutex::new(BTreeSet::new())));
    let dirs = fixture_dirs();
    assert!(!dirs.is_empty(), "no fixtures found");
    let mut trials = vec![
        trial(
            "the_output_schema_check_can_fail",
            the_output_schema_check_can_fail,
        ),
        trial("the_sarif_check_can_fail", the_sarif_check_can_fail),
        trial(
            "the_github_ingestion_check_can_fail",
            the_github_ingestion_check_can_fail,
        ),
        trial(
            "an_overlay_merges_into_the_default_policy",
            an_overlay_merges_into_the_default_policy,
        ),
        trial(
            "a_comment_edit_in_the_default_policy_changes_no_snapshot",
            a_comment_edit_in_the_default_policy_changes_no_snapshot,
        ),
    ];
    let is_fail = |d: &Path| {
        d.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("fail-")
    };
    let fail_cases = dirs.iter().filter(|d| is_fail(d)).count();
    let ran_fail = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for dir in dirs {
        let ran_fail = ran_fail.clone();
        trials.push(trial(&case_name(&dir), move || {
            fixture_case(&dir, seen);
            if is_fail(&dir) {
                ran_fail.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
        }));
    }
    let conclusion = libtest_mimic::run(&args, trials);
    // The classes are seen only across cases, so this runs after them, when every fail-* case
    // ran and passed (a filtered run skips it).
    if ran_fail.load(std::sync::atomic::Ordering::SeqCst) == fail_cases && !args.list {
        if let Err(e) = every_escalation_class_is_exercised(seen) {
            eprintln!("escalation classes: {e}");
            std::process::exit(101);
        }
        println!(
            "escalation classes: every class seen at both gates across {fail_cases} fail-* cases"
        );
    }
    conclusion.exit();
}
