//! What happens to a report after the checks, on the user's or the policy's say: `--select` and
//! `--ignore` by code, the policy's `[bots]` switch for the PR-description checks, and (with
//! [`crate::baseline`]) findings recorded in a baseline. Every finding taken out or softened is
//! counted in [`Filtered`], and every renderer says so: nothing is dropped silently.

use std::collections::BTreeSet;

use serde::Deserialize;

use crate::engine::error::Error;
use crate::engine::finding::Severity;
use crate::{Gate, Report};

/// What was taken out of or softened in the report after the checks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filtered {
    /// The baseline applied (where it was read from), when `--baseline` was given.
    pub baseline: Option<String>,
    /// Findings recorded in the `--baseline` file, not reported.
    pub baselined: usize,
    /// Findings in the baseline that still block: block-merge invariants at the release gate.
    pub baseline_refused: usize,
    /// Findings left out by `--select` / `--ignore`.
    pub deselected: usize,
    /// PR-description findings softened (`warn`) or left out (`skip`) for a bot author.
    pub bot: usize,
    /// The bot author, when the `[bots]` switch applied.
    pub bot_author: Option<String>,
    /// PR-description findings the `[bots]` switch did not soften because the gate is release.
    pub bot_refused: usize,
}

impl Filtered {
    /// One line per adjustment, for summaries (empty when nothing was adjusted).
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(origin) = &self.baseline {
            out.push(format!(
                "{} finding(s) recorded in the baseline {} not reported",
                self.baselined,
                crate::engine::render::sanitize::line(origin)
            ));
        }
        if self.baseline_refused > 0 {
            out.push(format!(
                "{} baselined finding(s) of block-merge invariants reported anyway: the release gate does not accept a baseline for them",
                self.baseline_refused
            ));
        }
        if self.deselected > 0 {
            out.push(format!(
                "{} finding(s) left out by --select/--ignore",
                self.deselected
            ));
        }
        if let Some(author) = &self.bot_author {
            if self.bot > 0 {
                out.push(format!(
                    "{} PR-description finding(s) softened or skipped for bot author {}",
                    self.bot,
                    crate::engine::render::sanitize::line(author)
                ));
            }
            if self.bot_refused > 0 {
                out.push(format!(
                    "{} PR-description finding(s) of bot author {} still block: the release gate does not exempt bots",
                    self.bot_refused,
                    crate::engine::render::sanitize::line(author)
                ));
            }
        }
        out
    }
}

/// `--select` / `--ignore`: codes (`INV-03`, `PR-01`, `POL-01`), compared case-insensitively.
#[derive(Debug, Clone, Default)]
pub struct Selection {
    /// Report only these codes (empty: all).
    pub select: Vec<String>,
    /// Never report these codes.
    pub ignore: Vec<String>,
}

/// Codes a report can carry besides the policy's invariants: the built-in gate checks.
pub const BUILT_IN_CODES: &[&str] = &["POL-01", "VER-01"];

impl Selection {
    /// Checks every code against the policy's IDs and the built-in codes; an unknown code is a
    /// usage error with the closest known one.
    pub fn validate(&self, config: &crate::engine::config::Config) -> Result<(), Error> {
        let known: BTreeSet<String> = config
            .invariants
            .iter()
            .map(|i| i.id.to_ascii_uppercase())
            .chain(BUILT_IN_CODES.iter().map(|c| c.to_string()))
            .collect();
        for (flag, codes) in [("--select", &self.select), ("--ignore", &self.ignore)] {
            for code in codes {
                if !known.contains(&code.to_ascii_uppercase()) {
                    let near = known
                        .iter()
                        .min_by_key(|k| strsim::levenshtein(k, &code.to_ascii_uppercase()))
                        .cloned()
                        .unwrap_or_default();
                    return Err(Error::Usage {
                        message: format!(
                            "{flag} {}: no invariant or built-in check has this code",
                            crate::engine::render::sanitize::line(code)
                        ),
                        hint: format!(
                            "did you mean {near}? `invlint rules` lists the policy's codes; built-in: {}",
                            BUILT_IN_CODES.join(", ")
                        ),
                    });
                }
            }
        }
        Ok(())
    }

    fn keeps(&self, code: &str) -> bool {
        let is = |list: &Vec<String>| list.iter().any(|c| c.eq_ignore_ascii_case(code));
        (self.select.is_empty() || is(&self.select)) && !is(&self.ignore)
    }

    /// Leaves out deselected findings, counting them.
    pub fn apply(&self, report: &mut Report) {
        let before = report.findings.len();
        report.findings.retain(|f| self.keeps(&f.code));
        report.filtered.deselected += before - report.findings.len();
    }
}

/// The policy's `[bots]` table, as written.
#[derive(Debug, Default, Deserialize, Clone)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawBots {
    /// Author logins (`dependabot[bot]`, `renovate[bot]`), compared case-insensitively.
    #[serde(default)]
    pub authors: Vec<String>,
    /// `warn` (never block at the merge gate) or `skip` (not reported).
    #[serde(default)]
    pub pr_checks: Option<String>,
}

/// What the PR-description checks do for a bot author.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BotMode {
    /// Reported as warnings; never block at the merge gate.
    #[default]
    Warn,
    /// Not reported (counted in the summary).
    Skip,
}

/// The policy's bot switch, validated.
#[derive(Debug, Clone, Default)]
pub struct Bots {
    /// Author logins.
    pub authors: Vec<String>,
    /// What happens to their PR-description findings.
    pub mode: BotMode,
}

impl Bots {
    /// Validates the raw table: `pr-checks` is `warn` or `skip`; logins are non-empty.
    pub fn from_raw(raw: &RawBots) -> Result<Bots, String> {
        let mode = match raw.pr_checks.as_deref() {
            None | Some("warn") => BotMode::Warn,
            Some("skip") => BotMode::Skip,
            Some(other) => {
                return Err(format!(
                    "[bots] pr-checks = \"{other}\": use \"warn\" or \"skip\""
                ))
            }
        };
        if let Some(bad) = raw.authors.iter().find(|a| a.trim().is_empty()) {
            return Err(format!("[bots] authors has an empty login ({bad:?})"));
        }
        Ok(Bots {
            authors: raw.authors.clone(),
            mode,
        })
    }

    /// The policy's `[bots]` table, validated; a problem goes to the policy's validator (with
    /// the table's span) and leaves the switch off.
    pub fn compile(
        raw: Option<&toml::Spanned<RawBots>>,
        v: &mut crate::engine::config::Validator,
    ) -> Bots {
        let Some(b) = raw else {
            return Bots::default();
        };
        Bots::from_raw(b.get_ref()).unwrap_or_else(|message| {
            v.problem(b.span(), message, "in this table", None);
            Bots::default()
        })
    }

    /// True when `author` is one of the named bots.
    pub fn is_bot(&self, author: &str) -> bool {
        self.authors.iter().any(|a| a.eq_ignore_ascii_case(author))
    }
}

/// The checks that read the PR description (PR-01..PR-06), by check name.
pub const PR_CHECKS: &[&str] = &[
    "missing-inv-mapping",
    "checklist-item-missing",
    "na-without-reason",
    "unclaimed-invariant",
    "stale-claim",
    "release-evidence-missing",
];

/// Applies the policy's `[bots]` switch for `author`, which must come from the CI platform's own
/// context (the event file, `--pr-author`), never from the change. At the release gate nothing
/// is softened, and the summary says so.
pub fn apply_bots(report: &mut Report, author: Option<&str>) {
    let Some(author) = author.filter(|a| report.config.bots.is_bot(a)) else {
        return;
    };
    report.filtered.bot_author = Some(author.to_string());
    let is_pr = |f: &crate::engine::finding::Finding| PR_CHECKS.contains(&f.check);
    if report.gate == Gate::Release {
        report.filtered.bot_refused = report.findings.iter().filter(|f| is_pr(f)).count();
        return;
    }
    match report.config.bots.mode {
        BotMode::Skip => {
            let before = report.findings.len();
            report.findings.retain(|f| !is_pr(f));
            report.filtered.bot += before - report.findings.len();
        }
        BotMode::Warn => {
            for f in report.findings.iter_mut().filter(|f| is_pr(f)) {
                if f.is_blocking || f.severity == Severity::Error {
                    report.filtered.bot += 1;
                }
                f.is_blocking = false;
                if f.severity == Severity::Error {
                    f.severity = Severity::Warning;
                }
            }
        }
    }
}
