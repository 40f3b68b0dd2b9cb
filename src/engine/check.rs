//! What a check is to the engine: [`Meta`], the [`Check`] trait (typed settings), its
//! object-safe adapter [`DynCheck`], the [`Registry`] the pipeline hands in, and [`Context`],
//! everything a check may read.
//!
//! The engine names no check. `src/rules/mod.rs` holds the one static list of checks
//! (`rules::CHECKS`); `lib.rs`, above both, makes the registry of it (`crate::REGISTRY`, with
//! the policy tables owned above the engine, [`PolicyTable`]) and passes it to
//! [`crate::engine::config::Config::parse`],
//! and the compiled [`Config`] carries it to everything downstream (SARIF rule metadata, the
//! PR checks' phase, the explain pages). A check owns its settings: `Check::Raw` is its
//! `[invariant.<ID>.<check>]` table as written (serde, with `toml::Spanned` values), and
//! `Check::compile` turns it into `Check::Settings`. The engine stores compiled settings
//! type-erased next to the check that compiled them ([`Bound`]) and hands each check its own
//! settings back typed: a mismatch cannot be built (the fields are private), and reading
//! another check's settings is an explicit, typed query ([`Invariant::settings_of`]).

use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::engine::config::{Config, Escalation, GlobList, Invariant, Status, Validator};
use crate::engine::diff::{ChangeSet, FileChange};
use crate::engine::finding::Finding;
use crate::engine::pr::PrDescription;
use crate::engine::source::Source;
use crate::engine::walk::RepoIndex;

/// Where a check sits in the pipeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A check bound to a spec invariant (INV-01..): runs on the change, in parallel.
    Spec,
    /// A generic check a policy binds to invariants it declares itself (INV-11, ...).
    Generic,
    /// A check on the PR description (PR-01..): runs after every other check and reads their
    /// findings ([`Check::check_after`]).
    Pr,
    /// Inline suppressions (SUP-01): bound by the policy, applied by the engine after every
    /// check (`engine::suppress`).
    Suppress,
    /// Gate integrity (POL-01, VER-01): built into the engine; no policy binds or unbinds it.
    Gate,
    /// Reserved for an invariant whose check has not landed: an invariant may name it with
    /// `status = "planned"`.
    Planned,
}

impl Kind {
    /// True when a policy may name the check in `check = "..."`.
    pub fn is_bindable(self) -> bool {
        !matches!(self, Kind::Gate)
    }

    /// True for checks that run after every other check (they read findings, or apply
    /// suppressions), so the PR checks do not ask the description to map them.
    pub fn is_post(self) -> bool {
        matches!(self, Kind::Pr | Kind::Suppress)
    }
}

/// What every check declares about itself.
#[derive(Debug)]
pub struct Meta {
    /// The spec's ID for this check; `inv-rules.toml` may bind another.
    pub default_code: &'static str,
    /// Check name (kebab-case, names what is flagged): what `check = "..."` refers to.
    pub name: &'static str,
    /// One line, for `invlint rules` and SARIF.
    pub summary: &'static str,
    /// The spec's escalation for the default code.
    pub escalation: Escalation,
    /// Lifecycle of the check itself.
    pub status: Status,
    /// The explain page (`rules/<code>.md`).
    pub explain: &'static str,
    /// Where it runs.
    pub kind: Kind,
    /// The keys of its settings table, for the policy's JSON schema and `invlint init`.
    pub keys: &'static [crate::engine::schema::Key],
    /// The check may run an audit (`--all`) one window of files at a time ([`Pass`]): what it
    /// finds in a file depends on that file (and the policy) only; it reads the change's files
    /// only through [`Context::scan_files`], [`Context::files_in`] or [`Context::pass_files`]
    /// (and what its `prepare` made of them, made again for each window); and it does any work
    /// across files only where [`Context::crosses_files`] says so. The engine then drops each
    /// window's texts before reading the next (#19: peak memory at 100k files).
    pub windowed: bool,
}

impl Meta {
    /// A stable spec check's metadata with the defaults most checks share (no tree, no keys):
    /// `Meta { explain: include_str!(..), keys: KEYS, ..Meta::spec("INV-03", "sse-poll-lane",
    /// "...", Escalation::BlockMerge) }`.
    pub const fn spec(
        default_code: &'static str,
        name: &'static str,
        summary: &'static str,
        escalation: Escalation,
    ) -> Meta {
        Meta {
            default_code,
            name,
            summary,
            escalation,
            status: Status::Stable,
            explain: "",
            kind: Kind::Spec,
            keys: &[],
            windowed: false,
        }
    }
}

/// A built-in check, with its own settings type.
///
/// `Raw` is the check's `[invariant.<ID>.<check>]` table as written (derive `Deserialize` with
/// `deny_unknown_fields` and `toml::Spanned` values); a missing table is `Raw::default()`.
/// `compile` validates it (every problem at its span, through `v`) into `Settings`, which the
/// engine hands back to `check`. No I/O, no printing, no panics, no mutable state.
pub trait Check: Sync + 'static {
    /// The settings table as written.
    type Raw: serde::de::DeserializeOwned + Default;
    /// The compiled settings.
    type Settings: fmt::Debug + Send + Sync + 'static;

    /// The check's metadata.
    fn meta(&self) -> &'static Meta;

    /// Validates and compiles the settings; problems go to `v`.
    fn compile(&self, raw: &Self::Raw, v: &mut Validator) -> Self::Settings;

    /// Checks that need another invariant's settings (INV-06 reads INV-04's plane map) validate
    /// the reference here, once every invariant is compiled.
    fn link(&self, _settings: &Self::Settings, _invariants: &[Invariant], _v: &mut Validator) {}

    /// The files the check reads, for coverage; `None` for checks that read no file (the PR
    /// description, suppressions). `config` resolves settings borrowed from another invariant.
    fn scope<'a>(&self, _settings: &'a Self::Settings, _config: &'a Config) -> Option<Scope<'a>> {
        None
    }

    /// Work shared with other checks, done once before any check runs, on the run's thread
    /// pool: fill [`Context::memo`] (INV-04's SQL scan, which INV-06 reads too).
    fn prepare(&self, _cx: &Context<'_>, _settings: &Self::Settings) {}

    /// Inspects the change for invariant `inv` (bound to this check) and pushes findings.
    fn check(
        &self,
        _cx: &Context<'_>,
        _inv: &Invariant,
        _settings: &Self::Settings,
        _out: &mut Findings,
    ) {
    }

    /// For [`Kind::Pr`] checks, instead of `check`: runs after every other check, with their
    /// findings, sorted.
    fn check_after(
        &self,
        _cx: &Context<'_>,
        _inv: &Invariant,
        _settings: &Self::Settings,
        _prior: &[Finding],
        _out: &mut Findings,
    ) {
    }
}

/// Settings of a check that has none: an empty table is accepted, any key is an error.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoSettings {}

/// [`Check`] with its settings type erased: what the registry lists and the engine calls.
/// Implemented for every `Check`; implement `Check`, never this.
pub trait DynCheck: Sync {
    /// The check's metadata.
    fn meta(&self) -> &'static Meta;
    /// Deserializes the settings table (`None`: absent) and compiles it.
    fn compile_table(
        &self,
        table: Option<toml_edit::Item>,
        v: &mut Validator,
    ) -> Result<Box<dyn Any + Send + Sync>, toml_edit::de::Error>;
    /// [`Check::link`].
    fn link_bound(&self, inv: &Invariant, invariants: &[Invariant], v: &mut Validator);
    /// [`Check::scope`].
    fn scope_bound<'a>(&self, inv: &'a Invariant, config: &'a Config) -> Option<Scope<'a>>;
    /// [`Check::prepare`].
    fn prepare_bound(&self, cx: &Context<'_>, inv: &Invariant);
    /// [`Check::check`].
    fn check_bound(&self, cx: &Context<'_>, inv: &Invariant, out: &mut Findings);
    /// [`Check::check_after`].
    fn check_after_bound(
        &self,
        cx: &Context<'_>,
        inv: &Invariant,
        prior: &[Finding],
        out: &mut Findings,
    );
}

/// The settings `C` compiled for `inv`. The engine binds each invariant's settings to the check
/// that compiled them, so any other type is a bug in invlint: said loudly, never skipped.
fn own<C: Check>(inv: &Invariant) -> &C::Settings {
    inv.settings_of::<C::Settings>().unwrap_or_else(|| {
        panic!(
            "internal error: {} runs `{}` without the settings that check compiled",
            inv.id,
            std::any::type_name::<C>()
        )
    })
}

impl<C: Check> DynCheck for C {
    fn meta(&self) -> &'static Meta {
        Check::meta(self)
    }

    fn compile_table(
        &self,
        table: Option<toml_edit::Item>,
        v: &mut Validator,
    ) -> Result<Box<dyn Any + Send + Sync>, toml_edit::de::Error> {
        let raw: C::Raw = match table {
            None | Some(toml_edit::Item::None) => C::Raw::default(),
            Some(item) => deserialize_item(item)?,
        };
        Ok(Box::new(self.compile(&raw, v)))
    }

    fn link_bound(&self, inv: &Invariant, invariants: &[Invariant], v: &mut Validator) {
        self.link(own::<C>(inv), invariants, v);
    }

    fn scope_bound<'a>(&self, inv: &'a Invariant, config: &'a Config) -> Option<Scope<'a>> {
        self.scope(own::<C>(inv), config)
    }

    fn prepare_bound(&self, cx: &Context<'_>, inv: &Invariant) {
        self.prepare(cx, own::<C>(inv));
    }

    fn check_bound(&self, cx: &Context<'_>, inv: &Invariant, out: &mut Findings) {
        self.check(cx, inv, own::<C>(inv), out);
    }

    fn check_after_bound(
        &self,
        cx: &Context<'_>,
        inv: &Invariant,
        prior: &[Finding],
        out: &mut Findings,
    ) {
        self.check_after(cx, inv, own::<C>(inv), prior, out);
    }
}

/// A top-level table of the policy that the engine does not interpret (`[report]`, owned by
/// `invlint report`): registered next to the checks, and compiled the way a check compiles its
/// settings table, so the engine names none of its keys and imports nothing of its owner.
pub trait PolicyTable: Sync {
    /// The table's name (`report`).
    fn name(&self) -> &'static str;
    /// Deserializes the table (`None`: absent) and validates it; problems go to `v`, with
    /// their spans. Read back with [`Config::table`].
    fn compile(
        &self,
        table: Option<toml_edit::Item>,
        v: &mut Validator,
    ) -> Result<Box<dyn Any + Send + Sync>, toml_edit::de::Error>;
    /// The table's JSON schema (`invlint schema`).
    fn schema(&self) -> serde_json::Value;
}

/// Deserializes `T` from a table of the parsed policy, keeping every span: a `[header]` table
/// becomes the root of a document (its nested tables stay tables, spans included).
pub fn deserialize_item<T: serde::de::DeserializeOwned>(
    item: toml_edit::Item,
) -> Result<T, toml_edit::de::Error> {
    use serde::de::IntoDeserializer;
    match item {
        toml_edit::Item::Table(t) => T::deserialize(toml_edit::de::Deserializer::from(
            toml_edit::DocumentMut::from(t),
        )),
        toml_edit::Item::Value(v) => T::deserialize(v.into_deserializer()),
        // Not a table: let serde say what it expected (the caller adds the span).
        toml_edit::Item::ArrayOfTables(a) => {
            T::deserialize(toml_edit::Value::Array(a.into_array()).into_deserializer())
        }
        toml_edit::Item::None => T::deserialize(toml_edit::de::Deserializer::from(
            toml_edit::DocumentMut::new(),
        )),
    }
}

/// The built-in checks, as `lib.rs` hands them to the engine: one static list, in code order,
/// and the top-level policy tables owned above the engine (`[report]`, [`PolicyTable`]).
#[derive(Clone, Copy)]
pub struct Registry {
    checks: &'static [&'static dyn DynCheck],
    tables: &'static [&'static dyn PolicyTable],
}

impl fmt::Debug for Registry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.checks.iter().map(|c| c.meta().name))
            .entries(self.tables.iter().map(|t| format!("[{}]", t.name())))
            .finish()
    }
}

impl Registry {
    /// The registry of these checks, with no policy table of its own.
    pub const fn new(checks: &'static [&'static dyn DynCheck]) -> Registry {
        Registry {
            checks,
            tables: &[],
        }
    }

    /// The same checks, with these top-level policy tables.
    pub const fn with_tables(self, tables: &'static [&'static dyn PolicyTable]) -> Registry {
        Registry {
            checks: self.checks,
            tables,
        }
    }

    /// Every check, in registry order.
    pub fn all(self) -> impl Iterator<Item = &'static dyn DynCheck> {
        self.checks.iter().copied()
    }

    /// The top-level policy tables, in registry order.
    pub fn tables(self) -> impl Iterator<Item = &'static dyn PolicyTable> {
        self.tables.iter().copied()
    }

    /// The checks of one kind.
    pub fn of_kind(self, kind: Kind) -> impl Iterator<Item = &'static dyn DynCheck> {
        self.all().filter(move |c| c.meta().kind == kind)
    }

    /// The check a policy may bind as `name` (not a gate check), planned ones included.
    pub fn find(self, name: &str) -> Option<&'static dyn DynCheck> {
        self.all()
            .find(|c| c.meta().kind.is_bindable() && c.meta().name == name)
    }

    /// The check called `name` that is implemented (not planned) and bindable.
    pub fn implemented(self, name: &str) -> Option<&'static dyn DynCheck> {
        self.find(name).filter(|c| c.meta().kind != Kind::Planned)
    }

    /// Names a policy may use in `check = "..."`.
    pub fn bindable_names(self) -> impl Iterator<Item = &'static str> {
        self.all()
            .filter(|c| c.meta().kind.is_bindable())
            .map(|c| c.meta().name)
    }

    /// The spec code whose page documents check `name` (any kind).
    pub fn code_of_check(self, name: &str) -> Option<&'static str> {
        self.all()
            .find(|c| c.meta().name == name)
            .map(|c| c.meta().default_code)
    }

    /// The explain page for a spec code, if there is one.
    pub fn page(self, code: &str) -> Option<&'static str> {
        if code.is_empty() {
            return None;
        }
        self.all()
            .find(|c| c.meta().default_code.eq_ignore_ascii_case(code))
            .map(|c| c.meta().explain)
            .filter(|p| !p.is_empty())
    }
}

/// An invariant's compiled settings, bound to the check that compiled them.
pub struct Bound {
    pub(crate) check: &'static dyn DynCheck,
    pub(crate) settings: Box<dyn Any + Send + Sync>,
}

impl fmt::Debug for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Bound({})", self.check.meta().name)
    }
}

/// Findings a check pushes.
#[derive(Debug, Default)]
pub struct Findings(pub Vec<Finding>);

impl Findings {
    /// Adds a finding.
    pub fn push(&mut self, f: Finding) {
        self.0.push(f);
    }
}

/// The files a check reads, for coverage (`lib::coverage`): a file counts when it matches an
/// `include` list and no `exclude` list.
#[derive(Debug)]
pub struct Scope<'a> {
    /// The settings key that sets `include`, for hints.
    pub key: &'static str,
    /// Path lists the check reads.
    pub include: Vec<&'a GlobList>,
    /// Path lists it skips.
    pub exclude: Vec<&'a GlobList>,
}

impl Scope<'_> {
    /// True when the check reads `path`.
    pub fn is_match(&self, path: &str) -> bool {
        self.include.iter().any(|g| g.is_match(path))
            && !self.exclude.iter().any(|g| g.is_match(path))
    }

    /// Where every path the check reads lies ([`GlobList::roots`] of each include list);
    /// `None` when that may be anywhere.
    pub fn roots(&self) -> Option<Vec<String>> {
        let mut out = Vec::new();
        for list in &self.include {
            out.extend(list.roots()?);
        }
        out.sort();
        out.dedup();
        Some(out)
    }
}

type Memo = BTreeMap<(std::any::TypeId, String), Arc<dyn Any + Send + Sync>>;

/// Which part of the change a [`Context`] hands the checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pass {
    /// Every file, and the work across files: one call does it all (every mode).
    Whole,
    /// Only the files at these indices of the change set, no work across files: an audit
    /// window of a [`Meta::windowed`] check.
    Window(std::ops::Range<usize>),
    /// No file, only the work across files: a windowed check's last call.
    Across,
}

/// Everything a check may read.
pub struct Context<'a> {
    changes: &'a ChangeSet,
    tree: &'a std::sync::OnceLock<RepoIndex>,
    pr: Option<&'a Arc<Source>>,
    pr_description: Option<&'a PrDescription>,
    config: &'a Config,
    root: &'a Path,
    head: Option<&'a crate::engine::head_tree::HeadTree>,
    cache: Mutex<BTreeMap<String, Option<Arc<Source>>>>,
    memo: Mutex<Memo>,
    counters: Mutex<BTreeMap<&'static str, usize>>,
    read_ms: Mutex<f64>,
    pass: Pass,
}

impl<'a> Context<'a> {
    /// Built by the engine.
    pub fn new(
        changes: &'a ChangeSet,
        tree: &'a std::sync::OnceLock<RepoIndex>,
        pr: Option<&'a PrDescription>,
        config: &'a Config,
        root: &'a Path,
        head: Option<&'a crate::engine::head_tree::HeadTree>,
    ) -> Self {
        Context {
            changes,
            tree,
            pr: pr.map(|p| &p.source),
            pr_description: pr,
            config,
            root,
            head,
            cache: Mutex::new(BTreeMap::new()),
            memo: Mutex::new(BTreeMap::new()),
            counters: Mutex::new(BTreeMap::new()),
            read_ms: Mutex::new(0.0),
            pass: Pass::Whole,
        }
    }

    /// The same context for one [`Pass`] of the windowed checks.
    pub fn with_pass(mut self, pass: Pass) -> Self {
        self.pass = pass;
        self
    }

    /// True when this call does the work across files ([`Pass::Whole`], [`Pass::Across`]);
    /// false in an audit window, where only the window's own files are checked.
    pub fn crosses_files(&self) -> bool {
        !matches!(self.pass, Pass::Window(_))
    }

    /// Every work counter, to add to another context's ([`Context::add_counters`]).
    pub fn counters(&self) -> BTreeMap<&'static str, usize> {
        self.counters
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Adds counters taken from another context of the same run.
    pub fn add_counters(&self, from: &BTreeMap<&'static str, usize>) {
        for (name, n) in from {
            self.count(name, *n);
        }
    }

    /// A fact about this run shared between checks, made once by `make` and kept under
    /// (its type, `key`). Checks fill it in [`Check::prepare`]; a memo made during the parallel
    /// run may be made twice (never waited for: a worker blocked on another would deadlock the
    /// pool), and the first stored wins.
    pub fn memo<T: Any + Send + Sync>(&self, key: &str, make: impl FnOnce() -> T) -> Arc<T> {
        if let Some(hit) = self.memoized::<T>(key) {
            return hit;
        }
        let made: Arc<dyn Any + Send + Sync> = Arc::new(make());
        let mut memo = self.memo.lock().unwrap_or_else(|p| p.into_inner());
        let kept = memo
            .entry((std::any::TypeId::of::<T>(), key.to_string()))
            .or_insert(made)
            .clone();
        kept.downcast::<T>()
            .unwrap_or_else(|_| panic!("internal error: memo entry of another type"))
    }

    /// The memo of type `T` under `key`, if some check made it.
    pub fn memoized<T: Any + Send + Sync>(&self, key: &str) -> Option<Arc<T>> {
        let memo = self.memo.lock().unwrap_or_else(|p| p.into_inner());
        memo.get(&(std::any::TypeId::of::<T>(), key.to_string()))
            .cloned()
            .and_then(|m| m.downcast::<T>().ok())
    }

    /// Adds `n` to this run's work counter `name` (for `check --stats`).
    pub fn count(&self, name: &'static str, n: usize) {
        let mut c = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        *c.entry(name).or_default() += n;
    }

    /// Adds `ms` to the time spent reading and decoding files in a step of its own, before the
    /// checks (for `check --stats`: the engine bills it as "read", not to the check that asked).
    pub fn add_read_ms(&self, ms: f64) {
        *self.read_ms.lock().unwrap_or_else(|p| p.into_inner()) += ms;
    }

    /// The time [`Context::add_read_ms`] recorded.
    pub fn read_ms(&self) -> f64 {
        *self.read_ms.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// This run's work counter `name`.
    pub fn counted(&self, name: &str) -> usize {
        let c = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        c.get(name).copied().unwrap_or(0)
    }

    /// The text of any file at head by repository-relative path: from the change set when the
    /// change touches it (the exact head blob), else from the judged commit's tree
    /// (`engine::head_tree`; the work tree for `--staged` and `--all`), read once and shared
    /// between checks. `None` when absent, binary, too large or not UTF-8.
    pub fn head_file(&self, path: &str) -> Option<Arc<Source>> {
        if let Some(f) = self.changes.file(path) {
            return f.head.source().cloned();
        }
        if path.split('/').any(|seg| seg == ".." || seg.is_empty()) {
            return None;
        }
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(hit) = cache.get(path) {
            return hit.clone();
        }
        let max = self.config.max_file_size;
        let bytes = match self.head {
            Some(head) => head.read(path, max),
            None => {
                // Resolve symlinks and stay inside the work tree: a link committed in the checked
                // repository (to /etc/passwd, to a CI secret) must not put outside text into
                // findings.
                let full = self.root.join(path).canonicalize().ok().filter(|p| {
                    self.root
                        .canonicalize()
                        .is_ok_and(|root| p.starts_with(root))
                });
                full.filter(|full| {
                    std::fs::metadata(full).is_ok_and(|m| m.is_file() && m.len() <= max)
                })
                .and_then(|full| crate::engine::bounded::read(&full, max, None).ok())
            }
        };
        let text = bytes
            .filter(|b| !b[..b.len().min(8000)].contains(&0))
            .and_then(|b| String::from_utf8(b).ok())
            .map(|t| Arc::new(Source::new(path, t)));
        cache.insert(path.to_string(), text.clone());
        text
    }

    /// The change set.
    pub fn changes(&self) -> &'a ChangeSet {
        self.changes
    }

    /// Paths of the tree the run judges: the head commit's, listed on first use; the work
    /// tree's tracked files for `--all`; empty for `--staged`.
    pub fn tree(&self) -> &'a RepoIndex {
        self.tree.get_or_init(|| match self.head {
            Some(head) => head.index(),
            None => RepoIndex::default(),
        })
    }

    /// The PR description, absent in pre-commit runs.
    pub fn pr(&self) -> Option<&'a Arc<Source>> {
        self.pr
    }

    /// The PR description, parsed: INV mentions and claims, task lists, mitigations.
    pub fn pr_description(&self) -> Option<&'a PrDescription> {
        self.pr_description
    }

    /// The validated policy.
    pub fn config(&self) -> &'a Config {
        self.config
    }

    /// The policy file as a source, for citations.
    pub fn policy(&self) -> &'a Arc<Source> {
        &self.config.source
    }

    /// Runs `visit` on every changed file that exists at head, is not binary, and matches
    /// `paths` (and not `exclude`), in parallel on the run's thread pool; each call gets its own
    /// `Findings`, merged into `out` (the engine sorts them afterwards). Prefer this over
    /// `files_in` when the per-file work reads or parses the file: `--all` audits touch every
    /// file of the tree.
    pub fn scan_files<F>(&self, paths: &GlobList, exclude: &GlobList, out: &mut Findings, visit: F)
    where
        F: Fn(&'a FileChange, &mut Findings) + Sync,
    {
        use rayon::prelude::*;
        let files: Vec<&'a FileChange> = self.files_in(paths, exclude).collect();
        let found: Vec<Finding> = files
            .par_iter()
            .with_min_len(16)
            .flat_map_iter(|f| {
                let mut local = Findings::default();
                visit(f, &mut local);
                local.0
            })
            .collect();
        out.0.extend(found);
    }

    /// The changed files of this pass (every file but in an audit window: [`Pass`]), with their
    /// index in the change set, whatever their state.
    pub fn pass_files(&self) -> impl Iterator<Item = (usize, &'a FileChange)> + '_ {
        let range = match &self.pass {
            Pass::Whole => 0..self.changes.files.len(),
            Pass::Window(range) => range.clone(),
            Pass::Across => 0..0,
        };
        let changes: &'a ChangeSet = self.changes;
        range.map(move |i| (i, &changes.files[i]))
    }

    /// Changed files that exist at head, are not binary, and match `paths` (and not `exclude`).
    pub fn files_in<'s>(
        &'s self,
        paths: &'s GlobList,
        exclude: &'s GlobList,
    ) -> impl Iterator<Item = &'a FileChange> + 's {
        self.pass_files().map(|(_, f)| f).filter(move |f| {
            f.exists_at_head()
                && !f.is_binary
                && paths.is_match(&f.path)
                && !exclude.is_match(&f.path)
        })
    }
}
