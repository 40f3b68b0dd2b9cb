//! `--format markdown`: the gate verdict and a table of every finding, for a PR comment or the
//! GitHub step summary (`GITHUB_STEP_SUMMARY`).
//!
//! Locations link to the lines when the GitHub environment says where the code lives
//! (`GITHUB_SERVER_URL`, `GITHUB_REPOSITORY`, and the head SHA); otherwise they are plain text.

use std::fmt::Write;

use super::sanitize::{md_code, md_text};
use super::{count_by_code, ranked, repo_path};
use crate::engine::finding::Severity;
use crate::engine::run::Report;

/// Where findings' paths link to: `{base}/{path}#L{line}`.
#[derive(Debug, Clone, Default)]
pub struct Links {
    /// e.g. `https://github.com/org/repo/blob/<sha>`; `None`: no links.
    pub blob_base: Option<String>,
}

impl Links {
    /// From the GitHub Actions environment (`GITHUB_SERVER_URL`, `GITHUB_REPOSITORY`, and
    /// `INVLINT_HEAD_SHA` or `GITHUB_SHA`).
    pub fn from_env() -> Links {
        let var = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let blob_base = match (
            var("GITHUB_SERVER_URL"),
            var("GITHUB_REPOSITORY"),
            var("INVLINT_HEAD_SHA").or_else(|| var("GITHUB_SHA")),
        ) {
            (Some(server), Some(repo), Some(sha)) => Some(format!(
                "{}/{repo}/blob/{sha}",
                server.trim_end_matches('/')
            )),
            _ => None,
        };
        Links { blob_base }
    }
}

/// Renders the summary.
pub fn render(report: &Report, links: &Links) -> String {
    let mut out = String::new();
    let blocking = report.blocking().count();
    let incomplete = report.notes.iter().filter(|n| n.is_incomplete).count();
    let verdict = if blocking == 0 && incomplete > 0 {
        // Exit 2: nothing blocks, but a file a check needed was not read. Never a green tick.
        format!(
            "⚠️ invlint: {} gate incomplete: {incomplete} needed file(s) unreadable",
            report.gate.as_str()
        )
    } else if blocking == 0 {
        format!("✅ invlint: {} gate passed", report.gate.as_str())
    } else {
        format!(
            "⛔ invlint: {} gate blocked by {blocking} finding{} ({})",
            report.gate.as_str(),
            if blocking == 1 { "" } else { "s" },
            count_by_code(report.blocking())
        )
    };
    let _ = writeln!(out, "### {verdict}\n");
    let _ = writeln!(
        out,
        "Checked {} changed file{} ({}) with policy {}.\n",
        report.files_changed,
        if report.files_changed == 1 { "" } else { "s" },
        md_escape(&report.description),
        md_code(&report.config.display_path)
    );
    if report.findings.is_empty() {
        out.push_str("No findings.\n\n");
    } else {
        out.push_str("| | Invariant | Finding | Where |\n| --- | --- | --- | --- |\n");
        for f in ranked(report) {
            let icon = match (f.is_blocking, f.severity) {
                (true, _) => "⛔",
                (false, Severity::Error | Severity::Warning) => "⚠️",
                (false, Severity::Note) => "ℹ️",
            };
            let mut what = md_escape(&f.message);
            if let Some(m) = &f.mitigation {
                let _ = write!(what, " ({})", md_escape(m));
            }
            if let Some(m) = &f.suppression {
                let _ = write!(what, " ({})", md_escape(m));
            }
            let where_ = match (f.path.as_deref(), f.region()) {
                (Some(p), Some((l, _, _, _))) => match (&links.blob_base, repo_path(f)) {
                    (Some(base), Some(rp)) => format!(
                        "[{}](<{base}/{}#L{l}>)",
                        md_code(&format!("{rp}:{l}")),
                        url_path(rp)
                    ),
                    _ => md_code(&format!("{p}:{l}")),
                },
                (Some(p), None) => md_code(p),
                (None, _) => "the change".to_string(),
            };
            let _ = writeln!(
                out,
                "| {icon} | {} {} | {what} | {where_} |",
                md_text(&f.code),
                md_code(f.check)
            );
        }
        out.push('\n');
    }
    match &report.pr {
        Some(pr) => {
            let list = |v: &[String]| {
                if v.is_empty() {
                    "none".to_string()
                } else {
                    v.join(", ")
                }
            };
            let on_pr = report
                .findings
                .iter()
                .filter(|f| f.path.as_deref() == Some(pr.source.as_str()))
                .count();
            let _ = writeln!(
                out,
                "**{}:** maps {}; marks N/A {}; {} finding{} on it.\n",
                md_text(&capitalise(&pr.source)),
                md_text(&list(&pr.affected)),
                md_text(&list(&pr.not_applicable)),
                on_pr,
                if on_pr == 1 { "" } else { "s" }
            );
        }
        None => out.push_str(
            "**PR description:** none given, so the PR checklist checks (PR-01..) did not run.\n\n",
        ),
    }
    for line in report.filtered.lines() {
        let _ = writeln!(out, "**Adjusted after the checks:** {}.\n", md_text(&line));
    }
    if !report.planned.is_empty() {
        let _ = writeln!(
            out,
            "Not checked yet (`status = \"planned\"`): {}.\n",
            md_text(&report.planned.join(", "))
        );
    }
    if !report.notes.is_empty() {
        for n in &report.notes {
            let _ = writeln!(
                out,
                "- {}: {}: {}",
                n.label(),
                md_code(&n.path),
                md_escape(&n.message)
            );
        }
        out.push('\n');
    }
    out.push_str(
        "Run `invlint --explain <ID>` for what an invariant means and how to fix a finding.\n",
    );
    out
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Escapes what would break a table cell or start markup (see `sanitize::md_text`).
fn md_escape(s: &str) -> String {
    md_text(s)
}

/// A repository path as a URL path: every byte outside the unreserved set and `/`
/// percent-encoded, so no name can end the link or point it elsewhere.
fn url_path(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    for b in p.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
