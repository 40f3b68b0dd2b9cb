//! PR-04 `unclaimed-invariant`: an invariant with a finding, or whose surfaces the diff touches,
//! is omitted or marked N/A.

use super::*;

/// PR-04.
pub static META_UNCLAIMED: Meta = Meta {
    explain: include_str!("../../../rules/PR-04.md"),
    kind: Kind::Pr,
    ..Meta::spec(
        "PR-04",
        "unclaimed-invariant",
        "an invariant the change touches is omitted or marked N/A in the PR description",
        Escalation::BlockMerge,
    )
};

/// PR-04.
pub struct UnclaimedInvariant;

impl Check for UnclaimedInvariant {
    type Raw = NoSettings;
    type Settings = ();

    fn meta(&self) -> &'static Meta {
        &META_UNCLAIMED
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
        for other in invariants(cx) {
            let found = prior
                .iter()
                .filter(|f| f.code == other.id && f.level == Severity::Error)
                .count();
            let touched = touches(cx, &other.surfaces);
            let why = match (found, &touched) {
                (0, None) => continue,
                (0, Some(path)) => format!("the change touches `{path}`, an {} surface", other.id),
                (n, _) => format!(
                    "this change has {n} {} finding{}",
                    other.id,
                    if n == 1 { "" } else { "s" }
                ),
            };
            let mention = pr
                .mentions
                .iter()
                .filter(|m| m.id == other.id)
                .max_by_key(|m| m.claim == Claim::Affected);
            match mention {
                Some(m) if m.claim == Claim::Affected => {}
                Some(m) => out.push(
                    Finding::new(inv, META_UNCLAIMED.name, format!("{} is marked N/A, but {why}", other.id))
                        .at(src, m.span.clone(), format!("{} claimed not applicable", other.id))
                        .help(format!("map {} as affected and explain how the change preserves it ({})", other.id, other.title)),
                ),
                None => out.push(
                    Finding::new(inv, META_UNCLAIMED.name, format!("the PR description omits {}, but {why}", other.id))
                        .at(src, impact_span(pr), format!("{} is not mapped here", other.id))
                        .help(format!("add {} to the invariant-impact section and explain how the change preserves it ({})", other.id, other.title)),
                ),
            }
        }
    }
}
