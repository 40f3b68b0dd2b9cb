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

use serde::Deserialize;
use toml::Spanned;

use crate::engine::check::{Check, Kind, Meta};
use crate::engine::config::{Config, Escalation, GlobList, Validator};
use crate::engine::diff::{ChangeSet, TextState};
use crate::engine::finding::Finding;
use crate::engine::run::Gate;
use crate::engine::source::Source;

mod apply;
mod date;
mod directive;
#[cfg(test)]
mod tests;

pub use apply::*;
pub use date::*;
use directive::*;

/// True when `src` may hold an inline suppression: false means [`apply`] finds none in it.
pub fn may_hold_directives(src: &Source) -> bool {
    src.text().contains(MARKER)
}

/// SUP-01's page and metadata: its findings are produced by the engine ([`apply`]), after every
/// check (post kind: the PR checks do not ask the description to map SUP-01, which is about
/// comments, not an architecture invariant).
pub static META: Meta = Meta {
    explain: include_str!("../../../rules/SUP-01.md"),
    kind: Kind::Suppress,
    keys: KEYS,
    ..Meta::spec(
        "SUP-01",
        "bad-suppression",
        "inline suppression is malformed, expired, unused or not allowed by the policy",
        Escalation::BlockMerge,
    )
};

const KEYS: &[crate::engine::schema::Key] = &[crate::engine::schema::opt(
    "exclude",
    crate::engine::schema::Ty::Globs,
    "Files whose `invlint: allow(...)` comments are not judged (docs that show the syntax).",
)];

/// The check an invariant names to turn inline suppressions on (`check = "bad-suppression"`).
pub struct BadSuppression;

impl Check for BadSuppression {
    type Raw = RawSettings;
    type Settings = Settings;

    fn meta(&self) -> &'static Meta {
        &META
    }

    fn compile(&self, raw: &RawSettings, v: &mut Validator) -> Settings {
        Settings {
            exclude: v.glob_list(&raw.exclude),
        }
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
