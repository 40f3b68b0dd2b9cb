//! PR-03 `na-without-reason`: a docs-only change does not mark every non-applicable invariant
//! `N/A` with a short reason.

use super::*;

/// PR-03.
pub static META_NA: Meta = Meta {
    explain: include_str!("../../../rules/PR-03.md"),
    kind: Kind::Pr,
    keys: KEYS,
    ..Meta::spec(
        "PR-03",
        "na-without-reason",
        "docs-only PR does not mark each non-applicable invariant N/A with a reason",
        Escalation::BlockMerge,
    )
};

/// PR-03.
pub struct NaWithoutReason;

impl Check for NaWithoutReason {
    type Raw = RawSettings;
    type Settings = Settings;

    fn meta(&self) -> &'static Meta {
        &META_NA
    }

    fn compile(&self, raw: &RawSettings, v: &mut Validator) -> Settings {
        raw.compile(v)
    }

    fn check_after(
        &self,
        cx: &Context<'_>,
        inv: &Invariant,
        cfg: &Settings,
        _prior: &[Finding],
        out: &mut Findings,
    ) {
        let Some(pr) = cx.pr_description() else {
            return;
        };
        if !is_docs_only(cx, &cfg.docs) {
            return;
        }
        let src = &pr.source;
        let mut unmarked = Vec::new();
        for other in invariants(cx) {
            let mentions: Vec<_> = pr.mentions.iter().filter(|m| m.id == other.id).collect();
            if mentions.iter().any(|m| m.claim == Claim::Affected) {
                continue;
            }
            match mentions.iter().find_map(|m| match &m.claim {
                Claim::NotApplicable(reason) => Some((m, reason)),
                Claim::Affected => None,
            }) {
                None => unmarked.push(other.id.clone()),
                Some((m, reason)) if reason.chars().filter(|c| c.is_alphanumeric()).count() < cfg.min_reason => out.push(
                    Finding::new(inv, META_NA.name, format!("{} is marked N/A without a reason", other.id))
                        .at(src, m.span.clone(), "N/A needs a short reason")
                        .help(format!("write `{}: N/A - <why it does not apply>` (OA-RUST-003, Reviewer Guidance 4)", other.id)),
                ),
                Some(_) => {}
            }
        }
        if !unmarked.is_empty() {
            out.push(
                Finding::new(
                    inv,
                    META_NA.name,
                    format!("this docs-only change does not mark {} as N/A", unmarked.join(", ")),
                )
                .at(src, end_span(src), "each non-applicable invariant needs an N/A line")
                .help("for docs-only PRs, mark each non-applicable invariant `INV-xx: N/A - <reason>` (OA-RUST-003, Reviewer Guidance 4)"),
            );
        }
    }
}
