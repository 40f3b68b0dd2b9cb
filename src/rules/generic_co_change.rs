//! `co-change` (generic): when a change touches files matching `when`, it must also touch a file
//! matching `require` (for example: a proto change comes with its generated output, a runtime
//! migration comes with the deploy notes).
//!
//! Looks at: the paths the change touches (added, modified, deleted, renamed).
//! Flags: once per invariant, at the first `when` file, when no `require` file changed.
//! Ignores: file contents.

use crate::rules::prelude::*;

/// Check metadata.
pub static META: Meta = Meta {
    explain: include_str!("../../rules/generic/co-change.md"),
    kind: Kind::Generic,
    keys: KEYS,
    ..Meta::spec(
        "",
        "co-change",
        "change touches one set of files without the files that must change with it",
        Escalation::BlockMerge,
    )
};

/// The keys of `[invariant.<ID>.co-change]`, for the policy's schema and `invlint init`.
#[rustfmt::skip]
const KEYS: &[Key] = &[
    opt("when", Ty::Globs, "Trigger: any changed file matching these."),
    opt("require", Ty::Globs, "Required companions: at least one changed file matching these."),
    opt("message", Ty::Str, "Finding message."),
    opt("help", Ty::Str, "What to do instead."),
];

/// `[invariant.<ID>.co-change]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawSettings {
    /// Trigger: any changed file matching these.
    #[serde(default)]
    pub when: Vec<Spanned<String>>,
    /// Required companions: at least one changed file matching these.
    #[serde(default)]
    pub require: Vec<Spanned<String>>,
    /// Finding message.
    pub message: Option<Spanned<String>>,
    /// What to do instead.
    pub help: Option<Spanned<String>>,
}

/// Compiled settings.
#[derive(Debug)]
pub struct Settings {
    when: GlobList,
    require: GlobList,
    require_text: Vec<String>,
    require_span: std::ops::Range<usize>,
    message: Option<String>,
    help: Option<String>,
}

impl Settings {
    /// The files this check reads, for coverage.
    fn scope(&self) -> Scope<'_> {
        Scope {
            key: "when",
            include: vec![&self.when],
            exclude: vec![],
        }
    }
}

impl RawSettings {
    /// Validates and compiles.
    fn compile(&self, v: &mut Validator) -> Settings {
        v.non_empty(&self.when, "no change", "when");
        v.non_empty(&self.require, "no companion", "require");
        Settings {
            when: v.glob_list(&self.when),
            require: v.glob_list(&self.require),
            require_text: self.require.iter().map(|r| r.get_ref().clone()).collect(),
            require_span: self.require.first().map(|r| r.span()).unwrap_or(0..0),
            message: self.message.as_ref().map(|m| m.get_ref().clone()),
            help: self.help.as_ref().map(|h| h.get_ref().clone()),
        }
    }
}

/// The check.
pub struct CoChange;

impl Check for CoChange {
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
        let files = &cx.changes().files;
        let touched = |f: &FileChange, g: &GlobList| {
            g.is_match(&f.path) || f.old_path.as_deref().is_some_and(|p| g.is_match(p))
        };
        let Some(trigger) = files.iter().find(|f| touched(f, &cfg.when)) else {
            return;
        };
        if files.iter().any(|f| touched(f, &cfg.require)) {
            return;
        }
        let message = cfg.message.clone().unwrap_or_else(|| {
            format!(
                "this change touches `{}` without changing {}",
                trigger.path,
                cfg.require_text.join(" or ")
            )
        });
        let mut f = Finding::new(inv, META.name, message);
        f = match trigger.head.source().or(trigger.base.source()) {
            Some(src) => {
                let span = src.line_range(1).unwrap_or(0..0);
                f.at(src, span, format!("`{}` changed", trigger.path))
            }
            None => f.on_path(trigger.path.to_string()),
        };
        f = f.cite(
            cx.policy(),
            cfg.require_span.clone(),
            "required companion files",
        );
        if let Some(h) = &cfg.help {
            f = f.help(h.clone());
        }
        out.push(f);
    }
}
