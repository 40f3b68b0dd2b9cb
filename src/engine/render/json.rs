//! `--format json`: a versioned document (`"version": 1`) with every finding and a summary.
//! Fields are only ever added within a version. Its JSON Schema is
//! `invlint-output.schema.json` ([`SCHEMA`], printed by `invlint schema --output`); a test
//! validates real output against it, and `additionalProperties: false` there makes a field
//! added here without the schema fail that test.

use crate::engine::policy_entry::PolicyEntries;
use serde::Serialize;

use crate::engine::run::Report;

/// The JSON Schema of this output (draft 2020-12).
pub const SCHEMA: &str = include_str!("../../../invlint-output.schema.json");

#[derive(Serialize)]
struct Doc<'a> {
    version: u32,
    tool: &'static str,
    tool_version: &'static str,
    gate: &'static str,
    compared: &'a str,
    policy: &'a str,
    summary: Summary<'a>,
    findings: Vec<JsonFinding<'a>>,
    notes: Vec<JsonNote<'a>>,
}

#[derive(Serialize)]
struct Summary<'a> {
    exit_code: i32,
    blocking: usize,
    non_blocking: usize,
    files_changed: usize,
    planned: Vec<String>,
    /// What the invariants see of the tree; absent when not measured (`--staged`).
    #[serde(skip_serializing_if = "Option::is_none")]
    coverage: Option<JsonCoverage>,
    /// What was left out or softened after the checks; absent when nothing could be
    /// (no --baseline, --select, --ignore, and no bot author).
    #[serde(skip_serializing_if = "Option::is_none")]
    filtered: Option<JsonFiltered<'a>>,
}

#[derive(Serialize)]
struct JsonFiltered<'a> {
    baseline: Option<&'a str>,
    baselined: usize,
    baseline_refused: usize,
    deselected: usize,
    bot_author: Option<&'a str>,
    bot_softened: usize,
    bot_refused: usize,
}

#[derive(Serialize)]
struct JsonCoverage {
    measured: usize,
    blind: Vec<String>,
    not_applicable: Vec<String>,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    id: &'a str,
    check: &'a str,
    severity: &'a str,
    escalation: &'a str,
    blocking: bool,
    /// `file`, `description` or `change`: see [`super::on`].
    on: &'static str,
    /// Stable across runs and line shifts; the same as SARIF's `partialFingerprints`.
    fingerprint: String,
    path: Option<&'a str>,
    line: Option<usize>,
    column: Option<usize>,
    end_line: Option<usize>,
    end_column: Option<usize>,
    message: &'a str,
    label: Option<&'a str>,
    help: Option<&'a str>,
    policy: Option<PolicyRef<'a>>,
    related: Vec<Related<'a>>,
    mitigation: Option<&'a str>,
    /// Absent unless an inline suppression covers the finding (its evidence).
    #[serde(skip_serializing_if = "Option::is_none")]
    suppression: Option<&'a str>,
}

#[derive(Serialize)]
struct PolicyRef<'a> {
    file: &'a str,
    /// The entry's key path (`invariant.INV-03.sse-poll-lane.patterns[axum-sse].regex`): what
    /// to compare across runs, since a comment added above the entry moves its line.
    entry: Option<String>,
    line: usize,
    label: &'a str,
}

#[derive(Serialize)]
struct Related<'a> {
    source: &'a str,
    line: usize,
    column: usize,
    label: &'a str,
}

#[derive(Serialize)]
struct JsonNote<'a> {
    path: &'a str,
    message: &'a str,
    incomplete: bool,
}

/// Renders the report as pretty JSON with a trailing newline.
pub fn render(report: &Report) -> String {
    let prints = super::fingerprints(report);
    let entries = PolicyEntries::new(report.config.source.text_arc());
    let findings = report
        .findings
        .iter()
        .zip(prints)
        .map(|(f, fingerprint)| {
            let region = f.region();
            JsonFinding {
                id: &f.code,
                check: f.check,
                severity: f.severity.as_str(),
                escalation: f.escalation.as_str(),
                blocking: f.is_blocking,
                on: super::on(f),
                fingerprint,
                path: f.path.as_deref(),
                line: region.map(|r| r.0),
                column: region.map(|r| r.1),
                end_line: region.map(|r| r.2),
                end_column: region.map(|r| r.3),
                message: &f.message,
                label: f.primary.as_ref().map(|p| p.label.as_str()),
                help: f.help.as_deref(),
                policy: f.policy.as_ref().map(|p| PolicyRef {
                    file: &report.config.display_path,
                    entry: entries.id_in(&p.source, &p.span),
                    line: p.source.line_of(p.span.start),
                    label: &p.label,
                }),
                related: f
                    .elsewhere
                    .iter()
                    .map(|r| {
                        let (line, column) = r.source.line_col(r.span.start);
                        Related {
                            source: r.source.name(),
                            line,
                            column,
                            label: &r.label,
                        }
                    })
                    .collect(),
                mitigation: f.mitigation.as_deref(),
                suppression: f.suppression.as_deref(),
            }
        })
        .collect();
    let blocking = report.blocking().count();
    let doc = Doc {
        version: 1,
        tool: "invlint",
        tool_version: env!("CARGO_PKG_VERSION"),
        gate: report.gate.as_str(),
        compared: &report.description,
        policy: &report.config.display_path,
        summary: Summary {
            exit_code: report.exit_code(),
            blocking,
            non_blocking: report.findings.len() - blocking,
            files_changed: report.files_changed,
            planned: report.planned.clone(),
            coverage: report.coverage.as_ref().map(|c| JsonCoverage {
                measured: c.measured,
                blind: c.blind.clone(),
                not_applicable: c.not_applicable.clone(),
            }),
            filtered: (report.filtered != Default::default()).then(|| {
                let f = &report.filtered;
                JsonFiltered {
                    baseline: f.baseline.as_deref(),
                    baselined: f.baselined,
                    baseline_refused: f.baseline_refused,
                    deselected: f.deselected,
                    bot_author: f.bot_author.as_deref(),
                    bot_softened: f.bot,
                    bot_refused: f.bot_refused,
                }
            }),
        },
        findings,
        notes: report
            .notes
            .iter()
            .map(|n| JsonNote {
                path: &n.path,
                message: &n.message,
                incomplete: n.is_incomplete,
            })
            .collect(),
    };
    let mut s =
        serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}
