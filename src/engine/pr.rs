//! PR description -> `Source` named "PR description", so findings can point into it.
//!
//! Reading only; what the description claims (INV mapping, checklist, N/A lines) is parsed by the
//! PR-checklist checks. Absent in pre-commit runs.

use std::io::Read;
use std::sync::Arc;

use crate::engine::error::Error;
use crate::engine::source::Source;

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
#[derive(Debug, Clone)]
pub struct PrDescription {
    /// The text, as a named source for spans.
    pub source: Arc<Source>,
    /// Every mention of a configured invariant ID outside code blocks and HTML comments.
    pub mentions: Vec<Mention>,
    /// Markdown task-list lines (`- [x] ...`).
    pub tasks: Vec<Task>,
    /// Owner-approved mitigations.
    pub mitigations: Vec<Mitigation>,
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
    /// Span of the ID in the text.
    pub span: Range<usize>,
    /// 1-based line.
    pub line: usize,
    /// What the line claims.
    pub claim: Claim,
}

/// A task-list line.
#[derive(Debug, Clone)]
pub struct Task {
    /// `[x]` or `[X]`.
    pub is_checked: bool,
    /// The text after the box.
    pub text: String,
    /// Span of the whole line.
    pub span: Range<usize>,
}

/// A mitigation line: an invariant ID, the word "mitigation", an approver and a follow-up.
#[derive(Debug, Clone)]
pub struct Mitigation {
    /// The invariant.
    pub id: String,
    /// `@name` that approved it, if given.
    pub approver: Option<String>,
    /// Follow-up reference (`#123`, `OA-RUST-123`, an issue URL), if given.
    pub follow_up: Option<String>,
    /// Span of the line.
    pub span: Range<usize>,
}

use std::ops::Range;

const NOT_APPLICABLE: &[&str] = &[
    "n/a",
    "not applicable",
    "not affected",
    "unaffected",
    "no impact",
    "none",
];

impl PrDescription {
    /// Parses `source`, recognising the given invariant IDs (case-insensitive).
    pub fn parse(source: Arc<Source>, ids: &[String]) -> PrDescription {
        let id_re = id_regex(ids);
        let task_re = regex::Regex::new(r"^\s*(?:[-*+]|\d+[.)])\s+\[([ xX])\]\s*(.*)$")
            .expect("static regex");
        let approver_re =
            regex::Regex::new(r"(?i)(?:approved|signed[- ]off|sign-off)(?:\s+by)?\s*:?\s*(@[A-Za-z0-9][A-Za-z0-9_./-]*)")
                .expect("static regex");
        let follow_re = regex::Regex::new(
            r"(?i)(?:follow[- ]?up|tracked in|issue)\s*:?\s*((?:[\w.-]+/[\w.-]+)?#\d+|OA-RUST-\d+|https?://\S+/issues/\d+)",
        )
        .expect("static regex");
        let mut out = PrDescription {
            source: source.clone(),
            mentions: Vec::new(),
            tasks: Vec::new(),
            mitigations: Vec::new(),
        };
        let mut in_fence: Option<(u8, usize)> = None;
        let mut in_comment = false;
        for n in 1..=source.line_count() {
            let Some(range) = source.line_range(n) else {
                continue;
            };
            let line = &source.text()[range.clone()];
            let trimmed = line.trim_start();
            if let Some((ch, len)) = in_fence {
                // CommonMark: only a run of the same character, at least as long, with nothing
                // after it, closes a fence (a ```` fence can quote a ``` one).
                if let Some((c, l)) = fence(trimmed) {
                    if c == ch && l >= len && trimmed[l..].trim().is_empty() {
                        in_fence = None;
                    }
                }
                continue;
            }
            if let Some(open) = fence(trimmed) {
                in_fence = Some(open);
                continue;
            }
            // HTML comments (PR templates are full of them) say nothing.
            let mut visible = String::with_capacity(line.len());
            let mut rest = line;
            loop {
                if in_comment {
                    match rest.find("-->") {
                        Some(i) => {
                            in_comment = false;
                            visible.push_str(&" ".repeat(i + 3));
                            rest = &rest[i + 3..];
                        }
                        None => {
                            visible.push_str(&" ".repeat(rest.len()));
                            break;
                        }
                    }
                } else {
                    match rest.find("<!--") {
                        Some(i) => {
                            visible.push_str(&rest[..i]);
                            visible.push_str("    ");
                            in_comment = true;
                            rest = &rest[i + 4..];
                        }
                        None => {
                            visible.push_str(rest);
                            break;
                        }
                    }
                }
            }
            let line = visible.as_str();
            if let Some(c) = task_re.captures(line) {
                out.tasks.push(Task {
                    is_checked: &c[1] != " ",
                    text: c[2].trim().to_string(),
                    span: range.clone(),
                });
            }
            let Some(id_re) = &id_re else { continue };
            let lower = line.to_ascii_lowercase();
            let found: Vec<_> = id_re.find_iter(line).collect();
            for m in &found {
                let id = ids
                    .iter()
                    .find(|i| i.eq_ignore_ascii_case(m.as_str()))
                    .cloned()
                    .unwrap_or_else(|| m.as_str().to_ascii_uppercase());
                out.mentions.push(Mention {
                    id,
                    span: range.start + m.start()..range.start + m.end(),
                    line: n,
                    claim: claim_after(&lower, found.last().map(|l| l.end()).unwrap_or(m.end())),
                });
            }
            if !found.is_empty() && lower.contains("mitigat") {
                let approver = approver_re.captures(line).map(|c| c[1].to_string());
                let follow_up = follow_re.captures(line).map(|c| c[1].to_string());
                for m in &found {
                    out.mitigations.push(Mitigation {
                        id: m.as_str().to_ascii_uppercase(),
                        approver: approver.clone(),
                        follow_up: follow_up.clone(),
                        span: range.clone(),
                    });
                }
            }
        }
        out
    }

    /// IDs the description claims as affected.
    pub fn affected(&self) -> impl Iterator<Item = &Mention> {
        self.mentions.iter().filter(|m| m.claim == Claim::Affected)
    }

    /// The mention of `id` (first), if any.
    pub fn mention(&self, id: &str) -> Option<&Mention> {
        self.mentions.iter().find(|m| m.id.eq_ignore_ascii_case(id))
    }

    /// True when the description mentions any invariant at all.
    pub fn has_mapping(&self) -> bool {
        !self.mentions.is_empty()
    }
}

/// A code fence opening `line` (already trimmed at the start): its character and run length.
fn fence(line: &str) -> Option<(u8, usize)> {
    let ch = *line.as_bytes().first()?;
    if ch != b'`' && ch != b'~' {
        return None;
    }
    let len = line.bytes().take_while(|&b| b == ch).count();
    (len >= 3).then_some((ch, len))
}

fn id_regex(ids: &[String]) -> Option<regex::Regex> {
    if ids.is_empty() {
        return None;
    }
    let alts: Vec<String> = ids.iter().map(|i| regex::escape(i)).collect();
    regex::Regex::new(&format!(r"(?i)\b(?:{})\b", alts.join("|"))).ok()
}

/// What the text after the last ID on a line says: not applicable (with its reason) or affected.
fn claim_after(lower_line: &str, after: usize) -> Claim {
    let tail = lower_line.get(after..).unwrap_or("");
    for marker in NOT_APPLICABLE {
        if let Some(i) = tail.find(marker) {
            // "none" only counts as a word.
            let is_word = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
            if !is_word(tail[..i].chars().next_back())
                || !is_word(tail[i + marker.len()..].chars().next())
            {
                continue;
            }
            let reason = tail[i + marker.len()..]
                .trim_start_matches(|c: char| c.is_whitespace() || ":-–—,.;()".contains(c))
                .trim_end_matches(|c: char| c.is_whitespace() || c == ')')
                .to_string();
            return Claim::NotApplicable(reason);
        }
    }
    Claim::Affected
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> PrDescription {
        let ids: Vec<String> = (1..=10).map(|n| format!("INV-{n:02}")).collect();
        PrDescription::parse(from_text(text), &ids)
    }

    #[test]
    fn mentions_claims_and_reasons() {
        let pr = parse("## Invariants\n- INV-03: affected, adds a WS topic\n- INV-04: N/A - no SQL\n- inv-10 n/a\n");
        assert_eq!(pr.mentions.len(), 3);
        assert_eq!(pr.mentions[0].claim, Claim::Affected);
        assert_eq!(pr.mentions[1].claim, Claim::NotApplicable("no sql".into()));
        assert_eq!(pr.mentions[2].id, "INV-10");
        assert_eq!(pr.mentions[2].claim, Claim::NotApplicable(String::new()));
        let m = &pr.mentions[0];
        assert_eq!(&pr.source.text()[m.span.clone()], "INV-03");
    }

    #[test]
    fn code_blocks_and_comments_say_nothing() {
        let pr = parse("```\nINV-01\n```\n<!-- INV-02 -->\n<!--\nINV-05\n-->\nINV-06 ok\n");
        let ids: Vec<_> = pr.mentions.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["INV-06"]);
    }

    #[test]
    fn longer_fences_quote_shorter_ones() {
        let pr = parse("````md\n```\nINV-01\n```\nINV-02\n````\n~~~\n```\nINV-04\n~~~\n``` INV-05\nINV-08\n```\nINV-06 ok\n");
        let ids: Vec<_> = pr.mentions.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["INV-06"]);
    }

    #[test]
    fn tasks_and_mitigations() {
        let pr = parse("- [x] Invariant impact\n- [ ] Transport impact\nINV-07 mitigation: approved by @lead, follow-up #42\n");
        assert_eq!(pr.tasks.len(), 2);
        assert!(pr.tasks[0].is_checked && !pr.tasks[1].is_checked);
        let m = &pr.mitigations[0];
        assert_eq!(m.id, "INV-07");
        assert_eq!(m.approver.as_deref(), Some("@lead"));
        assert_eq!(m.follow_up.as_deref(), Some("#42"));
    }

    #[test]
    fn none_is_a_word() {
        assert_eq!(
            claim_after("inv-03: nonetheless affected", 6),
            Claim::Affected
        );
        assert_eq!(
            claim_after("inv-03: none (ws only)", 6),
            Claim::NotApplicable("ws only".into())
        );
    }
}
