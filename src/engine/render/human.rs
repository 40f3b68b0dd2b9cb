//! Human output: each finding as a miette report, then run notes, then the verdict.

use std::fmt::Write;

use miette::{GraphicalReportHandler, GraphicalTheme};

use crate::engine::finding::FindingDiagnostic;
use crate::Report;

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
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(opts.width)
        .with_links(false)
        .with_context_lines(1);
    let mut out = String::new();
    for f in &report.findings {
        let footer = Some(format!("see: invlint --explain {}", f.code));
        let diag = FindingDiagnostic::new(f, footer);
        let mut buf = String::new();
        if handler.render_report(&mut buf, &diag).is_err() {
            let _ = writeln!(buf, "{}: {}", f.code, f.message);
        }
        out.push_str(&buf);
        out.push('\n');
    }
    for n in &report.notes {
        let _ = writeln!(
            out,
            "{}: {}: {}",
            if n.is_incomplete { "error" } else { "note" },
            n.path,
            n.message
        );
    }
    out.push_str(&super::summary_line(report));
    out.push('\n');
    out
}
