//! The numbers: per invariant, per owner lane, the KPI and its weekly trend.
//!
//! Definitions (also in the README, "Weekly report"):
//!
//! - **Landed violation**: a commit of the window with at least one finding of the invariant that
//!   blocks at the merge gate. It landed on the branch anyway. Counted once per commit and
//!   invariant (its findings are counted separately as `blocking findings`).
//! - **Warning**: a finding that does not block at the merge gate, is not suppressed and is not
//!   covered by a mitigation.
//! - **Suppression added**: an inline `invlint: allow(ID)` comment a commit added that silenced a
//!   finding. It is **active** at the report date (`--until`, else today) when it has no `until`
//!   or its `until` is on or after that date, **expired** otherwise.
//! - **Mitigation accepted**: a block-merge-unless-mitigated finding covered by an owner-approved
//!   mitigation with a follow-up reference in the commit message. Its follow-up is **open**
//!   unless a later commit of the window says it closes it: a closing keyword (close, closes,
//!   closed, fix, fixes, fixed, resolve, resolves, resolved), optionally followed by other
//!   references, then the reference, on one line (`Fixes #42`, `closes OA-RUST-120, #43`). This
//!   is what the repository shows; an issue closed by hand in a tracker is not visible to it.
//! - **KPI** (KPI-05 style, "unresolved invariant violations"): landed violations plus open
//!   mitigations, with the `[report]` thresholds.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{CommitEval, CommitInfo, Day, Status, Thresholds};
use crate::engine::config::Config;

/// A value and its status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Kpi {
    /// Landed violations plus open mitigations.
    pub value: u64,
    /// From the thresholds.
    pub status: Status,
}

/// The counters of one invariant or owner lane.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Commits that landed with a blocking finding.
    pub landed_violations: u64,
    /// Their blocking findings.
    pub blocking_findings: u64,
    /// Non-blocking findings (not suppressed, not mitigated).
    pub warnings: u64,
    /// Suppressions added in the window.
    pub suppressions_added: u64,
    /// Of those, active at the report date.
    pub suppressions_active: u64,
    /// Of those, expired at the report date.
    pub suppressions_expired: u64,
    /// Mitigations accepted.
    pub mitigations_accepted: u64,
    /// Of those, with an open follow-up.
    pub mitigations_open: u64,
    /// Commits that deleted legacy files.
    pub legacy_deletions: u64,
}

impl Counts {
    /// Adds `o`'s counters to these.
    pub fn add(&mut self, o: &Counts) {
        self.landed_violations += o.landed_violations;
        self.blocking_findings += o.blocking_findings;
        self.warnings += o.warnings;
        self.suppressions_added += o.suppressions_added;
        self.suppressions_active += o.suppressions_active;
        self.suppressions_expired += o.suppressions_expired;
        self.mitigations_accepted += o.mitigations_accepted;
        self.mitigations_open += o.mitigations_open;
        self.legacy_deletions += o.legacy_deletions;
    }

    /// The KPI value.
    pub fn value(&self) -> u64 {
        self.landed_violations + self.mitigations_open
    }
}

/// One invariant's row.
#[derive(Debug, Clone, Serialize)]
pub struct InvariantRow {
    /// ID.
    pub code: String,
    /// Title (the policy's; empty for built-in checks).
    pub title: String,
    /// Owners from the policy.
    pub owners: Vec<String>,
    /// Counters.
    #[serde(flatten)]
    pub counts: Counts,
    /// The KPI.
    pub kpi: Kpi,
    /// KPI contributions per week of the trend (same order as [`Summary::weeks`]).
    pub weekly: Vec<u64>,
}

/// One owner lane.
#[derive(Debug, Clone, Serialize)]
pub struct OwnerRow {
    /// `@name`, or `(unowned)`.
    pub owner: String,
    /// Invariants the lane owns.
    pub invariants: Vec<String>,
    /// Counters, summed over its invariants.
    #[serde(flatten)]
    pub counts: Counts,
    /// The KPI (sum of its invariants' values).
    pub kpi: Kpi,
}

/// Where an item comes from.
#[derive(Debug, Clone, Serialize)]
pub struct At {
    /// Full commit ID.
    pub commit: String,
    /// 9-digit abbreviation.
    pub short: String,
    /// Commit subject.
    pub subject: String,
    /// Committer day.
    pub date: String,
}

/// A landed violation.
#[derive(Debug, Clone, Serialize)]
pub struct Violation {
    /// Where.
    #[serde(flatten)]
    pub at: At,
    /// Invariant.
    pub code: String,
    /// Blocking findings of that invariant in the commit.
    pub findings: u64,
    /// The first one's message.
    pub message: String,
    /// Its path.
    pub path: Option<String>,
    /// Its line.
    pub line: Option<usize>,
}

/// An accepted mitigation.
#[derive(Debug, Clone, Serialize)]
pub struct MitigationItem {
    /// Where.
    #[serde(flatten)]
    pub at: At,
    /// Invariant.
    pub code: String,
    /// Approver.
    pub approver: String,
    /// Follow-up reference.
    pub follow_up: String,
    /// Still open at the report date.
    pub open: bool,
    /// The commit that closed it.
    pub closed_by: Option<String>,
}

/// A suppression added.
#[derive(Debug, Clone, Serialize)]
pub struct SuppressionItem {
    /// Where.
    #[serde(flatten)]
    pub at: At,
    /// Invariant.
    pub code: String,
    /// File.
    pub path: String,
    /// Line.
    pub line: usize,
    /// `until`.
    pub until: Option<String>,
    /// Active at the report date.
    pub active: bool,
    /// Reason, issue, owner, until as written.
    pub evidence: String,
}

/// A legacy deletion.
#[derive(Debug, Clone, Serialize)]
pub struct LegacyItem {
    /// Where.
    #[serde(flatten)]
    pub at: At,
    /// Invariant (INV-10).
    pub code: String,
    /// Deleted files.
    pub files: Vec<String>,
    /// Gates the commit message cited.
    pub gates_cited: Vec<String>,
}

/// A commit that could not be evaluated.
#[derive(Debug, Clone, Serialize)]
pub struct NotEvaluated {
    /// Where.
    #[serde(flatten)]
    pub at: At,
    /// Why.
    pub error: String,
}

/// Everything summarised.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Commits in the window.
    pub commits: usize,
    /// Week starts (Mondays) of the trend.
    pub weeks: Vec<String>,
    /// Per invariant, in policy order, then built-in checks that reported.
    pub invariants: Vec<InvariantRow>,
    /// Per owner lane.
    pub owners: Vec<OwnerRow>,
    /// All invariants together.
    pub total: Kpi,
    /// Total KPI per week.
    pub weekly_total: Vec<u64>,
    /// Details.
    pub violations: Vec<Violation>,
    /// Details.
    pub mitigations: Vec<MitigationItem>,
    /// Details.
    pub suppressions: Vec<SuppressionItem>,
    /// Details.
    pub legacy: Vec<LegacyItem>,
    /// Commits that could not be evaluated: the numbers above do not include them.
    pub not_evaluated: Vec<NotEvaluated>,
}

const CLOSING: [&str; 9] = [
    "close", "closes", "closed", "fix", "fixes", "fixed", "resolve", "resolves", "resolved",
];

/// Whether `message` closes `reference` (see the module docs).
pub fn closes(message: &str, reference: &str) -> bool {
    let want = reference.trim().to_ascii_lowercase();
    if want.is_empty() {
        return false;
    }
    let clean = |t: &str| {
        t.trim_matches(|c: char| matches!(c, '.' | ',' | ';' | ':' | '(' | ')' | '`' | '*'))
            .to_ascii_lowercase()
    };
    for line in message.lines() {
        let tokens: Vec<&str> = line.split_whitespace().collect();
        for (i, t) in tokens.iter().enumerate() {
            if !CLOSING.contains(&clean(t).as_str()) {
                continue;
            }
            for t in &tokens[i + 1..] {
                let c = clean(t);
                if c == want {
                    return true;
                }
                let is_ref = c.starts_with('#') || c.chars().any(|ch| ch.is_ascii_digit());
                if !(is_ref || c == "and" || c == "issue" || c == "issues" || c.is_empty()) {
                    break;
                }
            }
        }
    }
    false
}

/// Summarises the evaluated commits, judging "active" and "open" at `as_of`.
pub fn summarize(
    config: &Config,
    commits: &[(CommitInfo, CommitEval)],
    as_of: Day,
    thresholds: &Thresholds,
) -> Summary {
    let mut counts: BTreeMap<String, Counts> = BTreeMap::new();
    let mut weekly: BTreeMap<(String, Day), u64> = BTreeMap::new();
    let mut s = Summary {
        commits: commits.len(),
        weeks: Vec::new(),
        invariants: Vec::new(),
        owners: Vec::new(),
        total: Kpi {
            value: 0,
            status: Status::Green,
        },
        weekly_total: Vec::new(),
        violations: Vec::new(),
        mitigations: Vec::new(),
        suppressions: Vec::new(),
        legacy: Vec::new(),
        not_evaluated: Vec::new(),
    };
    for (n, (info, eval)) in commits.iter().enumerate() {
        let at = At {
            commit: info.id.clone(),
            short: info.short.clone(),
            subject: info.subject.clone(),
            date: info.day().to_string(),
        };
        let week = info.day().week_start();
        if let Some(e) = &eval.error {
            s.not_evaluated.push(NotEvaluated {
                at,
                error: e.clone(),
            });
            continue;
        }
        let mut blocking: BTreeMap<&str, Vec<&super::FindingRec>> = BTreeMap::new();
        let mut mitigations: BTreeSet<(&str, &super::Mitigation)> = BTreeSet::new();
        for f in &eval.findings {
            let c = counts.entry(f.code.clone()).or_default();
            if f.blocking {
                c.blocking_findings += 1;
                blocking.entry(&f.code).or_default().push(f);
            } else if let Some(m) = &f.mitigation {
                mitigations.insert((&f.code, m));
            } else if f.severity == "warning" && !f.suppressed {
                c.warnings += 1;
            }
        }
        for (code, fs) in blocking {
            counts
                .entry(code.to_string())
                .or_default()
                .landed_violations += 1;
            *weekly.entry((code.to_string(), week)).or_default() += 1;
            s.violations.push(Violation {
                at: at.clone(),
                code: code.to_string(),
                findings: fs.len() as u64,
                message: fs[0].message.clone(),
                path: fs[0].path.clone(),
                line: fs[0].line,
            });
        }
        for (code, m) in mitigations {
            let closed_by = commits[n + 1..]
                .iter()
                .find(|(later, _)| closes(&later.message, &m.follow_up))
                .map(|(later, _)| later.short.clone());
            let c = counts.entry(code.to_string()).or_default();
            c.mitigations_accepted += 1;
            if closed_by.is_none() {
                c.mitigations_open += 1;
                *weekly.entry((code.to_string(), week)).or_default() += 1;
            }
            s.mitigations.push(MitigationItem {
                at: at.clone(),
                code: code.to_string(),
                approver: m.approver.clone(),
                follow_up: m.follow_up.clone(),
                open: closed_by.is_none(),
                closed_by,
            });
        }
        for sup in &eval.suppressions {
            let active = sup
                .until
                .as_deref()
                .and_then(Day::parse)
                .is_none_or(|u| u >= as_of);
            let c = counts.entry(sup.code.clone()).or_default();
            c.suppressions_added += 1;
            if active {
                c.suppressions_active += 1;
            } else {
                c.suppressions_expired += 1;
            }
            s.suppressions.push(SuppressionItem {
                at: at.clone(),
                code: sup.code.clone(),
                path: sup.path.clone(),
                line: sup.line,
                until: sup.until.clone(),
                active,
                evidence: sup.evidence.clone(),
            });
        }
        if let Some(l) = &eval.legacy {
            counts.entry(l.code.clone()).or_default().legacy_deletions += 1;
            s.legacy.push(LegacyItem {
                at: at.clone(),
                code: l.code.clone(),
                files: l.files.clone(),
                gates_cited: l.gates_cited.clone(),
            });
        }
    }

    // Weeks: from the window's first Monday to the report date's (or the last commit's).
    let first = commits
        .first()
        .map(|(c, _)| c.day())
        .unwrap_or(as_of)
        .week_start();
    let last = commits
        .last()
        .map(|(c, _)| c.day().max(as_of))
        .unwrap_or(as_of)
        .week_start();
    let mut weeks = Vec::new();
    let mut w = first;
    while w <= last {
        weeks.push(w);
        w = Day(w.0 + 7);
    }
    s.weeks = weeks.iter().map(|w| w.to_string()).collect();

    let mut codes: Vec<String> = config.invariants.iter().map(|i| i.id.clone()).collect();
    codes.extend(
        counts
            .keys()
            .filter(|k| config.invariant(k).is_none())
            .cloned(),
    );
    let mut total = Counts::default();
    let mut lanes: BTreeMap<String, (Vec<String>, Counts)> = BTreeMap::new();
    for code in codes {
        let c = counts.remove(&code).unwrap_or_default();
        let inv = config.invariant(&code);
        let owners: Vec<String> = inv.map(|i| i.owners.clone()).unwrap_or_default();
        let lane_names = if owners.is_empty() {
            vec!["(unowned)".to_string()]
        } else {
            owners.clone()
        };
        for o in lane_names {
            let lane = lanes.entry(o).or_default();
            lane.0.push(code.clone());
            lane.1.add(&c);
        }
        total.add(&c);
        let per_week: Vec<u64> = weeks
            .iter()
            .map(|w| weekly.get(&(code.clone(), *w)).copied().unwrap_or(0))
            .collect();
        s.invariants.push(InvariantRow {
            title: inv.map(|i| i.title.clone()).unwrap_or_default(),
            owners,
            kpi: Kpi {
                value: c.value(),
                status: thresholds.status(c.value()),
            },
            weekly: per_week,
            counts: c,
            code,
        });
    }
    s.weekly_total = (0..weeks.len())
        .map(|i| s.invariants.iter().map(|r| r.weekly[i]).sum())
        .collect();
    s.total = Kpi {
        value: total.value(),
        status: thresholds.status(total.value()),
    };
    let mut owners: Vec<OwnerRow> = lanes
        .into_iter()
        .map(|(owner, (invariants, counts))| OwnerRow {
            kpi: Kpi {
                value: counts.value(),
                status: thresholds.status(counts.value()),
            },
            owner,
            invariants,
            counts,
        })
        .collect();
    // The unowned lane last.
    owners.sort_by_key(|o| (o.owner == "(unowned)", o.owner.to_ascii_lowercase()));
    s.owners = owners;
    s
}

#[cfg(test)]
mod tests {
    use super::closes;

    #[test]
    fn closing_references() {
        assert!(closes("Fixes #42", "#42"));
        assert!(closes("sync: retry\n\ncloses OA-RUST-120, #43.", "#43"));
        assert!(closes("resolved: #7 and #42", "#42"));
        assert!(!closes("Fixes #420", "#42"));
        assert!(!closes("see #42", "#42"));
        assert!(!closes("fixes the bug mentioned in #42", "#42"));
        assert!(!closes("Fixes #42", ""));
    }
}
