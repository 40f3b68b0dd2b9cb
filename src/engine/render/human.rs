//! Human output: each finding as a miette report, then run notes, then the verdict.

use std::fmt::Write;

use miette::{GraphicalReportHandler, GraphicalTheme};

use super::sanitize;
use crate::engine::finding::FindingDiagnostic;
use crate::engine::policy_entry::PolicyEntries;
use crate::engine::run::Report;

/// Output options.
#[derive(Debug, Clone, Copy)]
pub struct HumanOptions {
    /// ANSI colours.
    pub color: bool,
    /// Wrap width.
    pub width: usize,
}

/// Renders the whole report.
pub fn render(report: &Report, opts: HumanOptions) -> String {
    let theme = if opts.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = |theme| {
        GraphicalReportHandler::new_themed(theme)
            .with_width(opts.width)
            .with_links(false)
            .with_context_lines(1)
    };
    let plain_handler = handler(GraphicalTheme::unicode_nocolor());
    let colour_handler = handler(theme);
    let mut out = String::new();
    let entries = PolicyEntries::new(report.config.source.text_arc());
    for f in &report.findings {
        let footer = Some(format!("see: invlint --explain {}", f.code));
        let diag = FindingDiagnostic::new(f, footer, &entries);
        let render = |h: &GraphicalReportHandler| {
            let mut buf = String::new();
            if h.render_report(&mut buf, &diag).is_err() {
                let _ = writeln!(buf, "{}: {}", f.code, sanitize::line(&f.message));
            }
            buf
        };
        // Without colour miette writes no control character itself, so any one in the plain
        // rendering came from the change (a source line, a name): such a finding is shown
        // without colour, every control character escaped.
        let plain = render(&plain_handler);
        let is_hostile = plain.chars().any(sanitize::is_unsafe);
        let buf = if opts.color && !is_hostile {
            render(&colour_handler)
        } else {
            plain
        };
        out.push_str(&sanitize::terminal(&buf, opts.color && !is_hostile));
        out.push('\n');
    }
    for n in &report.notes {
        let _ = writeln!(
            out,
            "{}: {}: {}",
            n.label(),
            sanitize::line(&n.path),
            sanitize::line(&n.message)
        );
    }
    out.push_str(&super::summary_line(report));
    out.push('\n');
    out
}
