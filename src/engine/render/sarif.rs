//! `--format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.
//!
//! One rule per configured invariant (ID, check name, descriptions and help from its explain
//! page, the escalation class as a property); one result per finding with its region, related
//! locations, and a `partialFingerprints` entry that survives unrelated line shifts. Findings on
//! the PR description have no file location; their message says where they point.

use serde_json::{json, Value};

use super::{fingerprint, repo_path};
use crate::engine::finding::{Finding, Severity};
use crate::Report;

/// The schema URI written into `$schema`.
pub const SCHEMA_URI: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// Renders the report as pretty SARIF with a trailing newline.
pub fn render(report: &Report) -> String {
    let invariants = &report.config.invariants;
    let mut rules: Vec<Value> = invariants
        .iter()
        .map(|inv| {
            let page = crate::rules::code_of_check(&inv.check)
                .and_then(crate::rules::page)
                .unwrap_or("");
            let full = first_paragraph(page).unwrap_or_else(|| inv.title.clone());
            let fix = section(page, "How to fix").unwrap_or_default();
            json!({
                "id": inv.id,
                "name": inv.check,
                "shortDescription": { "text": inv.title },
                "fullDescription": { "text": full },
                "help": {
                    "text": format!("{}\n\nSee: invlint --explain {}", fix.trim(), inv.id),
                    "markdown": page,
                },
                "defaultConfiguration": { "level": level(match inv.escalation {
                    crate::engine::config::Escalation::BlockRelease => Severity::Warning,
                    _ => Severity::Error,
                }) },
                "properties": {
                    "escalation": inv.escalation.as_str(),
                    "status": inv.status.as_str(),
                    "tags": ["architecture", "invariant", inv.escalation.as_str()],
                },
            })
        })
        .collect();

    // The built-in gate-integrity checks (POL-01, VER-01) that no policy declares.
    let mut rule_ids: Vec<String> = invariants.iter().map(|i| i.id.clone()).collect();
    for r in crate::rules::GATE_RULES {
        let m = r.meta();
        if !report.findings.iter().any(|f| f.code == m.default_code) {
            continue;
        }
        let page = m.explain;
        let fix = section(page, "How to fix").unwrap_or_default();
        rule_ids.push(m.default_code.to_string());
        rules.push(json!({
            "id": m.default_code,
            "name": m.name,
            "shortDescription": { "text": m.summary },
            "fullDescription": { "text": first_paragraph(page).unwrap_or_else(|| m.summary.to_string()) },
            "help": {
                "text": format!("{}\n\nSee: invlint --explain {}", fix.trim(), m.default_code),
                "markdown": page,
            },
            "defaultConfiguration": { "level": "error" },
            "properties": {
                "escalation": m.escalation.as_str(),
                "status": "stable",
                "tags": ["gate-integrity", m.escalation.as_str()],
            },
        }));
    }

    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            // Identical findings (the same text added twice in a file) get distinct prints.
            let print = fingerprint(f);
            let n = seen.entry(print.clone()).or_default();
            *n += 1;
            let print = if *n == 1 { print } else { format!("{print}:{n}") };
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
            if let Some(loc) = location(f) {
                r["locations"] = json!([loc]);
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
                .filter(|(_, s)| is_repo_file(s.source.name()))
                .map(|(i, s)| {
                    let (l, c) = s.source.line_col(s.span.start);
                    let (el, ec) = s.source.line_col(s.span.end);
                    json!({
                        "id": i,
                        "physicalLocation": {
                            "artifactLocation": { "uri": uri(s.source.name()), "uriBaseId": "%SRCROOT%" },
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
    let notifications: Vec<Value> = report
        .notes
        .iter()
        .map(|n| {
            json!({
                "level": if n.is_incomplete { "error" } else { "note" },
                "message": { "text": format!("{}: {}", n.path, n.message) },
            })
        })
        .collect();
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

fn location(f: &Finding) -> Option<Value> {
    let path = repo_path(f)?;
    let mut phys = json!({
        "artifactLocation": { "uri": uri(path), "uriBaseId": "%SRCROOT%" },
    });
    if let Some((l, c, el, ec)) = f.region() {
        phys["region"] = region(l, c, el, ec);
    }
    Some(json!({ "physicalLocation": phys }))
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
