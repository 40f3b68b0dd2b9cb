//! `added-pattern` (generic): a change must not add lines matching the configured patterns in
//! the configured paths. Lets a policy declare a new invariant without recompiling (for example
//! "UI surfaces are built only with WGPUI": flag added imports of other UI frameworks).
//!
//! Looks at: lines the change adds, in `paths` minus `exclude`.
//! Flags: each match of a `patterns` entry, with the invariant's `message` and `help`.
//! Ignores: removed lines, comment lines in code (unless `include-comments`).

use crate::rules::prelude::*;

/// Check metadata.
pub static META: Meta = Meta {
    explain: include_str!("../../rules/generic/added-pattern.md"),
    kind: Kind::Generic,
    keys: KEYS,
    // Each file on its own (`Context::scan_files`/`files_in`): an audit runs it in windows.
    windowed: true,
    ..Meta::spec(
        "",
        "added-pattern",
        "change adds a line matching a forbidden pattern",
        Escalation::BlockMerge,
    )
};

/// The keys of `[invariant.<ID>.added-pattern]`, for the policy's schema and `invlint init`.
#[rustfmt::skip]
const KEYS: &[Key] = &[
    opt("paths", Ty::Globs, "Files to scan."),
    opt("exclude", Ty::Globs, "Files out of scope."),
    opt("patterns", Ty::Patterns, "What must not be added."),
    opt("message", Ty::Str, "Finding message; `{what}` is replaced by the pattern's `what`."),
    opt("help", Ty::Str, "What to do instead."),
    opt("include-comments", Ty::Bool, "Also match comment lines."),
];

/// `[invariant.<ID>.added-pattern]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawSettings {
    /// Files to scan.
    #[serde(default)]
    pub paths: Vec<Spanned<String>>,
    /// Files out of scope.
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
    /// What must not be added.
    #[serde(default)]
    pub patterns: Vec<RawPattern>,
    /// Finding message (lowercase, what the change added); `{what}` is replaced by the
    /// pattern's `what`.
    pub message: Option<Spanned<String>>,
    /// What to do instead.
    pub help: Option<Spanned<String>>,
    /// Also match comment lines.
    #[serde(default)]
    pub include_comments: bool,
}

/// Compiled settings.
#[derive(Debug)]
pub struct Settings {
    paths: GlobList,
    exclude: GlobList,
    patterns: PatternList,
    message: String,
    help: Option<String>,
    include_comments: bool,
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
        v.non_empty(&self.paths, "no file", "paths");
        v.non_empty(&self.patterns, "nothing", "patterns");
        Settings {
            paths: v.glob_list(&self.paths),
            exclude: v.glob_list(&self.exclude),
            patterns: v.patterns(&self.patterns),
            message: self
                .message
                .as_ref()
                .map(|m| m.get_ref().clone())
                .unwrap_or_else(|| "this change adds {what}".into()),
            help: self.help.as_ref().map(|h| h.get_ref().clone()),
            include_comments: self.include_comments,
        }
    }
}

/// The check.
pub struct AddedPattern;

impl Check for AddedPattern {
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
        for file in cx.files_in(&cfg.paths, &cfg.exclude) {
            let Some(src) = file.head.source() else {
                continue;
            };
            for hit in util::added_hits(file, src, &cfg.patterns, !cfg.include_comments) {
                let p = &cfg.patterns.items[hit.pattern];
                let mut f = Finding::new(inv, META.name, cfg.message.replace("{what}", &p.what))
                    .at(
                        src,
                        hit.span.clone(),
                        format!("`{}` is {}", hit.text, p.what),
                    )
                    .cite(
                        cx.policy(),
                        p.span.clone(),
                        format!("pattern `{}` of {}", p.id, inv.id),
                    );
                if let Some(h) = &cfg.help {
                    f = f.help(h.clone());
                }
                out.push(f);
            }
        }
    }
}
