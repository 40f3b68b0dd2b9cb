//! Renderers: turn a `Report` into text, once, on the main thread. They read `Finding` fields;
//! none parses another's output.

pub mod github;
pub mod gitlab;
pub mod human;
pub mod json;
pub mod markdown;
pub mod sanitize;
pub mod sarif;

use std::collections::BTreeMap;

use crate::engine::finding::Finding;
use crate::engine::run::Report;

/// The repository-relative path of a finding's primary location, or `None` when it points into
/// the PR description or the commit messages (which are not files of the repository).
pub fn repo_path(f: &Finding) -> Option<&str> {
    let p = f.path.as_deref()?;
    if p == crate::engine::pr::PR_SOURCE_NAME || p == crate::engine::pr::COMMITS_SOURCE_NAME {
        None
    } else {
        Some(p)
    }
}

/// Findings ranked for a reader with limited room: blocking first, then errors before warnings
/// before notes, then by invariant ID, path and position. Deterministic.
pub fn ranked(report: &Report) -> Vec<&Finding> {
    ranked_indices(report)
        .into_iter()
        .map(|i| &report.findings[i])
        .collect()
}

/// [`ranked`], as indices into `report.findings`.
pub fn ranked_indices(report: &Report) -> Vec<usize> {
    let mut v: Vec<usize> = (0..report.findings.len()).collect();
    v.sort_by_cached_key(|&i| {
        let f = &report.findings[i];
        (
            !f.is_blocking,
            severity_rank(f),
            f.code.clone(),
            f.sort_key(),
        )
    });
    v
}

/// 0 for errors, 1 for warnings, 2 for notes.
pub fn severity_rank(f: &Finding) -> u8 {
    match f.severity {
        crate::engine::finding::Severity::Error => 0,
        crate::engine::finding::Severity::Warning => 1,
        crate::engine::finding::Severity::Note => 2,
    }
}

/// A stable fingerprint of a finding that survives unrelated line shifts: FNV-1a over the code,
/// the check, the path, the text under the primary span and the message.
pub fn fingerprint(f: &Finding) -> String {
    let primary = f
        .primary
        .as_ref()
        .map(|p| p.source.text().get(p.span.clone()).unwrap_or("").trim());
    let parts = [&f.code, f.check, f.path.as_deref().unwrap_or("")]
        .into_iter()
        .chain(primary)
        .chain([f.message.as_str()]);
    format!("{:016x}", fnv1a(parts))
}

/// 64-bit FNV-1a over `parts`, each followed by a 0xff byte (never in UTF-8 text), so that
/// moving text from one part to the next changes the hash.
pub fn fnv1a<'a>(parts: impl IntoIterator<Item = &'a str>) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain(std::iter::once(0xff)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    h
}

/// [`fingerprint`] of every finding of the report, in report order, with identical findings
/// (the same text added twice in a file) told apart by `:2`, `:3`... in order. The JSON and
/// SARIF outputs share these.
pub fn fingerprints(report: &Report) -> Vec<String> {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    report
        .findings
        .iter()
        .map(|f| {
            let print = fingerprint(f);
            let n = seen.entry(print.clone()).or_default();
            *n += 1;
            if *n == 1 {
                print
            } else {
                format!("{print}:{n}")
            }
        })
        .collect()
}

/// Where a finding is: `"file"` (a file of the repository), `"description"` (the PR
/// description, or the commit messages standing for it) or `"change"` (the change as a whole).
pub fn on(f: &Finding) -> &'static str {
    match (repo_path(f), &f.path) {
        (Some(_), _) => "file",
        (None, Some(_)) => "description",
        (None, None) => "change",
    }
}

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
    // Every value below from the change or the policy goes through sanitize::line: the summary is
    // the line a forged verdict would imitate.
    let incomplete = report.notes.iter().filter(|n| n.is_incomplete).count();
    let mut s = if blocking.is_empty() && incomplete > 0 {
        // Exit 2: nothing blocks, but a file a check needed was not read. Never "passed".
        format!(
            "invlint: {} gate incomplete: {incomplete} needed file(s) unreadable, nothing else blocks",
            report.gate.as_str()
        )
    } else if blocking.is_empty() {
        format!("invlint: {} gate passed", report.gate.as_str())
    } else {
        format!(
            "invlint: {} gate blocked by {} finding{} ({})",
            report.gate.as_str(),
            blocking.len(),
            if blocking.len() == 1 { "" } else { "s" },
            sanitize::line(&count_by_code(blocking.iter().copied()))
        )
    };
    if other > 0 {
        s.push_str(&format!(
            "; {other} non-blocking ({})",
            sanitize::line(&count_by_code(
                report.findings.iter().filter(|f| !f.is_blocking)
            ))
        ));
    }
    let suppressed = report
        .findings
        .iter()
        .filter(|f| f.suppression.is_some())
        .count();
    if suppressed > 0 {
        s.push_str(&format!("; {suppressed} suppressed inline"));
    }
    if incomplete > 0 && !blocking.is_empty() {
        s.push_str(&format!(
            "; incomplete: {incomplete} needed file(s) unreadable"
        ));
    }
    s.push_str(&format!(
        "\n         checked {} changed file{}: {}; policy {}",
        report.files_changed,
        if report.files_changed == 1 { "" } else { "s" },
        sanitize::line(&report.description),
        sanitize::line(&report.config.display_path)
    ));
    if let Some(c) = &report.coverage {
        let seeing = c.measured - c.blind.len() - c.not_applicable.len();
        s.push_str(&format!(
            "\n         coverage: {seeing} of {} invariants see files in this tree",
            c.measured
        ));
        if !c.blind.is_empty() {
            s.push_str(&format!("; blind: {}", c.blind.join(", ")));
        }
        if !c.not_applicable.is_empty() {
            s.push_str(&format!(
                "; not applicable: {}",
                c.not_applicable.join(", ")
            ));
        }
    }
    for line in report.filtered.lines() {
        s.push_str(&format!("\n         {line}"));
    }
    if !report.planned.is_empty() {
        s.push_str(&format!(
            "\n         not checked yet (status = \"planned\"): {}",
            sanitize::line(&report.planned.join(", "))
        ));
    }
    s
}
