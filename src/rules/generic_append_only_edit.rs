//! `append-only-edit` (generic): files under the configured globs may be added, never edited,
//! deleted or moved away (for example "migrations are append-only": a migration that ran in
//! production is history; changing it makes fresh databases differ from upgraded ones).
//!
//! Looks at: files that exist at base under `paths` (not `exclude`): their path at base.
//! Flags: each one the change modifies (at its first changed line), changes the type of,
//! deletes, or renames (whatever the new path).
//! Ignores: new files, copies (the original stays), and every file of an `--all` audit, which
//! has no base to compare with.

use crate::rules::prelude::*;

/// Check metadata.
pub static META: Meta = Meta {
    explain: include_str!("../../rules/generic/append-only-edit.md"),
    kind: Kind::Generic,
    keys: KEYS,
    ..Meta::spec(
        "",
        "append-only-edit",
        "change edits, deletes or moves a file that may only be added",
        Escalation::BlockMerge,
    )
};

/// The keys of `[invariant.<ID>.append-only-edit]`, for the policy's schema.
#[rustfmt::skip]
const KEYS: &[Key] = &[
    opt("paths", Ty::Globs, "Append-only files: they may be added, never changed."),
    opt("exclude", Ty::Globs, "Exceptions."),
    opt("message", Ty::Str, "Finding message; `{path}` is replaced by the file's base path, `{what}` by what the change does to it (edits, deletes, renames)."),
    opt("help", Ty::Str, "What to do instead."),
];

/// `[invariant.<ID>.append-only-edit]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawSettings {
    /// Append-only files.
    #[serde(default)]
    pub paths: Vec<Spanned<String>>,
    /// Exceptions.
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
    /// Finding message; `{path}` and `{what}` are replaced.
    pub message: Option<Spanned<String>>,
    /// What to do instead.
    pub help: Option<Spanned<String>>,
}

/// Compiled settings.
#[derive(Debug)]
pub struct Settings {
    paths: GlobList,
    exclude: GlobList,
    message: String,
    help: String,
}

/// The check.
pub struct AppendOnlyEdit;

impl Check for AppendOnlyEdit {
    type Raw = RawSettings;
    type Settings = Settings;

    fn meta(&self) -> &'static Meta {
        &META
    }

    fn compile(&self, raw: &RawSettings, v: &mut Validator) -> Settings {
        v.non_empty(&raw.paths, "no file", "paths");
        Settings {
            paths: v.glob_list(&raw.paths),
            exclude: v.glob_list(&raw.exclude),
            message: raw.message.as_ref().map_or_else(
                || "this change {what} `{path}`, which may only be added".into(),
                |m| m.get_ref().clone(),
            ),
            help: raw.help.as_ref().map_or_else(
                || "leave the file as it is and add a new one that makes the change (a new migration, a new version)".into(),
                |h| h.get_ref().clone(),
            ),
        }
    }

    fn scope<'a>(&self, s: &'a Settings, _: &'a Config) -> Option<Scope<'a>> {
        Some(Scope {
            key: "paths",
            include: vec![&s.paths],
            exclude: vec![&s.exclude],
        })
    }

    fn check(&self, cx: &Context<'_>, inv: &Invariant, cfg: &Settings, out: &mut Findings) {
        for file in &cx.changes().files {
            let base_path = file.old_path.as_deref().unwrap_or(&file.path);
            let what = match file.kind {
                ChangeKind::Modified | ChangeKind::TypeChanged if !file.is_all_added => "edits",
                ChangeKind::Deleted => "deletes",
                ChangeKind::Renamed => "renames",
                _ => continue,
            };
            if !cfg.paths.is_match(base_path) || cfg.exclude.is_match(base_path) {
                continue;
            }
            let message = cfg
                .message
                .replace("{path}", base_path)
                .replace("{what}", what);
            let mut f = Finding::new(inv, META.name, message).help(cfg.help.clone());
            f = match (file.kind, file.head.source()) {
                (ChangeKind::Modified | ChangeKind::TypeChanged, Some(src)) => {
                    let line = file.added().first().map_or(1, |r| r.start);
                    let span = src
                        .line_range(line)
                        .filter(|r| !r.is_empty())
                        .unwrap_or(0..src.text().len().min(1));
                    f.at(src, span, format!("`{}` is append-only", file.path))
                }
                // Deleted or moved away: nothing at head to point at.
                _ => f.on_path(file.path.to_string()),
            };
            if let Some(g) = cfg.paths.matching_entry(base_path) {
                f = f.cite(
                    cx.policy(),
                    g.span.clone(),
                    format!("`{}` is append-only", g.text),
                );
            }
            out.push(f);
        }
    }
}
