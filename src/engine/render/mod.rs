//! Renderers: turn a `Report` into text, once, on the main thread. They read `Finding` fields;
//! none parses another's output.

pub mod human;
pub mod json;

use std::collections::BTreeMap;

use crate::Report;

/// `INV-03 ×2, INV-04` for a summary line.
pub fn count_by_code<'a>(
    findings: impl Iterator<Item = &'a crate::engine::finding::Finding>,
) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for f in findings {
        *counts.entry(f.code.as_str()).or_default() += 1;
    }
    counts
        .into_iter()
        .map(|(c, n)| {
            if n == 1 {
                c.to_string()
            } else {
                format!("{c} ×{n}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The one-line verdict: which gate, what blocks, why.
pub fn summary_line(report: &Report) -> String {
    let blocking: Vec<_> = report.blocking().collect();
    let other = report.findings.len() - blocking.len();
    let mut s = if blocking.is_empty() {
        format!("invlint: {} gate passed", report.gate.as_str())
    } else {
        format!(
            "invlint: {} gate blocked by {} finding{} ({})",
            report.gate.as_str(),
            blocking.len(),
            if blocking.len() == 1 { "" } else { "s" },
            count_by_code(blocking.iter().copied())
        )
    };
    if other > 0 {
        s.push_str(&format!(
            "; {other} non-blocking ({})",
            count_by_code(report.findings.iter().filter(|f| !f.is_blocking))
        ));
    }
    let incomplete = report.notes.iter().filter(|n| n.is_incomplete).count();
    if incomplete > 0 {
        s.push_str(&format!(
            "; incomplete: {incomplete} needed file(s) unreadable"
        ));
    }
    s.push_str(&format!(
        "\n         checked {} changed file{}: {}; policy {}",
        report.files_changed,
        if report.files_changed == 1 { "" } else { "s" },
        report.description,
        report.config.display_path
    ));
    if !report.planned.is_empty() {
        s.push_str(&format!(
            "\n         not checked yet (status = \"planned\"): {}",
            report.planned.join(", ")
        ));
    }
    s
}
