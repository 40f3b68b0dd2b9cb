//! What a run produced: [`Report`] (findings, notes, coverage, stats) and the [`Gate`] it was
//! judged at. Built by the pipeline (`lib.rs`), read by the renderers.

use std::sync::Arc;

use crate::engine::config::Config;
use crate::engine::finding::Finding;

/// Which gate findings are evaluated against (OA-RUST-003, "Escalation Rules").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Gate {
    /// Pull-request merge: `block-release` findings only warn.
    #[default]
    Merge,
    /// Release promotion: every escalation class blocks.
    Release,
}

impl Gate {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Gate::Merge => "merge",
            Gate::Release => "release",
        }
    }
}

/// How many files of the tree each invariant's check reads.
#[derive(Debug, Clone, Default)]
pub struct Coverage {
    /// Invariants whose check has a path scope.
    pub measured: usize,
    /// Those that see no file and are not marked not applicable.
    pub blind: Vec<String>,
    /// Those that see no file and are marked `not-applicable`.
    pub not_applicable: Vec<String>,
}

/// A skipped or partially read input.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RunNote {
    /// Path concerned.
    pub path: String,
    /// What happened.
    pub message: String,
    /// True when a check needed the file, so the result is incomplete (exit 2).
    pub is_incomplete: bool,
}

impl RunNote {
    /// How the text outputs label it: `error` when it makes the result incomplete, else `note`.
    pub fn label(&self) -> &'static str {
        if self.is_incomplete {
            "error"
        } else {
            "note"
        }
    }
}

/// The result of a check run.
#[derive(Debug)]
pub struct Report {
    /// Sorted findings.
    pub findings: Vec<Finding>,
    /// Files skipped or unreadable.
    pub notes: Vec<RunNote>,
    /// The policy used.
    pub config: Arc<Config>,
    /// What was compared.
    pub description: String,
    /// Number of changed files.
    pub files_changed: usize,
    /// The gate.
    pub gate: Gate,
    /// IDs of invariants declared but not checked (planned).
    pub planned: Vec<String>,
    /// What the PR description said, when there was one.
    pub pr: Option<PrStatus>,
    /// Work counters, for `check --stats`.
    pub stats: Stats,
    /// What the invariants see of the tree (`None` when not measured: `--staged`, or off).
    pub coverage: Option<Coverage>,
    /// What was left out or softened after the checks (baseline, --select/--ignore, bots).
    pub filtered: crate::cli_filter::Filtered,
}

/// What a run did, for `check --stats` and the benchmark's notes.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Files in the change set (every file for `--all`).
    pub files: usize,
    /// `.rs` files among them.
    pub rust_files: usize,
    /// Rust files parsed with syn (after the checks' text prefilters), once per check and side
    /// (head, base) that parsed it. Fn bodies are parsed only when a check needs them.
    pub syn_parses: usize,
    /// Rust files a check's gate turned away after lexing them, before syn (not in
    /// `syn_parses`).
    pub syn_gated: usize,
    /// Fn bodies of those parses: (parsed, left unparsed because no check needed them).
    pub syn_bodies: (usize, usize),
    /// Wall time of each check in milliseconds (checks run in parallel), less the files it read:
    /// reading and decoding files has its own row ("read"), as does the SQL scan.
    pub rule_ms: Vec<(String, f64)>,
    /// Time to read, parse and validate the judging policy, in milliseconds (`None` when the
    /// caller loaded it).
    pub policy_ms: Option<f64>,
}

/// The PR description's mapping, for summaries.
#[derive(Debug, Clone, Default)]
pub struct PrStatus {
    /// Where it came from ("PR description", "commit messages").
    pub source: String,
    /// IDs claimed as affected, in order of first mention.
    pub affected: Vec<String>,
    /// IDs marked not applicable.
    pub not_applicable: Vec<String>,
}

impl PrStatus {
    /// The mapping `pr` states.
    pub fn of(pr: &crate::engine::pr::PrDescription) -> PrStatus {
        let mut out = PrStatus {
            source: pr.source.name().to_string(),
            ..PrStatus::default()
        };
        for m in &pr.mentions {
            let list = match m.claim {
                crate::engine::pr::Claim::Affected => &mut out.affected,
                crate::engine::pr::Claim::NotApplicable(_) => &mut out.not_applicable,
            };
            if !list.contains(&m.id) {
                list.push(m.id.clone());
            }
        }
        out
    }
}

impl Report {
    /// Drops the findings of the checks that read the PR description (PR-01..PR-06), for runs
    /// whose commit messages are not descriptions (`--no-pr-checks`). SUP-01 also runs after
    /// every other check but reads files: it stays.
    pub fn drop_description_checks(&mut self, config: &crate::engine::config::Config) {
        self.findings.retain(|f| {
            config
                .invariant(&f.code)
                .is_none_or(|i| !i.reads_description())
        });
    }

    /// Findings that block at the gate.
    pub fn blocking(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.is_blocking)
    }

    /// Process exit code: 1 when something blocks, 2 when a needed file could not be read,
    /// else 0.
    pub fn exit_code(&self) -> i32 {
        if self.blocking().next().is_some() {
            1
        } else if self.notes.iter().any(|n| n.is_incomplete) {
            2
        } else {
            0
        }
    }
}
