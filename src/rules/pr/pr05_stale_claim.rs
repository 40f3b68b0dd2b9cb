//! PR-05 `stale-claim`: an invariant is claimed as affected with nothing in the diff to support
//! it (a warning: stale checklist).

use std::collections::BTreeSet;

use super::*;

/// PR-05.
pub static META_STALE: Meta = Meta {
    explain: include_str!("../../../rules/PR-05.md"),
    kind: Kind::Pr,
    ..Meta::spec(
        "PR-05",
        "stale-claim",
        "PR description claims an invariant the change does not touch",
        Escalation::BlockMerge,
    )
};

/// PR-05.
pub struct StaleClaim;

impl Check for StaleClaim {
    type Raw = NoSettings;
    type Settings = ();

    fn meta(&self) -> &'static Meta {
        &META_STALE
    }

    fn compile(&self, _: &NoSettings, _: &mut Validator) {}

    fn check_after(
        &self,
        cx: &Context<'_>,
        inv: &Invariant,
        _: &(),
        prior: &[Finding],
        out: &mut Findings,
    ) {
        let Some(pr) = cx.pr_description() else {
            return;
        };
        let src = &pr.source;
        let mut seen = BTreeSet::new();
        for m in pr.affected() {
            if !seen.insert(m.id.clone()) {
                continue;
            }
            let Some(other) = invariants(cx).find(|i| i.id == m.id) else {
                continue;
            };
            if other.surfaces.is_empty() && other.related.is_empty() {
                continue;
            }
            if prior.iter().any(|f| f.code == other.id)
                || touches(cx, &other.surfaces).is_some()
                || touches(cx, &other.related).is_some()
            {
                continue;
            }
            out.push(
                Finding::new(inv, META_STALE.name, format!("the PR description claims {} but the change touches none of its surfaces", other.id))
                    .level(Severity::Warning)
                    .at(src, m.span.clone(), format!("{} claimed as affected", other.id))
                    .help(format!("if {} does not apply, mark it `N/A - <reason>`; a stale checklist hides the invariants that do apply", other.id)),
            );
        }
    }
}
