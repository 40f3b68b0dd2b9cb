//! PR-02 `checklist-item-missing`: one of the seven checklist items is missing, unchecked or
//! still the template's text.

use super::*;

/// PR-02.
pub static META_CHECKLIST: Meta = Meta {
    explain: include_str!("../../../rules/PR-02.md"),
    kind: Kind::Pr,
    keys: KEYS,
    ..Meta::spec(
        "PR-02",
        "checklist-item-missing",
        "PR description lacks or leaves unchecked a mandatory checklist item",
        Escalation::BlockMerge,
    )
};

/// PR-02.
pub struct ChecklistItemMissing;

impl Check for ChecklistItemMissing {
    type Raw = RawSettings;
    type Settings = Settings;

    fn meta(&self) -> &'static Meta {
        &META_CHECKLIST
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
        if touches(cx, &cfg.surfaces).is_none() || is_docs_only(cx, &cfg.docs) {
            return;
        }
        let src = &pr.source;
        let mut missing = Vec::new();
        let mut first_missing_span = None;
        let mut template: Vec<(usize, std::ops::Range<usize>)> = Vec::new();
        for (n, (title, _, span)) in cfg.items.iter().enumerate() {
            let Some(item) = pr.item(n) else {
                missing.push(format!("{} ({title})", n + 1));
                first_missing_span.get_or_insert(span.clone());
                continue;
            };
            if item.state == ItemState::Template {
                template.push((n + 1, item.span.clone()));
                continue;
            }
            let problem = match (item.checked, item.state) {
                (Some(false), _) => Some((
                    "is not confirmed",
                    "unchecked",
                    "check the box once the item is addressed, or write why it does not apply on the same line",
                )),
                (_, ItemState::Empty) => Some((
                    "is not addressed",
                    "nothing under this item",
                    "write what this change does for the item (or why it does not apply) under it",
                )),
                _ => None,
            };
            if let Some((what, label, help)) = problem {
                out.push(
                    Finding::new(
                        inv,
                        META_CHECKLIST.name,
                        format!("checklist item {} ({title}) {what}", n + 1),
                    )
                    .at(src, item.span.clone(), label)
                    .help(help)
                    .cite(cx.policy(), span.clone(), "checklist item"),
                );
            }
        }
        // Unedited template items: one finding, each item labelled.
        if let Some(((first, first_span), rest)) = template.split_first() {
            let numbers: Vec<String> = template.iter().map(|(n, _)| n.to_string()).collect();
            let (noun, verb) = if template.len() == 1 {
                ("item", "holds")
            } else {
                ("items", "hold")
            };
            let mut f = Finding::new(
                inv,
                META_CHECKLIST.name,
                format!(
                    "checklist {noun} {} still {verb} the template's text",
                    numbers.join(", ")
                ),
            )
            .at(
                src,
                first_span.clone(),
                format!("item {first}: the template's text, unedited"),
            );
            for (n, span) in rest {
                f = f.also(span.clone(), format!("item {n}: unedited"));
            }
            let cite = cfg
                .items
                .get(first - 1)
                .map(|i| i.2.clone())
                .unwrap_or(0..0);
            out.push(
                f.help("replace each item's template text with what this change does for it, or why it does not apply (a ticked template is not an answer)")
                    .cite(cx.policy(), cite, "checklist item (its `template` is the text left unedited)"),
            );
        }
        if !missing.is_empty() {
            out.push(
                Finding::new(
                    inv,
                    META_CHECKLIST.name,
                    format!("the PR checklist lacks item{} {}", if missing.len() == 1 { "" } else { "s" }, missing.join(", ")),
                )
                .at(src, end_span(src), "the checklist should be in this description")
                .help("copy the Mandatory PR Checklist (OA-RUST-003) into the description, as `1. Invariant impact:` .. `7. Deletion/parity:` items or `- [x] <item>` lines, and address each")
                .cite(cx.policy(), first_missing_span.unwrap_or(0..0), "first missing item"),
            );
        }
    }
}
