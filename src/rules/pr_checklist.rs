//! PR-01..PR-06: checks on the PR description (OA-RUST-003, "Mandatory PR Checklist",
//! "Reviewer Guidance", "Release Gate Checklist").
//!
//! They run after every other check (`Kind::Pr`, `Check::check_after`), because "claimed vs detected" compares
//! what the description says with what the other checks found. Findings point into the
//! description, a source named "PR description" (or "commit messages" for `--range`).
//! Without a description (pre-commit, local runs) none of them runs.
//!
//! - PR-01 `missing-inv-mapping`: the change touches a migration surface and the description
//!   maps no INV-* ID.
//! - PR-02 `checklist-item-missing`: one of the seven checklist items is missing or unchecked.
//! - PR-03 `na-without-reason`: a docs-only change does not mark every non-applicable invariant
//!   `N/A` with a short reason.
//! - PR-04 `unclaimed-invariant`: an invariant with a finding, or whose surfaces the diff
//!   touches, is omitted or marked N/A.
//! - PR-05 `stale-claim`: an invariant is claimed as affected with nothing in the diff to
//!   support it (a warning: stale checklist).
//! - PR-06 `release-evidence-missing`: release gate evidence (migration job for INV-09, parity
//!   references and owner sign-off for INV-10) is not in the description.

use std::collections::BTreeSet;

use crate::rules::prelude::*;

/// PR-01.
pub static META_MAPPING: Meta = Meta {
    explain: include_str!("../../rules/PR-01.md"),
    kind: Kind::Pr,
    keys: KEYS,
    ..Meta::spec(
        "PR-01",
        "missing-inv-mapping",
        "PR description maps no INV-* ID for a change to a migration surface",
        Escalation::BlockMerge,
    )
};

/// PR-02.
pub static META_CHECKLIST: Meta = Meta {
    explain: include_str!("../../rules/PR-02.md"),
    kind: Kind::Pr,
    keys: KEYS,
    ..Meta::spec(
        "PR-02",
        "checklist-item-missing",
        "PR description lacks or leaves unchecked a mandatory checklist item",
        Escalation::BlockMerge,
    )
};

/// PR-03.
pub static META_NA: Meta = Meta {
    explain: include_str!("../../rules/PR-03.md"),
    kind: Kind::Pr,
    keys: KEYS,
    ..Meta::spec(
        "PR-03",
        "na-without-reason",
        "docs-only PR does not mark each non-applicable invariant N/A with a reason",
        Escalation::BlockMerge,
    )
};

/// PR-04.
pub static META_UNCLAIMED: Meta = Meta {
    explain: include_str!("../../rules/PR-04.md"),
    kind: Kind::Pr,
    ..Meta::spec(
        "PR-04",
        "unclaimed-invariant",
        "an invariant the change touches is omitted or marked N/A in the PR description",
        Escalation::BlockMerge,
    )
};

/// PR-05.
pub static META_STALE: Meta = Meta {
    explain: include_str!("../../rules/PR-05.md"),
    kind: Kind::Pr,
    ..Meta::spec(
        "PR-05",
        "stale-claim",
        "PR description claims an invariant the change does not touch",
        Escalation::BlockMerge,
    )
};

/// PR-06.
pub static META_RELEASE: Meta = Meta {
    explain: include_str!("../../rules/PR-06.md"),
    kind: Kind::Pr,
    keys: KEYS,
    ..Meta::spec(
        "PR-06",
        "release-evidence-missing",
        "release gate evidence is missing from the PR description",
        Escalation::BlockRelease,
    )
};

/// The keys of the settings tables of PR-01, PR-02, PR-03 and PR-06, for the policy's schema.
const KEYS: &[Key] = schema::PR_CHECKLIST;

/// Settings shared by the PR checks (`[invariant.PR-0x.<check>]`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawSettings {
    /// Migration surfaces (PR-01, PR-02): a change touching none of them needs no mapping.
    #[serde(default)]
    pub surfaces: Vec<Spanned<String>>,
    /// Documentation globs (PR-03): a change touching only these is docs-only.
    #[serde(default)]
    pub docs: Vec<Spanned<String>>,
    /// Checklist items (PR-02).
    #[serde(default)]
    pub items: Vec<RawItem>,
    /// Shortest acceptable N/A reason, in characters (PR-03).
    pub min_reason: Option<usize>,
    /// Evidence required at the release gate (PR-06).
    #[serde(default)]
    pub evidence: Vec<RawEvidence>,
    /// Regexes that negate a clause (PR-06): evidence or an approval in a clause matching one
    /// is not a positive statement. Default: `engine::pr::DEFAULT_NEGATIONS`.
    pub negations: Option<Vec<Spanned<String>>>,
}

/// One checklist item.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawItem {
    /// Short title ("transport impact").
    pub title: Spanned<String>,
    /// Case-insensitive words that identify the item in a list item, heading or table row.
    pub keywords: Vec<Spanned<String>>,
    /// The template's text of the item (after its title): an item still reading so is not
    /// addressed.
    pub template: Option<Spanned<String>>,
}

/// One release-evidence requirement.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawEvidence {
    /// The invariant it applies to (when the change touches its surfaces or has its findings).
    pub invariant: Spanned<String>,
    /// What must appear in the description, as a positive statement. A capture group named
    /// `owner` must hold one of the invariant's `owners`.
    pub regex: Spanned<String>,
    /// What it is, for the message.
    pub what: Spanned<String>,
}

/// Compiled settings.
#[derive(Debug)]
pub struct Settings {
    surfaces: GlobList,
    docs: GlobList,
    items: Vec<(String, Vec<String>, std::ops::Range<usize>)>,
    templates: Vec<Option<String>>,
    min_reason: usize,
    evidence: Vec<Evidence>,
    negations: Option<Vec<regex::Regex>>,
}

#[derive(Debug)]
struct Evidence {
    invariant: String,
    regex: crate::engine::config::LazyRegex,
    what: String,
    span: std::ops::Range<usize>,
    needs_owner: bool,
}

impl RawSettings {
    /// Validates and compiles.
    fn compile(&self, v: &mut Validator) -> Settings {
        let mut evidence = Vec::new();
        for e in &self.evidence {
            if let Some(regex) = v.regex(&e.regex) {
                evidence.push(Evidence {
                    invariant: e.invariant.get_ref().clone(),
                    needs_owner: regex.has_capture("owner"),
                    regex,
                    what: e.what.get_ref().clone(),
                    span: e.regex.span(),
                });
            }
        }
        let negations = self.negations.as_ref().map(|list| {
            list.iter()
                .filter_map(|n| v.regex(n).map(|r| (*r).clone()))
                .collect()
        });
        Settings {
            templates: self
                .items
                .iter()
                .map(|i| i.template.as_ref().map(|t| t.get_ref().clone()))
                .collect(),
            negations,
            surfaces: v.glob_list(&self.surfaces),
            docs: v.glob_list(&self.docs),
            items: self
                .items
                .iter()
                .map(|i| {
                    (
                        i.title.get_ref().clone(),
                        i.keywords
                            .iter()
                            .map(|k| k.get_ref().to_lowercase())
                            .collect(),
                        i.title.span(),
                    )
                })
                .collect(),
            min_reason: self.min_reason.unwrap_or(3),
            evidence,
        }
    }
}

/// The grammar descriptions are read with under `config`: the checklist items of its
/// `checklist-item-missing` invariant (else the spec's) and the negations of its
/// `release-evidence-missing` invariant (else the defaults).
pub fn grammar(config: &crate::engine::config::Config) -> Grammar {
    let mut g = Grammar::spec();
    let of = |check: &str| {
        config
            .invariants
            .iter()
            .filter(|i| i.status.is_active() && i.check == check)
            .find_map(|i| i.settings_of::<Settings>())
    };
    if let Some(s) = of(META_CHECKLIST.name) {
        g.items = s
            .items
            .iter()
            .zip(&s.templates)
            .map(|((title, keywords, _), template)| ItemSpec {
                title: title.clone(),
                keywords: keywords.clone(),
                template: template.clone(),
            })
            .collect();
    }
    if let Some(n) = of(META_RELEASE.name).and_then(|s| s.negations.clone()) {
        g.negations = n;
    }
    g
}

/// Span at the end of the description (where missing things would go).
fn end_span(src: &Source) -> std::ops::Range<usize> {
    let t = src.text().trim_end();
    let n = src.line_of(t.len());
    src.line_range(n).unwrap_or(0..0)
}

/// Start of the description (title line).
fn start_span(src: &Source) -> std::ops::Range<usize> {
    src.line_range(1).filter(|r| !r.is_empty()).unwrap_or(0..0)
}

/// Where an omitted invariant belongs: the invariant-impact heading (`## Invariant impact`),
/// else the line of the first INV-* mapping, else the first line.
fn impact_span(pr: &PrDescription) -> std::ops::Range<usize> {
    let src = &pr.source;
    let heading = (1..=src.line_count()).find_map(|n| {
        let line = src.line(n)?;
        let t = line.trim_start();
        (t.starts_with('#') && t.to_ascii_lowercase().contains("invariant"))
            .then(|| src.line_range(n))
            .flatten()
    });
    if let Some(r) = heading.filter(|r| !r.is_empty()) {
        return r;
    }
    if let Some(m) = pr.mentions.iter().min_by_key(|m| m.span.start) {
        if let Some(r) = src.line_range(m.line).filter(|r| !r.is_empty()) {
            return r;
        }
    }
    start_span(src)
}

fn touches(cx: &Context<'_>, globs: &GlobList) -> Option<String> {
    cx.changes()
        .files
        .iter()
        .find(|f| {
            globs.is_match(&f.path) || f.old_path.as_deref().is_some_and(|p| globs.is_match(p))
        })
        .map(|f| f.path.clone())
}

/// The invariants the description should talk about: spec-style IDs (not the PR checks).
fn invariants<'a>(cx: &Context<'a>) -> impl Iterator<Item = &'a Invariant> {
    let config = cx.config();
    config.invariants.iter().filter(move |i| {
        i.status != Status::Retired
            && config
                .registry
                .find(&i.check)
                .is_none_or(|c| !c.meta().kind.is_post())
    })
}

fn is_docs_only(cx: &Context<'_>, docs: &GlobList) -> bool {
    !cx.changes().files.is_empty() && cx.changes().files.iter().all(|f| docs.is_match(&f.path))
}

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
            let stated = if e.needs_owner {
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
            let help = if e.needs_owner && other.owners.is_empty() {
                format!("the policy lists no owners for {}: add `owners = [\"@name\"]` to [invariant.{}], then record their {} (OA-RUST-003, Release Gate Checklist)", other.id, other.id, e.what)
            } else if e.needs_owner {
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
