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
//!
//! One file per check; this module holds what they share: the settings table (`RawSettings`,
//! read by PR-01, PR-02, PR-03 and PR-06), the grammar descriptions are read with, and the spans
//! and surface tests the checks use.

mod pr01_missing_inv_mapping;
mod pr02_checklist_item_missing;
mod pr03_na_without_reason;
mod pr04_unclaimed_invariant;
mod pr05_stale_claim;
mod pr06_release_evidence_missing;

pub use pr01_missing_inv_mapping::{MissingInvMapping, META_MAPPING};
pub use pr02_checklist_item_missing::{ChecklistItemMissing, META_CHECKLIST};
pub use pr03_na_without_reason::{NaWithoutReason, META_NA};
pub use pr04_unclaimed_invariant::{UnclaimedInvariant, META_UNCLAIMED};
pub use pr05_stale_claim::{StaleClaim, META_STALE};
pub use pr06_release_evidence_missing::{ReleaseEvidenceMissing, META_RELEASE};

use crate::rules::prelude::*;

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
    negations: Option<Vec<crate::engine::pr::Negation>>,
}

#[derive(Debug)]
struct Evidence {
    invariant: String,
    regex: crate::engine::config::LazyRegex,
    what: String,
    span: std::ops::Range<usize>,
}

impl Evidence {
    /// True when the regex names an `owner` group (read from the pattern on use: a load
    /// compiles and parses no evidence regex).
    fn needs_owner(&self) -> bool {
        self.regex.has_capture("owner")
    }
}

impl RawSettings {
    /// Validates and compiles.
    fn compile(&self, v: &mut Validator) -> Settings {
        let mut evidence = Vec::new();
        for e in &self.evidence {
            if let Some(regex) = v.regex(&e.regex) {
                evidence.push(Evidence {
                    invariant: e.invariant.get_ref().clone(),
                    regex,
                    what: e.what.get_ref().clone(),
                    span: e.regex.span(),
                });
            }
        }
        let negations = self.negations.as_ref().map(|list| {
            list.iter()
                .filter_map(|n| v.regex(n).map(std::sync::Arc::new))
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
        .map(|f| f.path.to_string())
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
