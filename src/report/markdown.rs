//! The report in Markdown, shaped to paste into the weekly migration report
//! (`docs/plans/active/rust-migration-reports/`): a KPI row per invariant with status, owner and
//! value, then owner lanes, the weekly trend and the details.
//!
//! Commit subjects, messages, paths, owners and evidence are attacker-written: every piece of
//! such text goes through [`text`] (every ASCII punctuation character backslash-escaped, so no
//! link, image, HTML tag, emphasis, table pipe or mention survives) or [`code`].

use std::fmt::Write;

use super::summary::{At, Counts, Kpi};
use super::Report;

/// Escapes text for a Markdown table cell or list item: line breaks and control characters
/// become spaces, every ASCII punctuation character is backslash-escaped (CommonMark allows it
/// for all of them), so nothing in it is markup.
pub fn text(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_control() {
            out.push(' ');
        } else if c.is_ascii_punctuation() {
            out.push('\\');
            out.push(c);
        } else {
            out.push(c);
        }
    }
    out
}

/// A code span for a path or ID, safe in a table cell; text without backticks only, else
/// [`text`].
pub fn code(s: &str) -> String {
    if s.contains('`') || s.chars().any(char::is_control) || s.is_empty() {
        return text(s);
    }
    format!("`{}`", s.replace('|', "\\|"))
}

fn kpi(k: &Kpi) -> String {
    format!("{} | {}", k.status.label(), k.value)
}

fn counts_cells(c: &Counts) -> String {
    format!(
        "{} ({} findings) | {}/{} | {} | {}/{}/{} | {}",
        c.landed_violations,
        c.blocking_findings,
        c.mitigations_open,
        c.mitigations_accepted,
        c.warnings,
        c.suppressions_added,
        c.suppressions_active,
        c.suppressions_expired,
        c.legacy_deletions
    )
}

fn at(a: &At) -> String {
    format!("`{}` {} ({})", a.short, a.date, text(&a.subject))
}

fn owners(list: &[String]) -> String {
    if list.is_empty() {
        "(unowned)".into()
    } else {
        list.iter().map(|o| code(o)).collect::<Vec<_>>().join(", ")
    }
}

/// The whole section.
pub fn render(r: &Report) -> String {
    let s = &r.summary;
    let mut out = String::new();
    let _ = writeln!(out, "## Architecture invariants (invlint report)\n");
    let _ = writeln!(
        out,
        "Window {} to {} on {} ({} first-parent commits), judged at {}; policy {}. KPI: unresolved invariant violations = landed blocking findings (commits) + open mitigation follow-ups; thresholds {} (`[report]`, KPI-05).\n",
        r.since,
        r.until.map_or("the branch tip".to_string(), |u| u.to_string()),
        code(&r.branch),
        s.commits,
        r.as_of,
        code(&r.policy),
        r.thresholds.describe()
    );
    let head = "| Status | Value | Landed violations | Open / accepted mitigations | Warnings | Suppressions added / active / expired | Legacy deletions |";
    let rule = "| --- | ---: | ---: | ---: | ---: | ---: | ---: |";
    let _ = writeln!(out, "| KPI | Invariant | Owner {head}");
    let _ = writeln!(out, "| --- | --- | --- {rule}");
    let _ = writeln!(
        out,
        "| KPI-05 (invariants) | **all invariants** | `owner:contracts-docs` | {} | {} |",
        kpi(&s.total),
        counts_cells(&sum(s.invariants.iter().map(|i| &i.counts)))
    );
    for i in &s.invariants {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            code(&i.code),
            text(&i.title),
            owners(&i.owners),
            kpi(&i.kpi),
            counts_cells(&i.counts)
        );
    }

    let _ = writeln!(out, "\n### Owner lanes\n");
    let _ = writeln!(out, "| Owner | Invariants {head}");
    let _ = writeln!(out, "| --- | --- {rule}");
    for o in &s.owners {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            code(&o.owner),
            o.invariants
                .iter()
                .map(|c| code(c))
                .collect::<Vec<_>>()
                .join(", "),
            kpi(&o.kpi),
            counts_cells(&o.counts)
        );
    }

    let _ = writeln!(
        out,
        "\n### Weekly trend\n\nKPI contributions by week of landing (week starting Monday); invariants with none are left out.\n"
    );
    let _ = writeln!(
        out,
        "| Invariant | {} |",
        s.weeks
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(" | ")
    );
    let _ = writeln!(out, "| --- |{}", " ---: |".repeat(s.weeks.len()));
    let row = |name: String, v: &[u64]| {
        format!(
            "| {name} | {} |\n",
            v.iter().map(u64::to_string).collect::<Vec<_>>().join(" | ")
        )
    };
    for i in s
        .invariants
        .iter()
        .filter(|i| i.weekly.iter().any(|&v| v > 0))
    {
        out.push_str(&row(code(&i.code), &i.weekly));
    }
    out.push_str(&row("**all**".into(), &s.weekly_total));

    let _ = writeln!(out, "\n### Landed violations\n");
    if s.violations.is_empty() {
        let _ = writeln!(out, "None.");
    }
    for v in &s.violations {
        let place = match (&v.path, v.line) {
            (Some(p), Some(l)) => format!(" at {}:{l}", code(p)),
            (Some(p), None) => format!(" at {}", code(p)),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "- {} {}: {} blocking finding(s), first: {}{place}",
            code(&v.code),
            at(&v.at),
            v.findings,
            text(&v.message)
        );
    }

    let _ = writeln!(
        out,
        "\n### Mitigations and follow-ups\n\nA follow-up is closed when a later commit of the window closes it (`Fixes #42`); open ones count in the KPI.\n"
    );
    if s.mitigations.is_empty() {
        let _ = writeln!(out, "None.");
    }
    for m in &s.mitigations {
        let state = match &m.closed_by {
            None => "[ ] open".to_string(),
            Some(c) => format!("[x] closed by `{c}`"),
        };
        let _ = writeln!(
            out,
            "- {state}: follow-up {} for {}, approved by {}, in {}",
            code(&m.follow_up),
            code(&m.code),
            code(&m.approver),
            at(&m.at)
        );
    }

    let _ = writeln!(out, "\n### Suppressions added\n");
    if s.suppressions.is_empty() {
        let _ = writeln!(out, "None.");
    }
    for x in &s.suppressions {
        let state = match (&x.until, x.active) {
            (None, _) => "active (no `until`)".to_string(),
            (Some(u), true) => format!("active until {}", text(u)),
            (Some(u), false) => format!("**expired** on {}", text(u)),
        };
        let _ = writeln!(
            out,
            "- {} at {}:{}, {state}, in {}: {}",
            code(&x.code),
            code(&x.path),
            x.line,
            at(&x.at),
            text(&x.evidence)
        );
    }

    let _ = writeln!(out, "\n### Legacy deletions (INV-10)\n");
    if s.legacy.is_empty() {
        let _ = writeln!(out, "None.");
    }
    for l in &s.legacy {
        let mut files: Vec<String> = l.files.iter().take(5).map(|f| code(f)).collect();
        if l.files.len() > 5 {
            files.push(format!("+{} more", l.files.len() - 5));
        }
        let gates = if l.gates_cited.is_empty() {
            "**no parity gate cited**".to_string()
        } else {
            l.gates_cited
                .iter()
                .map(|g| code(g))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let _ = writeln!(
            out,
            "- {} {}: {} file(s) deleted ({}); gates cited: {gates}",
            code(&l.code),
            at(&l.at),
            l.files.len(),
            files.join(", ")
        );
    }

    if !s.not_evaluated.is_empty() {
        let _ = writeln!(
            out,
            "\n### Not evaluated\n\nThese commits could not be evaluated; the numbers above do not include them.\n"
        );
        for n in &s.not_evaluated {
            let _ = writeln!(out, "- {}: {}", at(&n.at), text(&n.error));
        }
    }
    out
}

fn sum<'a>(it: impl Iterator<Item = &'a Counts>) -> Counts {
    let mut total = Counts::default();
    for c in it {
        total.add(c);
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_never_markup() {
        assert_eq!(
            text("<img src=x onerror=alert(1)> [a](javascript:x) | @all\n*b*"),
            "\\<img src\\=x onerror\\=alert\\(1\\)\\> \\[a\\]\\(javascript\\:x\\) \\| \\@all \\*b\\*"
        );
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("a`b"), "a\\`b");
    }
}
