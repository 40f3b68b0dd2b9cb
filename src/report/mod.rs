//! `invlint report`: the invariant section of the weekly migration report (OA-RUST-006, KPI-05).
//!
//! Built on the dry-run machinery ([`crate::dryrun`]): the branch's first-parent history in a
//! date window is walked ([`collect::history`]), each commit is evaluated as a pull request
//! against its first parent with its own message as the description, in parallel
//! ([`collect::evaluate`], cached per commit outside the repository), and the results are
//! summarised per invariant and per owner lane ([`summary::summarize`]):
//!
//! - blocking findings that landed anyway (merged violations) and warnings;
//! - inline suppressions added in the window, still active or expired at the report date;
//! - mitigations accepted, with their follow-up references, open or closed;
//! - legacy deletions (INV-10) and the parity gates their commits cited;
//! - a KPI-05-style migration-regression value per invariant: landed violations plus open
//!   mitigations, with a green / yellow / red status from the policy's `[report]` table
//!   ([`policy`]), and a weekly trend.
//!
//! Renderers: [`markdown`] (paste into the weekly report), [`json`] (versioned, with a published
//! schema) and [`html`] (one self-contained page, inline CSS and [`svg`] charts, no script, no
//! network). Everything that comes from commits or the policy is attacker-written text and is
//! escaped in every format.
//!
//! Nothing is written into the checked repository.

pub mod cli;
pub mod collect;
pub mod html;
pub mod json;
pub mod markdown;
pub mod policy;
pub mod summary;
pub mod svg;

use serde::{Deserialize, Serialize};

pub use policy::{Status, Thresholds};
pub use summary::{summarize, Summary};

/// A calendar day, as days since 1970-01-01 (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Day(pub i64);

impl Day {
    /// Parses `YYYY-MM-DD` strictly (a real day of a real month).
    pub fn parse(s: &str) -> Option<Day> {
        let d = crate::engine::suppress::Date::parse(s.trim())?;
        // `Date` keeps its fields to itself; its canonical text is the way in.
        let t = d.to_string();
        let y: i64 = t[0..4].parse().ok()?;
        let m: i64 = t[5..7].parse().ok()?;
        let dd: i64 = t[8..10].parse().ok()?;
        Some(Day(days_from_civil(y, m, dd)))
    }

    /// The day a Unix time (seconds) falls on, in UTC.
    pub fn of_unix(secs: i64) -> Day {
        Day(secs.div_euclid(86_400))
    }

    /// Today: `INVLINT_TODAY` (YYYY-MM-DD) when set, else the system clock's UTC date.
    pub fn today() -> Result<Day, String> {
        let d = crate::engine::suppress::Date::today()?;
        Day::parse(&d.to_string()).ok_or_else(|| format!("bad date {d}"))
    }

    /// The Monday that starts this day's ISO week.
    pub fn week_start(self) -> Day {
        // 1970-01-01 was a Thursday: Monday is weekday 0 at day -3.
        Day(self.0 - (self.0 + 3).rem_euclid(7))
    }

    /// The engine's date type, for suppression expiry.
    pub fn date(self) -> crate::engine::suppress::Date {
        crate::engine::suppress::Date::from_unix_days(self.0)
    }

    /// First second of the day (Unix time).
    pub fn start_secs(self) -> i64 {
        self.0 * 86_400
    }
}

impl std::fmt::Display for Day {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.date())
    }
}

/// Howard Hinnant's `days_from_civil`: days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// What to report on.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// A directory inside the repository.
    pub dir: std::path::PathBuf,
    /// The branch (or any revision) whose first-parent history is read.
    pub branch: String,
    /// First day of the window (inclusive, UTC).
    pub since: Day,
    /// Last day of the window (inclusive, UTC); `None`: up to the branch tip.
    pub until: Option<Day>,
    /// The day "still active" and "open" are judged at when `until` is absent.
    pub today: Day,
    /// Explicit policy file.
    pub config: Option<std::path::PathBuf>,
    /// Commits evaluated at once (0: one per core). Output is identical at any count.
    pub threads: usize,
    /// Run the PR-description checks on each commit's message.
    pub pr_checks: bool,
    /// Where per-commit results are cached (`None`: no cache).
    pub cache: Option<std::path::PathBuf>,
}

impl ReportOptions {
    /// The day the report is judged at: `until`, else today.
    pub fn as_of(&self) -> Day {
        self.until.unwrap_or(self.today)
    }
}

/// One finding of one commit, as the report keeps it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingRec {
    /// Invariant or check ID (`INV-03`, `PR-01`, `POL-01`).
    pub code: String,
    /// Blocks at the merge gate.
    pub blocking: bool,
    /// `error`, `warning` or `note` at the merge gate.
    pub severity: String,
    /// The approver and follow-up of the owner-approved mitigation that covers it.
    pub mitigation: Option<Mitigation>,
    /// An inline suppression covers it.
    pub suppressed: bool,
    /// The finding's message.
    pub message: String,
    /// Repository path it points at (absent: the commit message).
    pub path: Option<String>,
    /// 1-based line.
    pub line: Option<usize>,
}

/// An accepted mitigation.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Mitigation {
    /// Who approved it (`@lead`).
    pub approver: String,
    /// The follow-up reference (`#42`, `OA-RUST-120`).
    pub follow_up: String,
}

/// An inline suppression a commit added (and that suppressed a finding).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SuppressionRec {
    /// The invariant it suppresses.
    pub code: String,
    /// File and 1-based line of the comment's target.
    pub path: String,
    /// Line.
    pub line: usize,
    /// Its `until` date, when it has one.
    pub until: Option<String>,
    /// Its evidence as written (reason, issue, owner, until).
    pub evidence: String,
}

/// Legacy files a commit deleted (INV-10's `legacy` globs) and the gates its message cited.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegacyDeletion {
    /// Deleted legacy files.
    pub files: Vec<String>,
    /// Parity gate IDs the commit message references (`OA-RUST-054`).
    pub gates_cited: Vec<String>,
    /// The invariant whose settings name the legacy surfaces (INV-10).
    pub code: String,
}

/// One evaluated commit (what the cache keeps).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommitEval {
    /// Full commit ID.
    pub commit: String,
    /// Findings, in the engine's order.
    pub findings: Vec<FindingRec>,
    /// Suppressions added.
    pub suppressions: Vec<SuppressionRec>,
    /// Legacy deletions.
    pub legacy: Option<LegacyDeletion>,
    /// Files a check needed but could not read.
    pub incomplete: Vec<String>,
    /// Set when the commit could not be evaluated at all (the rest is then empty).
    pub error: Option<String>,
}

/// One first-parent commit of the window.
#[derive(Debug, Clone)]
pub struct CommitInfo {
    /// Full ID.
    pub id: String,
    /// 9-digit abbreviation.
    pub short: String,
    /// First non-blank line of the message.
    pub subject: String,
    /// The whole message (closing references are read from it).
    pub message: String,
    /// Committer time, Unix seconds.
    pub time: i64,
}

impl CommitInfo {
    /// The committer day (UTC).
    pub fn day(&self) -> Day {
        Day::of_unix(self.time)
    }
}

/// Everything the renderers need.
#[derive(Debug)]
pub struct Report {
    /// Branch read.
    pub branch: String,
    /// Window.
    pub since: Day,
    /// Window end (as given).
    pub until: Option<Day>,
    /// The day "active" and "open" were judged at.
    pub as_of: Day,
    /// The policy's display path.
    pub policy: String,
    /// Thresholds used.
    pub thresholds: Thresholds,
    /// Commits, oldest first, with their evaluations.
    pub commits: Vec<(CommitInfo, CommitEval)>,
    /// The summary.
    pub summary: Summary,
    /// Explain pages, per reported ID (for the HTML page's links).
    pub explain: Vec<(String, String)>,
}

impl Report {
    /// 0 when every KPI is green, 1 when any is yellow or red, 2 when a commit could not be
    /// evaluated (the numbers are then incomplete).
    pub fn exit_code(&self) -> i32 {
        if self.commits.iter().any(|(_, e)| e.error.is_some()) {
            2
        } else if self.summary.total.status != Status::Green {
            1
        } else {
            0
        }
    }
}

/// Runs the whole report: walk, evaluate (calling `progress(done, total)` as commits finish),
/// summarise.
pub fn run(
    opts: &ReportOptions,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Report, crate::engine::error::Error> {
    let (repo, root) = crate::engine::diff::open(&opts.dir)?;
    let config = std::sync::Arc::new(crate::load_policy(opts.config.as_deref(), Some(&root))?);
    let infos = collect::history(&repo, &opts.branch, opts.since, opts.until)?;
    drop(repo);
    let evals = collect::evaluate(opts, &root, &config, &infos, progress)?;
    let commits: Vec<(CommitInfo, CommitEval)> = infos.into_iter().zip(evals).collect();
    let thresholds = config.report;
    let summary = summarize(&config, &commits, opts.as_of(), &thresholds);
    let explain = summary
        .invariants
        .iter()
        .map(|r| {
            let text = crate::explain::explain(&config, &r.code)
                .unwrap_or_else(|_| format!("{} has no explain page.", r.code));
            (r.code.clone(), text)
        })
        .collect();
    Ok(Report {
        branch: opts.branch.clone(),
        since: opts.since,
        until: opts.until,
        as_of: opts.as_of(),
        policy: config.display_path.clone(),
        thresholds,
        commits,
        summary,
        explain,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_round_trip_and_weeks_start_on_monday() {
        let d = Day::parse("2026-02-25").unwrap();
        assert_eq!(d.to_string(), "2026-02-25");
        assert_eq!(d.week_start().to_string(), "2026-02-23");
        assert_eq!(
            Day::parse("2026-02-23").unwrap().week_start().to_string(),
            "2026-02-23"
        );
        assert_eq!(
            Day::parse("2026-03-01").unwrap().week_start().to_string(),
            "2026-02-23"
        );
        assert_eq!(Day::parse("1970-01-01"), Some(Day(0)));
        assert_eq!(Day::parse("2024-02-30"), None);
        assert_eq!(Day::of_unix(-1).to_string(), "1969-12-31");
    }
}
