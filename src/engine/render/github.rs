//! `--format github`: GitHub Actions workflow commands (`::error file=..,line=..::message`), so
//! findings appear as annotations on the pull request's diff.
//!
//! GitHub shows at most 10 error and 10 warning annotations per step and 50 per job. Findings
//! are ranked (blocking first, then by invariant and path) and emitted within those caps; every
//! finding is also printed as a plain log line, and the step summary (when
//! `GITHUB_STEP_SUMMARY` is set, written by the binary) lists them all, so the overflow line can
//! say where the rest are.

use std::fmt::Write;

use super::sanitize::{self, log_line};
use super::{ranked, repo_path};
use crate::engine::finding::{Finding, Severity};
use crate::Report;

/// Annotations of one level GitHub shows per step.
pub const PER_STEP_CAP: usize = 10;

/// Renders workflow commands, then the plain log, then the verdict.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let (mut errors, mut warnings, mut notices) = (0usize, 0usize, 0usize);
    let mut hidden = 0usize;
    for f in ranked(report) {
        let (cmd, count) = match f.severity {
            Severity::Error => ("error", &mut errors),
            Severity::Warning => ("warning", &mut warnings),
            Severity::Note => ("notice", &mut notices),
        };
        if *count >= PER_STEP_CAP {
            hidden += 1;
            continue;
        }
        *count += 1;
        let _ = writeln!(
            out,
            "::{cmd} {}::{}",
            properties(f),
            escape_data(&sanitize::terminal(&body(f), false))
        );
    }
    if hidden > 0 {
        let _ = writeln!(
            out,
            "::notice title=invlint::{}",
            escape_data(&format!(
                "{hidden} more finding(s) not annotated (GitHub shows {PER_STEP_CAP} errors and {PER_STEP_CAP} warnings per step); every finding is listed in this step's log and in the job summary"
            ))
        );
    }
    // Every line below that is not one of our commands holds text from the change (paths,
    // messages, notes): each goes through log_line, so none can start a workflow command.
    out.push_str("::group::invlint findings (all)\n");
    for f in &report.findings {
        let loc = match (repo_path(f).or(f.path.as_deref()), f.region()) {
            (Some(p), Some((l, c, _, _))) => format!("{p}:{l}:{c}: "),
            (Some(p), None) => format!("{p}: "),
            _ => String::new(),
        };
        let text = format!(
            "{loc}{} {} [{}{}]: {}",
            f.severity.as_str(),
            f.code,
            f.check,
            if f.is_blocking { ", blocking" } else { "" },
            f.message
        );
        let _ = writeln!(out, "{}", log_line(&text));
    }
    for n in &report.notes {
        let _ = writeln!(
            out,
            "{}",
            log_line(&format!("note: {}: {}", n.path, n.message))
        );
    }
    out.push_str("::endgroup::\n");
    for l in super::summary_line(report).lines() {
        let _ = writeln!(out, "{}", log_line(l));
    }
    out
}

fn properties(f: &Finding) -> String {
    let mut props = Vec::new();
    if let Some(path) = repo_path(f) {
        props.push(format!("file={}", escape_property(&sanitize::line(path))));
        if let Some((l, c, el, ec)) = f.region() {
            props.push(format!("line={l}"));
            props.push(format!("endLine={el}"));
            // Columns only make sense on one line (GitHub ignores them otherwise).
            if l == el {
                props.push(format!("col={c}"));
                props.push(format!("endColumn={}", ec.max(c)));
            }
        }
    }
    props.push(format!(
        "title={}",
        escape_property(&sanitize::line(&format!("{} {}", f.code, f.check)))
    ));
    props.join(",")
}

fn body(f: &Finding) -> String {
    let mut s = f.message.clone();
    if repo_path(f).is_none() {
        if let (Some(p), Some((l, _, _, _))) = (&f.path, f.region()) {
            s = format!("{p} line {l}: {s}");
        }
    }
    if let Some(m) = &f.mitigation {
        s.push_str(&format!("\n{m}"));
    }
    if let Some(m) = &f.suppression {
        s.push_str(&format!("\n{m}"));
    }
    if let Some(h) = &f.help {
        s.push_str(&format!("\nhelp: {h}"));
    }
    if let Some(p) = &f.policy {
        s.push_str(&format!(
            "\npolicy: {}:{} ({})",
            p.source.name(),
            p.source.line_of(p.span.start),
            p.label
        ));
    }
    s.push_str(&format!("\nsee: invlint --explain {}", f.code));
    s
}

/// Escapes a workflow command's message (GitHub's `escapeData`).
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value (GitHub's `escapeProperty`).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_the_actions_toolkit() {
        assert_eq!(escape_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    }
}
