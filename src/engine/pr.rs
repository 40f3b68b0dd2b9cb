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
    negations: Vec<regex::Regex>,
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
    pub negations: Vec<regex::Regex>,
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

/// `DEFAULT_NEGATIONS`, compiled.
pub fn default_negations() -> Vec<regex::Regex> {
    DEFAULT_NEGATIONS
        .iter()
        .map(|n| regex::Regex::new(n).expect("static regex"))
        .collect()
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

/// A container the checklist items are looked for in.
struct Block {
    /// Whole range (list item with nested content, heading with its section, table row).
    range: Range<usize>,
    /// First line, without list marker, box, heading hashes or leading pipe.
    title: Range<usize>,
    checked: Option<bool>,
}

impl PrDescription {
    /// Parses `source` with the spec's grammar, recognising the given invariant IDs.
    pub fn parse(source: Arc<Source>, ids: &[String]) -> PrDescription {
        PrDescription::parse_with(source, ids, &Grammar::spec())
    }

    /// Parses `source`, recognising the given invariant IDs (case-insensitive) and the
    /// checklist items of `grammar`.
    pub fn parse_with(source: Arc<Source>, ids: &[String], grammar: &Grammar) -> PrDescription {
        use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
        let text = source.text();
        let mut hidden: Vec<Range<usize>> = Vec::new();
        let mut code: Vec<Range<usize>> = Vec::new();
        let mut blocks: Vec<Block> = Vec::new();
        let mut headings: Vec<(usize, Range<usize>)> = Vec::new();
        let mut open_items: Vec<usize> = Vec::new();
        let opts = Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS;
        for (event, range) in Parser::new_ext(text, opts).into_offset_iter() {
            match event {
                Event::Start(Tag::CodeBlock(_)) => {
                    code.push(range.clone());
                    hidden.push(range)
                }
                Event::Start(Tag::BlockQuote(_)) => hidden.push(range),
                Event::Html(_) | Event::InlineHtml(_) => hidden.push(range),
                Event::Start(Tag::Item) => {
                    open_items.push(blocks.len());
                    blocks.push(Block {
                        title: first_line(text, range.clone()),
                        range,
                        checked: None,
                    });
                }
                Event::End(TagEnd::Item) => {
                    open_items.pop();
                }
                Event::TaskListMarker(checked) => {
                    if let Some(b) = open_items.last().and_then(|&i| blocks.get_mut(i)) {
                        if b.checked.is_none() && range.start < b.title.end {
                            b.checked = Some(checked);
                        }
                    }
                }
                Event::Start(Tag::Heading { level, .. }) => {
                    headings.push((level as usize, range));
                }
                Event::Start(Tag::TableRow) | Event::Start(Tag::TableHead) => {
                    blocks.push(Block {
                        title: first_line(text, range.clone()),
                        range,
                        checked: None,
                    });
                }
                _ => {}
            }
        }
        // A heading's section runs to the next heading of the same or a higher level.
        for (n, (level, range)) in headings.iter().enumerate() {
            let end = headings[n + 1..]
                .iter()
                .find(|(l, _)| l <= level)
                .map(|(_, r)| r.start)
                .unwrap_or(text.len());
            blocks.push(Block {
                title: first_line(text, range.clone()),
                range: range.start..end.max(range.end),
                checked: None,
            });
        }
        blocks.sort_by_key(|b| (b.range.start, std::cmp::Reverse(b.range.end)));

        // HTML comments outside code, wherever the parser put them (an HTML block, a paragraph):
        // an unclosed one hides the rest, as on GitHub.
        hidden.extend(comments(text, &code));
        let visible = mask(text, &hidden);
        let vis = visible.as_str();

        // Tasks.
        let tasks: Vec<Task> = blocks
            .iter()
            .filter_map(|b| {
                let checked = b.checked?;
                let line = &vis[b.title.clone()];
                let after = line.find(']').map(|i| &line[i + 1..]).unwrap_or(line);
                Some(Task {
                    is_checked: checked,
                    text: after.trim().to_string(),
                    span: line_span(text, b.title.start),
                })
            })
            .collect();

        // Checklist items: for each, the first block whose first line names it (a block serves
        // one item).
        let mut items: Vec<Item> = Vec::new();
        let mut taken = vec![false; blocks.len()];
        let titles: Vec<String> = blocks
            .iter()
            .map(|b| vis[b.title.clone()].to_lowercase())
            .collect();
        // Which items each block's first line names, in its head (before a colon) or anywhere:
        // one pass of one keyword automaton per block (a description may have 10,000 blocks).
        let mut keywords: Vec<(String, usize)> = grammar
            .items
            .iter()
            .enumerate()
            .flat_map(|(i, spec)| spec.keywords.iter().map(move |k| (k.to_lowercase(), i)))
            .filter(|(k, _)| !k.is_empty())
            .collect();
        keywords.sort_by_key(|(k, _)| std::cmp::Reverse(k.len()));
        let keyword_re = (!keywords.is_empty())
            .then(|| {
                let alts: Vec<String> = keywords.iter().map(|(k, _)| regex::escape(k)).collect();
                regex::Regex::new(&alts.join("|")).ok()
            })
            .flatten();
        let hits: Vec<(Vec<usize>, Vec<usize>)> = titles
            .iter()
            .map(|title| {
                let mut head = Vec::new();
                let mut any = Vec::new();
                let Some(re) = &keyword_re else {
                    return (head, any);
                };
                let head_end = title.find(':').unwrap_or(title.len());
                for m in re.find_iter(title) {
                    let text = m.as_str();
                    for (k, i) in &keywords {
                        if k == text {
                            any.push(*i);
                            if m.end() <= head_end {
                                head.push(*i);
                            }
                        }
                    }
                }
                (head, any)
            })
            .collect();
        for (index, spec) in grammar.items.iter().enumerate() {
            let found = blocks
                .iter()
                .enumerate()
                .find(|(n, _)| !taken[*n] && hits[*n].0.contains(&index))
                .or_else(|| {
                    blocks
                        .iter()
                        .enumerate()
                        .find(|(n, _)| !taken[*n] && hits[*n].1.contains(&index))
                });
            let Some((n, b)) = found else { continue };
            taken[n] = true;
            let state = item_state(&vis[b.range.clone()], spec, b.checked);
            items.push(Item {
                index,
                range: b.range.clone(),
                span: line_span(text, b.title.start),
                checked: b.checked,
                state,
            });
        }

        // Statements: no unchecked task, no item still holding the template or only its title.
        let mut said: Vec<Range<usize>> = tasks
            .iter()
            .filter(|t| !t.is_checked)
            .map(|t| t.span.clone())
            .collect();
        said.extend(
            items
                .iter()
                .filter(|i| i.state != ItemState::Addressed && i.checked != Some(true))
                .map(|i| i.range.clone()),
        );
        said.extend(
            items
                .iter()
                .filter(|i| i.state == ItemState::Template)
                .map(|i| i.range.clone()),
        );
        let statements = mask(vis, &said);

        // Mentions, then which of them are claims.
        let mut all = Vec::new();
        if let Some(id_re) = id_regex(ids) {
            for n in 1..=source.line_count() {
                let Some(range) = source.line_range(n) else {
                    continue;
                };
                mentions_on_line(&vis[range.clone()], range.start, n, ids, &id_re, &mut all);
            }
        }
        // The innermost item around an offset.
        let item_at = |at: usize| {
            items
                .iter()
                .filter(|i| i.range.contains(&at))
                .min_by_key(|i| i.range.len())
        };
        let impact_has_ids = all
            .iter()
            .any(|m: &Mention| item_at(m.span.start).is_some_and(|i| i.index == 0));
        let (mentions, context): (Vec<Mention>, Vec<Mention>) =
            all.into_iter().partition(|m| match item_at(m.span.start) {
                Some(i) => i.index == 0 && i.state != ItemState::Template,
                None => !impact_has_ids,
            });

        let negations = if grammar.negations.is_empty() {
            default_negations()
        } else {
            grammar.negations.clone()
        };
        let mut out = PrDescription {
            source: source.clone(),
            mentions,
            context,
            tasks,
            items,
            mitigations: Vec::new(),
            statements,
            negations,
        };
        out.mitigations = out.find_mitigations(ids, &headings);
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

    /// True when the description maps any invariant at all.
    pub fn has_mapping(&self) -> bool {
        !self.mentions.is_empty()
    }

    /// The item of the grammar with this index, if the description has it.
    pub fn item(&self, index: usize) -> Option<&Item> {
        self.items.iter().find(|i| i.index == index)
    }

    /// What the description states: its text with code, HTML, quotes, unchecked tasks and
    /// template items blanked out (same byte offsets as the source).
    pub fn statement_text(&self) -> &str {
        &self.statements
    }

    /// The first match of `re` in the description's statements that is not negated within its
    /// clause ("no migration job run" does not state that a migration job ran).
    pub fn states(&self, re: &regex::Regex) -> Option<regex::Match<'_>> {
        let text = self.statements.as_str();
        re.find_iter(text)
            .find(|m| !is_negated(text, m.range(), &self.negations))
    }

    /// Like `states`, for a regex with capture groups.
    pub fn states_captures(&self, re: &regex::Regex) -> Vec<regex::Captures<'_>> {
        let text = self.statements.as_str();
        re.captures_iter(text)
            .filter(|c| {
                c.get(0)
                    .is_some_and(|m| !is_negated(text, m.range(), &self.negations))
            })
            .collect()
    }

    fn find_mitigations(
        &self,
        ids: &[String],
        headings: &[(usize, Range<usize>)],
    ) -> Vec<Mitigation> {
        let Some(id_re) = id_regex(ids) else {
            return Vec::new();
        };
        let text = self.statements.as_str();
        let src = &self.source;
        let mut out = Vec::new();
        let approver = |region: &str| -> Option<String> {
            approver_regex()
                .captures_iter(region)
                .find(|c| {
                    c.get(0)
                        .is_some_and(|m| !is_negated(region, m.range(), &self.negations))
                })
                .map(|c| c[1].to_string())
        };
        let follow_up = |region: &str| follow_regex().captures(region).map(|c| c[1].to_string());
        let canonical = |m: &str| {
            ids.iter()
                .find(|i| i.eq_ignore_ascii_case(m))
                .cloned()
                .unwrap_or_else(|| m.to_ascii_uppercase())
        };
        // Section form: a heading naming mitigation and the invariant(s); the section holds the
        // approval and the follow-up.
        let mut in_section: Vec<Range<usize>> = Vec::new();
        for (n, (level, range)) in headings.iter().enumerate() {
            let head = text.get(range.clone()).unwrap_or("");
            if !head.to_ascii_lowercase().contains("mitigat") {
                continue;
            }
            let end = headings[n + 1..]
                .iter()
                .find(|(l, _)| l <= level)
                .map(|(_, r)| r.start)
                .unwrap_or(text.len());
            let body = text.get(range.start..end).unwrap_or("");
            let found: Vec<_> = id_re.find_iter(head).collect();
            let found = if found.is_empty() {
                id_re.find_iter(body).collect()
            } else {
                found
            };
            let mut seen = BTreeSet::new();
            for m in found {
                if seen.insert(canonical(m.as_str())) {
                    out.push(Mitigation {
                        id: canonical(m.as_str()),
                        approver: approver(body),
                        follow_up: follow_up(body),
                        span: line_span(src.text(), range.start),
                    });
                }
            }
            in_section.push(range.start..end);
        }
        // Line form.
        for n in 1..=src.line_count() {
            let Some(range) = src.line_range(n) else {
                continue;
            };
            if in_section.iter().any(|s| s.contains(&range.start)) {
                continue;
            }
            let line = &text[range.clone()];
            if !line.to_ascii_lowercase().contains("mitigat") {
                continue;
            }
            for m in id_re.find_iter(line) {
                out.push(Mitigation {
                    id: canonical(m.as_str()),
                    approver: approver(line),
                    follow_up: follow_up(line),
                    span: range.clone(),
                });
            }
        }
        out
    }
}

fn approver_regex() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r"(?i)(?:approved|approval|signed[- ]off|sign-off)(?:\s+by)?\s*:?\s*(@[A-Za-z0-9][A-Za-z0-9_-]*(?:/[A-Za-z0-9][A-Za-z0-9_.-]*[A-Za-z0-9_-])?)")
            .expect("static regex")
    })
}

fn follow_regex() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r"(?i)(?:follow[- ]?up|tracked in|issue)[^\n#]{0,20}?:?\s*((?:[\w.-]+/[\w.-]+)?#\d+|OA-RUST-\d+|https?://\S+/issues/\d+)")
            .expect("static regex")
    })
}

/// True when the clause around `at` in `text` matches a negation. Clauses end at line breaks,
/// `;`, `,`, `|`, `!`, `?`, and `.` before a space.
pub fn is_negated(text: &str, at: Range<usize>, negations: &[regex::Regex]) -> bool {
    let bytes = text.as_bytes();
    let is_end = |i: usize| match bytes[i] {
        b'\n' | b';' | b',' | b'|' | b'!' | b'?' => true,
        b'.' => bytes.get(i + 1).is_none_or(|b| b.is_ascii_whitespace()),
        _ => false,
    };
    let mut start = at.start.min(text.len());
    while start > 0 && !is_end(start - 1) {
        start -= 1;
    }
    let mut end = at.end.min(text.len());
    while end < bytes.len() && !is_end(end) {
        end += 1;
    }
    let clause = text.get(start..end).unwrap_or("");
    negations.iter().any(|n| n.is_match(clause))
}

/// The line of `text` holding `at`, without its line break.
fn line_span(text: &str, at: usize) -> Range<usize> {
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let end = if end > start && text.as_bytes()[end - 1] == b'\r' {
        end - 1
    } else {
        end
    };
    start..end
}

/// The first line of `range`, at most `MAX_TITLE` bytes of it (a 10,000-deep nested list has
/// 10,000 items sharing one line; reading each to its end would be quadratic).
fn first_line(text: &str, range: Range<usize>) -> Range<usize> {
    let r = text.get(range.clone()).unwrap_or("");
    let mut cap = r.len().min(MAX_TITLE);
    while !r.is_char_boundary(cap) {
        cap -= 1;
    }
    let end = r[..cap].find('\n').unwrap_or(cap);
    range.start..range.start + end
}

/// How much of a block's first line is read to recognise a checklist item.
const MAX_TITLE: usize = 200;

/// `text` with `hidden` ranges blanked (line breaks kept, so offsets and lines hold).
fn mask(text: &str, hidden: &[Range<usize>]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    // Nested quotes give nested ranges: merge them first, so each byte is written once.
    let mut ranges: Vec<Range<usize>> = hidden.to_vec();
    ranges.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    for r in &merged {
        let end = r.end.min(bytes.len());
        for b in &mut bytes[r.start.min(end)..end] {
            if *b != b'\n' && *b != b'\r' {
                *b = b' ';
            }
        }
    }
    // Blanking whole UTF-8 sequences keeps the text valid; a range cut inside one (never from
    // the parser, whose offsets are on boundaries) is repaired lossily.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// `<!-- ... -->` ranges of `text` that do not start inside `code` (an unclosed comment runs to
/// the end).
fn comments(text: &str, code: &[Range<usize>]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = text[at..].find("<!--") {
        let start = at + i;
        if code.iter().any(|c| c.contains(&start)) {
            at = start + 4;
            continue;
        }
        let end = text[start + 4..]
            .find("-->")
            .map_or(text.len(), |j| start + 4 + j + 3);
        out.push(start..end);
        at = end;
    }
    out
}

/// A block's first line without its list marker, task box, heading hashes or table pipe.
fn strip_marker(line: &str) -> &str {
    let t = line.trim_start();
    let t = t
        .trim_start_matches('#')
        .trim_start_matches('|')
        .trim_start();
    let t = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(i) if i > 0 && (t[i..].starts_with('.') || t[i..].starts_with(')')) => &t[i + 1..],
        _ => t.strip_prefix(['-', '*', '+']).unwrap_or(t),
    };
    let t = t.trim_start();
    let t = t
        .strip_prefix("[x]")
        .or_else(|| t.strip_prefix("[X]"))
        .or_else(|| t.strip_prefix("[ ]"))
        .unwrap_or(t);
    t.trim_start()
}

/// Lowercase words of `s`: everything but letters and digits is a separator.
fn words(s: &str) -> String {
    s.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether an item says something of its own.
fn item_state(block: &str, spec: &ItemSpec, checked: Option<bool>) -> ItemState {
    let mut lines = block.lines();
    let first = strip_marker(lines.next().unwrap_or(""));
    let rest: Vec<&str> = lines.map(strip_marker).collect();
    let all = words(&format!("{first} {}", rest.join(" ")));
    let title = words(&spec.title);
    let body = all.strip_prefix(&title).unwrap_or(&all).trim().to_string();
    // The first line's label up to its colon is the item's title as the author wrote it.
    let body = match first.split_once(':') {
        Some((label, after)) if body == all => {
            let _ = label;
            words(&format!("{after} {}", rest.join(" ")))
        }
        _ => body,
    };
    if let Some(t) = &spec.template {
        let t = words(t);
        if body == t || all == t {
            return ItemState::Template;
        }
    }
    if body.is_empty() && checked != Some(true) {
        return ItemState::Empty;
    }
    ItemState::Addressed
}

fn id_regex(ids: &[String]) -> Option<regex::Regex> {
    if ids.is_empty() {
        return None;
    }
    let alts: Vec<String> = ids.iter().map(|i| regex::escape(i)).collect();
    regex::Regex::new(&format!(r"(?i)\b(?:{})\b", alts.join("|"))).ok()
}

/// The IDs of `ids` from `a` to `b` (same prefix, numeric suffix in range), for `INV-01..INV-10`.
fn expand_range(a: &str, b: &str, ids: &[String]) -> Vec<String> {
    let split = |s: &str| {
        let d = s.trim_end_matches(|c: char| c.is_ascii_digit());
        (d.to_ascii_uppercase(), s[d.len()..].parse::<u32>().ok())
    };
    let ((pa, Some(na)), (pb, Some(nb))) = (split(a), split(b)) else {
        return Vec::new();
    };
    if pa != pb || na > nb {
        return Vec::new();
    }
    ids.iter()
        .filter(|i| {
            let (p, n) = split(i);
            p == pa && n.is_some_and(|n| (na..=nb).contains(&n))
        })
        .cloned()
        .collect()
}

/// Reads the claims of one line: IDs, lists of IDs and ranges form groups; each group takes
/// the segment after it, up to the next group (`INV-01: affected; INV-02: N/A - no change`).
fn mentions_on_line(
    line: &str,
    offset: usize,
    n: usize,
    ids: &[String],
    id_re: &regex::Regex,
    out: &mut Vec<Mention>,
) {
    let canonical = |m: &str| {
        ids.iter()
            .find(|i| i.eq_ignore_ascii_case(m))
            .cloned()
            .unwrap_or_else(|| m.to_ascii_uppercase())
    };
    // Tokens: (span of the first ID, end, IDs).
    let found: Vec<_> = id_re.find_iter(line).collect();
    let mut tokens: Vec<(Range<usize>, usize, Vec<String>)> = Vec::new();
    let mut k = 0;
    while k < found.len() {
        let m = found[k];
        if let Some(next) = found.get(k + 1) {
            let between = line[m.end()..next.start()]
                .trim_matches(|c: char| c == '`' || c == '*' || c.is_whitespace());
            if matches!(
                between,
                ".." | "..." | "–" | "—" | "to" | "through" | "thru"
            ) {
                let expanded = expand_range(m.as_str(), next.as_str(), ids);
                if !expanded.is_empty() {
                    tokens.push((m.range(), next.end(), expanded));
                    k += 2;
                    continue;
                }
            }
        }
        tokens.push((m.range(), m.end(), vec![canonical(m.as_str())]));
        k += 1;
    }
    // Groups: tokens separated only by commas, slashes, "and", backticks, whitespace.
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (t, tok) in tokens.iter().enumerate() {
        let joins = t > 0 && {
            let prev_end = tokens[t - 1].1;
            let between = line[prev_end..tok.0.start].to_ascii_lowercase();
            between
                .split(|c: char| c.is_whitespace() || ",/&`*+".contains(c))
                .all(|w| w.is_empty() || w == "and" || w == "or")
        };
        match groups.last_mut() {
            Some(g) if joins => g.push(t),
            _ => groups.push(vec![t]),
        }
    }
    let lower = line.to_ascii_lowercase();
    for (g, group) in groups.iter().enumerate() {
        let seg_start = tokens[*group.last().expect("groups are non-empty")].1;
        let seg_end = groups
            .get(g + 1)
            .map(|next| tokens[next[0]].0.start)
            .unwrap_or(line.len());
        let claim = claim_of(lower.get(seg_start..seg_end).unwrap_or(""));
        for &t in group {
            let (span, _, list) = &tokens[t];
            for id in list {
                out.push(Mention {
                    id: id.clone(),
                    span: offset + span.start..offset + span.end,
                    line: n,
                    claim: claim.clone(),
                });
            }
        }
    }
}

/// What a claim segment says: not applicable (with its reason) or affected.
fn claim_of(segment: &str) -> Claim {
    let lead =
        segment.trim_start_matches(|c: char| c.is_whitespace() || ":-–—,.;()|`*".contains(c));
    let is_word = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
    // An explicit "affected" first wins over an N/A word later in the segment.
    for yes in ["affected", "impacted", "yes", "changed"] {
        if lead.starts_with(yes) && is_word(lead[yes.len()..].chars().next()) {
            return Claim::Affected;
        }
    }
    for marker in NOT_APPLICABLE {
        if let Some(i) = segment.find(marker) {
            // "none" only counts as a word.
            if !is_word(segment[..i].chars().next_back())
                || !is_word(segment[i + marker.len()..].chars().next())
            {
                continue;
            }
            let reason = segment[i + marker.len()..]
                .trim_start_matches(|c: char| c.is_whitespace() || ":-–—,.;()|`*".contains(c))
                .trim_end_matches(|c: char| c.is_whitespace() || ";,|)`*".contains(c))
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

    fn claims(pr: &PrDescription) -> Vec<(String, Claim)> {
        pr.mentions
            .iter()
            .map(|m| (m.id.clone(), m.claim.clone()))
            .collect()
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
    fn one_segment_per_id() {
        // See #17: every ID used to take the text after the last one.
        let pr = parse("INV-01: affected (new message); INV-02: N/A - no transport change\n");
        assert_eq!(
            claims(&pr),
            [
                ("INV-01".into(), Claim::Affected),
                (
                    "INV-02".into(),
                    Claim::NotApplicable("no transport change".into())
                )
            ]
        );
        let pr = parse("INV-02, INV-03: does not apply (no transport change)\n");
        assert_eq!(
            claims(&pr),
            [
                (
                    "INV-02".into(),
                    Claim::NotApplicable("no transport change".into())
                ),
                (
                    "INV-03".into(),
                    Claim::NotApplicable("no transport change".into())
                )
            ]
        );
    }

    #[test]
    fn ranges_expand() {
        let pr = parse("INV-01..INV-10: N/A - docs only\n");
        assert_eq!(pr.mentions.len(), 10);
        assert!(pr
            .mentions
            .iter()
            .all(|m| m.claim == Claim::NotApplicable("docs only".into())));
        assert_eq!(pr.mentions[9].id, "INV-10");
        let pr = parse("INV-03 to INV-05 not affected: no client change\n");
        let ids: Vec<_> = pr.mentions.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["INV-03", "INV-04", "INV-05"]);
        assert_eq!(
            pr.mentions[0].claim,
            Claim::NotApplicable("no client change".into())
        );
    }

    #[test]
    fn code_blocks_quotes_and_comments_say_nothing() {
        let pr = parse("```\nINV-01\n```\n<!-- INV-02 -->\n<!--\nINV-05\n-->\n> INV-07: N/A\n\nText\n\n    - INV-04: N/A\n\nINV-06 ok\n");
        let ids: Vec<_> = pr.mentions.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["INV-06"]);
    }

    #[test]
    fn longer_fences_quote_shorter_ones() {
        let pr = parse("````md\n```\nINV-01\n```\nINV-02\n````\n~~~\n```\nINV-04\n~~~\n```\nINV-08\n```\nINV-06 ok\n");
        let ids: Vec<_> = pr.mentions.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["INV-06"]);
    }

    #[test]
    fn tasks_and_mitigations() {
        let pr = parse("- [x] Invariant impact\n- [ ] Transport impact\n\nINV-07 mitigation: approved by @lead, follow-up #42\n");
        assert_eq!(pr.tasks.len(), 2);
        assert!(pr.tasks[0].is_checked && !pr.tasks[1].is_checked);
        let m = &pr.mitigations[0];
        assert_eq!(m.id, "INV-07");
        assert_eq!(m.approver.as_deref(), Some("@lead"));
        assert_eq!(m.follow_up.as_deref(), Some("#42"));
    }

    #[test]
    fn mitigation_section_and_negated_approval() {
        let pr = parse("## Mitigation (INV-07)\n\nOwner approval: approved by @lead.\nFollow-up issue: #77\n\n## Other\nINV-08 mitigation: NOT approved by @lead, follow-up #1\n");
        assert_eq!(pr.mitigations.len(), 2);
        assert_eq!(pr.mitigations[0].id, "INV-07");
        assert_eq!(pr.mitigations[0].approver.as_deref(), Some("@lead"));
        assert_eq!(pr.mitigations[0].follow_up.as_deref(), Some("#77"));
        assert_eq!(pr.mitigations[1].id, "INV-08");
        assert_eq!(pr.mitigations[1].approver, None);
    }

    #[test]
    fn spec_numbered_format() {
        let pr = parse(concat!(
            "1. Invariant impact:\n   - INV-01: affected (new message); INV-02..INV-10: N/A - no other surface\n",
            "2. Contract impact:\n   - proto/ updated first (`INV-01`).\n",
            "3. Transport impact:\n   - no WS command RPC, no SSE/poll lane (`INV-02`, `INV-03`).\n",
            "4. Authority boundaries:\n   - no cross-plane SQL (`INV-04`).\n",
            "5. Service boundaries:\n   - no in-memory coupling (`INV-05`).\n",
            "6. Operations:\n   - no runtime deploy change (`INV-09`).\n",
            "7. Deletion/parity:\n   - nothing deleted (`INV-10`).\n",
        ));
        assert_eq!(pr.items.len(), 7);
        assert!(pr.items.iter().all(|i| i.state == ItemState::Addressed));
        assert_eq!(pr.mentions.len(), 10);
        assert_eq!(pr.mentions[0].claim, Claim::Affected);
        assert!(pr.mentions[1..]
            .iter()
            .all(|m| matches!(m.claim, Claim::NotApplicable(_))));
        assert_eq!(pr.context.len(), 7);
    }

    #[test]
    fn template_is_not_addressed() {
        let pr = parse(concat!(
            "- [x] Invariant impact: `INV-*` IDs affected by this change.\n",
            "- [x] Contract impact: if cross-boundary contract changed, confirm `proto/` update first (`INV-01`).\n",
            "- [x] Operations: runtime deploy/migration implications documented (`INV-09`).\n",
        ));
        assert_eq!(pr.items.len(), 3);
        assert!(pr.items.iter().all(|i| i.state == ItemState::Template));
        assert!(pr.mentions.is_empty());
        let deploy = regex::Regex::new("(?i)deploy").unwrap();
        assert!(pr.states(&deploy).is_none());
    }

    #[test]
    fn numbered_template_is_not_addressed() {
        let pr = parse("1. Invariant impact:\n   - `INV-*` IDs affected by this change.\n6. Operations:\n   - runtime deploy/migration implications documented (`INV-09`).\n7. Deletion/parity:\n");
        let states: Vec<_> = pr.items.iter().map(|i| (i.index, i.state)).collect();
        assert_eq!(
            states,
            [
                (0, ItemState::Template),
                (5, ItemState::Template),
                (6, ItemState::Empty)
            ]
        );
        assert!(pr.mentions.is_empty() && pr.context.len() == 1);
    }

    #[test]
    fn evidence_is_positive() {
        let re = regex::Regex::new(r"(?i)migrat\w*[- ]job").unwrap();
        let pr = parse("- [x] Operations: no deploy, no migration job run\n<!-- attach migration-job evidence -->\n");
        assert!(pr.states(&re).is_none());
        let pr = parse("- [x] Operations: deployed, then ran the migration job (run 42)\n");
        assert!(pr.states(&re).is_some());
        let backup = regex::Regex::new(r"(?i)laravel db backup").unwrap();
        assert!(parse("No Laravel DB backup was taken.\n")
            .states(&backup)
            .is_none());
        assert!(parse("Laravel DB backup taken 2026-02-20.\n")
            .states(&backup)
            .is_some());
    }

    #[test]
    fn none_is_a_word() {
        assert_eq!(claim_of(": nonetheless affected"), Claim::Affected);
        assert_eq!(
            claim_of(": none (ws only)"),
            Claim::NotApplicable("ws only".into())
        );
    }
}
