//! `forbidden-path` (generic): a change must not add files under the configured globs (for
//! example "no GitHub workflows": new files under `.github/workflows/`).
//!
//! Looks at: files the change adds, copies or renames into place.
//! Flags: each such file matching `paths` and not `exclude`, at its first line.
//! Ignores: edits and deletions of files that already exist (set `include-modified` to flag
//! edits too).

use crate::rules::prelude::*;

/// Check metadata.
pub static META: Meta = Meta {
    explain: include_str!("../../rules/generic/forbidden-path.md"),
    kind: Kind::Generic,
    keys: KEYS,
    ..Meta::spec(
        "",
        "forbidden-path",
        "change adds a file where files are forbidden",
        Escalation::BlockMerge,
    )
};

/// The keys of `[invariant.<ID>.forbidden-path]`, for the policy's schema and `invlint init`.
#[rustfmt::skip]
const KEYS: &[Key] = &[
    opt("paths", Ty::Globs, "Where new files are forbidden."),
    opt("exclude", Ty::Globs, "Exceptions."),
    opt("message", Ty::Str, "Finding message; `{path}` is replaced by the file's path."),
    opt("help", Ty::Str, "What to do instead."),
    opt("include-modified", Ty::Bool, "Flag modified files too, not only new ones."),
];

/// `[invariant.<ID>.forbidden-path]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawSettings {
    /// Where new files are forbidden.
    #[serde(default)]
    pub paths: Vec<Spanned<String>>,
    /// Exceptions.
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
    /// Finding message; `{path}` is replaced by the file's path.
    pub message: Option<Spanned<String>>,
    /// What to do instead.
    pub help: Option<Spanned<String>>,
    /// Flag modified files too, not only new ones.
    #[serde(default)]
    pub include_modified: bool,
}

/// Compiled settings.
#[derive(Debug)]
pub struct Settings {
    paths: GlobList,
    exclude: GlobList,
    message: String,
    help: Option<String>,
    include_modified: bool,
}

impl Settings {
    /// The files this check reads, for coverage.
    fn scope(&self) -> Scope<'_> {
        Scope {
            key: "paths",
            include: vec![&self.paths],
            exclude: vec![&self.exclude],
        }
    }
}

impl RawSettings {
    /// Validates and compiles.
    fn compile(&self, v: &mut Validator) -> Settings {
        v.non_empty(&self.paths, "no path", "paths");
        Settings {
            paths: v.glob_list(&self.paths),
            exclude: v.glob_list(&self.exclude),
            message: self
                .message
                .as_ref()
                .map(|m| m.get_ref().clone())
                .unwrap_or_else(|| {
                    "this change adds `{path}`, where new files are forbidden".into()
                }),
            help: self.help.as_ref().map(|h| h.get_ref().clone()),
            include_modified: self.include_modified,
        }
    }
}

/// The check.
pub struct ForbiddenPath;

impl Check for ForbiddenPath {
    type Raw = RawSettings;
    type Settings = Settings;

    fn meta(&self) -> &'static Meta {
        &META
    }

    fn compile(&self, raw: &RawSettings, v: &mut Validator) -> Settings {
        raw.compile(v)
    }

    fn scope<'a>(&self, settings: &'a Settings, _: &'a Config) -> Option<Scope<'a>> {
        Some(settings.scope())
    }

    fn check(&self, cx: &Context<'_>, inv: &Invariant, cfg: &Settings, out: &mut Findings) {
        for file in &cx.changes().files {
            let is_new = matches!(
                file.kind,
                ChangeKind::Added | ChangeKind::Copied | ChangeKind::Renamed
            );
            let counts = is_new || (cfg.include_modified && file.exists_at_head());
            if !counts || !cfg.paths.is_match(&file.path) || cfg.exclude.is_match(&file.path) {
                continue;
            }
            let glob = cfg.paths.matching_entry(&file.path);
            let mut f = Finding::new(inv, META.name, cfg.message.replace("{path}", &file.path));
            f = match file.head.source() {
                Some(src) => {
                    let first = src.line_range(1).unwrap_or(0..0);
                    let span = if first.is_empty() {
                        0..src.text().len().min(1)
                    } else {
                        first
                    };
                    f.at(src, span, format!("`{}` is new", file.path))
                }
                None => f.on_path(file.path.to_string()),
            };
            if let Some(g) = glob {
                f = f.cite(
                    cx.policy(),
                    g.span.clone(),
                    format!("`{}` forbids new files", g.text),
                );
            }
            if let Some(h) = &cfg.help {
                f = f.help(h.clone());
            }
            out.push(f);
        }
    }
}
