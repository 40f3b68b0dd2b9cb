//! PR description -> `PrDescription`: the text as a `Source` named "PR description" (so findings
//! can point into it), read under a size cap, and the one parse every check shares: a CommonMark
//! parse (pulldown-cmark) that masks code, HTML and quotes, finds the checklist items, reads
//! claims from the invariant-impact item and mitigations from their line or section. What the claims mean for the change is the
//! PR-checklist checks' business. Absent in pre-commit runs.

use std::collections::BTreeSet;
use std::io::Read;
use std::ops::Range;
use std::sync::Arc;

use crate::engine::error::Error;
use crate::engine::source::Source;

mod parse;
#[cfg(test)]
mod tests;
mod text;

pub use text::*;

/// The name every PR-description span is shown under.
pub const PR_SOURCE_NAME: &str = "PR description";

/// The name of a description built from commit messages (`--range`, dry runs).
pub const COMMITS_SOURCE_NAME: &str = "commit messages";

/// Largest description we read (GitHub caps PR bodies at 65,536 characters).
pub const MAX_PR_BYTES: usize = 1 << 20;

/// Reads a PR description from a file, or from stdin when `path` is `-`. A file in the work
/// tree `root` must not be a link out of it (engine::bounded).
pub fn read(path: &str, root: Option<&std::path::Path>) -> Result<Arc<Source>, Error> {
    let mut bytes = Vec::new();
    let result = if path == "-" {
        std::io::stdin()
            .lock()
            .take(MAX_PR_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
    } else {
        root.map_or(Ok(()), |r| {
            crate::engine::bounded::check_stays_inside(std::path::Path::new(path), r)
        })
        .and_then(|_| std::fs::File::open(path))
        .and_then(|f| f.take(MAX_PR_BYTES as u64 + 1).read_to_end(&mut bytes))
    };
    result.map_err(|e| Error::PrBody {
        path: path.to_string(),
        message: e.to_string(),
    })?;
    if bytes.len() > MAX_PR_BYTES {
        return Err(Error::PrBody {
            path: path.to_string(),
            message: format!("larger than {} bytes", MAX_PR_BYTES),
        });
    }
    let text = String::from_utf8(bytes).map_err(|e| Error::PrBody {
        path: path.to_string(),
        message: format!(
            "not UTF-8 (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ),
    })?;
    Ok(Arc::new(Source::new(PR_SOURCE_NAME, text)))
}

/// What a GitHub pull-request event gives invlint.
#[derive(Debug, Clone)]
pub struct PullRequestEvent {
    /// Title and body, as the PR description.
    pub description: Arc<Source>,
    /// `pull_request.base.sha`: what the pull request is compared with.
    pub base_sha: Option<String>,
}

/// Reads the pull request's title, body and base from a GitHub Actions event file
/// (`GITHUB_EVENT_PATH`). `Ok(None)` when the event is not about a pull request (a push, a
/// schedule); an error when the file cannot be read or is not JSON.
pub fn from_github_event(
    path: &str,
    root: Option<&std::path::Path>,
) -> Result<Option<PullRequestEvent>, Error> {
    let bytes =
        crate::engine::bounded::read(std::path::Path::new(path), 64 * MAX_PR_BYTES as u64, root)
            .map_err(|e| Error::GithubEvent {
                path: path.to_string(),
                message: format!("{e}"),
            })?;
    let event: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| Error::GithubEvent {
            path: path.to_string(),
            message: format!("not JSON ({e})"),
        })?;
    let Some(pr) = event.get("pull_request").filter(|p| p.is_object()) else {
        return Ok(None);
    };
    let title = pr.get("title").and_then(|t| t.as_str()).unwrap_or("");
    let body = pr.get("body").and_then(|b| b.as_str()).unwrap_or("");
    let mut text = String::new();
    if !title.is_empty() {
        text.push_str(&format!("# {title}\n\n"));
    }
    text.push_str(body);
    if text.len() > MAX_PR_BYTES {
        return Err(Error::GithubEvent {
            path: path.to_string(),
            message: format!("the pull request's title and body exceed {MAX_PR_BYTES} bytes"),
        });
    }
    let base_sha = pr
        .pointer("/base/sha")
        .and_then(|v| v.as_str())
        .filter(|s| s.len() >= 7 && s.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_string);
    Ok(Some(PullRequestEvent {
        description: Arc::new(Source::new(PR_SOURCE_NAME, text)),
        base_sha,
    }))
}

/// Wraps text already in memory (tests, demo, commit messages).
pub fn from_text(text: &str) -> Arc<Source> {
    Arc::new(Source::new(PR_SOURCE_NAME, text))
}

/// What a PR description says, parsed once by the engine and shared by the PR checks.
///
/// The text is read with a CommonMark parser (pulldown-cmark, with byte offsets): code blocks
/// (fenced and indented), HTML (comments included) and block quotes are masked out before
/// anything is read from it, so none of them is ever a claim, a checklist answer or evidence.
#[derive(Debug, Clone)]
pub struct PrDescription {
    /// The text, as a named source for spans.
    pub source: Arc<Source>,
    /// Claims: mentions of configured invariant IDs in the invariant-impact item or section
    /// (or, when it names none, anywhere outside the other checklist items).
    pub mentions: Vec<Mention>,
    /// Mentions that are context, not claims (IDs quoted by the other checklist items, or
    /// mentioned outside the invariant-impact item when it names IDs itself).
    pub context: Vec<Mention>,
    /// Markdown task-list items (`- [x] ...`).
    pub tasks: Vec<Task>,
    /// The checklist items of the grammar found in the description.
    pub items: Vec<Item>,
    /// Mitigations (line or section form), as written; the engine decides whether the approver
    /// is an owner.
    pub mitigations: Vec<Mitigation>,
    /// `visible` with unchecked tasks and items still holding the template blanked out too:
    /// what the description states.
    statements: String,
    negations: Vec<Negation>,
}

/// How a line mentions an invariant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The change affects it.
    Affected,
    /// Marked not applicable / not affected, with the reason given (may be empty).
    NotApplicable(String),
}

/// One mention of an invariant ID.
#[derive(Debug, Clone)]
pub struct Mention {
    /// The configured ID it refers to.
    pub id: String,
    /// Span of the ID in the text (for an ID inside a range `INV-01..INV-10`, the range's
    /// first ID).
    pub span: Range<usize>,
    /// 1-based line.
    pub line: usize,
    /// What the line claims.
    pub claim: Claim,
}

/// A task-list item.
#[derive(Debug, Clone)]
pub struct Task {
    /// `[x]` or `[X]`.
    pub is_checked: bool,
    /// The text after the box, on its first line.
    pub text: String,
    /// Span of the item's first line.
    pub span: Range<usize>,
}

/// A mitigation: an invariant ID, the word "mitigation", an approver and a follow-up, on one
/// line or in a section headed `Mitigation (INV-07)`.
#[derive(Debug, Clone)]
pub struct Mitigation {
    /// The invariant.
    pub id: String,
    /// `@name` that approved it, if given (a negated approval, "NOT approved by @x", is none).
    pub approver: Option<String>,
    /// Follow-up reference (`#123`, `OA-RUST-123`, an issue URL), if given.
    pub follow_up: Option<String>,
    /// Span of the line, or of the section's heading.
    pub span: Range<usize>,
}

/// How a checklist item of the grammar reads in the description.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ItemState {
    /// It says something of its own.
    Addressed,
    /// Only its title (and no ticked box).
    Empty,
    /// Still the template's text.
    Template,
}

/// A checklist item found in the description.
#[derive(Debug, Clone)]
pub struct Item {
    /// Index into `Grammar::items` (0: invariant impact).
    pub index: usize,
    /// The whole item (list item with its sub-bullets, heading with its section, table row).
    pub range: Range<usize>,
    /// Its first line (where findings point).
    pub span: Range<usize>,
    /// `Some(ticked)` for a task-list item.
    pub checked: Option<bool>,
    /// What it says.
    pub state: ItemState,
}

/// What the description is read for: the checklist items (the first decides claims) and the
/// words that negate a statement.
#[derive(Debug, Clone)]
pub struct Grammar {
    /// The checklist items, in order; the first is the invariant-impact item.
    pub items: Vec<ItemSpec>,
    /// A clause matching one of these is not a positive statement (evidence, approval).
    pub negations: Vec<Negation>,
}

/// One checklist item.
#[derive(Debug, Clone)]
pub struct ItemSpec {
    /// Short title ("invariant impact").
    pub title: String,
    /// Lowercase words that identify the item in a list item's first line, a heading or the
    /// first cell of a table row.
    pub keywords: Vec<String>,
    /// The template's text of the item (after its title); an item still reading so is not
    /// addressed.
    pub template: Option<String>,
}

/// The spec's negation words (OA-RUST-003 evidence must be a positive statement).
pub const DEFAULT_NEGATIONS: &[&str] = &[
    r"(?i)\bno\b",
    r"(?i)\bnot\b",
    r"(?i)n't\b",
    r"(?i)\bnever\b",
    r"(?i)\bwithout\b",
    r"(?i)\bnone\b",
    r"(?i)\bskip(?:ped|s|ping)?\b",
    r"(?i)\bpending\b",
    r"(?i)\b(?:todo|tbd)\b",
];

impl Grammar {
    /// The spec's Mandatory PR Checklist (OA-RUST-003), with its template text.
    pub fn spec() -> Grammar {
        let item = |title: &str, keywords: &[&str], template: &str| ItemSpec {
            title: title.into(),
            keywords: keywords.iter().map(|k| k.to_string()).collect(),
            template: Some(template.into()),
        };
        Grammar {
            items: vec![
                item("invariant impact", &["invariant impact", "inv-* ids", "invariants affected"], "`INV-*` IDs affected by this change."),
                item("contract impact", &["contract impact", "proto/"], "if cross-boundary contract changed, confirm `proto/` update first (`INV-01`)."),
                item("transport impact", &["transport impact", "ws command", "sse/poll"], "confirm no WS command RPC and no SSE/poll lane additions (`INV-02`, `INV-03`)."),
                item("authority boundaries", &["authority boundar", "cross-plane"], "confirm no cross-plane SQL join/write behavior (`INV-04`)."),
                item("service boundaries", &["service boundar", "in-memory coupling"], "confirm no implicit in-memory coupling (`INV-05`)."),
                item("operations", &["operations", "deploy/migration", "migration implications"], "runtime deploy/migration implications documented (`INV-09`)."),
                item("deletion/parity", &["deletion", "parity"], "if deleting legacy lane, mapped parity gate issue(s) referenced (`INV-10`)."),
            ],
            negations: default_negations(),
        }
    }
}

/// A negation pattern, compiled on first use and shared by every clone (a grammar is cloned
/// into each description it parses; `invlint report` parses a thousand).
pub type Negation = std::sync::Arc<crate::engine::matchers::LazyRegex>;

/// `DEFAULT_NEGATIONS`, built once per process and compiled on first use: a run that reads no
/// description (`check --staged`) compiles none of them.
pub fn default_negations() -> Vec<Negation> {
    static DEFAULT: std::sync::LazyLock<Vec<Negation>> = std::sync::LazyLock::new(|| {
        DEFAULT_NEGATIONS
            .iter()
            .map(|n| std::sync::Arc::new(crate::engine::matchers::LazyRegex::new(n)))
            .collect()
    });
    DEFAULT.clone()
}

const NOT_APPLICABLE: &[&str] = &[
    "n/a",
    "not applicable",
    "not affected",
    "does not apply",
    "doesn't apply",
    "not relevant",
    "not impacted",
    "unaffected",
    "no impact",
    "none",
];
