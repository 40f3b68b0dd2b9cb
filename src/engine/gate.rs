//! Gate evaluation (OA-RUST-003, "Escalation Rules"): for each finding, whether it blocks at the
//! selected gate, keyed by its invariant's escalation class, with the owner-approved
//! mitigations a PR description records. Runs after every check and after inline suppressions;
//! checks never decide blocking themselves.

use crate::engine::config::{Config, Escalation, Status};
use crate::engine::finding::{Finding, Severity};
use crate::engine::run::Gate;

/// The mitigation recorded for `f`'s invariant, if it is complete: approved by an owner the
/// policy lists for the invariant, with a follow-up reference.
fn mitigation_for(
    f: &Finding,
    pr: Option<&crate::engine::pr::PrDescription>,
    config: &Config,
) -> Option<String> {
    let pr = pr?;
    let inv = config.invariant(&f.code)?;
    pr.mitigations
        .iter()
        .filter(|m| m.id.eq_ignore_ascii_case(&f.code))
        .find_map(|m| {
            let approver = m.approver.as_ref()?;
            let follow_up = m.follow_up.as_ref()?;
            let is_owner = inv.owners.iter().any(|o| {
                o.trim_start_matches('@')
                    .eq_ignore_ascii_case(approver.trim_start_matches('@'))
            });
            is_owner.then(|| format!("mitigated: approved by {approver}, follow-up {follow_up}"))
        })
}

/// Gate evaluation for the built-in integrity findings (POL-01, VER-01): a policy weakening
/// blocks merge unless an owner of the weakened invariant *in the judging policy* approves it in
/// the description with a follow-up, and always blocks at the release gate; VER-01 findings are
/// made only at the release gate, where they block. Inline suppressions never apply to them.
pub fn apply_built_in(
    f: &mut Finding,
    gate: Gate,
    pr: Option<&crate::engine::pr::PrDescription>,
    config: &Config,
) {
    if f.check == crate::engine::governance::META.name && f.level == Severity::Error {
        let owners = crate::engine::governance::approvers_for(config, f.policy_subject.as_deref());
        let subject = f.policy_subject.as_deref().unwrap_or(&f.code);
        f.mitigation = pr.and_then(|pr| {
            pr.mitigations.iter().find_map(|m| {
                let named = m.id.eq_ignore_ascii_case(subject)
                    || m.id
                        .eq_ignore_ascii_case(crate::engine::governance::META.default_code);
                let approver = m.approver.as_ref()?;
                let follow_up = m.follow_up.as_ref()?;
                let is_owner = owners.iter().any(|o| {
                    o.trim_start_matches('@')
                        .eq_ignore_ascii_case(approver.trim_start_matches('@'))
                });
                (named && is_owner)
                    .then(|| format!("approved by {approver}, follow-up {follow_up}"))
            })
        });
    }
    f.suppression = None;
    f.is_blocking = f.level == Severity::Error
        && (gate == Gate::Release
            || (f.escalation != Escalation::BlockRelease && f.mitigation.is_none()));
    f.severity = if f.is_blocking {
        Severity::Error
    } else if f.level == Severity::Note {
        Severity::Note
    } else {
        Severity::Warning
    };
    if gate == Gate::Release && f.mitigation.is_some() {
        let m = f.mitigation.take().unwrap_or_default();
        let note = format!("an approval ({m}) lets a policy weakening merge, never release");
        f.help = Some(match f.help.take() {
            Some(h) => format!("{h}\n{note}"),
            None => note,
        });
    }
}

/// Decides severity and blocking for one finding at `gate` (OA-RUST-003, "Escalation Rules"):
/// `block-merge` blocks at both gates; `block-merge-unless-mitigated` blocks unless the PR
/// description records an owner-approved mitigation with a follow-up issue (then it is reported
/// as mitigated, not dropped); `block-release` warns at merge and blocks at release. A finding an
/// inline suppression covers (`engine::suppress`) never blocks and is reported as a note.
pub fn apply(
    f: &mut Finding,
    gate: Gate,
    pr: Option<&crate::engine::pr::PrDescription>,
    config: &Config,
) {
    if f.escalation == Escalation::BlockMergeUnlessMitigated {
        f.mitigation = mitigation_for(f, pr, config);
    }
    let escalates = f.suppression.is_none()
        && match f.escalation {
            Escalation::BlockMerge => true,
            Escalation::BlockMergeUnlessMitigated => f.mitigation.is_none(),
            Escalation::BlockRelease => gate == Gate::Release,
        };
    f.is_blocking = f.level == Severity::Error && f.status == Status::Stable && escalates;
    f.severity = if f.is_blocking {
        Severity::Error
    } else if f.level == Severity::Note || f.suppression.is_some() {
        Severity::Note
    } else {
        Severity::Warning
    };
}
