//! Checks: the `Rule` trait, what a rule may read (`Context`), and `RULES`, the only list of
//! built-in checks.
//!
//! A rule inspects the change through `Context` and pushes findings. It does no I/O, prints
//! nothing, spawns no threads, keeps no mutable state, and never `unwrap`s anything that came from
//! the repository, the policy or the PR text. It never imports `engine::diff`, `engine::walk` or
//! `render`: what it needs of them is re-exported in `prelude`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::engine::config::{Config, Escalation, Invariant, Status};
use crate::engine::diff::{ChangeSet, FileChange};
use crate::engine::finding::Finding;
use crate::engine::pr::PrDescription;
use crate::engine::source::Source;
use crate::engine::walk::RepoIndex;

pub mod generic_added_pattern;
pub mod generic_co_change;
pub mod generic_forbidden_path;
pub mod inv01_contract_without_proto;
pub mod inv02_ws_command_rpc;
pub mod inv03_sse_poll_lane;
pub mod inv04_cross_plane_sql;
pub mod inv05_in_memory_coupling;
pub mod inv06_khala_authority_write;
pub mod inv07_unordered_apply;
pub mod inv08_identity_outside_control;
pub mod inv09_deploy_without_migrate;
pub mod inv10_legacy_deleted_without_parity;
pub mod pr_checklist;
pub mod util;

/// What every rule file declares about itself.
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
    /// The explain page (`rules/INV-xx.md`).
    pub explain: &'static str,
    /// True when the check reads the head tree beyond the changed files.
    pub needs_tree: bool,
}

/// A built-in check.
pub trait Rule: Sync {
    /// The rule's metadata.
    fn meta(&self) -> &'static Meta;
    /// Inspect the change for invariant `inv` (bound to this check) and push findings.
    /// No I/O, no printing, no panics.
    fn check(&self, cx: &Context<'_>, inv: &Invariant, out: &mut Findings);

    /// True for checks that read the other checks' findings (the PR checklist): they run after
    /// every other check, through `check_after`, and their `check` is not called.
    fn is_post(&self) -> bool {
        false
    }

    /// Like `check`, with the findings of every non-post check, sorted.
    fn check_after(
        &self,
        _cx: &Context<'_>,
        _inv: &Invariant,
        _prior: &[Finding],
        _out: &mut Findings,
    ) {
    }
}

/// Every built-in check bound to a spec invariant, in code order.
pub static RULES: &[&dyn Rule] = &[
    &inv01_contract_without_proto::ContractWithoutProto,
    &inv02_ws_command_rpc::WsCommandRpc,
    &inv03_sse_poll_lane::SsePollLane,
    &inv04_cross_plane_sql::CrossPlaneSql,
    &inv05_in_memory_coupling::InMemoryCoupling,
    &inv06_khala_authority_write::KhalaAuthorityWrite,
    &inv07_unordered_apply::UnorderedApply,
    &inv08_identity_outside_control::IdentityOutsideControl,
    &inv09_deploy_without_migrate::DeployWithoutMigrate,
    &inv10_legacy_deleted_without_parity::LegacyDeletedWithoutParity,
];

/// Checks on the PR description (PR-01..), run after every other check.
pub static PR_RULES: &[&dyn Rule] = &[
    &pr_checklist::MissingInvMapping,
    &pr_checklist::ChecklistItemMissing,
    &pr_checklist::NaWithoutReason,
    &pr_checklist::UnclaimedInvariant,
    &pr_checklist::StaleClaim,
    &pr_checklist::ReleaseEvidenceMissing,
];

/// Checks the engine runs itself after every other check: inline suppressions (SUP-01,
/// `engine::suppress`). Their `Rule::check` does nothing.
pub static ENGINE_RULES: &[&dyn Rule] = &[&crate::engine::suppress::BadSuppression];

/// Gate-integrity checks built into the engine (POL-01 policy weakened, VER-01 unverified
/// input). No policy declares them and `find` does not return them, so the change under review
/// cannot unbind them; their `Rule::check` does nothing.
pub static GATE_RULES: &[&dyn Rule] = &[
    &crate::engine::governance::PolicyWeakened,
    &crate::engine::verify::UnverifiedInput,
];

/// Generic checks a policy binds to invariants it declares itself (INV-11, INV-12, ...).
pub static GENERIC: &[&dyn Rule] = &[
    &generic_added_pattern::AddedPattern,
    &generic_co_change::CoChange,
    &generic_forbidden_path::ForbiddenPath,
];

/// Check names reserved for invariants whose checks have not landed, with the spec's code: an
/// invariant may name one with `status = "planned"`.
pub static PLANNED_CHECKS: &[(&str, &str)] = &[];

/// True when `name` is a reserved, not yet implemented check.
pub fn is_planned_check(name: &str) -> bool {
    PLANNED_CHECKS.iter().any(|(n, _)| *n == name)
}

/// The spec code whose page documents check `name`.
pub fn code_of_check(name: &str) -> Option<&'static str> {
    find(name).map(|r| r.meta().default_code).or_else(|| {
        PLANNED_CHECKS
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, c)| *c)
    })
}

/// Explain pages by the spec's code, including checks still planned.
pub static PAGES: &[(&str, &str)] = &[
    ("INV-01", include_str!("../../rules/INV-01.md")),
    ("INV-02", include_str!("../../rules/INV-02.md")),
    ("INV-03", include_str!("../../rules/INV-03.md")),
    ("INV-04", include_str!("../../rules/INV-04.md")),
    ("INV-05", include_str!("../../rules/INV-05.md")),
    ("INV-06", include_str!("../../rules/INV-06.md")),
    ("INV-07", include_str!("../../rules/INV-07.md")),
    ("INV-08", include_str!("../../rules/INV-08.md")),
    ("INV-09", include_str!("../../rules/INV-09.md")),
    ("INV-10", include_str!("../../rules/INV-10.md")),
    ("PR-01", include_str!("../../rules/PR-01.md")),
    ("PR-02", include_str!("../../rules/PR-02.md")),
    ("PR-03", include_str!("../../rules/PR-03.md")),
    ("PR-04", include_str!("../../rules/PR-04.md")),
    ("PR-05", include_str!("../../rules/PR-05.md")),
    ("PR-06", include_str!("../../rules/PR-06.md")),
    ("SUP-01", include_str!("../../rules/SUP-01.md")),
    ("POL-01", include_str!("../../rules/POL-01.md")),
    ("VER-01", include_str!("../../rules/VER-01.md")),
];

/// The built-in check called `name`.
pub fn find(name: &str) -> Option<&'static dyn Rule> {
    RULES
        .iter()
        .chain(PR_RULES)
        .chain(ENGINE_RULES)
        .chain(GENERIC)
        .copied()
        .find(|r| r.meta().name == name)
}

/// The explain page for a spec code, if there is one.
pub fn page(code: &str) -> Option<&'static str> {
    PAGES
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(code))
        .map(|(_, p)| *p)
}

/// Findings a rule pushes.
#[derive(Debug, Default)]
pub struct Findings(pub Vec<Finding>);

impl Findings {
    /// Adds a finding.
    pub fn push(&mut self, f: Finding) {
        self.0.push(f);
    }
}

/// Everything a rule may read.
pub struct Context<'a> {
    changes: &'a ChangeSet,
    tree: &'a RepoIndex,
    pr: Option<&'a Arc<Source>>,
    pr_description: Option<&'a PrDescription>,
    config: &'a Config,
    root: &'a Path,
    cache: Mutex<BTreeMap<String, Option<Arc<Source>>>>,
    /// SQL statements of the change under each active plane map, made before the checks run.
    sql_scans: Vec<crate::analysis::sql::Scan<'a>>,
}

impl<'a> Context<'a> {
    /// Built by the engine.
    pub fn new(
        changes: &'a ChangeSet,
        tree: &'a RepoIndex,
        pr: Option<&'a PrDescription>,
        config: &'a Config,
        root: &'a Path,
    ) -> Self {
        Context {
            changes,
            tree,
            pr: pr.map(|p| &p.source),
            pr_description: pr,
            config,
            root,
            cache: Mutex::new(BTreeMap::new()),
            sql_scans: Vec::new(),
        }
    }

    /// Work the checks share, done once before they run (in the caller's thread pool): the SQL
    /// scan of every plane map that an active invariant in `active` owns. INV-04 and INV-06
    /// both read it; extracting SQL twice was a third of `check --all`.
    pub fn prepare(&mut self, active: &[&Invariant]) {
        for inv in active {
            if let crate::engine::config::Settings::CrossPlaneSql(cfg) = &inv.settings {
                if !self.sql_scans.iter().any(|s| s.is_for(&cfg.map)) {
                    self.sql_scans.push(crate::analysis::sql::Scan::new(
                        self.changes,
                        &cfg.map,
                        &cfg.extractor,
                    ));
                }
            }
        }
    }

    /// The SQL scan made under `map` by [`Context::prepare`], if any.
    pub fn sql_scan(
        &self,
        map: &crate::analysis::sql::PlaneMap,
    ) -> Option<&crate::analysis::sql::Scan<'a>> {
        self.sql_scans.iter().find(|s| s.is_for(map))
    }

    /// The text of any file at head by repository-relative path: from the change set when the
    /// change touches it (the exact head blob), else from the work tree, read once and shared
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
        // Resolve symlinks and stay inside the work tree: a link committed in the checked
        // repository (to /etc/passwd, to a CI secret) must not put outside text into findings.
        let full = self.root.join(path).canonicalize().ok().filter(|p| {
            self.root
                .canonicalize()
                .is_ok_and(|root| p.starts_with(root))
        });
        let text = full
            .as_ref()
            .and_then(|full| std::fs::metadata(full).ok())
            .filter(|m| m.is_file() && m.len() <= self.config.max_file_size)
            .and_then(|_| {
                crate::engine::bounded::read(full.as_ref()?, self.config.max_file_size, None).ok()
            })
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

    /// Paths of the head work tree (empty when no active check needs it).
    pub fn tree(&self) -> &'a RepoIndex {
        self.tree
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
    pub fn scan_files<F>(
        &self,
        paths: &crate::engine::config::GlobList,
        exclude: &crate::engine::config::GlobList,
        out: &mut Findings,
        visit: F,
    ) where
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

    /// Changed files that exist at head, are not binary, and match `paths` (and not `exclude`).
    pub fn files_in<'s>(
        &'s self,
        paths: &'s crate::engine::config::GlobList,
        exclude: &'s crate::engine::config::GlobList,
    ) -> impl Iterator<Item = &'a FileChange> + 's {
        self.changes.files.iter().filter(move |f| {
            f.exists_at_head()
                && !f.is_binary
                && paths.is_match(&f.path)
                && !exclude.is_match(&f.path)
        })
    }
}

/// The files a check reads, for coverage (`lib::coverage`): a file counts when it matches an
/// `include` list and no `exclude` list.
#[derive(Debug)]
pub struct Scope<'a> {
    /// The settings key that sets `include`, for hints.
    pub key: &'static str,
    /// Path lists the check reads.
    pub include: Vec<&'a crate::engine::config::GlobList>,
    /// Path lists it skips.
    pub exclude: Vec<&'a crate::engine::config::GlobList>,
}

impl Scope<'_> {
    /// True when the check reads `path`.
    pub fn is_match(&self, path: &str) -> bool {
        self.include.iter().any(|g| g.is_match(path))
            && !self.exclude.iter().any(|g| g.is_match(path))
    }
}

/// What a rule file imports.
pub mod prelude {
    pub use super::util;
    pub use super::{Context, Findings, Meta, Rule, Scope};
    pub use crate::engine::config::{
        Escalation, GlobList, Invariant, PatternList, RawPattern, Status, Validator,
    };
    pub use crate::engine::diff::{ChangeKind, FileChange};
    pub use crate::engine::finding::{Finding, Severity};
    pub use crate::engine::pr::{Claim, Grammar, ItemSpec, ItemState, PrDescription};
    pub use crate::engine::source::Source;
    pub use serde::Deserialize;
    pub use std::sync::Arc;
    pub use toml::Spanned;
}
