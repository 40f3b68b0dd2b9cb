//! `--format gitlab`: a GitLab Code Quality report (`artifacts: reports: codequality`), the
//! subset of the Code Climate issue format GitLab reads: a JSON array of issues, each with
//! `description`, `check_name`, `fingerprint`, `severity` and `location.path` /
//! `location.lines.begin`.
//!
//! Every issue has a file location, as GitLab needs one to show it: a finding on the PR
//! description (or the commit messages, or the change as a whole) is anchored where SARIF
//! anchors it (the policy entry that requires it; see `render::sarif::anchor`), and its
//! description says it is about the merge request's description. Fingerprints are the JSON
//! output's (unique within a report), so GitLab's comparison of the MR's report with the target
//! branch's sees the same finding as the same issue.

use serde::Serialize;

use super::{fingerprints, on, sanitize};
use crate::engine::finding::Severity;
use crate::Report;

#[derive(Serialize)]
struct Issue<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    description: String,
    check_name: String,
    fingerprint: String,
    severity: &'static str,
    categories: [&'static str; 1],
    location: Location<'a>,
}

#[derive(Serialize)]
struct Location<'a> {
    path: &'a str,
    lines: Lines,
}

#[derive(Serialize)]
struct Lines {
    begin: usize,
    end: usize,
}

/// GitLab's five levels: what blocks is a `blocker`; an error that does not block at this gate
/// (suppressed, mitigated, block-release at merge) is `critical`; warnings `minor`; notes `info`.
fn severity(f: &crate::engine::finding::Finding) -> &'static str {
    match (f.is_blocking, f.severity) {
        (true, _) => "blocker",
        (false, Severity::Error) => "critical",
        (false, Severity::Warning) => "minor",
        (false, Severity::Note) => "info",
    }
}

/// The report as a Code Quality JSON array (pretty, one final newline).
pub fn render(report: &Report) -> String {
    let issues: Vec<Issue<'_>> = report
        .findings
        .iter()
        .zip(fingerprints(report))
        .map(|(f, fingerprint)| {
            let (path, region, _) = super::sarif::anchor(f, report);
            let (begin, end) = region.map_or((1, 1), |(l, _, el, _)| (l.max(1), el.max(l)));
            let mut description = format!("{}: {}", f.code, sanitize::line(&f.message));
            match on(f) {
                "description" => description.push_str(&format!(
                    " (in the {}, required by {path})",
                    f.path.as_deref().unwrap_or("description")
                )),
                "change" => description.push_str(" (about the change as a whole)"),
                _ => {}
            }
            if let Some(s) = &f.suppression {
                description.push_str(&format!(" [suppressed: {}]", sanitize::line(s)));
            }
            Issue {
                kind: "issue",
                description,
                check_name: format!("{}/{}", f.code, f.check),
                fingerprint,
                severity: severity(f),
                categories: ["Bug Risk"],
                location: Location {
                    path,
                    lines: Lines { begin, end },
                },
            }
        })
        .collect();
    // A file a check needed and could not read makes the run incomplete (exit 2): an issue of
    // its own, so that the merge request's Code Quality widget does not show a clean report.
    let mut issues = issues;
    for n in report.notes.iter().filter(|n| n.is_incomplete) {
        issues.push(Issue {
            kind: "issue",
            description: format!(
                "not checked: {}: {}",
                sanitize::line(&n.path),
                sanitize::line(&n.message)
            ),
            check_name: "invlint/not-checked".into(),
            // Prefixed: never equal to a finding's.
            fingerprint: format!(
                "not-checked:{:016x}",
                super::fnv1a([n.path.as_str(), n.message.as_str()])
            ),
            severity: "critical",
            categories: ["Bug Risk"],
            location: Location {
                path: &n.path,
                lines: Lines { begin: 1, end: 1 },
            },
        });
    }
    let mut s = serde_json::to_string_pretty(&issues).unwrap_or_else(|_| "[]".into());
    s.push('\n');
    s
}
