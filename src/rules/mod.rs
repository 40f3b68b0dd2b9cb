//! Checks: `REGISTRY`, the one list of built-in checks, and the `prelude` a check file imports.
//!
//! Everything else iterates `REGISTRY`: policy compilation (which `check = "..."` names exist,
//! each check deserializing and compiling its own settings table), the policy's JSON schema
//! (each check's `Meta::keys`), `invlint init`, `--explain` and `invlint rules` (each check's
//! `Meta::explain` and `summary`), SARIF rule metadata and the tests. Adding a check is one file
//! (with its `rules/<code>.md` page and fixtures) and one line here.
//!
//! A check inspects the change through `Context` and pushes findings. It does no I/O, prints
//! nothing, spawns no threads, keeps no mutable state, and never `unwrap`s anything that came from
//! the repository, the policy or the PR text. It never imports `engine::diff`, `engine::walk` or
//! `render`: what it needs of them is re-exported in `prelude`. The engine never imports this
//! module: `lib.rs` hands `REGISTRY` to it.

use crate::engine::check::{DynCheck, Registry};

pub mod generic_added_pattern;
pub mod generic_append_only_edit;
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

/// Every built-in check, in code order within each kind (`Meta::kind`): the spec's checks, the
/// generic checks, the PR checks, then the engine's own (suppressions, gate integrity).
pub static REGISTRY: Registry = Registry(CHECKS);

static CHECKS: &[&dyn DynCheck] = &[
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
    &generic_added_pattern::AddedPattern,
    &generic_co_change::CoChange,
    &generic_forbidden_path::ForbiddenPath,
    &generic_append_only_edit::AppendOnlyEdit,
    &pr_checklist::MissingInvMapping,
    &pr_checklist::ChecklistItemMissing,
    &pr_checklist::NaWithoutReason,
    &pr_checklist::UnclaimedInvariant,
    &pr_checklist::StaleClaim,
    &pr_checklist::ReleaseEvidenceMissing,
    &crate::engine::suppress::BadSuppression,
    &crate::engine::governance::PolicyWeakened,
    &crate::engine::verify::UnverifiedInput,
];

/// What a check file imports.
pub mod prelude {
    pub use super::util;
    pub use crate::engine::check::{Check, Context, Findings, Kind, Meta, NoSettings, Scope};
    pub use crate::engine::config::{
        Config, Escalation, GlobList, Invariant, PatternList, RawPattern, Status, Validator,
    };
    pub use crate::engine::diff::{ChangeKind, FileChange};
    pub use crate::engine::finding::{Finding, Severity};
    pub use crate::engine::pr::{Claim, Grammar, ItemSpec, ItemState, PrDescription};
    pub use crate::engine::schema::{self, opt, req, Key, Ty};
    pub use crate::engine::source::Source;
    pub use serde::Deserialize;
    pub use std::sync::Arc;
    pub use toml::Spanned;
}
