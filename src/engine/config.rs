//! `inv-rules.toml` -> `Config`: the policy, parsed and validated.
//!
//! Invariants are configuration, checks are code (STYLE.md §3). Each `[invariant.<ID>]` table
//! names a built-in check and carries that check's settings in a sub-table named after the check
//! (`[invariant.INV-03.sse-poll-lane]`), so the schema stays typed and every value keeps its span
//! (no `untagged` or `flatten`, which lose spans).
//!
//! Parsing stops at the first syntax or schema error (that is what the TOML parser gives us);
//! validation then reports every remaining problem at once, each at its span: unknown check,
//! unknown escalation or status, bad glob, bad regex, unknown vocabulary reference, IDs that
//! differ only in case, settings for a check the invariant does not run.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use regex::{Regex, RegexSet};
use serde::Deserialize;
use toml::Spanned;

use crate::engine::error::{ConfigProblem, Error};
use crate::engine::source::Source;
use crate::rules;

/// The default policy, embedded: used when the repository has no `inv-rules.toml`.
pub const DEFAULT_POLICY: &str = include_str!("../../inv-rules.toml");

/// How a violation of an invariant is escalated (OA-RUST-003, "Escalation Rules").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Escalation {
    /// INV-01..INV-06: block merge immediately.
    BlockMerge,
    /// INV-07..INV-08: block merge unless owner-approved mitigation and a follow-up issue exist.
    BlockMergeUnlessMitigated,
    /// INV-09..INV-10: block release promotion until remediation is complete.
    BlockRelease,
}

impl Escalation {
    /// The policy-file spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Escalation::BlockMerge => "block-merge",
            Escalation::BlockMergeUnlessMitigated => "block-merge-unless-mitigated",
            Escalation::BlockRelease => "block-release",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "block-merge" => Escalation::BlockMerge,
            "block-merge-unless-mitigated" => Escalation::BlockMergeUnlessMitigated,
            "block-release" => Escalation::BlockRelease,
            _ => return None,
        })
    }

    const ALL: [&'static str; 3] = [
        "block-merge",
        "block-merge-unless-mitigated",
        "block-release",
    ];
}

/// Whether an invariant is checked, and how hard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    /// Checked; findings escalate as configured.
    Stable,
    /// Checked; findings only warn (like ruff's preview rules).
    Preview,
    /// Declared but its check has not landed: listed by `invlint rules`, never silently passing.
    Planned,
    /// No longer checked; the ID stays taken.
    Retired,
}

impl Status {
    /// The policy-file spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Stable => "stable",
            Status::Preview => "preview",
            Status::Planned => "planned",
            Status::Retired => "retired",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "stable" => Status::Stable,
            "preview" => Status::Preview,
            "planned" => Status::Planned,
            "retired" => Status::Retired,
            _ => return None,
        })
    }

    /// True when the check runs.
    pub fn is_active(self) -> bool {
        matches!(self, Status::Stable | Status::Preview)
    }
}

// ---------------------------------------------------------------------------------------------
// Raw schema (serde). Every key is kebab-case; unknown keys are errors.

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawPolicy {
    version: Option<Spanned<i64>>,
    #[serde(default)]
    vocabulary: BTreeMap<String, Vec<Spanned<String>>>,
    #[serde(default)]
    limits: RawLimits,
    #[serde(default)]
    bots: Option<Spanned<crate::cli_filter::RawBots>>,
    #[serde(default)]
    invariant: BTreeMap<String, RawInvariant>,
    /// `invlint report`'s KPI thresholds (parsed and validated in `crate::report::policy`).
    report: Option<crate::report::policy::RawReport>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawLimits {
    max_file_size: Option<Spanned<u64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawInvariant {
    title: Spanned<String>,
    check: Spanned<String>,
    escalation: Spanned<String>,
    status: Option<Spanned<String>>,
    #[serde(default)]
    owners: Vec<Spanned<String>>,
    #[serde(default)]
    surfaces: Vec<Spanned<String>>,
    #[serde(default)]
    related: Vec<Spanned<String>>,
    #[serde(default)]
    suppressible: Option<Spanned<bool>>,
    #[serde(default, rename = "not-applicable")]
    not_applicable: Option<Spanned<String>>,
    #[serde(rename = "contract-without-proto")]
    contract_without_proto: Option<Spanned<rules::inv01_contract_without_proto::RawSettings>>,
    #[serde(rename = "ws-command-rpc")]
    ws_command_rpc: Option<Spanned<rules::inv02_ws_command_rpc::RawSettings>>,
    #[serde(rename = "sse-poll-lane")]
    sse_poll_lane: Option<Spanned<rules::inv03_sse_poll_lane::RawSettings>>,
    #[serde(rename = "unordered-apply")]
    unordered_apply: Option<Spanned<rules::inv07_unordered_apply::RawSettings>>,
    #[serde(rename = "in-memory-coupling")]
    in_memory_coupling: Option<Spanned<rules::inv05_in_memory_coupling::RawSettings>>,
    #[serde(rename = "identity-outside-control")]
    identity_outside_control: Option<Spanned<rules::inv08_identity_outside_control::RawSettings>>,
    #[serde(rename = "deploy-without-migrate")]
    deploy_without_migrate: Option<Spanned<rules::inv09_deploy_without_migrate::RawSettings>>,
    #[serde(rename = "legacy-deleted-without-parity")]
    legacy_deleted_without_parity:
        Option<Spanned<rules::inv10_legacy_deleted_without_parity::RawSettings>>,
    #[serde(rename = "cross-plane-sql")]
    cross_plane_sql: Option<Spanned<rules::inv04_cross_plane_sql::RawSettings>>,
    #[serde(rename = "khala-authority-write")]
    khala_authority_write: Option<Spanned<rules::inv06_khala_authority_write::RawSettings>>,
    #[serde(rename = "added-pattern")]
    added_pattern: Option<Spanned<rules::generic_added_pattern::RawSettings>>,
    #[serde(rename = "forbidden-path")]
    forbidden_path: Option<Spanned<rules::generic_forbidden_path::RawSettings>>,
    #[serde(rename = "co-change")]
    co_change: Option<Spanned<rules::generic_co_change::RawSettings>>,
    #[serde(rename = "missing-inv-mapping")]
    missing_inv_mapping: Option<Spanned<rules::pr_checklist::RawSettings>>,
    #[serde(rename = "checklist-item-missing")]
    checklist_item_missing: Option<Spanned<rules::pr_checklist::RawSettings>>,
    #[serde(rename = "na-without-reason")]
    na_without_reason: Option<Spanned<rules::pr_checklist::RawSettings>>,
    #[serde(rename = "release-evidence-missing")]
    release_evidence_missing: Option<Spanned<rules::pr_checklist::RawSettings>>,
    #[serde(rename = "bad-suppression")]
    bad_suppression: Option<Spanned<crate::engine::suppress::RawSettings>>,
}

impl RawInvariant {
    /// (check name, span of its settings table) for every settings table present.
    fn settings_tables(&self) -> Vec<(&'static str, Range<usize>)> {
        let mut out = Vec::new();
        if let Some(s) = &self.contract_without_proto {
            out.push((rules::inv01_contract_without_proto::META.name, s.span()));
        }
        if let Some(s) = &self.ws_command_rpc {
            out.push((rules::inv02_ws_command_rpc::META.name, s.span()));
        }
        if let Some(s) = &self.sse_poll_lane {
            out.push((rules::inv03_sse_poll_lane::META.name, s.span()));
        }
        if let Some(s) = &self.unordered_apply {
            out.push((rules::inv07_unordered_apply::META.name, s.span()));
        }
        if let Some(s) = &self.in_memory_coupling {
            out.push((rules::inv05_in_memory_coupling::META.name, s.span()));
        }
        if let Some(s) = &self.identity_outside_control {
            out.push((rules::inv08_identity_outside_control::META.name, s.span()));
        }
        if let Some(s) = &self.deploy_without_migrate {
            out.push((rules::inv09_deploy_without_migrate::META.name, s.span()));
        }
        if let Some(s) = &self.legacy_deleted_without_parity {
            out.push((
                rules::inv10_legacy_deleted_without_parity::META.name,
                s.span(),
            ));
        }
        if let Some(s) = &self.cross_plane_sql {
            out.push((rules::inv04_cross_plane_sql::META.name, s.span()));
        }
        if let Some(s) = &self.khala_authority_write {
            out.push((rules::inv06_khala_authority_write::META.name, s.span()));
        }
        if let Some(s) = &self.added_pattern {
            out.push((rules::generic_added_pattern::META.name, s.span()));
        }
        if let Some(s) = &self.forbidden_path {
            out.push((rules::generic_forbidden_path::META.name, s.span()));
        }
        if let Some(s) = &self.co_change {
            out.push((rules::generic_co_change::META.name, s.span()));
        }
        if let Some(s) = &self.missing_inv_mapping {
            out.push(("missing-inv-mapping", s.span()));
        }
        if let Some(s) = &self.checklist_item_missing {
            out.push(("checklist-item-missing", s.span()));
        }
        if let Some(s) = &self.na_without_reason {
            out.push(("na-without-reason", s.span()));
        }
        if let Some(s) = &self.release_evidence_missing {
            out.push(("release-evidence-missing", s.span()));
        }
        if let Some(s) = &self.bad_suppression {
            out.push((crate::engine::suppress::META.name, s.span()));
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Compiled policy.

/// The validated policy.
#[derive(Debug)]
pub struct Config {
    /// How to name the file in output: a path, or "inv-rules.toml (built-in default)".
    pub display_path: String,
    /// The policy text, for citations.
    pub source: Arc<Source>,
    /// Named glob sets that checks refer to as `@name`.
    pub vocabulary: BTreeMap<String, GlobList>,
    /// Files larger than this are not read (a run note says so).
    pub max_file_size: u64,
    /// Every declared invariant, sorted by ID.
    pub invariants: Vec<Invariant>,
    /// `[bots]`: PR authors whose PR-description findings are softened or skipped at merge.
    pub bots: crate::cli_filter::Bots,
    /// `[report]`: the KPI thresholds of `invlint report`.
    pub report: crate::report::Thresholds,
}

/// One declared invariant.
#[derive(Debug)]
pub struct Invariant {
    /// The configured ID (`INV-03`): findings carry it.
    pub id: String,
    /// Span of the `[invariant.<ID>]` header.
    pub header_span: Range<usize>,
    /// The spec's wording.
    pub title: String,
    /// Built-in check name (`sse-poll-lane`).
    pub check: String,
    /// Span of the `check = ...` value.
    pub check_span: Range<usize>,
    /// Escalation class.
    pub escalation: Escalation,
    /// Span of the escalation value.
    pub escalation_span: Range<usize>,
    /// Lifecycle status.
    pub status: Status,
    /// Owners who may approve mitigations (`@name`).
    pub owners: Vec<String>,
    /// Paths this invariant is about: a change touching them must map the ID in its PR
    /// description (PR checks).
    pub surfaces: GlobList,
    /// Paths whose change supports claiming this invariant in the PR description (PR-05) without
    /// requiring the claim (PR-04): e.g. legacy code, whose deletion is INV-10's business but
    /// whose everyday edits are not.
    pub related: GlobList,
    /// Whether an inline `invlint: allow(<ID>)` may suppress its findings.
    pub is_suppressible: bool,
    /// Why the invariant does not apply to this repository (`not-applicable = "..."`): a check
    /// that sees no file is then not a coverage gap.
    pub not_applicable: Option<String>,
    /// The check's compiled settings.
    pub settings: Settings,
}

/// Compiled settings, one variant per built-in check. Built once per run, so variant sizes
/// do not matter.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum Settings {
    /// A planned or retired invariant: nothing runs.
    None,
    /// `contract-without-proto`.
    ContractWithoutProto(rules::inv01_contract_without_proto::Settings),
    /// `ws-command-rpc`.
    WsCommandRpc(rules::inv02_ws_command_rpc::Settings),
    /// `sse-poll-lane`.
    SsePollLane(rules::inv03_sse_poll_lane::Settings),
    /// `unordered-apply`.
    UnorderedApply(rules::inv07_unordered_apply::Settings),
    /// `in-memory-coupling`.
    InMemoryCoupling(rules::inv05_in_memory_coupling::Settings),
    /// `identity-outside-control`.
    IdentityOutsideControl(rules::inv08_identity_outside_control::Settings),
    /// `deploy-without-migrate`.
    DeployWithoutMigrate(rules::inv09_deploy_without_migrate::Settings),
    /// `legacy-deleted-without-parity`.
    LegacyDeletedWithoutParity(rules::inv10_legacy_deleted_without_parity::Settings),
    /// `cross-plane-sql`.
    CrossPlaneSql(rules::inv04_cross_plane_sql::Settings),
    /// `khala-authority-write`.
    KhalaAuthorityWrite(rules::inv06_khala_authority_write::Settings),
    /// `added-pattern` (generic).
    AddedPattern(rules::generic_added_pattern::Settings),
    /// `forbidden-path` (generic).
    ForbiddenPath(rules::generic_forbidden_path::Settings),
    /// `co-change` (generic).
    CoChange(rules::generic_co_change::Settings),
    /// The PR-description checks.
    PrChecklist(rules::pr_checklist::Settings),
    /// `bad-suppression`: inline suppressions (applied by the engine).
    BadSuppression(crate::engine::suppress::Settings),
}

impl Settings {
    /// The files the check reads, for coverage; `None` for checks that read the PR description
    /// or apply suppressions. `config` resolves checks that borrow another invariant's paths
    /// (INV-06 reads INV-04's planes).
    pub fn scope<'a>(&'a self, config: &'a Config) -> Option<rules::Scope<'a>> {
        match self {
            Settings::ContractWithoutProto(s) => Some(s.scope()),
            Settings::WsCommandRpc(s) => Some(s.scope()),
            Settings::SsePollLane(s) => Some(s.scope()),
            Settings::UnorderedApply(s) => Some(s.scope()),
            Settings::InMemoryCoupling(s) => Some(s.scope()),
            Settings::IdentityOutsideControl(s) => Some(s.scope()),
            Settings::DeployWithoutMigrate(s) => Some(s.scope()),
            Settings::LegacyDeletedWithoutParity(s) => Some(s.scope()),
            Settings::CrossPlaneSql(s) => Some(s.scope()),
            Settings::KhalaAuthorityWrite(s) => {
                config
                    .invariant(s.planes_from())
                    .and_then(|i| match &i.settings {
                        Settings::CrossPlaneSql(p) => Some(p.scope()),
                        _ => None,
                    })
            }
            Settings::AddedPattern(s) => Some(s.scope()),
            Settings::ForbiddenPath(s) => Some(s.scope()),
            Settings::CoChange(s) => Some(s.scope()),
            Settings::None | Settings::PrChecklist(_) | Settings::BadSuppression(_) => None,
        }
    }
}

impl Config {
    /// Loads the policy: `explicit` if given, else `inv-rules.toml` at `repo_root`, else the
    /// built-in default.
    pub fn load(
        explicit: Option<&std::path::Path>,
        repo_root: Option<&std::path::Path>,
    ) -> Result<Config, Error> {
        // Capped, and never through a link out of the work tree: its lines would be printed
        // in a parse error's excerpt (engine::bounded).
        let read = |path: &std::path::Path, root| {
            crate::engine::bounded::read(path, crate::engine::bounded::MAX_POLICY_BYTES, root)
                .and_then(|b| {
                    String::from_utf8(b).map_err(|e| {
                        std::io::Error::new(
                            std::io::ErrorKind::InvalidData,
                            format!("not valid UTF-8 ({})", e.utf8_error()),
                        )
                    })
                })
                .map_err(|source| Error::ConfigRead {
                    path: path.display().to_string(),
                    source,
                })
        };
        if let Some(path) = explicit {
            let text = read(path, repo_root)?;
            return Config::parse(&path.display().to_string(), &text);
        }
        if let Some(root) = repo_root {
            let candidate = root.join("inv-rules.toml");
            // Any entry of that name, a dangling link included, is the policy: never the
            // default in its place.
            if candidate.symlink_metadata().is_ok() {
                let text = read(&candidate, Some(root))?;
                return Config::parse("inv-rules.toml", &text);
            }
        }
        Config::parse("inv-rules.toml (built-in default)", DEFAULT_POLICY)
    }

    /// Parses and validates policy text; `name` is how output refers to the file.
    pub fn parse(name: &str, text: &str) -> Result<Config, Error> {
        if text.len() as u64 > crate::engine::governance::MAX_POLICY_BYTES {
            return Err(Error::Usage {
                message: format!(
                    "{name} is {} bytes, over the {}-byte cap on policy files",
                    text.len(),
                    crate::engine::governance::MAX_POLICY_BYTES
                ),
                hint: "a policy is a few hundred lines; move generated pattern lists out of it"
                    .into(),
            });
        }
        let source = Arc::new(Source::new(name, text));
        let raw: RawPolicy = toml::from_str(text).map_err(|e| {
            let span = e.span().filter(|r| source.is_showable(r));
            let mut message = e.message().trim().to_string();
            if let (Some(r), None) = (e.span(), &span) {
                message = format!("{message} (at {})", source.location(r.start));
            }
            Error::ConfigParse {
                path: name.to_string(),
                message,
                src: source.named(),
                at: span.map(|r| (r.start, r.len().max(1)).into()),
            }
        })?;
        let mut v = Validator {
            source: source.clone(),
            problems: Vec::new(),
            vocabulary: BTreeMap::new(),
            fallback: 0..0,
        };

        if let Some(version) = &raw.version {
            if *version.get_ref() != 1 {
                v.problem(
                    version.span(),
                    format!("unsupported policy version {}", version.get_ref()),
                    "this invlint reads version 1",
                    Some("set `version = 1`".into()),
                );
            }
        }

        // Vocabulary first: checks refer to it.
        let mut vocabulary = BTreeMap::new();
        for (name, entries) in &raw.vocabulary {
            let list = v.glob_list(entries);
            v.vocabulary.insert(name.clone(), entries.clone());
            vocabulary.insert(name.clone(), list);
        }

        let max_file_size = raw
            .limits
            .max_file_size
            .as_ref()
            .map(|s| *s.get_ref())
            .unwrap_or(8 * 1024 * 1024);

        let mut invariants = Vec::new();
        let mut seen_upper: BTreeMap<String, String> = BTreeMap::new();
        for (id, inv) in &raw.invariant {
            let header_span = find_header(text, id).unwrap_or(0..0);
            v.fallback = header_span.clone();
            if let Some(other) = seen_upper.insert(id.to_ascii_uppercase(), id.clone()) {
                v.problem(
                    header_span.clone(),
                    format!("invariant `{id}` duplicates `{other}`"),
                    "duplicate ID",
                    Some("IDs are case-insensitive in PR descriptions; give each invariant one unique ID".into()),
                );
            }
            if !is_valid_id(id) {
                v.problem(
                    header_span.clone(),
                    format!("invariant ID `{id}` is not of the form PREFIX-NN"),
                    "bad ID",
                    Some("use letters, a dash and digits, e.g. `INV-11`".into()),
                );
            }
            let escalation = match Escalation::parse(inv.escalation.get_ref()) {
                Some(e) => e,
                None => {
                    v.problem(
                        inv.escalation.span(),
                        format!("unknown escalation `{}`", inv.escalation.get_ref()),
                        "not an escalation class",
                        Some(format!(
                            "use one of {}{}",
                            Escalation::ALL.join(", "),
                            did_you_mean(inv.escalation.get_ref(), Escalation::ALL.iter().copied())
                        )),
                    );
                    Escalation::BlockMerge
                }
            };
            let status = match &inv.status {
                None => Status::Stable,
                Some(s) => match Status::parse(s.get_ref()) {
                    Some(st) => st,
                    None => {
                        v.problem(
                            s.span(),
                            format!("unknown status `{}`", s.get_ref()),
                            "not a status",
                            Some("use one of stable, preview, planned, retired".into()),
                        );
                        Status::Stable
                    }
                },
            };
            let check = inv.check.get_ref().as_str();
            let implemented = rules::find(check).is_some();
            if !implemented && !rules::is_planned_check(check) {
                let known = rules::RULES
                    .iter()
                    .chain(rules::GENERIC)
                    .chain(rules::PR_RULES)
                    .chain(rules::ENGINE_RULES)
                    .map(|r| r.meta().name)
                    .chain(rules::PLANNED_CHECKS.iter().map(|(n, _)| *n));
                v.problem(
                    inv.check.span(),
                    format!("unknown check `{check}`"),
                    "no built-in check has this name",
                    Some(format!(
                        "run `invlint rules` for the built-in checks{}",
                        did_you_mean(check, known)
                    )),
                );
            } else if !implemented && status.is_active() {
                v.problem(
                    inv.check.span(),
                    format!("check `{check}` has not landed in this invlint"),
                    "not implemented yet",
                    Some("mark the invariant `status = \"planned\"` until its check exists".into()),
                );
            }
            for (table, span) in inv.settings_tables() {
                if table != check {
                    v.problem(
                        span,
                        format!("settings for `{table}`, but `{id}` runs `{check}`"),
                        "settings of another check",
                        Some(format!(
                            "rename the table to `[invariant.{id}.{check}]` or change `check`"
                        )),
                    );
                }
            }
            let settings = if !status.is_active() {
                Settings::None
            } else {
                match check {
                    c if c == rules::inv01_contract_without_proto::META.name => Settings::ContractWithoutProto(
                        inv.contract_without_proto
                            .as_ref()
                            .map(|s| s.get_ref().compile(&mut v))
                            .unwrap_or_else(|| rules::inv01_contract_without_proto::RawSettings::default().compile(&mut v)),
                    ),
                    c if c == rules::inv02_ws_command_rpc::META.name => Settings::WsCommandRpc(
                        inv.ws_command_rpc
                            .as_ref()
                            .map(|s| s.get_ref().compile(&mut v))
                            .unwrap_or_else(|| rules::inv02_ws_command_rpc::RawSettings::default().compile(&mut v)),
                    ),
                    c if c == rules::inv03_sse_poll_lane::META.name => Settings::SsePollLane(
                        inv.sse_poll_lane
                            .as_ref()
                            .map(|s| s.get_ref().compile(&mut v))
                            .unwrap_or_else(|| rules::inv03_sse_poll_lane::RawSettings::default().compile(&mut v)),
                    ),
                    c if c == rules::inv04_cross_plane_sql::META.name => Settings::CrossPlaneSql(
                        inv.cross_plane_sql
                            .as_ref()
                            .map(|s| s.get_ref().compile(&mut v))
                            .unwrap_or_else(|| rules::inv04_cross_plane_sql::RawSettings::default().compile(&mut v)),
                    ),
                    c if c == rules::inv05_in_memory_coupling::META.name => Settings::InMemoryCoupling(
                        inv.in_memory_coupling
                            .as_ref()
                            .map(|s| s.get_ref().compile(&mut v))
                            .unwrap_or_else(|| rules::inv05_in_memory_coupling::RawSettings::default().compile(&mut v)),
                    ),
                    c if c == rules::inv06_khala_authority_write::META.name => Settings::KhalaAuthorityWrite(
                        inv.khala_authority_write
                            .as_ref()
                            .map(|s| s.get_ref().compile(&mut v))
                            .unwrap_or_else(|| rules::inv06_khala_authority_write::RawSettings::default().compile(&mut v)),
                    ),
                    c if c == rules::inv07_unordered_apply::META.name => Settings::UnorderedApply(
                        inv.unordered_apply
                            .as_ref()
                            .map(|s| s.get_ref().compile(&mut v))
                            .unwrap_or_else(|| rules::inv07_unordered_apply::RawSettings::default().compile(&mut v)),
                    ),
                    c if c == rules::inv08_identity_outside_control::META.name => Settings::IdentityOutsideControl(
                        inv.identity_outside_control
                            .as_ref()
                            .map(|s| s.get_ref().compile(&mut v))
                            .unwrap_or_else(|| rules::inv08_identity_outside_control::RawSettings::default().compile(&mut v)),
                    ),
                    c if c == rules::inv09_deploy_without_migrate::META.name => Settings::DeployWithoutMigrate(
                        inv.deploy_without_migrate
                            .as_ref()
                            .map(|s| s.get_ref().compile(&mut v))
                            .unwrap_or_else(|| rules::inv09_deploy_without_migrate::RawSettings::default().compile(&mut v)),
                    ),
                    c if c == rules::inv10_legacy_deleted_without_parity::META.name => Settings::LegacyDeletedWithoutParity(
                        inv.legacy_deleted_without_parity
                            .as_ref()
                            .map(|s| s.get_ref().compile(&mut v))
                            .unwrap_or_else(|| rules::inv10_legacy_deleted_without_parity::RawSettings::default().compile(&mut v)),
                    ),
                    c if c == rules::generic_added_pattern::META.name => Settings::AddedPattern(
                        inv.added_pattern
                            .as_ref()
                            .map(|s| s.get_ref().compile(&mut v))
                            .unwrap_or_else(|| {
                                rules::generic_added_pattern::RawSettings::default().compile(&mut v)
                            }),
                    ),
                    c if c == rules::generic_forbidden_path::META.name => Settings::ForbiddenPath(
                        inv.forbidden_path
                            .as_ref()
                            .map(|s| s.get_ref().compile(&mut v))
                            .unwrap_or_else(|| {
                                rules::generic_forbidden_path::RawSettings::default()
                                    .compile(&mut v)
                            }),
                    ),
                    c if c == rules::generic_co_change::META.name => Settings::CoChange(
                        inv.co_change
                            .as_ref()
                            .map(|s| s.get_ref().compile(&mut v))
                            .unwrap_or_else(|| {
                                rules::generic_co_change::RawSettings::default().compile(&mut v)
                            }),
                    ),
                    "missing-inv-mapping" => Settings::PrChecklist(
                        inv.missing_inv_mapping
                            .as_ref()
                            .map(|s| s.get_ref().compile(&mut v))
                            .unwrap_or_else(|| {
                                rules::pr_checklist::RawSettings::default().compile(&mut v)
                            }),
                    ),
                    "checklist-item-missing" => Settings::PrChecklist(
                        inv.checklist_item_missing
                            .as_ref()
                            .map(|s| s.get_ref().compile(&mut v))
                            .unwrap_or_else(|| {
                                rules::pr_checklist::RawSettings::default().compile(&mut v)
                            }),
                    ),
                    "na-without-reason" => Settings::PrChecklist(
                        inv.na_without_reason
                            .as_ref()
                            .map(|s| s.get_ref().compile(&mut v))
                            .unwrap_or_else(|| {
                                rules::pr_checklist::RawSettings::default().compile(&mut v)
                            }),
                    ),
                    "release-evidence-missing" => Settings::PrChecklist(
                        inv.release_evidence_missing
                            .as_ref()
                            .map(|s| s.get_ref().compile(&mut v))
                            .unwrap_or_else(|| {
                                rules::pr_checklist::RawSettings::default().compile(&mut v)
                            }),
                    ),
                    c if c == crate::engine::suppress::META.name => Settings::BadSuppression(
                        inv.bad_suppression
                            .as_ref()
                            .map(|s| s.get_ref().compile(&mut v))
                            .unwrap_or_else(|| {
                                crate::engine::suppress::RawSettings::default().compile(&mut v)
                            }),
                    ),
                    _ => Settings::None,
                }
            };
            invariants.push(Invariant {
                id: id.clone(),
                header_span,
                title: inv.title.get_ref().clone(),
                check: check.to_string(),
                check_span: inv.check.span(),
                escalation,
                escalation_span: inv.escalation.span(),
                status,
                owners: inv.owners.iter().map(|o| o.get_ref().clone()).collect(),
                surfaces: v.glob_list(&inv.surfaces),
                related: v.glob_list(&inv.related),
                is_suppressible: inv.suppressible.as_ref().is_some_and(|s| *s.get_ref()),
                not_applicable: inv
                    .not_applicable
                    .as_ref()
                    .map(|s| s.get_ref().trim().to_string())
                    .filter(|s| !s.is_empty()),
                settings,
            });
        }

        // Checks that read another invariant's settings (INV-06 reads INV-04's plane map).
        for inv in &invariants {
            v.fallback = inv.header_span.clone();
            if let Settings::KhalaAuthorityWrite(s) = &inv.settings {
                s.link(&invariants, &mut v);
            }
        }

        let bots = crate::cli_filter::Bots::compile(raw.bots.as_ref(), &mut v);
        v.fallback = 0..0;
        let report = crate::report::policy::compile(raw.report.as_ref(), &mut v);

        if !v.problems.is_empty() {
            v.problems
                .sort_by_key(|p| p.at.map(|s| s.offset()).unwrap_or(0));
            return Err(Error::ConfigInvalid {
                path: name.to_string(),
                problems: v.problems,
            });
        }
        Ok(Config {
            display_path: name.to_string(),
            source,
            vocabulary,
            max_file_size,
            invariants,
            bots,
            report,
        })
    }

    /// The invariant with this ID (case-insensitive).
    pub fn invariant(&self, id: &str) -> Option<&Invariant> {
        self.invariants
            .iter()
            .find(|i| i.id.eq_ignore_ascii_case(id))
    }

    /// The closest declared ID to `id`, for "did you mean".
    pub fn closest_id(&self, id: &str) -> Option<&str> {
        closest(id, self.invariants.iter().map(|i| i.id.as_str()))
    }
}

fn is_valid_id(id: &str) -> bool {
    let Some((prefix, num)) = id.rsplit_once('-') else {
        return false;
    };
    !prefix.is_empty()
        && prefix
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !num.is_empty()
        && num.chars().all(|c| c.is_ascii_digit())
}

/// Span of `[invariant.<id>]` (quoted or not) in the policy text.
fn find_header(text: &str, id: &str) -> Option<Range<usize>> {
    for candidate in [
        format!("[invariant.{id}]"),
        format!("[invariant.\"{id}\"]"),
        format!("[invariant.'{id}']"),
    ] {
        if let Some(at) = text.find(&candidate) {
            return Some(at..at + candidate.len());
        }
    }
    // Dotted keys or inline tables: point at the first mention of the ID.
    text.find(id).map(|at| at..at + id.len())
}

/// The closest candidate by edit distance, if reasonably close.
pub fn closest<'a>(wanted: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let wanted_lower = wanted.to_ascii_lowercase();
    candidates
        .map(|c| {
            (
                strsim::levenshtein(&wanted_lower, &c.to_ascii_lowercase()),
                c,
            )
        })
        .filter(|(d, c)| *d <= (c.len() / 2).max(2))
        .min()
        .map(|(_, c)| c)
}

fn did_you_mean<'a>(wanted: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    closest(wanted, candidates)
        .map(|c| format!("; did you mean `{c}`?"))
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// Validation helpers shared by every check's settings.

/// Collects policy problems while compiling settings.
pub struct Validator {
    source: Arc<Source>,
    problems: Vec<ConfigProblem>,
    vocabulary: BTreeMap<String, Vec<Spanned<String>>>,
    /// Where a problem without a span of its own points: the header of the invariant being
    /// compiled (a missing key has no span; line 1 would mislead).
    fallback: Range<usize>,
}

impl Validator {
    /// Records a problem at `span`.
    pub fn problem(
        &mut self,
        span: Range<usize>,
        message: impl Into<String>,
        label: impl Into<String>,
        help: Option<String>,
    ) {
        let span = if span.is_empty() && span.start == 0 {
            self.fallback.clone()
        } else {
            span
        };
        let mut message = message.into();
        let at = if self.source.is_showable(&span) {
            Some((span.start, span.len()).into())
        } else {
            message = format!("{message} (at {})", self.source.location(span.start));
            None
        };
        self.problems.push(ConfigProblem {
            message,
            src: self.source.named(),
            at,
            label: label.into(),
            help,
        });
    }

    /// Compiles a glob list. Entries: a glob (`apps/**`), a negated glob (`!**/tests/**`), or a
    /// vocabulary reference (`@tests`, `!@tests`).
    pub fn glob_list(&mut self, entries: &[Spanned<String>]) -> GlobList {
        let mut list = GlobList::default();
        for entry in entries {
            let raw = entry.get_ref().as_str();
            let (negated, body) = match raw.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, raw),
            };
            let expanded: Vec<(String, Range<usize>)> = if let Some(name) = body.strip_prefix('@') {
                match self.vocabulary.get(name) {
                    Some(globs) => globs
                        .iter()
                        .map(|g| (g.get_ref().clone(), g.span()))
                        .collect(),
                    None => {
                        let known: Vec<String> = self.vocabulary.keys().cloned().collect();
                        let hint = did_you_mean(name, known.iter().map(|s| s.as_str()));
                        self.problem(
                            entry.span(),
                            format!("unknown vocabulary set `@{name}`"),
                            "not defined under [vocabulary]",
                            Some(format!("define `{name} = [...]` under [vocabulary]{hint}")),
                        );
                        continue;
                    }
                }
            } else {
                vec![(body.to_string(), entry.span())]
            };
            for (glob_text, span) in expanded {
                if glob_text.len() > MAX_GLOB_LEN {
                    self.problem(
                        span,
                        format!(
                            "glob of {} characters, over the cap of {MAX_GLOB_LEN}",
                            glob_text.len()
                        ),
                        "too long",
                        Some("split it into several entries".into()),
                    );
                    continue;
                }
                match GlobBuilder::new(&glob_text)
                    .literal_separator(true)
                    .backslash_escape(true)
                    .build()
                {
                    Ok(glob) => {
                        // The glob's own regex must build (globset compiles it on first use;
                        // a failure there would silently match nothing).
                        let checked = regex_syntax::ParserBuilder::new()
                            .utf8(false)
                            .build()
                            .parse(glob.regex())
                            .map_err(|e| e.to_string())
                            .and_then(|hir| nfa_within(&[hir], MAX_REGEX_NFA));
                        if let Err(e) = checked {
                            let last = e.lines().last().unwrap_or("").trim().to_string();
                            self.problem(
                                span,
                                format!("glob `{glob_text}` is too complex to match: {last}"),
                                "too complex",
                                Some("use fewer nested `{a,b}` alternations; list the alternatives as separate entries".into()),
                            );
                            continue;
                        }
                        let item = GlobEntry {
                            text: if negated { format!("!{glob_text}") } else { glob_text },
                            span: span.clone(),
                        };
                        if negated {
                            list.exclude.globs.push(glob);
                            list.exclude_entries.push(item);
                        } else {
                            list.include.globs.push(glob);
                            list.include_entries.push(item);
                        }
                    }
                    Err(e) => self.problem(
                        span,
                        format!("invalid glob `{glob_text}`: {}", e.kind()),
                        "bad glob",
                        Some("globs use `*` within a path segment and `**` across segments, e.g. `apps/**/src/*.rs`".into()),
                    ),
                }
            }
        }
        list
    }

    /// Parses one regex under the caps (length, nesting), reporting problems at its span.
    fn regex_hir(&mut self, entry: &Spanned<String>) -> Option<regex_syntax::hir::Hir> {
        let text = entry.get_ref();
        if text.len() > MAX_REGEX_LEN {
            self.problem(
                entry.span(),
                format!(
                    "regex of {} characters, over the cap of {MAX_REGEX_LEN}",
                    text.len()
                ),
                "too long",
                Some("split it into several patterns, each under the cap".into()),
            );
            return None;
        }
        match regex_syntax::ParserBuilder::new().build().parse(text) {
            Ok(hir) => Some(hir),
            Err(e) => {
                self.bad_regex(entry, &e.to_string());
                None
            }
        }
    }

    fn bad_regex(&mut self, entry: &Spanned<String>, error: &str) {
        let last = error
            .lines()
            .last()
            .unwrap_or("invalid regex")
            .trim()
            .to_string();
        self.problem(
            entry.span(),
            format!("invalid regex `{}`: {last}", entry.get_ref()),
            "bad regex",
            Some("patterns use Rust regex syntax (https://docs.rs/regex); escape `\\` in TOML basic strings or use '...' literal strings".into()),
        );
    }

    /// Compiles one regex.
    pub fn regex(&mut self, entry: &Spanned<String>) -> Option<LazyRegex> {
        // Parse, translate and build the NFA under the size limit: the checks compiling makes,
        // without the DFAs and prefilters that make compiling slow.
        let hir = self.regex_hir(entry)?;
        match nfa_within(std::slice::from_ref(&hir), MAX_REGEX_NFA) {
            Ok(()) => Some(LazyRegex::new(entry.get_ref())),
            Err(e) => {
                self.bad_regex(entry, &e);
                None
            }
        }
    }

    /// Compiles a list of named patterns.
    pub fn patterns(&mut self, raw: &[RawPattern]) -> PatternList {
        let mut items = Vec::new();
        let mut hirs = Vec::new();
        let mut seen = BTreeMap::new();
        if raw.len() > MAX_PATTERNS {
            let span = raw[MAX_PATTERNS].regex.span();
            self.problem(
                span,
                format!(
                    "{} patterns in one list, over the cap of {MAX_PATTERNS}",
                    raw.len()
                ),
                "one pattern too many",
                Some("merge patterns with alternation, or split the invariant".into()),
            );
        }
        for p in raw {
            if let Some(prev) = seen.insert(p.id.get_ref().clone(), p.id.span()) {
                let _ = prev;
                self.problem(
                    p.id.span(),
                    format!("pattern id `{}` is used twice", p.id.get_ref()),
                    "duplicate pattern id",
                    Some("give each pattern a unique id; findings name it".into()),
                );
            }
            let hir = self.regex_hir(&p.regex);
            let near = p.near.as_ref().and_then(|n| self.regex(n));
            if let Some(hir) = hir {
                if p.near.is_some() && near.is_none() {
                    continue;
                }
                let regex = LazyRegex::new(p.regex.get_ref());
                hirs.push((hir, p.regex.clone()));
                items.push(Pattern {
                    id: p.id.get_ref().clone(),
                    regex,
                    what: p.what.get_ref().clone(),
                    near,
                    within: p.within.unwrap_or(5),
                    span: p.regex.span(),
                });
            }
        }
        // The list is matched as one set: it must build as one, never fall back to matching
        // nothing. Built here as a Thompson NFA under the limit (no DFA: that is first use).
        let all: Vec<regex_syntax::hir::Hir> = hirs.iter().map(|(h, _)| h.clone()).collect();
        if let Err(e) = nfa_within(&all, MAX_SET_NFA) {
            let mut blamed = false;
            for (hir, entry) in &hirs {
                if let Err(e) = nfa_within(std::slice::from_ref(hir), MAX_REGEX_NFA) {
                    self.bad_regex(entry, &e);
                    blamed = true;
                }
            }
            if !blamed {
                if let Some((_, first)) = hirs.first() {
                    self.problem(
                        first.span(),
                        format!(
                            "the {} patterns of this list together exceed the matcher size limit ({e})",
                            hirs.len()
                        ),
                        "this list is too large to match as one set",
                        Some("simplify the patterns (a Unicode class like `\\w{50}` is large; use `[A-Za-z0-9_]`) or split them between invariants".into()),
                    );
                }
            }
        }
        let texts: Vec<String> = items.iter().map(|p| p.regex.text.clone()).collect();
        let prefilter = crate::rules::util::Prefilter::new(texts.clone());
        let set = LazySet {
            texts,
            cell: std::sync::OnceLock::new(),
        };
        PatternList {
            items,
            set,
            prefilter,
        }
    }

    /// Reports each compiled pattern of `list` without a `name` capture group, which the check
    /// reads (`kind`: "client pattern"; `named`: what the group captures, "event name";
    /// `example`: a pattern that has one, for the hint).
    pub fn require_name_capture(
        &mut self,
        raw: &[RawPattern],
        list: &PatternList,
        kind: &str,
        named: &str,
        example: &str,
    ) {
        for p in &list.items {
            if p.regex.has_capture("name") {
                continue;
            }
            let span = raw
                .iter()
                .find(|r| r.id.get_ref() == &p.id)
                .map(|r| r.regex.span())
                .unwrap_or_else(|| p.span.clone());
            self.problem(
                span,
                format!("{kind} `{}` has no `name` capture group", p.id),
                "no (?P<name>...) group",
                Some(format!("capture the {named}, e.g. `{example}`")),
            );
        }
    }

    /// Reports an empty list that the check needs.
    pub fn require_non_empty(&mut self, span: Range<usize>, what: &str, key: &str) {
        self.problem(
            span,
            format!(
                "`{key}` is empty, so {what} would {} be checked",
                if what.starts_with("no ") || what == "nothing" {
                    "ever"
                } else {
                    "never"
                }
            ),
            "empty",
            Some(format!(
                "list at least one entry in `{key}`, or mark the invariant `status = \"retired\"`"
            )),
        );
    }
}

/// A compiled glob list with the spans of its entries.
#[derive(Debug, Default)]
pub struct GlobList {
    include: LazyGlobSet,
    exclude: LazyGlobSet,
    include_entries: Vec<GlobEntry>,
    exclude_entries: Vec<GlobEntry>,
}

/// One glob entry as written in the policy.
#[derive(Debug, Clone)]
pub struct GlobEntry {
    /// The glob text.
    pub text: String,
    /// Its span in the policy file.
    pub span: Range<usize>,
}

/// Globs checked at load, matched as one `GlobSet` built on first use: a policy has ~100 glob
/// lists and building them all took most of its 40 ms load, while `check --staged` on one file
/// uses a handful.
#[derive(Debug, Default)]
struct LazyGlobSet {
    globs: Vec<globset::Glob>,
    cell: std::sync::OnceLock<BuiltGlobs>,
}

/// A glob set, or, when the combination of globs (each checked at load) exceeds globset's
/// limit, the globs one by one: slower, never "match nothing".
#[derive(Debug)]
enum BuiltGlobs {
    Set(GlobSet),
    Each(Vec<globset::GlobMatcher>),
}

impl LazyGlobSet {
    fn built(&self) -> &BuiltGlobs {
        self.cell.get_or_init(|| {
            let mut b = GlobSetBuilder::new();
            for g in &self.globs {
                b.add(g.clone());
            }
            match b.build() {
                Ok(set) => BuiltGlobs::Set(set),
                Err(_) => {
                    BuiltGlobs::Each(self.globs.iter().map(|g| g.compile_matcher()).collect())
                }
            }
        })
    }

    fn is_match(&self, path: &str) -> bool {
        match self.built() {
            BuiltGlobs::Set(s) => s.is_match(path),
            BuiltGlobs::Each(v) => v.iter().any(|m| m.is_match(path)),
        }
    }

    fn matches(&self, path: &str) -> Vec<usize> {
        match self.built() {
            BuiltGlobs::Set(s) => s.matches(path),
            BuiltGlobs::Each(v) => (0..v.len()).filter(|&i| v[i].is_match(path)).collect(),
        }
    }
}

impl GlobList {
    /// True when `path` matches an include entry and no exclude entry.
    pub fn is_match(&self, path: &str) -> bool {
        self.include.is_match(path) && !self.exclude.is_match(path)
    }

    /// The first include entry that matches `path` (for citations).
    pub fn matching_entry(&self, path: &str) -> Option<&GlobEntry> {
        self.include
            .matches(path)
            .first()
            .map(|&i| &self.include_entries[i])
    }

    /// True when the list has no include entry.
    pub fn is_empty(&self) -> bool {
        self.include_entries.is_empty()
    }

    /// The entries as written, includes then excludes.
    pub fn entries(&self) -> impl Iterator<Item = &GlobEntry> {
        self.include_entries.iter().chain(&self.exclude_entries)
    }
}

/// A named pattern as written in the policy.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawPattern {
    /// Stable id, shown in findings.
    pub id: Spanned<String>,
    /// Rust regex matched against one added line.
    pub regex: Spanned<String>,
    /// What a match means, for the label ("an SSE client").
    pub what: Spanned<String>,
    /// Optional second regex that must match within `within` lines for the hit to count.
    pub near: Option<Spanned<String>>,
    /// Window for `near`, in lines either side (default 5).
    pub within: Option<usize>,
}

/// A compiled named pattern.
#[derive(Debug)]
pub struct Pattern {
    /// Stable id.
    pub id: String,
    /// The regex.
    pub regex: LazyRegex,
    /// What a match means.
    pub what: String,
    /// Companion regex, if any.
    pub near: Option<LazyRegex>,
    /// Window for `near`.
    pub within: usize,
    /// Span of the regex in the policy file.
    pub span: Range<usize>,
}

/// A regex whose syntax is checked when the policy loads and which is compiled on first use:
/// a policy holds hundreds of patterns, most of which a pre-commit run on one file never needs,
/// and compiling them all cost ~70 ms per run. Derefs to [`Regex`].
#[derive(Debug)]
pub struct LazyRegex {
    text: String,
    cell: std::sync::OnceLock<Regex>,
}

impl LazyRegex {
    /// A lazy regex over `text`; the caller has checked its syntax.
    pub fn new(text: &str) -> LazyRegex {
        LazyRegex {
            text: text.to_string(),
            cell: std::sync::OnceLock::new(),
        }
    }
}

impl LazyRegex {
    /// True when the pattern has a capture group named `name`, read from the parsed pattern
    /// without compiling it (validation runs on every load, matching only when a file needs it).
    pub fn has_capture(&self, name: &str) -> bool {
        fn walk(hir: &regex_syntax::hir::Hir, name: &str) -> bool {
            use regex_syntax::hir::HirKind;
            match hir.kind() {
                HirKind::Capture(c) => c.name.as_deref() == Some(name) || walk(&c.sub, name),
                HirKind::Repetition(r) => walk(&r.sub, name),
                HirKind::Concat(v) | HirKind::Alternation(v) => v.iter().any(|h| walk(h, name)),
                _ => false,
            }
        }
        regex_syntax::ParserBuilder::new()
            .build()
            .parse(&self.text)
            .is_ok_and(|hir| walk(&hir, name))
    }
}

/// Caps on what a policy may ask the matchers to build (README, "The policy file"; also in the
/// schema): bigger is a load error with a span, never an empty matcher.
pub const MAX_PATTERNS: usize = 256;
/// Longest regex, in bytes.
pub const MAX_REGEX_LEN: usize = 4096;
/// Longest glob, in bytes.
pub const MAX_GLOB_LEN: usize = 1024;
/// Largest NFA one regex or glob may compile to.
pub const MAX_REGEX_NFA: usize = 1 << 20;
/// Largest NFA one pattern list may compile to, matched as one set.
pub const MAX_SET_NFA: usize = 8 << 20;
/// Runtime limit for building what load validated (larger than any validated size).
const RUNTIME_SIZE_LIMIT: usize = 256 << 20;

/// Builds the Thompson NFA of `hirs` (as one set) under `limit` bytes.
fn nfa_within(hirs: &[regex_syntax::hir::Hir], limit: usize) -> Result<(), String> {
    let refs: Vec<&regex_syntax::hir::Hir> = hirs.iter().collect();
    regex_automata::nfa::thompson::Compiler::new()
        .configure(
            regex_automata::nfa::thompson::Config::new()
                .nfa_size_limit(Some(limit))
                .shrink(false),
        )
        .build_many_from_hir(&refs)
        .map(|_| ())
        .map_err(|e| {
            format!(
                "{e}: compiled size exceeds the size limit of {} KiB",
                limit >> 10
            )
        })
}

/// Matches nothing: what a pattern becomes in the one case syntax checking cannot foresee (a
/// regex over the compiled-size limit), so that a bad pattern never matches everything.
fn never() -> Regex {
    Regex::new(r"[^\s\S]").expect("static regex")
}

impl std::ops::Deref for LazyRegex {
    type Target = Regex;
    fn deref(&self) -> &Regex {
        self.cell.get_or_init(|| {
            // Sized at load (`nfa_within`); the runtime limit only has to exceed that.
            regex::RegexBuilder::new(&self.text)
                .size_limit(RUNTIME_SIZE_LIMIT)
                .build()
                .unwrap_or_else(|_| never())
        })
    }
}

/// A `RegexSet` over a pattern list, built on first use (see [`LazyRegex`]).
#[derive(Debug)]
pub struct LazySet {
    texts: Vec<String>,
    cell: std::sync::OnceLock<RegexSet>,
}

impl std::ops::Deref for LazySet {
    type Target = RegexSet;
    fn deref(&self) -> &RegexSet {
        self.cell.get_or_init(|| {
            // Sized at load (`nfa_within` over the whole list); the runtime limit only has to
            // exceed that. Syntax was checked too, so this cannot fail on a loaded policy.
            regex::RegexSetBuilder::new(&self.texts)
                .size_limit(RUNTIME_SIZE_LIMIT)
                .build()
                .unwrap_or_else(|_| RegexSet::empty())
        })
    }
}

/// Compiled patterns plus a `RegexSet` prefilter.
#[derive(Debug)]
pub struct PatternList {
    /// In policy order.
    pub items: Vec<Pattern>,
    /// All regexes at once, to reject a line in one pass.
    pub set: LazySet,
    /// Their context-free superset: one DFA pass over a file picks the lines to match (#19).
    pub prefilter: crate::rules::util::Prefilter,
}

impl PatternList {
    /// True when there are no patterns.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_names_are_read_without_compiling() {
        assert!(LazyRegex::new(r#"\.send\(\s*"(?P<name>[^"]+)""#).has_capture("name"));
        assert!(LazyRegex::new(r"(?:a|b(?P<name>\w+))*").has_capture("name"));
        assert!(!LazyRegex::new(r"\.send\(([^)]+)\)").has_capture("name"));
        assert!(!LazyRegex::new(r"(?P<other>x)").has_capture("name"));
        assert!(!LazyRegex::new(r"(unclosed").has_capture("name"));
    }

    #[test]
    fn glob_sets_build_on_first_match() {
        let list = LazyGlobSet {
            globs: vec![globset::Glob::new("apps/**").unwrap()],
            cell: std::sync::OnceLock::new(),
        };
        assert!(list.cell.get().is_none());
        assert!(list.is_match("apps/runtime/src/lib.rs"));
        assert!(list.cell.get().is_some());
        assert!(!LazyGlobSet::default().is_match("x"));
    }
}
