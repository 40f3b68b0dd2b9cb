//! `--format github`: GitHub Actions workflow commands (`::error file=..,line=..::message`), so
//! findings appear as annotations on the pull request's diff.
//!
//! GitHub shows at most 10 error and 10 warning annotations per step and 50 per job. The slots
//! of each level go round-robin across invariants, most severe first ([`annotated`]): the
//! invariant of the most severe finding (blocking first, then by ID) gets the first slot, the
//! next invariant the second, and so on, then a second round; so 50 INV-01 findings cannot
//! crowd out the 3 of INV-08. Every finding is also printed as a plain log line, and the step
//! summary (when `GITHUB_STEP_SUMMARY` is set, written by the binary) lists them all, so the
//! overflow line can say where the rest are.

use std::fmt::Write;

use super::sanitize::{self, log_line};
use super::{ranked, repo_path};
use crate::engine::finding::{Finding, Severity};
use crate::engine::run::Report;

/// Annotations of one level GitHub shows per step.
pub const PER_STEP_CAP: usize = 10;

/// Renders workflow commands, then the plain log, then the verdict.
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let shown = annotated(report, PER_STEP_CAP);
    let hidden = report.findings.len() - shown.len();
    let shown_errors = shown
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .count();
    for f in shown {
        let cmd = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "notice",
        };
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
    // What a check needed and could not read makes a run with nothing blocking incomplete
    // (exit 2): an error annotation, not only a line in the collapsed log, so that it does not
    // look like a pass on the pull request. Within the step's error slots the findings left.
    let unread = report.notes.iter().filter(|n| n.is_incomplete);
    let slots = if report.blocking().next().is_none() {
        PER_STEP_CAP.saturating_sub(shown_errors)
    } else {
        0
    };
    for n in unread.take(slots) {
        let _ = writeln!(
            out,
            "::error title={}::{}",
            escape_property("invlint: not checked"),
            escape_data(&sanitize::terminal(
                &format!("{}: {}", n.path, n.message),
                false
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
            log_line(&format!("{}: {}: {}", n.label(), n.path, n.message))
        );
    }
    out.push_str("::endgroup::\n");
    for l in super::summary_line(report).lines() {
        let _ = writeln!(out, "{}", log_line(l));
    }
    out
}

/// The findings that get an annotation, in the order they are emitted: for each level (errors,
/// warnings, notices), at most `cap`, dealt round-robin across invariants. Invariants take
/// turns in the order of their most severe finding (the [`ranked`] order), and each invariant
/// gives its findings in ranked order.
pub fn annotated(report: &Report, cap: usize) -> Vec<&Finding> {
    let ranked = ranked(report);
    let mut out = Vec::new();
    for level in [Severity::Error, Severity::Warning, Severity::Note] {
        // (code, its findings of this level in ranked order), by first appearance.
        let mut queues: Vec<(&str, std::collections::VecDeque<&Finding>)> = Vec::new();
        for f in ranked.iter().copied().filter(|f| f.severity == level) {
            match queues.iter_mut().find(|(c, _)| *c == f.code) {
                Some((_, q)) => q.push_back(f),
                None => queues.push((&f.code, std::collections::VecDeque::from([f]))),
            }
        }
        let mut taken = 0;
        while taken < cap && queues.iter().any(|(_, q)| !q.is_empty()) {
            for (_, q) in &mut queues {
                if taken == cap {
                    break;
                }
                if let Some(f) = q.pop_front() {
                    out.push(f);
                    taken += 1;
                }
            }
        }
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
pub(crate) mod tests {
    use super::*;

    use std::sync::Arc;

    use crate::engine::check::{Check, DynCheck, Meta, NoSettings, Registry};
    use crate::engine::config::{Config, Escalation, Validator};
    use crate::engine::source::Source;

    /// A check that finds nothing, for policies the renderer tests bind their invariants to
    /// (the engine's tests never need the real checks).
    struct Stub;

    static STUB: Meta = Meta::spec("T-01", "stub", "a test check", Escalation::BlockMerge);

    impl Check for Stub {
        type Raw = NoSettings;
        type Settings = ();
        fn meta(&self) -> &'static Meta {
            &STUB
        }
        fn compile(&self, _: &NoSettings, _: &mut Validator) {}
    }

    static CHECKS: &[&dyn DynCheck] = &[&Stub];

    const POLICY: &str = r#"
[invariant.INV-01]
title = "contracts are proto-first"
check = "stub"
escalation = "block-merge"

[invariant.INV-03]
title = "live sync is WS-only"
check = "stub"
escalation = "block-merge"

[invariant.INV-08]
title = "identity stays in control"
check = "stub"
escalation = "block-merge-unless-mitigated"
"#;

    /// A report with `n01` blocking INV-01 findings, `n08` blocking INV-08 findings and one
    /// non-blocking INV-03 warning, each on its own line of one file.
    pub(crate) fn report(n01: usize, n08: usize) -> Report {
        let config =
            Arc::new(Config::parse(Registry::new(CHECKS), "inv-rules.toml", POLICY).unwrap());
        let inv = |id: &str| config.invariants.iter().find(|i| i.id == id).unwrap();
        let text: String = (0..n01 + n08 + 1).map(|i| format!("line {i}\n")).collect();
        let src = Arc::new(Source::new("apps/a.rs", text));
        let mut findings = Vec::new();
        for i in 0..n01 + n08 + 1 {
            let (id, sev) = if i < n01 {
                ("INV-01", Severity::Error)
            } else if i < n01 + n08 {
                ("INV-08", Severity::Error)
            } else {
                ("INV-03", Severity::Warning)
            };
            let line = src.line_range(i + 1).unwrap();
            let mut f =
                Finding::new(inv(id), "check", format!("finding {i}")).at(&src, line, "here");
            f.severity = sev;
            f.is_blocking = sev == Severity::Error;
            findings.push(f);
        }
        Report {
            findings,
            notes: Vec::new(),
            config,
            description: "test".into(),
            files_changed: 1,
            gate: crate::engine::run::Gate::Merge,
            planned: Vec::new(),
            pr: None,
            stats: Default::default(),
            coverage: None,
            filtered: Default::default(),
        }
    }

    #[test]
    fn annotation_slots_go_round_robin_across_invariants() {
        let r = report(40, 3);
        let out = render(&r);
        let errors: Vec<&str> = out.lines().filter(|l| l.starts_with("::error ")).collect();
        assert_eq!(errors.len(), PER_STEP_CAP, "{out}");
        let n08 = errors.iter().filter(|l| l.contains("title=INV-08")).count();
        let n01 = errors.iter().filter(|l| l.contains("title=INV-01")).count();
        assert_eq!((n01, n08), (7, 3), "{out}");
        // Alternating while both have findings, INV-01 (lower ID, same severity) first.
        assert!(
            errors[0].contains("INV-01") && errors[1].contains("INV-08"),
            "{out}"
        );
        assert!(
            errors[3].contains("INV-08") && errors[6].contains("INV-01"),
            "{out}"
        );
        // The warning has its own slots; the overflow is counted; every finding is in the log.
        assert_eq!(
            out.lines().filter(|l| l.starts_with("::warning ")).count(),
            1
        );
        assert!(out.contains("33 more finding(s) not annotated"), "{out}");
        let group = &out[out.find("::group::").unwrap()..out.find("::endgroup::").unwrap()];
        assert_eq!(group.lines().count() - 1, 44, "{group}");
    }

    #[test]
    fn a_more_severe_invariant_takes_its_turn_first() {
        let mut r = report(2, 2);
        // Both are errors, but INV-01's do not block (mitigated): INV-08 takes the first turn.
        for f in r.findings.iter_mut().filter(|f| f.code == "INV-01") {
            f.is_blocking = false;
        }
        let shown: Vec<&str> = annotated(&r, PER_STEP_CAP)
            .iter()
            .map(|f| f.code.as_str())
            .collect();
        assert_eq!(shown, ["INV-08", "INV-01", "INV-08", "INV-01", "INV-03"]);
    }

    #[test]
    fn escapes_like_the_actions_toolkit() {
        assert_eq!(escape_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    }
}
