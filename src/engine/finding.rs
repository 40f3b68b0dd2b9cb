//! `Finding`: the one finding type. Rules build findings; the engine sorts them, decides which
//! block, and renderers read their fields (never parse rendered text).
//!
//! `Finding` implements `miette::Diagnostic` by hand: primary span and label in the changed file,
//! secondary labels in the same file, other files as related diagnostics (a diagnostic has one
//! source, so a second file goes in `related`, as cargo-deny does), and the policy entry that
//! produced it as a related advice that names the entry by key path (see `policy_entry`).

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use miette::{Diagnostic, LabeledSpan, SourceCode};

use crate::engine::config::{Escalation, Invariant, Status};
use crate::engine::policy_entry::PolicyEntries;
use crate::engine::render::sanitize::line;
use crate::engine::source::Source;

/// How loud a finding is, after gate evaluation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Blocks at the selected gate.
    Error,
    /// Reported, does not block at the selected gate.
    Warning,
    /// Informational.
    Note,
}

impl Severity {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// A span in some source, with a label.
#[derive(Debug, Clone)]
pub struct Spanned {
    /// The source (a file at head or base, the PR description, the policy).
    pub source: Arc<Source>,
    /// Byte range.
    pub span: Range<usize>,
    /// What is under the span.
    pub label: String,
}

/// One finding.
#[derive(Debug, Clone)]
pub struct Finding {
    /// The configured ID (`INV-03`).
    pub code: String,
    /// The check that produced it (`sse-poll-lane`).
    pub check: &'static str,
    /// The invariant's escalation class.
    pub escalation: Escalation,
    /// The invariant's status.
    pub status: Status,
    /// The rule's own level: `Error` for a violation, `Warning`/`Note` for softer results.
    pub level: Severity,
    /// Final severity at the selected gate (set by the engine).
    pub severity: Severity,
    /// True when this finding blocks at the selected gate (set by the engine).
    pub is_blocking: bool,
    /// What is wrong, one lowercase line.
    pub message: String,
    /// Repository-relative path the finding is about (None: about the whole change).
    pub path: Option<String>,
    /// Primary span.
    pub primary: Option<Spanned>,
    /// More spans in the primary source.
    pub secondary: Vec<(Range<usize>, String)>,
    /// Spans in other sources (a proto message, a base file), shown as related diagnostics.
    pub elsewhere: Vec<Spanned>,
    /// What to do instead.
    pub help: Option<String>,
    /// The policy entry that made this a problem.
    pub policy: Option<Spanned>,
    /// Set by the engine when an owner-approved mitigation covers this finding.
    pub mitigation: Option<String>,
    /// Set by the engine when an inline `invlint: allow(<ID>)` comment suppresses this finding:
    /// its evidence (reason, issue, owner, until). A suppressed finding never blocks.
    pub suppression: Option<String>,
    /// For a policy weakening (POL-01): the invariant it weakens, whose owners may approve it
    /// (`None`: policy-wide).
    pub policy_subject: Option<String>,
}

impl Finding {
    /// A new error-level finding for `inv`.
    pub fn new(inv: &Invariant, check: &'static str, message: impl Into<String>) -> Self {
        Finding {
            status: inv.status,
            ..Finding::built_in(&inv.id, check, inv.escalation, message)
        }
    }

    /// A new error-level finding of a built-in gate-integrity check (POL-01, VER-01), which no
    /// policy declares: its code, check name and escalation are the check's own.
    pub fn built_in(
        code: &str,
        check: &'static str,
        escalation: Escalation,
        message: impl Into<String>,
    ) -> Self {
        Finding {
            code: code.to_string(),
            check,
            escalation,
            status: Status::Stable,
            level: Severity::Error,
            severity: Severity::Error,
            is_blocking: false,
            message: message.into(),
            path: None,
            primary: None,
            secondary: Vec::new(),
            elsewhere: Vec::new(),
            help: None,
            policy: None,
            mitigation: None,
            suppression: None,
            policy_subject: None,
        }
    }

    /// Sets the primary span in `source` (whose name is the path).
    pub fn at(
        mut self,
        source: &Arc<Source>,
        span: Range<usize>,
        label: impl Into<String>,
    ) -> Self {
        self.path = Some(source.name().to_string());
        self.primary = Some(Spanned {
            source: source.clone(),
            span,
            label: label.into(),
        });
        self
    }

    /// Names the path without a span (binary or unreadable files).
    pub fn on_path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Adds a secondary label in the primary source.
    pub fn also(mut self, span: Range<usize>, label: impl Into<String>) -> Self {
        self.secondary.push((span, label.into()));
        self
    }

    /// Adds a labelled span in another source.
    pub fn related(
        mut self,
        source: &Arc<Source>,
        span: Range<usize>,
        label: impl Into<String>,
    ) -> Self {
        self.elsewhere.push(Spanned {
            source: source.clone(),
            span,
            label: label.into(),
        });
        self
    }

    /// Sets the help line.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Cites the policy entry at `span` in the policy source.
    pub fn cite(
        mut self,
        policy: &Arc<Source>,
        span: Range<usize>,
        label: impl Into<String>,
    ) -> Self {
        self.policy = Some(Spanned {
            source: policy.clone(),
            span,
            label: label.into(),
        });
        self
    }

    /// Lowers the rule's level (docs-only hits are warnings).
    pub fn level(mut self, level: Severity) -> Self {
        self.level = level;
        self
    }

    /// 1-based (line, column, end line, end column) of the primary span.
    pub fn region(&self) -> Option<(usize, usize, usize, usize)> {
        let p = self.primary.as_ref()?;
        let (l, c) = p.source.line_col(p.span.start);
        let (el, ec) = p.source.line_col(p.span.end);
        Some((l, c, el, ec))
    }

    /// Sort key: path, byte offset, code, message (STYLE.md §2.4), with findings on the PR
    /// description (or commit messages) after those on files, so a reader meets the code
    /// findings before the checklist findings that refer to them.
    pub fn sort_key(&self) -> (bool, String, usize, String, String) {
        let path = self.path.clone().unwrap_or_default();
        (
            path == crate::engine::pr::PR_SOURCE_NAME
                || path == crate::engine::pr::COMMITS_SOURCE_NAME,
            path,
            self.primary.as_ref().map(|p| p.span.start).unwrap_or(0),
            self.code.clone(),
            self.message.clone(),
        )
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Finding {}

/// A labelled span in a second source, shown under the finding.
#[derive(Debug)]
pub struct RelatedSpan<'a> {
    message: String,
    spanned: &'a Spanned,
    severity: miette::Severity,
    /// The cited lines cut to a window, when one is too long to read whole.
    excerpt: Option<crate::engine::source::Excerpt>,
}

impl fmt::Display for RelatedSpan<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.spanned;
        if self.excerpt.is_some() || s.source.is_showable(&s.span) {
            f.write_str(&self.message)
        } else {
            write!(
                f,
                "{} ({})",
                self.message,
                line(&s.source.location(s.span.start))
            )
        }
    }
}

impl std::error::Error for RelatedSpan<'_> {}

impl Diagnostic for RelatedSpan<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(self.severity)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        let s = &self.spanned;
        if let Some(e) = &self.excerpt {
            return Some(e as &dyn SourceCode);
        }
        s.source
            .is_showable(&s.span)
            .then(|| &*s.source as &dyn SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let s = &self.spanned;
        let span = match &self.excerpt {
            Some(e) => e.span.clone(),
            None if s.source.is_showable(&s.span) => s.span.clone(),
            None => return None,
        };
        Some(Box::new(std::iter::once(
            LabeledSpan::new_primary_with_span(
                Some(line(&s.label).into_owned()),
                (span.start, span.len()),
            ),
        )))
    }
}

/// A view of a finding for miette's renderer, with the relations built once.
pub struct FindingDiagnostic<'a> {
    finding: &'a Finding,
    related: Vec<RelatedSpan<'a>>,
    /// The policy entry that made this a finding, named, shown after `related`.
    cited: Option<PolicyCitation>,
    help: Option<String>,
    code: String,
    /// False when a span sits on a line too long to show (then only `path:line:col`).
    is_showable: bool,
}

impl<'a> FindingDiagnostic<'a> {
    /// Wraps a finding; `footer` is appended to the help (the renderer's `see:` line). The
    /// policy entry the finding cites is named by `entries` (its key path, never its line, so
    /// an edit elsewhere in the policy does not change the output).
    pub fn new(finding: &'a Finding, footer: Option<String>, entries: &PolicyEntries) -> Self {
        let related: Vec<RelatedSpan<'a>> = finding
            .elsewhere
            .iter()
            .map(|s| RelatedSpan {
                message: format!("see {}", line(s.source.name())),
                spanned: s,
                severity: miette::Severity::Advice,
                excerpt: s.source.clipped(&s.span),
            })
            .collect();
        let cited = finding.policy.as_ref().map(|p| PolicyCitation {
            message: format!(
                "policy: {} `{}` made this a finding: {} `{}` ({})",
                finding.code,
                finding.check,
                line(p.source.name()),
                line(
                    entries
                        .id_in(&p.source, &p.span)
                        .as_deref()
                        .unwrap_or("the policy")
                ),
                line(&p.label),
            ),
        });
        // Help text may span lines (miette indents each under `help:`); no other control
        // character from the change reaches the terminal.
        let text = |s: &str| crate::engine::render::sanitize::terminal(s, false).into_owned();
        let footer = match (finding.suppression.as_deref().map(text), footer) {
            (Some(m), Some(f)) => Some(format!("{m}\n{f}")),
            (Some(m), None) => Some(m),
            (None, f) => f,
        };
        let footer = match (finding.mitigation.as_deref().map(text), footer) {
            (Some(m), Some(f)) => Some(format!("{m}\n{f}")),
            (Some(m), None) => Some(m),
            (None, f) => f,
        };
        let help = match (finding.help.as_deref().map(text), footer) {
            (Some(h), Some(f)) => Some(format!("{h}\n{f}")),
            (Some(h), None) => Some(h),
            (None, f) => f,
        };
        let is_showable = finding.primary.as_ref().is_none_or(|p| {
            p.source.is_showable(&p.span)
                && finding
                    .secondary
                    .iter()
                    .all(|(r, _)| p.source.is_showable(r))
        });
        FindingDiagnostic {
            finding,
            related,
            cited,
            help,
            code: format!("{}({})", finding.code, finding.check),
            is_showable,
        }
    }
}

impl fmt::Debug for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.finding, f)
    }
}

impl fmt::Display for FindingDiagnostic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A message may span lines (miette indents each under the first, so none starts at the
        // left margin); no other control character from the change reaches the terminal.
        let message = crate::engine::render::sanitize::terminal(&self.finding.message, false);
        match (&self.finding.path, &self.finding.primary) {
            (Some(p), None) => write!(f, "{}: {}", line(p), message),
            (_, Some(p)) if !self.is_showable => write!(
                f,
                "{}: {} (line too long to show)",
                line(&p.source.location(p.span.start)),
                message
            ),
            _ => f.write_str(&message),
        }
    }
}

impl std::error::Error for FindingDiagnostic<'_> {}

impl Diagnostic for FindingDiagnostic<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(&self.code))
    }
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Note => miette::Severity::Advice,
        })
    }
    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.finding
            .primary
            .as_ref()
            .filter(|_| self.is_showable)
            .map(|p| &*p.source as &dyn SourceCode)
    }
    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let p = self.finding.primary.as_ref().filter(|_| self.is_showable)?;
        let primary = LabeledSpan::new_primary_with_span(
            Some(line(&p.label).into_owned()),
            (p.span.start, p.span.len()),
        );
        let rest = self.finding.secondary.iter().map(|(r, l)| {
            LabeledSpan::new_with_span(Some(line(l).into_owned()), (r.start, r.len()))
        });
        Some(Box::new(std::iter::once(primary).chain(rest)))
    }
    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn Diagnostic> + 'b>> {
        if self.related.is_empty() && self.cited.is_none() {
            return None;
        }
        Some(Box::new(
            self.related
                .iter()
                .map(|r| r as &dyn Diagnostic)
                .chain(self.cited.iter().map(|c| c as &dyn Diagnostic)),
        ))
    }
}

/// The policy entry a finding cites, as one advice line: `policy: INV-03 `sse-poll-lane` made
/// this a finding: inv-rules.toml `invariant.INV-03.sse-poll-lane.patterns[axum-sse].regex`
/// (pattern `axum-sse`)`.
#[derive(Debug)]
pub struct PolicyCitation {
    message: String,
}

impl fmt::Display for PolicyCitation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for PolicyCitation {}

impl Diagnostic for PolicyCitation {
    fn severity(&self) -> Option<miette::Severity> {
        Some(miette::Severity::Advice)
    }
}
