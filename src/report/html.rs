//! The report as one self-contained HTML page: inline CSS, inline SVG charts ([`super::svg`]),
//! no script, no external resource (a Content-Security-Policy says so to the browser as well),
//! links from every item to its commit entry and to its invariant's explain text on the page.
//!
//! All text from commits and the policy is escaped with [`escape`] (text and attribute values
//! alike).

use std::fmt::Write;

use super::summary::{At, Counts, Kpi};
use super::{svg, Report, Status};

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// An element ID built from attacker text: only `[A-Za-z0-9_-]` kept, others as `_XX`.
pub fn anchor(prefix: &str, s: &str) -> String {
    let mut out = String::from(prefix);
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || c == '-' {
            out.push(c);
        } else {
            let _ = write!(out, "_{:X}", c as u32);
        }
    }
    out
}

const CSS: &str = "
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px auto;max-width:1200px;color:#1f2328;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
.meta{color:#57606a;margin:0 0 12px}
table{border-collapse:collapse;width:100%;margin:8px 0}
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums}
tr.total td{font-weight:600;background:#f6f8fa}
.badge{display:inline-block;min-width:52px;text-align:center;color:#fff;border-radius:10px;padding:1px 8px;font-size:12px;font-weight:600}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;background:#f6f8fa;padding:1px 4px;border-radius:4px}
a{color:#0969da;text-decoration:none}a:hover{text-decoration:underline}
ul.items{padding-left:20px}ul.items li{margin:3px 0}
.open{color:#cf222e;font-weight:600}.closed{color:#1a7f37}.expired{color:#cf222e;font-weight:600}
pre.explain{white-space:pre-wrap;background:#f6f8fa;padding:12px;border-radius:6px;font-size:12px}
details{margin:6px 0}summary{cursor:pointer}
.legend span{margin-right:12px}
";

fn badge(status: Status) -> String {
    format!(
        "<span class=\"badge status-{s}\" data-status=\"{s}\" style=\"background-color:{c}\">{s}</span>",
        s = status.as_str(),
        c = status.color()
    )
}

fn inv_link(code: &str) -> String {
    format!(
        "<a href=\"#{}\"><code>{}</code></a>",
        anchor("explain-", code),
        escape(code)
    )
}

fn commit_link(a: &At) -> String {
    format!(
        "<a href=\"#{}\"><code>{}</code></a> {} <span class=\"subject\">{}</span>",
        anchor("commit-", &a.commit),
        escape(&a.short),
        escape(&a.date),
        escape(&a.subject)
    )
}

fn count_cells(c: &Counts) -> String {
    format!(
        "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{} / {}</td><td class=\"num\">{}</td><td class=\"num\">{} / {} / {}</td><td class=\"num\">{}</td>",
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

const COUNT_HEADS: &str = "<th>Landed violations</th><th>Blocking findings</th><th>Open / accepted mitigations</th><th>Warnings</th><th>Suppressions added / active / expired</th><th>Legacy deletions</th>";

fn kpi_cells(k: &Kpi) -> String {
    format!(
        "<td>{}</td><td class=\"num value\">{}</td>",
        badge(k.status),
        k.value
    )
}

/// The page.
pub fn render(r: &Report) -> String {
    let s = &r.summary;
    let mut o = String::new();
    let title = format!("invlint report: {} {} to {}", r.branch, r.since, r.as_of);
    let _ = write!(
        o,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>{CSS}</style></head><body>\n",
        escape(&title)
    );
    let _ = writeln!(o, "<h1>Architecture invariants: weekly report</h1>");
    let _ = writeln!(
        o,
        "<p class=\"meta\">Branch <code>{}</code>, {} to {} ({} first-parent commits), judged at {}. Policy <code>{}</code>. KPI (KPI-05 style): landed violations + open mitigation follow-ups; thresholds {}.</p>",
        escape(&r.branch),
        r.since,
        r.until.map_or("the branch tip".to_string(), |u| u.to_string()),
        s.commits,
        r.as_of,
        escape(&r.policy),
        escape(&r.thresholds.describe())
    );

    let scale = s
        .invariants
        .iter()
        .flat_map(|i| i.weekly.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1);
    let total_scale = s.weekly_total.iter().copied().max().unwrap_or(0).max(1);
    let _ = writeln!(o, "<h2>Weekly trend (all invariants)</h2>");
    let chart = svg::Chart {
        title: "KPI contributions per week, all invariants",
        color: s.total.status.color(),
        width: 720,
        height: 140,
        scale: total_scale,
        axis: true,
    };
    o.push_str(&svg::bars(&chart, &s.weekly_total, &s.weeks));

    let _ = writeln!(o, "\n<h2>KPI per invariant</h2>");
    let _ = writeln!(
        o,
        "<table id=\"kpi\"><thead><tr><th>Invariant</th><th>Title</th><th>Owner</th><th>Status</th><th>Value</th><th>Weekly</th>{COUNT_HEADS}</tr></thead><tbody>"
    );
    let total_counts = {
        let mut c = Counts::default();
        for i in &s.invariants {
            c.add(&i.counts);
        }
        c
    };
    let _ = writeln!(
        o,
        "<tr class=\"kpi-row total\" id=\"kpi-total\" data-invariant=\"all\" data-value=\"{}\" data-status=\"{}\"><td>KPI-05</td><td>all invariants</td><td><code>owner:contracts-docs</code></td>{}<td></td>{}</tr>",
        s.total.value,
        s.total.status.as_str(),
        kpi_cells(&s.total),
        count_cells(&total_counts)
    );
    for i in &s.invariants {
        let owners = if i.owners.is_empty() {
            "(unowned)".to_string()
        } else {
            i.owners
                .iter()
                .map(|o| format!("<code>{}</code>", escape(o)))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let title = format!("{} per week", i.code);
        let spec = svg::Chart {
            title: &title,
            color: i.kpi.status.color(),
            width: (10 * s.weeks.len()).clamp(60, 160) as u32,
            height: 22,
            scale,
            axis: false,
        };
        let chart = svg::bars(&spec, &i.weekly, &s.weeks);
        let _ = writeln!(
            o,
            "<tr class=\"kpi-row\" id=\"{}\" data-invariant=\"{}\" data-value=\"{}\" data-status=\"{}\"><td>{}</td><td>{}</td><td>{owners}</td>{}<td>{chart}</td>{}</tr>",
            anchor("kpi-", &i.code),
            escape(&i.code),
            i.kpi.value,
            i.kpi.status.as_str(),
            inv_link(&i.code),
            escape(&i.title),
            kpi_cells(&i.kpi),
            count_cells(&i.counts)
        );
    }
    let _ = writeln!(o, "</tbody></table>");

    let _ = writeln!(o, "<h2>Owner lanes</h2>");
    let _ = writeln!(
        o,
        "<table id=\"owners\"><thead><tr><th>Owner</th><th>Invariants</th><th>Status</th><th>Value</th>{COUNT_HEADS}</tr></thead><tbody>"
    );
    for l in &s.owners {
        let _ = writeln!(
            o,
            "<tr class=\"owner-row\" data-owner=\"{}\" data-value=\"{}\" data-status=\"{}\"><td><code>{}</code></td><td>{}</td>{}{}</tr>",
            escape(&l.owner),
            l.kpi.value,
            l.kpi.status.as_str(),
            escape(&l.owner),
            l.invariants
                .iter()
                .map(|c| inv_link(c))
                .collect::<Vec<_>>()
                .join(" "),
            kpi_cells(&l.kpi),
            count_cells(&l.counts)
        );
    }
    let _ = writeln!(o, "</tbody></table>");

    details(&mut o, r);

    let _ = writeln!(o, "<h2>Commits</h2><ul class=\"items\" id=\"commits\">");
    for (info, eval) in &r.commits {
        let blocking = eval.findings.iter().filter(|f| f.blocking).count();
        let what = match &eval.error {
            Some(e) => format!("<span class=\"open\">not evaluated</span>: {}", escape(e)),
            None => format!(
                "{} finding(s), {blocking} blocking{}",
                eval.findings.len(),
                if eval.incomplete.is_empty() {
                    String::new()
                } else {
                    format!(", {} file(s) unreadable", eval.incomplete.len())
                }
            ),
        };
        let codes: Vec<String> = {
            let mut c: Vec<&str> = eval.findings.iter().map(|f| f.code.as_str()).collect();
            c.sort_unstable();
            c.dedup();
            c.into_iter().map(inv_link).collect()
        };
        let _ = writeln!(
            o,
            "<li id=\"{}\"><code>{}</code> {} {}: {what} {}</li>",
            anchor("commit-", &info.id),
            escape(&info.id),
            info.day(),
            escape(&info.subject),
            codes.join(" ")
        );
    }
    let _ = writeln!(o, "</ul>");

    let _ = writeln!(o, "<h2>Explain</h2>");
    for (code, text) in &r.explain {
        let _ = writeln!(
            o,
            "<details id=\"{}\"><summary><code>{}</code></summary><pre class=\"explain\">{}</pre></details>",
            anchor("explain-", code),
            escape(code),
            escape(text)
        );
    }
    o.push_str("</body></html>\n");
    o
}

fn details(o: &mut String, r: &Report) {
    let s = &r.summary;
    let none = |o: &mut String, empty: bool| {
        if empty {
            o.push_str("<li>None.</li>");
        }
    };
    let _ = writeln!(
        o,
        "<h2>Landed violations</h2><ul class=\"items\" id=\"violations\">"
    );
    none(o, s.violations.is_empty());
    for v in &s.violations {
        let place = match (&v.path, v.line) {
            (Some(p), Some(l)) => format!(" at <code>{}:{l}</code>", escape(p)),
            (Some(p), None) => format!(" at <code>{}</code>", escape(p)),
            _ => String::new(),
        };
        let _ = writeln!(
            o,
            "<li>{} {}: {} blocking finding(s), first: {}{place}</li>",
            inv_link(&v.code),
            commit_link(&v.at),
            v.findings,
            escape(&v.message)
        );
    }
    let _ = writeln!(
        o,
        "</ul><h2>Mitigations and follow-ups</h2><ul class=\"items\" id=\"mitigations\">"
    );
    none(o, s.mitigations.is_empty());
    for m in &s.mitigations {
        let state = match &m.closed_by {
            None => "<span class=\"open\">open</span>".to_string(),
            Some(c) => format!(
                "<span class=\"closed\">closed by <code>{}</code></span>",
                escape(c)
            ),
        };
        let _ = writeln!(
            o,
            "<li>{state}: follow-up <code>{}</code> for {}, approved by <code>{}</code>, in {}</li>",
            escape(&m.follow_up),
            inv_link(&m.code),
            escape(&m.approver),
            commit_link(&m.at)
        );
    }
    let _ = writeln!(
        o,
        "</ul><h2>Suppressions added</h2><ul class=\"items\" id=\"suppressions\">"
    );
    none(o, s.suppressions.is_empty());
    for x in &s.suppressions {
        let state = match (&x.until, x.active) {
            (None, _) => "active (no until)".to_string(),
            (Some(u), true) => format!("active until {}", escape(u)),
            (Some(u), false) => format!("<span class=\"expired\">expired</span> on {}", escape(u)),
        };
        let _ = writeln!(
            o,
            "<li>{} at <code>{}:{}</code>, {state}, in {}: {}</li>",
            inv_link(&x.code),
            escape(&x.path),
            x.line,
            commit_link(&x.at),
            escape(&x.evidence)
        );
    }
    let _ = writeln!(
        o,
        "</ul><h2>Legacy deletions</h2><ul class=\"items\" id=\"legacy\">"
    );
    none(o, s.legacy.is_empty());
    for l in &s.legacy {
        let gates = if l.gates_cited.is_empty() {
            "<span class=\"open\">no parity gate cited</span>".to_string()
        } else {
            l.gates_cited
                .iter()
                .map(|g| format!("<code>{}</code>", escape(g)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let files: Vec<String> = l
            .files
            .iter()
            .map(|f| format!("<code>{}</code>", escape(f)))
            .collect();
        let _ = writeln!(
            o,
            "<li>{} {}: gates cited: {gates}<details><summary>{} file(s) deleted</summary>{}</details></li>",
            inv_link(&l.code),
            commit_link(&l.at),
            l.files.len(),
            files.join("<br>")
        );
    }
    let _ = writeln!(o, "</ul>");
    if !s.not_evaluated.is_empty() {
        let _ = writeln!(
            o,
            "<h2>Not evaluated</h2><p>These commits could not be evaluated; the numbers above do not include them.</p><ul class=\"items\" id=\"not-evaluated\">"
        );
        for n in &s.not_evaluated {
            let _ = writeln!(o, "<li>{}: {}</li>", commit_link(&n.at), escape(&n.error));
        }
        let _ = writeln!(o, "</ul>");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_anchors() {
        assert_eq!(escape("<script>\"x'&"), "&lt;script&gt;&quot;x&#39;&amp;");
        assert_eq!(anchor("kpi-", "INV-03"), "kpi-INV-03");
        assert_eq!(anchor("kpi-", "a\"><b"), "kpi-a_22_3E_3Cb");
    }
}
