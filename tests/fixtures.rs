//! Every fixture case (`fixtures/<CODE>/<case>/case.toml`) becomes a real temporary git
//! repository (base committed on `main`, head committed on `pr` or only staged), is checked by
//! the engine at 1 and at 8 threads, and is compared with its snapshot (`expected.snap`).
//!
//! Names carry intent (STYLE.md §7): `fail-*` must yield at least one finding with the
//! directory's code, `pass-*` none above note level (a note such as "this change adds a suppression" is for reviewers); that is asserted before the snapshot, so an empty snapshot
//! cannot pass.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::sarif::{github_ingestion_problems, sarif_validator};
use invlint::engine::config::Config;
use invlint::engine::diff::DiffMode;
use invlint::engine::render;
use invlint::engine::scratch::{self, HeadAs};
use invlint::{CheckOptions, Gate};
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
    /// Policy file in the case directory; default: the built-in policy.
    #[serde(default)]
    config: Option<String>,
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

fn run_case(dir: &Path, threads: usize) -> (String, String) {
    let report = check_case(dir, threads, None);
    judge_case(dir, report)
}

/// Builds the case's repository and checks it, at the case's gate or at `gate`.
fn check_case(dir: &Path, threads: usize, gate: Option<Gate>) -> invlint::Report {
    let case: Case = toml::from_str(&std::fs::read_to_string(dir.join("case.toml")).unwrap())
        .unwrap_or_else(|e| panic!("{}: bad case.toml: {e}", dir.display()));
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
    let config = match &case.config {
        Some(name) => {
            let text = std::fs::read_to_string(dir.join(name)).unwrap();
            Config::parse("inv-rules.toml", &text)
        }
        None => Config::parse("inv-rules.toml", invlint::engine::config::DEFAULT_POLICY),
    }
    .unwrap_or_else(|e| panic!("{}: policy: {e:?}", dir.display()));
    let mut config = config;
    if case.pr_checks == Some(false) {
        config.invariants.retain(|i| {
            !invlint::rules::PR_RULES
                .iter()
                .any(|r| r.meta().name == i.check)
        });
    }
    let opts = CheckOptions {
        dir: workdir.clone(),
        mode,
        config: None,
        pr,
        threads,
        gate: gate.unwrap_or(match case.gate.as_deref().unwrap_or("merge") {
            "merge" => Gate::Merge,
            "release" => Gate::Release,
            other => panic!("unknown gate {other}"),
        }),
        coverage: case.coverage,
        today: Some(
            invlint::engine::suppress::Date::parse(case.today.as_deref().unwrap_or("2026-06-01"))
                .unwrap_or_else(|| panic!("{}: today is not YYYY-MM-DD", dir.display())),
        ),
    };
    let repo = git2::Repository::open(&workdir).unwrap();
    invlint::check_with_config(&opts, repo, workdir, Arc::new(config))
        .unwrap_or_else(|e| panic!("{}: check failed: {e:?}", dir.display()))
}

/// Asserts the case's intent and exit code; returns (snapshot text, other formats).
fn judge_case(dir: &Path, report: invlint::Report) -> (String, String) {
    let case: Case = toml::from_str(&std::fs::read_to_string(dir.join("case.toml")).unwrap())
        .unwrap_or_else(|e| panic!("{}: bad case.toml: {e}", dir.display()));
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

/// invlint-output.schema.json, the published schema of `--format json`.
fn output_validator() -> &'static jsonschema::Validator {
    static V: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    V.get_or_init(|| {
        let schema: serde_json::Value = serde_json::from_str(render::json::SCHEMA).unwrap();
        jsonschema::validator_for(&schema).expect("invlint-output.schema.json compiles")
    })
}

#[test]
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
    // `INVLINT_FIXTURES=POL-01 cargo test --test fixtures`: only cases whose path contains it.
    if let Ok(only) = std::env::var("INVLINT_FIXTURES") {
        out.retain(|d| d.to_string_lossy().contains(&only));
    }
    out
}

#[test]
fn fixtures_match_snapshots() {
    let dirs = fixture_dirs();
    assert!(!dirs.is_empty(), "no fixtures found");
    for dir in dirs {
        let (one, one_other) = run_case(&dir, 1);
        let (eight, eight_other) = run_case(&dir, 8);
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
        insta::with_settings!({
            snapshot_path => dir.clone(),
            prepend_module_to_snapshot => false,
            omit_expression => true,
        }, {
            insta::assert_snapshot!("expected", one);
        });
    }
}

#[test]
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

#[test]
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

/// OA-RUST-003's escalation rules, on every finding of every fail-* case at both gates:
/// `block-merge` blocks at both; `block-merge-unless-mitigated` blocks at both unless an
/// owner-approved mitigation covers it; `block-release` warns at merge and blocks at release.
/// (Suppressed, preview and warning-level findings never block.) Every class must be seen.
#[test]
fn escalation_classes_at_both_gates() {
    use invlint::engine::config::{Escalation, Status};
    use invlint::engine::finding::Severity;
    let mut seen = std::collections::BTreeSet::new();
    for dir in fixture_dirs() {
        if !dir
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("fail-")
        {
            continue;
        }
        for gate in [Gate::Merge, Gate::Release] {
            let report = check_case(&dir, 2, Some(gate));
            for f in &report.findings {
                let eligible = f.level == Severity::Error
                    && f.status == Status::Stable
                    && f.suppression.is_none();
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
                    seen.insert((f.escalation.as_str(), gate.as_str(), f.is_blocking));
                }
            }
            let blocks = report.findings.iter().any(|f| f.is_blocking);
            assert_eq!(report.exit_code() == 1, blocks, "{}", dir.display());
        }
    }
    for want in [
        ("block-merge", "merge", true),
        ("block-merge", "release", true),
        ("block-merge-unless-mitigated", "merge", true),
        ("block-merge-unless-mitigated", "merge", false),
        ("block-merge-unless-mitigated", "release", true),
        ("block-release", "merge", false),
        ("block-release", "release", true),
    ] {
        assert!(seen.contains(&want), "no fixture shows {want:?}");
    }
}
