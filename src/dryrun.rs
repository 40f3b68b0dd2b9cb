//! `invlint dry-run`: evaluate past commits as if each had been a pull request, and summarise
//! the results in the spec's dry-run table (OA-RUST-003, "Dry-Run Against Recent Migration
//! Changes"): `| Change | Result | Notes |`.
//!
//! Each commit is checked against its first parent (a root commit against the empty tree) with
//! its own commit message as the PR description, through the same pipeline as `invlint check`
//! ([`crate::check_with_config`] with [`DiffMode::Commit`]). The policy is loaded once, from the
//! work tree (or `--config`), and applies to every commit.

use std::path::PathBuf;
use std::sync::Arc;

use git2::{Oid, Repository, RevparseMode, Sort};
use serde::Serialize;

use crate::engine::diff::DiffMode;
use crate::engine::error::Error;
use crate::engine::finding::Finding;
use crate::engine::render::{ranked, repo_path};
use crate::{CheckOptions, Gate, Report};

/// What to dry-run.
#[derive(Debug, Clone)]
pub struct DryRunOptions {
    /// A directory inside the repository.
    pub dir: PathBuf,
    /// Revisions: single commits (evaluated in the order given) or ranges `A..B` (commits
    /// reachable from B and not from A, oldest first) and `A...B` (symmetric difference).
    pub revs: Vec<String>,
    /// Explicit policy file.
    pub config: Option<PathBuf>,
    /// Worker threads per commit (0: one per core).
    pub threads: usize,
    /// The gate.
    pub gate: Gate,
    /// Run the PR-description checks on each commit's message (`--no-pr-checks` turns them off,
    /// for histories whose commit messages carry no checklist).
    pub pr_checks: bool,
}

/// The result column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// No findings.
    Pass,
    /// Only findings that do not block at the gate.
    Warn,
    /// At least one finding blocks at the gate.
    Blocked,
}

impl Outcome {
    /// The word in the table.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "Pass",
            Outcome::Warn => "Warn",
            Outcome::Blocked => "Blocked",
        }
    }
}

/// What one invariant (or PR check) found in one commit.
#[derive(Debug, Clone, Serialize)]
pub struct InvariantNote {
    /// Invariant ID (`INV-03`, `PR-04`).
    pub id: String,
    /// True when any of its findings blocks at the gate.
    pub blocking: bool,
    /// True when its findings are mitigated (owner-approved, with a follow-up).
    pub mitigated: bool,
    /// Number of findings.
    pub count: usize,
    /// The first finding's message, shortened, with the file it points at.
    pub summary: String,
    /// The first finding's repository path (absent when it points into the commit message).
    pub path: Option<String>,
    /// The first finding's 1-based line.
    pub line: Option<usize>,
}

/// One finding of one commit, in full (the JSON document's `findings`), for triage tables:
/// `bench/realworld.sh` keys each by commit, code, path and message.
#[derive(Debug, Clone, Serialize)]
pub struct FindingNote {
    /// Invariant or check ID.
    pub code: String,
    /// True when it blocks at the gate.
    pub blocking: bool,
    /// Repository path (absent when it points into the commit message).
    pub path: Option<String>,
    /// 1-based line.
    pub line: Option<usize>,
    /// The whole message.
    pub message: String,
}

/// A file that could not be read while evaluating a commit.
#[derive(Debug, Clone, Serialize)]
pub struct Incomplete {
    /// Path.
    pub path: String,
    /// What happened.
    pub message: String,
}

/// One evaluated commit: a row of the table.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// Full commit ID.
    pub commit: String,
    /// Abbreviated commit ID (7 hex digits).
    pub short: String,
    /// First line of the commit message.
    pub subject: String,
    /// What was compared ("1a2b3c4 against its first parent 0f9e8d7").
    pub compared: String,
    /// Pass, Warn or Blocked.
    pub result: Outcome,
    /// Findings that block at the gate.
    pub blocking: usize,
    /// Findings that do not.
    pub non_blocking: usize,
    /// Changed files.
    pub files_changed: usize,
    /// Per invariant, blocking ones first.
    pub invariants: Vec<InvariantNote>,
    /// Every finding, in report order.
    pub findings: Vec<FindingNote>,
    /// Files a check needed but could not read (the result may be incomplete).
    pub incomplete: Vec<Incomplete>,
}

impl Row {
    /// The Notes cell: each invariant and why, concisely.
    pub fn notes(&self) -> String {
        let mut parts: Vec<String> = self
            .invariants
            .iter()
            .map(|n| {
                let marker = if n.mitigated {
                    " (mitigated)"
                } else if !n.blocking && self.result == Outcome::Blocked {
                    " (warn)"
                } else {
                    ""
                };
                let more = if n.count > 1 {
                    format!(" (+{} more)", n.count - 1)
                } else {
                    String::new()
                };
                format!("{}{marker}: {}{more}", n.id, n.summary)
            })
            .collect();
        if parts.is_empty() {
            parts.push(match self.files_changed {
                0 => "no changes".to_string(),
                1 => "no findings in 1 changed file".to_string(),
                n => format!("no findings in {n} changed files"),
            });
        }
        for i in &self.incomplete {
            parts.push(format!("incomplete: {} {}", i.path, i.message));
        }
        parts.join("; ")
    }

    fn of(id: Oid, subject: String, report: &Report) -> Row {
        let mut invariants: Vec<InvariantNote> = Vec::new();
        let findings = ranked(report)
            .into_iter()
            .map(|f| FindingNote {
                code: f.code.clone(),
                blocking: f.is_blocking,
                path: repo_path(f).map(str::to_string),
                line: repo_path(f).and(f.region()).map(|r| r.0),
                message: f.message.clone(),
            })
            .collect();
        for f in ranked(report) {
            if let Some(n) = invariants.iter_mut().find(|n| n.id == f.code) {
                n.count += 1;
                n.blocking |= f.is_blocking;
                n.mitigated &= f.mitigation.is_some();
                continue;
            }
            invariants.push(InvariantNote {
                id: f.code.clone(),
                blocking: f.is_blocking,
                mitigated: f.mitigation.is_some(),
                count: 1,
                summary: summarize(f),
                path: repo_path(f).map(str::to_string),
                line: repo_path(f).and(f.region()).map(|r| r.0),
            });
        }
        let blocking = report.blocking().count();
        let result = if blocking > 0 {
            Outcome::Blocked
        } else if report.findings.is_empty() {
            Outcome::Pass
        } else {
            Outcome::Warn
        };
        let full = id.to_string();
        Row {
            short: full[..9].to_string(),
            commit: full,
            subject,
            compared: report.description.clone(),
            result,
            blocking,
            non_blocking: report.findings.len() - blocking,
            files_changed: report.files_changed,
            invariants,
            findings,
            incomplete: report
                .notes
                .iter()
                .filter(|n| n.is_incomplete)
                .map(|n| Incomplete {
                    path: n.path.clone(),
                    message: n.message.clone(),
                })
                .collect(),
        }
    }
}

/// A finding's message, shortened for a table cell (see [`shorten`]).
fn summarize(f: &Finding) -> String {
    shorten(&f.message, repo_path(f))
}

/// At most this many characters per invariant in the Notes cell.
const MAX_SUMMARY: usize = 90;

/// Shortens a finding's message for a table cell: without the "this change" / "the PR
/// description" preamble, cut before a trailing explanatory clause (", but", ", which", ", a"),
/// with the name of the file it points at; when still too long, without parenthesised
/// asides, then cut with an ellipsis.
fn shorten(message: &str, path: Option<&str>) -> String {
    let mut m = message.trim();
    for prefix in ["this change ", "the PR description ", "the PR checklist "] {
        if let Some(rest) = m.strip_prefix(prefix) {
            m = rest;
            break;
        }
    }
    let mut cut = m.len();
    let mut in_code = false;
    for (i, c) in m.char_indices() {
        if c == '`' {
            in_code = !in_code;
        } else if c == ',' && !in_code {
            let rest = &m[i..];
            if [", but ", ", which ", ", a ", ", an "]
                .iter()
                .any(|s| rest.starts_with(s))
            {
                cut = i;
                break;
            }
        }
    }
    let mut s = m[..cut].trim_end().to_string();
    if let Some(path) = path {
        let name = path.rsplit('/').next().unwrap_or(path);
        if !s.contains(name) {
            s.push_str(" in ");
            s.push_str(name);
        }
    }
    if s.chars().count() > MAX_SUMMARY {
        s = without_asides(&s);
    }
    if s.chars().count() > MAX_SUMMARY {
        s = cut_at_word(&s, MAX_SUMMARY - 1) + "…";
    }
    s
}

/// The first `max` characters of `s`, ending at a word boundary: an ID (`INV-04`), a path or a
/// backticked name is never cut in two ("INV-0…").
fn cut_at_word(s: &str, max: usize) -> String {
    let end = s.char_indices().nth(max).map_or(s.len(), |(i, _)| i);
    if end == s.len() {
        return s.to_string();
    }
    let is_break = |c: char| c.is_whitespace() || ",;".contains(c);
    let head = &s[..end];
    let next_is_break = s[end..].chars().next().is_none_or(is_break);
    let cut = if next_is_break {
        head
    } else {
        match head.rfind(is_break) {
            Some(i) if i > 0 => &head[..i],
            _ => head,
        }
    };
    cut.trim_end_matches(|c: char| is_break(c) || c == '(')
        .to_string()
}

/// `s` without ` (...)` groups outside backticks.
fn without_asides(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let (mut depth, mut in_code) = (0usize, false);
    for c in s.chars() {
        match c {
            '`' if depth == 0 => {
                in_code = !in_code;
                out.push(c);
            }
            '(' if !in_code => {
                if depth == 0 && out.ends_with(' ') {
                    out.pop();
                }
                depth += 1;
            }
            ')' if !in_code && depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The whole dry run.
#[derive(Debug)]
pub struct DryRun {
    /// The gate.
    pub gate: Gate,
    /// The policy's display path.
    pub policy: String,
    /// One row per commit, in evaluation order.
    pub rows: Vec<Row>,
}

impl DryRun {
    /// 1 when any commit is Blocked, else 2 when a needed file could not be read, else 0.
    pub fn exit_code(&self) -> i32 {
        if self.rows.iter().any(|r| r.result == Outcome::Blocked) {
            1
        } else if self.rows.iter().any(|r| !r.incomplete.is_empty()) {
            2
        } else {
            0
        }
    }

    /// How many rows have `outcome`.
    pub fn count(&self, outcome: Outcome) -> usize {
        self.rows.iter().filter(|r| r.result == outcome).count()
    }
}

fn bad_rev(rev: &str, e: &git2::Error) -> Error {
    Error::Revision {
        rev: rev.to_string(),
        message: e.message().to_string(),
        hint: "name commits (`HEAD~3`, a SHA, a branch or tag) or a range `A..B`".into(),
    }
}

/// The commits `revs` name, in evaluation order, each once: single revisions in the order given,
/// ranges expanded oldest first (topological order).
pub fn commits(repo: &Repository, revs: &[String]) -> Result<Vec<Oid>, Error> {
    let mut out: Vec<Oid> = Vec::new();
    let push = |id: Oid, out: &mut Vec<Oid>| {
        if !out.contains(&id) {
            out.push(id);
        }
    };
    for rev in revs {
        if !rev.contains("..") {
            let c = repo
                .revparse_single(rev)
                .and_then(|o| o.peel_to_commit())
                .map_err(|e| bad_rev(rev, &e))?;
            push(c.id(), &mut out);
            continue;
        }
        let spec = repo.revparse(rev).map_err(|e| bad_rev(rev, &e))?;
        let (Some(from), Some(to)) = (spec.from(), spec.to()) else {
            return Err(Error::Usage {
                message: format!("`{rev}` is not a range"),
                hint: "write ranges as A..B".into(),
            });
        };
        let from = from.peel_to_commit().map_err(|e| bad_rev(rev, &e))?.id();
        let to = to.peel_to_commit().map_err(|e| bad_rev(rev, &e))?.id();
        let mut walk = repo
            .revwalk()
            .map_err(|e| Error::git("walking history", &e))?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::REVERSE)
            .map_err(|e| Error::git("walking history", &e))?;
        let walked = if spec.mode().contains(RevparseMode::MERGE_BASE) {
            // A...B: reachable from either side and not from their merge base.
            let base = repo.merge_base(from, to).map_err(|e| bad_rev(rev, &e))?;
            walk.push(from)
                .and_then(|_| walk.push(to))
                .and_then(|_| walk.hide(base))
        } else {
            walk.push(to).and_then(|_| walk.hide(from))
        };
        walked.map_err(|e| bad_rev(rev, &e))?;
        for id in walk {
            push(id.map_err(|e| bad_rev(rev, &e))?, &mut out);
        }
    }
    Ok(out)
}

/// Evaluates every commit `opts.revs` names; `progress(done, total, row)` is called after each.
pub fn run(
    opts: &DryRunOptions,
    progress: &mut dyn FnMut(usize, usize, &Row),
) -> Result<DryRun, Error> {
    let (repo, root) = crate::engine::diff::open(&opts.dir)?;
    let config = Arc::new(crate::load_policy(opts.config.as_deref(), Some(&root))?);
    let ids = commits(&repo, &opts.revs)?;
    let mut rows = Vec::with_capacity(ids.len());
    for (n, &id) in ids.iter().enumerate() {
        let subject = repo
            .find_commit(id)
            .map(|c| {
                String::from_utf8_lossy(c.message_bytes())
                    .lines()
                    .map(str::trim)
                    .find(|l| !l.is_empty())
                    .unwrap_or("(no message)")
                    .to_string()
            })
            .map_err(|e| Error::git(format!("reading commit {id}"), &e))?;
        let check = CheckOptions {
            dir: root.clone(),
            mode: DiffMode::Commit(id.to_string()),
            config: opts.config.clone(),
            pr: None,
            threads: opts.threads,
            gate: opts.gate,
            coverage: false,
            audit_window: 0,
            today: None,
        };
        let (repo, root) = crate::engine::diff::open(&root)?;
        let mut report = crate::check_with_config(&check, repo, root, Arc::clone(&config))?;
        if !opts.pr_checks {
            report.drop_description_checks(&config);
        }
        rows.push(Row::of(id, subject, &report));
        progress(n + 1, ids.len(), &rows[n]);
    }
    Ok(DryRun {
        gate: opts.gate,
        policy: config.display_path.clone(),
        rows,
    })
}

/// Escapes a table cell: no pipes, no line breaks.
fn cell(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
}

/// The spec's dry-run table, in Markdown, in the spec's form: `` `93e9f5d7f` (`OA-RUST-001`) ``
/// when the subject names a tracker ID, else `` `93e9f5d7f` (subject) ``.
pub fn render_markdown(run: &DryRun) -> String {
    let mut out = String::from("| Change | Result | Notes |\n| --- | --- | --- |\n");
    for r in &run.rows {
        let label = match tracker_id(&r.subject) {
            Some(id) => format!("`{id}`"),
            None => cell(&r.subject),
        };
        out.push_str(&format!(
            "| `{}` ({}) | {} | {} |\n",
            r.short,
            label,
            r.result.as_str(),
            cell(&r.notes())
        ));
    }
    out
}

/// A tracker ID in a commit subject (`OA-RUST-001`, `ABC-12`), not an invariant or PR-check ID.
fn tracker_id(subject: &str) -> Option<&str> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        regex::Regex::new(r"\b[A-Z][A-Z0-9]*(?:-[A-Z][A-Z0-9]*)*-\d+\b").expect("static regex")
    });
    re.find_iter(subject)
        .map(|m| m.as_str())
        .find(|id| !id.starts_with("INV-") && !id.starts_with("PR-") && !id.starts_with("SUP-"))
}

#[derive(Serialize)]
struct Doc<'a> {
    version: u32,
    tool: &'static str,
    tool_version: &'static str,
    gate: &'static str,
    policy: &'a str,
    summary: Summary,
    commits: Vec<JsonRow<'a>>,
}

#[derive(Serialize)]
struct Summary {
    exit_code: i32,
    commits: usize,
    pass: usize,
    warn: usize,
    blocked: usize,
}

#[derive(Serialize)]
struct JsonRow<'a> {
    #[serde(flatten)]
    row: &'a Row,
    notes: String,
}

/// The dry run as a versioned JSON document (`"version": 1`), with a trailing newline.
pub fn render_json(run: &DryRun) -> String {
    let doc = Doc {
        version: 1,
        tool: "invlint",
        tool_version: env!("CARGO_PKG_VERSION"),
        gate: run.gate.as_str(),
        policy: &run.policy,
        summary: Summary {
            exit_code: run.exit_code(),
            commits: run.rows.len(),
            pass: run.count(Outcome::Pass),
            warn: run.count(Outcome::Warn),
            blocked: run.count(Outcome::Blocked),
        },
        commits: run
            .rows
            .iter()
            .map(|row| JsonRow {
                row,
                notes: row.notes(),
            })
            .collect(),
    };
    let mut s =
        serde_json::to_string_pretty(&doc).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"));
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_drop_the_preamble_and_trailing_clause_and_name_the_file() {
        assert_eq!(
            shorten(
                "this change adds an SSE client (EventSource), a non-WebSocket live-sync lane",
                Some("apps/web/js/sync/khalaClient.ts")
            ),
            "adds an SSE client (EventSource) in khalaClient.ts"
        );
        assert_eq!(
            shorten(
                "the PR description omits INV-02, but the change touches `x.rs`, an INV-02 surface",
                None
            ),
            "omits INV-02"
        );
        // Commas inside code spans and lists stay.
        assert_eq!(
            shorten("this change makes Khala code call `a, but b`", Some("k.rs")),
            "makes Khala code call `a, but b` in k.rs"
        );
    }

    #[test]
    fn long_summaries_lose_asides_then_get_an_ellipsis() {
        let long = "the PR checklist lacks items 1 (invariant impact), 2 (contract impact), 3 (transport impact), 4 (authority boundaries)";
        assert_eq!(shorten(long, None), "lacks items 1, 2, 3, 4");
        let s = shorten(&"word ".repeat(40), None);
        assert_eq!(s.chars().count(), MAX_SUMMARY);
        assert!(s.ends_with('…'));
    }

    #[test]
    fn notes_are_never_cut_inside_an_id() {
        // See #17: "INV-0…".
        let m = "this docs-only change does not mark INV-01, INV-02, INV-03, INV-04, INV-05, INV-06, INV-07, INV-08 as N/A";
        let s = shorten(m, None);
        assert!(s.ends_with("INV-06…") || s.ends_with("INV-07…"), "{s}");
        assert!(s.chars().count() <= MAX_SUMMARY);
    }

    #[test]
    fn rows_name_the_tracker_id_as_the_spec_does() {
        assert_eq!(
            tracker_id("docs: workflow update (OA-RUST-001)"),
            Some("OA-RUST-001")
        );
        assert_eq!(tracker_id("fix INV-03 lane; PR-02 text"), None);
        assert_eq!(tracker_id("architecture guardrails update"), None);
    }

    #[test]
    fn cells_escape_pipes_and_newlines() {
        assert_eq!(cell("a | b\nc"), "a \\| b c");
    }
}
