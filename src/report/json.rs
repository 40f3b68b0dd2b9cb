//! The report as a versioned JSON document (`"version": 1`), described by
//! `invlint-report.schema.json` at the repository root ([`SCHEMA`]).

use serde::Serialize;

use super::summary::Summary;
use super::{Report, Thresholds};

/// The published JSON Schema of this document.
pub const SCHEMA: &str = include_str!("../../invlint-report.schema.json");

#[derive(Serialize)]
struct Doc<'a> {
    version: u32,
    tool: &'static str,
    tool_version: &'static str,
    branch: &'a str,
    since: String,
    until: Option<String>,
    as_of: String,
    policy: &'a str,
    thresholds: &'a Thresholds,
    exit_code: i32,
    #[serde(flatten)]
    summary: &'a Summary,
    history: Vec<HistoryRow<'a>>,
}

#[derive(Serialize)]
struct HistoryRow<'a> {
    commit: &'a str,
    short: &'a str,
    subject: &'a str,
    date: String,
    blocking: usize,
    findings: usize,
    incomplete: &'a [String],
    error: Option<&'a str>,
}

/// The JSON document, pretty, with a trailing newline.
pub fn render(report: &Report) -> String {
    let doc = Doc {
        version: 1,
        tool: "invlint",
        tool_version: env!("CARGO_PKG_VERSION"),
        branch: &report.branch,
        since: report.since.to_string(),
        until: report.until.map(|u| u.to_string()),
        as_of: report.as_of.to_string(),
        policy: &report.policy,
        thresholds: &report.thresholds,
        exit_code: report.exit_code(),
        summary: &report.summary,
        history: report
            .commits
            .iter()
            .map(|(info, eval)| HistoryRow {
                commit: &info.id,
                short: &info.short,
                subject: &info.subject,
                date: info.day().to_string(),
                blocking: eval.findings.iter().filter(|f| f.blocking).count(),
                findings: eval.findings.len(),
                incomplete: &eval.incomplete,
                error: eval.error.as_deref(),
            })
            .collect(),
    };
    let mut s =
        serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}
