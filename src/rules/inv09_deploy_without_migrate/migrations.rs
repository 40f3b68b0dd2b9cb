//! INV-09's description check: a change that adds a runtime migration and edits a deploy
//! surface says in the PR description how the migration reaches production.

use super::{Settings, META};
use crate::rules::prelude::*;

/// Added runtime migrations need deploy/migrate notes in the PR description (checklist item 6).
pub(super) fn check_migrations(
    cx: &Context<'_>,
    inv: &Invariant,
    cfg: &Settings,
    out: &mut Findings,
) {
    let (Some(pr), Some((mentions, _))) = (cx.pr_description(), &cfg.description_mentions) else {
        return;
    };
    if cfg.migrations.is_empty() {
        return;
    }
    let added: Vec<&FileChange> = cx
        .changes()
        .files
        .iter()
        .filter(|f| {
            matches!(f.kind, ChangeKind::Added | ChangeKind::Copied)
                && cfg.migrations.is_match(&f.path)
        })
        .collect();
    let Some(first) = added.first() else {
        return;
    };
    // A migration on its own deploys nothing (#18): only a change that also edits a deploy
    // surface is asked how the migration reaches production.
    let deploys = cx.changes().files.iter().any(|f| {
        f.kind != ChangeKind::Deleted
            && cfg.paths.is_match(&f.path)
            && !cfg.exclude.is_match(&f.path)
    });
    if !deploys {
        return;
    }
    // Unchecked tasks, template text, comments, code and negated clauses state nothing.
    if pr.states(mentions).is_some() {
        return;
    }
    let what = if added.len() == 1 {
        format!("runtime migration `{}`", first.path)
    } else {
        format!("{} runtime migrations", added.len())
    };
    let mut f = Finding::new(
        inv,
        META.name,
        format!("this change adds {what} but the PR description says nothing about deploy or the migrate job"),
    )
    .level(Severity::Warning)
    .help("say in the description how this migration reaches production: deploy the runtime, then run the migrate job (checklist item 6, OA-RUST-003)")
    .cite(cx.policy(), cfg.migrations_span.clone(), "runtime migrations");
    f = match first.head.source() {
        Some(src) => {
            let span = src.line_range(1).unwrap_or(0..0);
            f.at(src, span, "new migration")
        }
        None => f.on_path(first.path.to_string()),
    };
    out.push(f);
}
