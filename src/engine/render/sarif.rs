//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.
//!
//! One rule per configured invariant (ID, check name, descriptions and help from its explain
//! page, the escalation class as a property); one result per finding with its region, related
//! locations, and a `partialFingerprints` entry that survives unrelated line shifts.
//!
//! What GitHub code scanning enforces beyond the schema (it rejects the whole file otherwise):
//!
//! - **Every result has a physical location.** A finding on a file points at its span (line 1 for
//!   a finding on a whole file). A finding with no file location (on the PR description, the
//!   commit messages, or the change as a whole) is anchored to the policy that requires it, when
//!   the policy is a file of the repository (the base commit's `inv-rules.toml`, with the base's
//!   line numbers): the policy entry it cites, else the `[invariant.<ID>]` header, else line 1.
//!   With the built-in policy or a `--config` outside the tree, it is line 1 of
//!   `inv-rules.toml`, the file the built-in policy stands for (GitHub shows it without a
//!   snippet when the file does not exist). `properties.anchor` says which anchor was used
//!   (`finding`, `file`, `policy entry`, `invariant declaration`, `policy file`, `built-in
//!   policy`); a finding on the description keeps its span there in
//!   `properties.descriptionRegion`, and its message starts with "PR description, line N:".
//! - **Columns are UTF-16 code units** (`columnKind: utf16CodeUnits` on the run), converted from
//!   the byte offsets of the spans.
//! - **At most [`MAX_RESULTS`] results per run**: past it, the most severe are kept and a
//!   notification says how many were left out (the JSON output has them all).
//! - Every rule has `helpUri` (its explain page), `properties.precision` and
//!   `properties.problem.severity`.

use serde_json::{json, Value};

use super::{fingerprints, repo_path};
use crate::engine::finding::{Finding, Severity};
use crate::engine::run::Report;

/// The schema URI written into `$schema`.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// GitHub code scanning's limit on results per run (it rejects a run with more).
pub const MAX_RESULTS: usize = 25_000;

/// Where the explain pages are published; `helpUri` is `{HELP_BASE}/<CODE>.md`.
pub const HELP_BASE: &str = "https://github.com/invlint/invlint/blob/main/rules";

/// The policy file the built-in policy stands for, the anchor of last resort.
const DEFAULT_POLICY_PATH: &str = "inv-rules.toml";

/// Renders the report as pretty SARIF with a trailing newline.
pub fn render(report: &Report) -> String {
    let invariants = &report.config.invariants;
    let registry = report.config.registry;
    let mut rules: Vec<Value> = invariants
        .iter()
        .map(|inv| {
            let page = registry
                .code_of_check(&inv.check)
                .and_then(|code| registry.page(code))
                .unwrap_or("");
            rule(RuleDesc {
                id: &inv.id,
                name: &inv.check,
                title: &inv.title,
                page,
                level: match inv.escalation {
                    crate::engine::config::Escalation::BlockRelease => Severity::Warning,
                    _ => Severity::Error,
                },
                escalation: inv.escalation,
                status: inv.status,
                tags: &["architecture", "invariant"],
                help_uri: help_uri(registry, &inv.check),
            })
        })
        .collect();

    // The built-in gate-integrity checks (POL-01, VER-01) that no policy declares. Their
    // findings are made where they block, hence level `error`.
    let mut rule_ids: Vec<String> = invariants.iter().map(|i| i.id.clone()).collect();
    for r in registry.of_kind(crate::engine::check::Kind::Gate) {
        let m = r.meta();
        if !report.findings.iter().any(|f| f.code == m.default_code) {
            continue;
        }
        rule_ids.push(m.default_code.to_string());
        rules.push(rule(RuleDesc {
            id: m.default_code,
            name: m.name,
            title: m.summary,
            page: m.explain,
            level: Severity::Error,
            escalation: m.escalation,
            status: crate::engine::config::Status::Stable,
            tags: &["gate-integrity"],
            help_uri: Some(format!("{HELP_BASE}/{}.md", m.default_code)),
        }));
    }

    // Over GitHub's cap, keep the most severe (ranked) findings, still in report order.
    let kept = kept_indices(report, MAX_RESULTS);
    let left_out = report.findings.len() - kept.len();
    let prints = fingerprints(report);
    let results: Vec<Value> = report
        .findings
        .iter()
        .enumerate()
        .filter(|(i, _)| kept.contains(i))
        .map(|(i, f)| {
            let print = &prints[i];
            let rule_index = rule_ids.iter().position(|i| *i == f.code);
            let mut text = f.message.clone();
            if repo_path(f).is_none() {
                if let (Some(p), Some((l, _, _, _))) = (&f.path, f.region()) {
                    text = format!("{p}, line {l}: {text}");
                }
            }
            if let Some(m) = &f.mitigation {
                text.push_str(&format!(" ({m})"));
            }
            if let Some(m) = &f.suppression {
                text.push_str(&format!(" ({m})"));
            }
            if let Some(h) = &f.help {
                text.push_str(&format!("\nHelp: {h}"));
            }
            let mut r = json!({
                "ruleId": f.code,
                "level": level(f.severity),
                "message": { "text": text },
                "partialFingerprints": { "invlintFinding/v1": print },
                "properties": {
                    "check": f.check,
                    "escalation": f.escalation.as_str(),
                    "blocking": f.is_blocking,
                },
            });
            if let Some(i) = rule_index {
                r["ruleIndex"] = json!(i);
            }
            let (loc, anchor) = location(f, report);
            r["locations"] = json!([loc]);
            r["properties"]["anchor"] = json!(anchor);
            if repo_path(f).is_none() {
                if let Some(p) = &f.primary {
                    let (l, c) = p.source.line_col_utf16(p.span.start);
                    let (el, ec) = p.source.line_col_utf16(p.span.end);
                    let mut d = region(l, c, el, ec);
                    d["source"] = json!(p.source.name());
                    r["properties"]["descriptionRegion"] = d;
                }
            }
            if let Some(m) = &f.suppression {
                // SARIF's own way to say an in-source comment accepted this result.
                r["suppressions"] =
                    json!([{ "kind": "inSource", "status": "accepted", "justification": m }]);
            }
            let related: Vec<Value> = f
                .elsewhere
                .iter()
                .chain(f.policy.iter())
                .enumerate()
                .filter_map(|(i, s)| Some((i, s, file_of(s.source.name())?)))
                .map(|(i, s, path)| {
                    let (l, c) = s.source.line_col_utf16(s.span.start);
                    let (el, ec) = s.source.line_col_utf16(s.span.end);
                    json!({
                        "id": i,
                        "physicalLocation": {
                            "artifactLocation": { "uri": uri(path), "uriBaseId": "%SRCROOT%" },
                            "region": region(l, c, el, ec),
                        },
                        "message": { "text": s.label },
                    })
                })
                .collect();
            if !related.is_empty() {
                r["relatedLocations"] = json!(related);
            }
            r
        })
        .collect();

    // Run notes (skipped files, invariants that see no file) as tool execution notifications,
    // so SARIF consumers see them too.
    let mut notifications: Vec<Value> = report
        .notes
        .iter()
        .map(|n| {
            json!({
                "level": if n.is_incomplete { "error" } else { "note" },
                "message": { "text": format!("{}: {}", n.path, n.message) },
            })
        })
        .collect();
    if left_out > 0 {
        notifications.push(json!({
            "level": "error",
            "message": { "text": format!(
                "{left_out} finding(s) left out: GitHub code scanning accepts at most {MAX_RESULTS} results per run; the least severe were dropped (--format json lists every finding)"
            ) },
        }));
    }
    let mut doc = json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "invlint",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://github.com/invlint/invlint",
                "rules": rules,
            }},
            "columnKind": "utf16CodeUnits",
            "originalUriBaseIds": { "%SRCROOT%": { "description": { "text": "the repository root" } } },
            "invocations": [{
                "executionSuccessful": report.notes.iter().all(|n| !n.is_incomplete),
                // Fail closed: every file or input invlint could not check is said here too.
                "toolExecutionNotifications": report.notes.iter().map(|n| {
                    let mut v = json!({
                        "level": if n.is_incomplete { "error" } else { "note" },
                        "message": { "text": format!("{}: {}", n.path, n.message) },
                    });
                    if is_repo_file(&n.path) && !n.path.is_empty() {
                        v["locations"] = json!([{ "physicalLocation": {
                            "artifactLocation": { "uri": uri(&n.path), "uriBaseId": "%SRCROOT%" },
                        }}]);
                    }
                    v
                }).collect::<Vec<Value>>(),
                "exitCode": report.exit_code(),
                "properties": {
                    "gate": report.gate.as_str(),
                    "compared": report.description,
                    "policy": report.config.display_path,
                },
            }],
            "results": results,
        }],
    });
    if report.filtered != Default::default() {
        // Findings left out after the checks (baseline, --select/--ignore, bots): said here too.
        let f = &report.filtered;
        doc["runs"][0]["invocations"][0]["properties"]["filtered"] = json!({
            "baseline": f.baseline,
            "baselined": f.baselined,
            "baselineRefused": f.baseline_refused,
            "deselected": f.deselected,
            "botAuthor": f.bot_author,
            "botSoftened": f.bot,
            "botRefused": f.bot_refused,
        });
    }
    if !notifications.is_empty() {
        doc["runs"][0]["invocations"][0]["toolExecutionNotifications"] =
            Value::Array(notifications);
    }
    let mut s =
        serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}

/// True for sources that are files of the checked repository: not the PR description, not the
/// built-in policy (named "inv-rules.toml (built-in default)"), not a policy outside the tree.
fn is_repo_file(name: &str) -> bool {
    name != crate::engine::pr::PR_SOURCE_NAME
        && name != crate::engine::pr::COMMITS_SOURCE_NAME
        && !name.contains(" (")
        && !std::path::Path::new(name).is_absolute()
        && !name.starts_with("..")
}

/// The repository file a source stands for: its own name for a file of the tree, and
/// `inv-rules.toml` for the base commit's policy (named "inv-rules.toml (at base <sha>)"; its
/// line numbers are the base's, which differ from the head's only when the change edits the
/// policy). `None` for the PR description, the built-in policy and a policy outside the tree.
fn file_of(name: &str) -> Option<&str> {
    use crate::engine::governance::POLICY_PATH;
    if name
        .strip_prefix(POLICY_PATH)
        .is_some_and(|rest| rest.starts_with(" (at base "))
    {
        return Some(POLICY_PATH);
    }
    (is_repo_file(name) && !name.is_empty()).then_some(name)
}

/// The result's one location and what it is anchored to; see the module header.
fn location(f: &Finding, report: &Report) -> (Value, &'static str) {
    let (path, at, kind) = anchor(f, report);
    let region = match at {
        Some((l, c, el, ec)) => region(l, c, el, ec),
        None => json!({ "startLine": 1 }),
    };
    (
        json!({ "physicalLocation": {
            "artifactLocation": { "uri": uri(path), "uriBaseId": "%SRCROOT%" },
            "region": region,
        }}),
        kind,
    )
}

/// A region: start line and column, end line and column (1-based, UTF-16 columns).
pub type Region = (usize, usize, usize, usize);

/// Where a finding is anchored in the repository (see the module header): the file, its region
/// in UTF-16 columns (`None`: the whole file, line 1) and what the anchor is. The GitLab Code
/// Quality report anchors findings the same way.
pub fn anchor<'a>(f: &'a Finding, report: &'a Report) -> (&'a str, Option<Region>, &'static str) {
    let span = |source: &crate::engine::source::Source, span: &std::ops::Range<usize>| {
        let (l, c) = source.line_col_utf16(span.start);
        let (el, ec) = source.line_col_utf16(span.end);
        Some((l, c, el, ec))
    };
    if let Some(path) = repo_path(f) {
        return match &f.primary {
            Some(p) => (path, span(&p.source, &p.span), "finding"),
            // A finding on a whole file (deleted, unparsable): its first line.
            None => (path, None, "file"),
        };
    }
    if let Some((p, path)) = f
        .policy
        .as_ref()
        .and_then(|p| Some((p, file_of(p.source.name())?)))
    {
        return (path, span(&p.source, &p.span), "policy entry");
    }
    let policy = &report.config.source;
    if let Some(path) = file_of(policy.name()) {
        // The `[invariant.<ID>]` header that declares the finding's invariant, else line 1.
        if let Some(inv) = report.config.invariants.iter().find(|i| i.id == f.code) {
            return (
                path,
                span(policy, &inv.header_span),
                "invariant declaration",
            );
        }
        return (path, None, "policy file");
    }
    (DEFAULT_POLICY_PATH, None, "built-in policy")
}

/// Indices of the findings to emit: all of them up to `cap`, else the `cap` most severe.
fn kept_indices(report: &Report, cap: usize) -> std::collections::BTreeSet<usize> {
    if report.findings.len() <= cap {
        return (0..report.findings.len()).collect();
    }
    super::ranked_indices(report)
        .into_iter()
        .take(cap)
        .collect()
}

/// The published explain page of check `check`: `rules/<CODE>.md` for the spec's checks,
/// `rules/generic/<check>.md` for the generic checks a policy binds to its own invariants.
pub fn help_uri(registry: crate::engine::check::Registry, check: &str) -> Option<String> {
    if registry
        .of_kind(crate::engine::check::Kind::Generic)
        .any(|r| r.meta().name == check)
    {
        return Some(format!("{HELP_BASE}/generic/{check}.md"));
    }
    registry
        .code_of_check(check)
        .filter(|c| registry.page(c).is_some())
        .map(|code| format!("{HELP_BASE}/{code}.md"))
}

/// What a SARIF rule entry is made of.
struct RuleDesc<'a> {
    id: &'a str,
    name: &'a str,
    title: &'a str,
    page: &'a str,
    level: Severity,
    escalation: crate::engine::config::Escalation,
    status: crate::engine::config::Status,
    tags: &'a [&'a str],
    help_uri: Option<String>,
}

/// One `tool.driver.rules` entry: descriptions and help from the explain page, the escalation
/// class and status as properties.
fn rule(d: RuleDesc<'_>) -> Value {
    let full = first_paragraph(d.page).unwrap_or_else(|| d.title.to_string());
    let fix = section(d.page, "How to fix").unwrap_or_default();
    let mut tags: Vec<&str> = d.tags.to_vec();
    tags.push(d.escalation.as_str());
    let mut rule = json!({
        "id": d.id,
        "name": d.name,
        "shortDescription": { "text": d.title },
        "fullDescription": { "text": full },
        "help": {
            "text": format!("{}\n\nSee: invlint --explain {}", fix.trim(), d.id),
            "markdown": d.page,
        },
        "defaultConfiguration": { "level": level(d.level) },
        "properties": {
            "escalation": d.escalation.as_str(),
            "status": d.status.as_str(),
            "tags": tags,
            "precision": precision(d.status),
            "problem.severity": problem_severity(d.level),
        },
    });
    if let Some(uri) = d.help_uri {
        rule["helpUri"] = json!(uri);
    }
    rule
}

/// SARIF `precision` of a rule: stable checks are `high`, preview checks `medium`.
fn precision(status: crate::engine::config::Status) -> &'static str {
    match status {
        crate::engine::config::Status::Stable => "high",
        _ => "medium",
    }
}

/// GitHub's `problem.severity` for a rule's default level.
fn problem_severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "recommendation",
    }
}

fn region(l: usize, c: usize, el: usize, ec: usize) -> Value {
    // SARIF columns are 1-based and the end column is exclusive; an empty span still needs
    // endColumn >= startColumn.
    json!({
        "startLine": l.max(1),
        "startColumn": c.max(1),
        "endLine": el.max(l).max(1),
        "endColumn": if el > l { ec.max(1) } else { ec.max(c).max(1) },
    })
}

/// Percent-encodes what a relative URI reference cannot hold literally.
fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// The first prose paragraph of an explain page (after the `#` title).
fn first_paragraph(page: &str) -> Option<String> {
    let mut para = Vec::new();
    for line in page
        .lines()
        .skip_while(|l| l.starts_with('#') || l.trim().is_empty())
    {
        if line.trim().is_empty() || line.starts_with('#') {
            if !para.is_empty() {
                break;
            }
            continue;
        }
        if line.starts_with('>') {
            continue;
        }
        para.push(line.trim());
    }
    (!para.is_empty()).then(|| para.join(" "))
}

/// The body of a `## name` section of an explain page.
fn section(page: &str, name: &str) -> Option<String> {
    let start = page.find(&format!("\n## {name}"))?;
    let body = &page[start + 1..];
    let body = &body[body.find('\n').map_or(body.len(), |i| i + 1)..];
    let end = body.find("\n## ").map_or(body.len(), |i| i + 1);
    Some(body[..end].trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn over_the_cap_the_most_severe_results_are_kept() {
        let mut r = crate::engine::render::github::tests::report(5, 0);
        // The last INV-01 finding is a note: below the INV-03 warning, it is left out at 5.
        r.findings[4].is_blocking = false;
        r.findings[4].severity = Severity::Note;
        let kept: Vec<usize> = kept_indices(&r, 5).into_iter().collect();
        assert_eq!(kept, [0, 1, 2, 3, 5]);
        assert_eq!(kept_indices(&r, 6).len(), 6);
    }

    #[test]
    fn uris_are_percent_encoded() {
        assert_eq!(uri("apps/a b/ü.rs"), "apps/a%20b/%C3%BC.rs");
    }

    #[test]
    fn sections_are_cut_at_the_next_heading() {
        let page = "# T\n\nIntro line.\nmore.\n\n## How to fix\n\n1. do it\n\n## Limits\nx\n";
        assert_eq!(first_paragraph(page).unwrap(), "Intro line. more.");
        assert_eq!(section(page, "How to fix").unwrap(), "1. do it");
    }
}
