//! PR-06 `release-evidence-missing`: release gate evidence (migration job for INV-09, parity
//! references and owner sign-off for INV-10) is not in the description.

use super::*;

/// PR-06.
pub static META_RELEASE: Meta = Meta {
    explain: include_str!("../../../rules/PR-06.md"),
    kind: Kind::Pr,
    keys: KEYS,
    ..Meta::spec(
        "PR-06",
        "release-evidence-missing",
        "release gate evidence is missing from the PR description",
        Escalation::BlockRelease,
    )
};

/// PR-06.
pub struct ReleaseEvidenceMissing;

impl Check for ReleaseEvidenceMissing {
    type Raw = RawSettings;
    type Settings = Settings;

    fn meta(&self) -> &'static Meta {
        &META_RELEASE
    }

    fn compile(&self, raw: &RawSettings, v: &mut Validator) -> Settings {
        raw.compile(v)
    }

    fn check_after(
        &self,
        cx: &Context<'_>,
        inv: &Invariant,
        cfg: &Settings,
        prior: &[Finding],
        out: &mut Findings,
    ) {
        let Some(pr) = cx.pr_description() else {
            return;
        };
        let src = &pr.source;
        for e in &cfg.evidence {
            let Some(other) = cx.config().invariant(&e.invariant) else {
                continue;
            };
            // Relevant: a finding, a touched surface, or a deleted file under `related` (a
            // legacy deletion needs its evidence whether or not INV-10 found a problem).
            let deletes_related = cx.changes().files.iter().any(|f| {
                matches!(f.kind, ChangeKind::Deleted | ChangeKind::Renamed)
                    && other
                        .related
                        .is_match(f.old_path.as_deref().unwrap_or(&f.path))
            });
            let relevant = prior.iter().any(|f| f.code == other.id)
                || touches(cx, &other.surfaces).is_some()
                || deletes_related;
            if !relevant {
                continue;
            }
            let stated = if e.needs_owner() {
                pr.states_captures(&e.regex).iter().any(|c| {
                    c.name("owner").is_some_and(|o| {
                        let o = o.as_str().trim_start_matches('@');
                        other
                            .owners
                            .iter()
                            .any(|w| w.trim_start_matches('@').eq_ignore_ascii_case(o))
                    })
                })
            } else {
                pr.states(&e.regex).is_some()
            };
            if stated {
                continue;
            }
            let help = if e.needs_owner() && other.owners.is_empty() {
                format!("the policy lists no owners for {}: add `owners = [\"@name\"]` to [invariant.{}], then record their {} (OA-RUST-003, Release Gate Checklist)", other.id, other.id, e.what)
            } else if e.needs_owner() {
                format!("add {} by one of {} to the description before promotion, as a positive statement outside comments and code (OA-RUST-003, Release Gate Checklist)", e.what, other.owners.join(", "))
            } else {
                format!("add {} to the description before promotion, as a positive statement outside comments and code (OA-RUST-003, Release Gate Checklist)", e.what)
            };
            out.push(
                Finding::new(
                    inv,
                    META_RELEASE.name,
                    format!("release needs {} for {}", e.what, other.id),
                )
                .at(
                    src,
                    end_span(src),
                    format!("no {} in this description", e.what),
                )
                .help(help)
                .cite(cx.policy(), e.span.clone(), "required evidence"),
            );
        }
    }
}
