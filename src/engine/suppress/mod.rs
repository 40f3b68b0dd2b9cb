//! Inline suppressions with evidence (SUP-01 `bad-suppression`).
//!
//! A comment in a checked file such as
//!
//! ```text
//! // invlint: allow(INV-07) reason="replay handles duplicates" issue=#123 owner=@name until=2027-01-31
//! ```
//!
//! suppresses one finding of that invariant on the next non-blank line (or, written after code,
//! on its own line). Any comment syntax works (`//`, `#`, `--`, `/* */`, `<!-- -->`); `reason`,
//! `issue` and `owner` are required, `until` (YYYY-MM-DD) is optional.
//!
//! Runs in the engine after every check (post rules included) and before gate evaluation:
//! suppressed findings stay in the report with [`Finding::suppression`] set and never block.
//! Malformed, expired, unused and not-allowed suppressions become findings of the invariant
//! bound to `bad-suppression` (SUP-01 in the default policy); without such an active invariant no
//! suppression is honoured at all (fail closed: nothing is silenced unchecked).
//!
//! Which comments are read: those in changed files whose head text is already loaded, and in any
//! file a finding points into, that contain `invlint:` after a comment opener. A comment is
//! judged (reported when wrong) only when this change adds its line or its target line, or a
//! finding starts on its target line: an old, untouched suppression does not fail unrelated
//! pull requests.
//!
//! The policy decides what may be suppressed (`suppressible = true` per invariant); at the
//! release gate a suppression never silences a `block-merge` invariant (the finding says so).

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use crate::engine::config::{Config, Escalation, Invariant, Status};
use crate::engine::diff::{ChangeSet, TextState};
use crate::engine::finding::Finding;
use crate::engine::source::Source;
use crate::rules::prelude::{Deserialize, GlobList, Spanned, Validator};
use crate::rules::{Context, Findings, Meta, Rule};
use crate::Gate;

mod apply;
mod date;
mod directive;
#[cfg(test)]
mod tests;

pub use apply::*;
pub use date::*;
use directive::*;

/// Rule metadata: SUP-01 findings are produced by the engine, not by `Rule::check`.
pub static META: Meta = Meta {
    default_code: "SUP-01",
    name: "bad-suppression",
    summary: "inline suppression is malformed, expired, unused or not allowed by the policy",
    escalation: Escalation::BlockMerge,
    status: Status::Stable,
    explain: include_str!("../../../rules/SUP-01.md"),
    needs_tree: false,
};

/// The check an invariant names to turn inline suppressions on (`check = "bad-suppression"`).
pub struct BadSuppression;

impl Rule for BadSuppression {
    fn meta(&self) -> &'static Meta {
        &META
    }

    /// Nothing here: the engine applies suppressions after every check ran ([`apply`]).
    fn check(&self, _cx: &Context<'_>, _inv: &Invariant, _out: &mut Findings) {}

    /// Runs after the other checks, like the PR checks, which therefore do not ask the PR
    /// description to map SUP-01 (it is about comments, not an architecture invariant).
    fn is_post(&self) -> bool {
        true
    }
}

/// `[invariant.<ID>.bad-suppression]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawSettings {
    /// Files whose `invlint:` comments are neither honoured nor reported (docs that show the
    /// syntax, vendored code).
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
}

/// Compiled settings.
#[derive(Debug)]
pub struct Settings {
    exclude: GlobList,
}

impl RawSettings {
    /// Validates and compiles; problems go to `v`.
    pub fn compile(&self, v: &mut Validator) -> Settings {
        Settings {
            exclude: v.glob_list(&self.exclude),
        }
    }
}
