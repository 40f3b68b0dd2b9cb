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
//!
//! The engine names no check: the registry `lib.rs` passes in ([`Registry`]) says which check
//! names exist, and each check deserializes and compiles its own table ([`DynCheck`]).

use std::any::Any;
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

pub use crate::engine::check::PolicyTable;
use crate::engine::check::{Bound, DynCheck, Kind, Registry, Scope};
use crate::engine::error::Error;
use crate::engine::source::Source;

pub use crate::engine::matchers::{
    GlobEntry, GlobList, LazyRegex, LazySet, Pattern, PatternList, RawPattern, MAX_GLOB_LEN,
    MAX_PATTERNS, MAX_REGEX_LEN, MAX_REGEX_NFA, MAX_SET_NFA,
};
pub use crate::engine::validator::Validator;

/// `[limits] max-file-size` when the policy does not set it: 8 MiB.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 8 * 1024 * 1024;

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

    pub(crate) fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "block-merge" => Escalation::BlockMerge,
            "block-merge-unless-mitigated" => Escalation::BlockMergeUnlessMitigated,
            "block-release" => Escalation::BlockRelease,
            _ => return None,
        })
    }

    pub(crate) const ALL: [&'static str; 3] = [
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

    pub(crate) fn parse(s: &str) -> Option<Self> {
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
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawLimits {
    max_file_size: Option<Spanned<u64>>,
}

/// The keys every `[invariant.<ID>]` table may hold; any other key is a check's settings table.
pub const INVARIANT_KEYS: &[&str] = &[
    "title",
    "check",
    "escalation",
    "status",
    "owners",
    "surfaces",
    "related",
    "suppressible",
    "not-applicable",
];

/// `[invariant.<ID>]` as written. Its other keys are checks' settings tables, known only to the
/// registry: kept as (name, span) here, deserialized by their check ([`DynCheck`]).
#[derive(Debug)]
struct RawInvariant {
    title: Spanned<String>,
    check: Spanned<String>,
    escalation: Spanned<String>,
    status: Option<Spanned<String>>,
    owners: Vec<Spanned<String>>,
    surfaces: Vec<Spanned<String>>,
    related: Vec<Spanned<String>>,
    suppressible: Option<Spanned<bool>>,
    not_applicable: Option<Spanned<String>>,
    /// Every other key: (the key, the span of its value).
    tables: Vec<(Spanned<String>, Range<usize>)>,
}

impl<'de> Deserialize<'de> for RawInvariant {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = RawInvariant;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an invariant table")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<RawInvariant, A::Error> {
                use serde::de::Error as _;
                let (mut title, mut check, mut escalation) = (None, None, None);
                let mut inv = RawInvariant {
                    title: Spanned::new(0..0, String::new()),
                    check: Spanned::new(0..0, String::new()),
                    escalation: Spanned::new(0..0, String::new()),
                    status: None,
                    owners: Vec::new(),
                    surfaces: Vec::new(),
                    related: Vec::new(),
                    suppressible: None,
                    not_applicable: None,
                    tables: Vec::new(),
                };
                while let Some(key) = map.next_key::<Spanned<String>>()? {
                    match key.get_ref().as_str() {
                        "title" => title = Some(map.next_value()?),
                        "check" => check = Some(map.next_value()?),
                        "escalation" => escalation = Some(map.next_value()?),
                        "status" => inv.status = Some(map.next_value()?),
                        "owners" => inv.owners = map.next_value()?,
                        "surfaces" => inv.surfaces = map.next_value()?,
                        "related" => inv.related = map.next_value()?,
                        "suppressible" => inv.suppressible = Some(map.next_value()?),
                        "not-applicable" => inv.not_applicable = Some(map.next_value()?),
                        _ => {
                            let value: Spanned<serde::de::IgnoredAny> = map.next_value()?;
                            inv.tables.push((key, value.span()));
                        }
                    }
                }
                inv.title = title.ok_or_else(|| A::Error::missing_field("title"))?;
                inv.check = check.ok_or_else(|| A::Error::missing_field("check"))?;
                inv.escalation = escalation.ok_or_else(|| A::Error::missing_field("escalation"))?;
                Ok(inv)
            }
        }
        d.deserialize_map(Visit)
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
    /// The built-in checks this policy was compiled against.
    pub registry: Registry,
    /// The registry's top-level tables (`[report]`), each as its owner compiled it.
    tables: BTreeMap<&'static str, Box<dyn Any + Send + Sync>>,
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
    /// The check that runs and the settings it compiled; `None` when nothing runs (planned,
    /// retired, or a check that has not landed).
    bound: Option<Bound>,
}

impl Invariant {
    /// The check that runs for this invariant, if one does.
    pub fn runs(&self) -> Option<&'static dyn DynCheck> {
        self.bound.as_ref().map(|b| b.check)
    }

    /// This invariant's compiled settings, if its check compiles settings of type `T`: how one
    /// check reads another's (INV-06 reads the plane map of the invariant its `planes-from`
    /// names). `None` when the invariant runs another check, or none.
    pub fn settings_of<T: 'static>(&self) -> Option<&T> {
        self.bound.as_ref()?.settings.downcast_ref::<T>()
    }

    /// The files the check reads, for coverage; `None` for checks that read no file.
    pub fn scope<'a>(&'a self, config: &'a Config) -> Option<Scope<'a>> {
        self.runs()?.scope_bound(self, config)
    }

    /// True when the check runs after every other check (PR checks, suppressions).
    pub fn is_post(&self) -> bool {
        self.runs().is_some_and(|c| c.meta().kind.is_post())
    }

    /// True when the check reads the PR description (PR-01..): what `--no-pr-checks` drops.
    /// Inline suppressions (SUP-01) also run after every other check but read the files, so
    /// they stay.
    pub fn reads_description(&self) -> bool {
        self.runs()
            .is_some_and(|c| c.meta().kind == crate::engine::check::Kind::Pr)
    }
}

impl Config {
    /// Loads the policy: `explicit` if given, else `inv-rules.toml` at `repo_root`, else the
    /// built-in default.
    pub fn load(
        registry: Registry,
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
            return Config::parse(registry, &path.display().to_string(), &text);
        }
        if let Some(root) = repo_root {
            let candidate = root.join("inv-rules.toml");
            // Any entry of that name, a dangling link included, is the policy: never the
            // default in its place.
            if candidate.symlink_metadata().is_ok() {
                let text = read(&candidate, Some(root))?;
                return Config::parse(registry, "inv-rules.toml", &text);
            }
        }
        Config::parse(
            registry,
            "inv-rules.toml (built-in default)",
            DEFAULT_POLICY,
        )
    }

    /// Parses and validates policy text against the checks of `registry`; `name` is how output
    /// refers to the file.
    pub fn parse(registry: Registry, name: &str, text: &str) -> Result<Config, Error> {
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
        let parse_error = |e: ParseFailure| {
            let span = e.span.as_ref().filter(|r| source.is_showable(r));
            let mut message = e.message.trim().to_string();
            if let (Some(r), None) = (&e.span, &span) {
                message = format!("{message} (at {})", source.location(r.start));
            }
            Error::ConfigParse {
                path: name.to_string(),
                message,
                src: source.named(),
                at: span.map(|r| (r.start, r.len().max(1)).into()),
            }
        };
        let doc = toml_edit::ImDocument::parse(text.to_string())
            .map_err(|e| parse_error(toml_edit::de::Error::from(e).into()))?;
        // The registry's own tables (`[report]`) are compiled by their owners, below.
        let own_table = |key: &str| registry.tables().any(|t| t.name() == key);
        let raw: RawPolicy = if doc.as_table().iter().any(|(k, _)| own_table(k)) {
            let mut root = doc.as_table().clone();
            root.retain(|k, _| !own_table(k));
            toml_edit::de::from_document(toml_edit::de::Deserializer::from(
                toml_edit::DocumentMut::from(root),
            ))
        } else {
            toml_edit::de::from_document(toml_edit::de::Deserializer::from(doc.clone()))
        }
        .map_err(|e| parse_error(e.into()))?;
        for inv in raw.invariant.values() {
            inv.check_table_names(registry).map_err(parse_error)?;
        }

        // A text this build validated before skips the pattern and glob proofs (see
        // `engine::policy_cache`); every other check runs as always.
        let cache_key = crate::engine::policy_cache::is_enabled()
            .then(|| crate::engine::policy_cache::key(text))
            .flatten();
        let mut v = Validator {
            source: source.clone(),
            problems: Vec::new(),
            vocabulary: BTreeMap::new(),
            fallback: 0..0,
            trusted: cache_key
                .as_deref()
                .is_some_and(crate::engine::policy_cache::is_validated),
        };
        if let Some(version) = raw.version.as_ref().filter(|v| *v.get_ref() != 1) {
            v.problem(
                version.span(),
                format!("unsupported policy version {}", version.get_ref()),
                "this invlint reads version 1",
                Some("set `version = 1`".into()),
            );
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
            .unwrap_or(DEFAULT_MAX_FILE_SIZE);

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
            let table = doc
                .as_table()
                .get("invariant")
                .and_then(|i| i.get(id))
                .and_then(|t| t.get(inv.check.get_ref()))
                .cloned();
            invariants.push(
                inv.compile(id, header_span, registry, table, &mut v)
                    .map_err(parse_error)?,
            );
        }

        // Checks that read another invariant's settings (INV-06 reads INV-04's plane map).
        for inv in &invariants {
            v.fallback = inv.header_span.clone();
            if let Some(check) = inv.runs() {
                check.link_bound(inv, &invariants, &mut v);
            }
        }

        let bots = crate::cli_filter::Bots::compile(raw.bots.as_ref(), &mut v);
        v.fallback = 0..0;
        let mut tables = BTreeMap::new();
        for t in registry.tables() {
            let item = doc.as_table().get(t.name()).cloned();
            let compiled = t.compile(item, &mut v).map_err(|e| parse_error(e.into()))?;
            tables.insert(t.name(), compiled);
        }

        if !v.problems.is_empty() {
            v.problems
                .sort_by_key(|p| p.at.map(|s| s.offset()).unwrap_or(0));
            return Err(Error::ConfigInvalid {
                path: name.to_string(),
                problems: v.problems,
            });
        }
        if let (Some(key), false) = (&cache_key, v.trusted) {
            crate::engine::policy_cache::record(key);
        }
        Ok(Config {
            display_path: name.to_string(),
            source,
            vocabulary,
            max_file_size,
            invariants,
            bots,
            registry,
            tables,
        })
    }

    /// The top-level table `name` (`report`) as the registry's [`PolicyTable`] compiled it;
    /// `None` when the registry has no such table or it compiled another type.
    pub fn table<T: 'static>(&self, name: &str) -> Option<&T> {
        self.tables.get(name).and_then(|t| t.downcast_ref::<T>())
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

/// A policy that does not parse: the TOML parser's or serde's message, at its span.
struct ParseFailure {
    message: String,
    span: Option<Range<usize>>,
}

impl From<toml_edit::de::Error> for ParseFailure {
    fn from(e: toml_edit::de::Error) -> Self {
        ParseFailure {
            message: e.message().to_string(),
            span: e.span(),
        }
    }
}

impl RawInvariant {
    /// Every key other than [`INVARIANT_KEYS`] must name a check's settings table: a parse
    /// error at the key, as serde reports an unknown field.
    fn check_table_names(&self, registry: Registry) -> Result<(), ParseFailure> {
        for (key, _) in &self.tables {
            if registry.find(key.get_ref()).is_none() {
                let keys: Vec<String> = INVARIANT_KEYS.iter().map(|k| format!("`{k}`")).collect();
                return Err(ParseFailure {
                    message: format!(
                        "unknown field `{}`, expected one of {}, or the settings table of the \
                         check this invariant runs (`{}`)",
                        key.get_ref(),
                        keys.join(", "),
                        self.check.get_ref()
                    ),
                    span: Some(key.span()),
                });
            }
        }
        Ok(())
    }

    /// Validates one invariant and compiles its check's settings (`table`, if written).
    fn compile(
        &self,
        id: &str,
        header_span: Range<usize>,
        registry: Registry,
        table: Option<toml_edit::Item>,
        v: &mut Validator,
    ) -> Result<Invariant, ParseFailure> {
        if !is_valid_id(id) {
            v.problem(
                header_span.clone(),
                format!("invariant ID `{id}` is not of the form PREFIX-NN"),
                "bad ID",
                Some("use letters, a dash and digits, e.g. `INV-11`".into()),
            );
        }
        let escalation = Escalation::parse(self.escalation.get_ref()).unwrap_or_else(|| {
            v.problem(
                self.escalation.span(),
                format!("unknown escalation `{}`", self.escalation.get_ref()),
                "not an escalation class",
                Some(format!(
                    "use one of {}{}",
                    Escalation::ALL.join(", "),
                    did_you_mean(self.escalation.get_ref(), Escalation::ALL.iter().copied())
                )),
            );
            Escalation::BlockMerge
        });
        let status = match &self.status {
            None => Status::Stable,
            Some(s) => Status::parse(s.get_ref()).unwrap_or_else(|| {
                v.problem(
                    s.span(),
                    format!("unknown status `{}`", s.get_ref()),
                    "not a status",
                    Some("use one of stable, preview, planned, retired".into()),
                );
                Status::Stable
            }),
        };
        let bound = self.bind(id, status, registry, table, v)?;
        Ok(Invariant {
            id: id.to_string(),
            header_span,
            title: self.title.get_ref().clone(),
            check: self.check.get_ref().clone(),
            check_span: self.check.span(),
            escalation,
            escalation_span: self.escalation.span(),
            status,
            owners: self.owners.iter().map(|o| o.get_ref().clone()).collect(),
            surfaces: v.glob_list(&self.surfaces),
            related: v.glob_list(&self.related),
            is_suppressible: self.suppressible.as_ref().is_some_and(|s| *s.get_ref()),
            not_applicable: self
                .not_applicable
                .as_ref()
                .map(|s| s.get_ref().trim().to_string())
                .filter(|s| !s.is_empty()),
            bound,
        })
    }

    /// Resolves `check = "..."` in the registry and, for an active invariant, compiles that
    /// check's settings.
    fn bind(
        &self,
        id: &str,
        status: Status,
        registry: Registry,
        table: Option<toml_edit::Item>,
        v: &mut Validator,
    ) -> Result<Option<Bound>, ParseFailure> {
        let check = self.check.get_ref().as_str();
        let found = registry.find(check);
        match found.map(|c| c.meta().kind) {
            None => v.problem(
                self.check.span(),
                format!("unknown check `{check}`"),
                "no built-in check has this name",
                Some(format!(
                    "run `invlint rules` for the built-in checks{}",
                    did_you_mean(check, registry.bindable_names())
                )),
            ),
            Some(Kind::Planned) if status.is_active() => v.problem(
                self.check.span(),
                format!("check `{check}` has not landed in this invlint"),
                "not implemented yet",
                Some("mark the invariant `status = \"planned\"` until its check exists".into()),
            ),
            _ => {}
        }
        for (table, span) in &self.tables {
            if table.get_ref() != check {
                v.problem(
                    span.clone(),
                    format!(
                        "settings for `{}`, but `{id}` runs `{check}`",
                        table.get_ref()
                    ),
                    "settings of another check",
                    Some(format!(
                        "rename the table to `[invariant.{id}.{check}]` or change `check`"
                    )),
                );
            }
        }
        let Some(found) = found.filter(|c| c.meta().kind != Kind::Planned && status.is_active())
        else {
            return Ok(None);
        };
        // A serde error without a span of its own (the table is not a table) points at it.
        let table_span = self.tables.iter().find(|(k, _)| k.get_ref() == check);
        let settings = found.compile_table(table, v).map_err(|e| {
            let mut failure = ParseFailure::from(e);
            if failure.span.is_none() {
                failure.span = table_span.map(|(_, span)| span.clone());
            }
            failure
        })?;
        Ok(Some(Bound {
            check: found,
            settings,
        }))
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
    // memchr's memmem: `str::find` was a fortieth of a cached policy load (#19).
    let find = |needle: &str| memchr::memmem::find(text.as_bytes(), needle.as_bytes());
    for candidate in [
        format!("[invariant.{id}]"),
        format!("[invariant.\"{id}\"]"),
        format!("[invariant.'{id}']"),
    ] {
        if let Some(at) = find(&candidate) {
            return Some(at..at + candidate.len());
        }
    }
    // Dotted keys or inline tables: point at the first mention of the ID.
    find(id).map(|at| at..at + id.len())
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

pub(crate) fn did_you_mean<'a>(wanted: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    closest(wanted, candidates)
        .map(|c| format!("; did you mean `{c}`?"))
        .unwrap_or_default()
}
