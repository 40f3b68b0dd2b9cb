//! PR-01 `missing-inv-mapping`: the change touches a migration surface and the description
//! maps no INV-* ID.

use super::*;

/// PR-01.
pub static META_MAPPING: Meta = Meta {
    explain: include_str!("../../../rules/PR-01.md"),
    kind: Kind::Pr,
    keys: KEYS,
    ..Meta::spec(
        "PR-01",
        "missing-inv-mapping",
        "PR description maps no INV-* ID for a change to a migration surface",
        Escalation::BlockMerge,
    )
};

/// PR-01.
pub struct MissingInvMapping;

impl Check for MissingInvMapping {
    type Raw = RawSettings;
    type Settings = Settings;

    fn meta(&self) -> &'static Meta {
        &META_MAPPING
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
        let Some(path) = touches(cx, &cfg.surfaces) else {
            return;
        };
        if pr.has_mapping() {
            return;
        }
        let src = &pr.source;
        let glob = cfg.surfaces.matching_entry(&path);
        let mut f = Finding::new(inv, META_MAPPING.name, "the PR description maps no INV-* ID")
            .at(src, start_span(src), format!("this description changes `{path}` without an invariant-impact section"))
            .help("add an \"Invariant impact\" section: list each INV-* the change affects, and `INV-xx: N/A - <reason>` for the others (OA-RUST-003, Mandatory PR Checklist item 1)");
        if let Some(g) = glob {
            f = f.cite(
                cx.policy(),
                g.span.clone(),
                format!("`{}` is a migration surface", g.text),
            );
        }
        out.push(f);
    }
}
