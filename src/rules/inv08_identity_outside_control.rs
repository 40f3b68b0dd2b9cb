//! INV-08 `identity-outside-control`: WorkOS is the identity provider; the control plane owns
//! authz, sessions and device revocation (OA-RUST-003, OA-RUST-078..080).
//!
//! Looks at: lines the change adds, in files matching `paths` and not `exclude` (tests, local dev
//! tooling, docs, vendored code), manifests (`Cargo.toml`, `package.json`, `composer.json`)
//! included.
//! Flags:
//! * `providers`: another identity provider (Auth0, Clerk, Firebase Auth, Cognito, Okta, generic
//!   OIDC discovery, ...) anywhere in scope, the control plane included;
//! * `authority`: issuing or revoking sessions, tokens or devices outside `control-paths` and
//!   `client-paths` (client apps ask the control plane to mint; they issue nothing);
//! * `verify`: validating sessions or tokens outside `control-paths` and `verify-paths` (the
//!   runtime verifies control-issued sync tokens in `apps/runtime/src/sync_auth.rs`);
//! * `fallbacks`: a mock/dev identity fallback (bypass flag, fake user, mock provider, skipped
//!   signature check) in production code, unless a `guards` match (a non-production guard such as
//!   `cfg!(debug_assertions)`) lies within `guard-window` lines.
//!
//! Ignores: removed lines, comment lines in code, WorkOS itself (no pattern names it).
//! Findings are `block-merge-unless-mitigated`: an owner-approved mitigation with a follow-up in
//! the PR description makes them non-blocking (`engine::gate`).

use crate::rules::prelude::*;

/// Check metadata.
pub static META: Meta = Meta {
    explain: include_str!("../../rules/INV-08.md"),
    keys: KEYS,
    // Each file on its own (`Context::scan_files`/`files_in`): an audit runs it in windows.
    windowed: true,
    ..Meta::spec(
        "INV-08",
        "identity-outside-control",
        "change handles identity, sessions or tokens outside WorkOS and the control plane",
        Escalation::BlockMergeUnlessMitigated,
    )
};

/// The keys of `[invariant.<ID>.identity-outside-control]`, for the policy's schema and `invlint init`.
#[rustfmt::skip]
const KEYS: &[Key] = &[
    opt("paths", Ty::Globs, "Files checked (code and manifests)."),
    opt("exclude", Ty::Globs, "Out of scope."),
    opt("control-paths", Ty::Globs, "The control plane's auth code: it may issue, validate and revoke."),
    opt("verify-paths", Ty::Globs, "Outside the control plane, paths that may validate control-issued tokens."),
    opt("client-paths", Ty::Globs, "Client apps: they ask for tokens and issue none, so `authority` does not apply."),
    opt("providers", Ty::Patterns, "Identity providers other than WorkOS."),
    opt("authority", Ty::Patterns, "Issuing or revoking sessions, tokens, devices."),
    opt("verify", Ty::Patterns, "Validating sessions or tokens."),
    opt("fallbacks", Ty::Patterns, "Mock/dev identity fallbacks."),
    opt("guards", Ty::Regexes, "Non-production guards that make a nearby fallback acceptable."),
    opt("guard-window", Ty::Int, "Lines either side of a fallback searched for a guard (default 3)."),
    opt("inline-test-marker", Ty::Regex, "A line after which the rest of the file is test code."),
];

/// `[invariant.<ID>.identity-outside-control]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawSettings {
    /// Files checked (code and manifests).
    #[serde(default)]
    pub paths: Vec<Spanned<String>>,
    /// Out of scope: tests, local dev tooling, docs, vendored code.
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
    /// The control plane's auth code: it may issue, validate and revoke.
    #[serde(default)]
    pub control_paths: Vec<Spanned<String>>,
    /// Outside the control plane, paths that may validate (never issue) control-issued tokens.
    #[serde(default)]
    pub verify_paths: Vec<Spanned<String>>,
    /// Client apps: a call that asks the control plane to mint or revoke (`mintSyncToken`) is a
    /// request, not an issue; `authority` patterns do not apply there.
    #[serde(default)]
    pub client_paths: Vec<Spanned<String>>,
    /// In Rust files, the first line matching this starts the inline test module: test code
    /// may mint, revoke and fake identities.
    pub inline_test_marker: Option<Spanned<String>>,
    /// Identity providers other than WorkOS (packages, SDK names, issuer URLs).
    #[serde(default)]
    pub providers: Vec<RawPattern>,
    /// Issuing or revoking sessions, tokens, devices.
    #[serde(default)]
    pub authority: Vec<RawPattern>,
    /// Validating sessions or tokens.
    #[serde(default)]
    pub verify: Vec<RawPattern>,
    /// Mock/dev identity fallbacks.
    #[serde(default)]
    pub fallbacks: Vec<RawPattern>,
    /// Non-production guards that make a nearby fallback acceptable.
    #[serde(default)]
    pub guards: Vec<Spanned<String>>,
    /// Lines either side of a fallback searched for a guard (default 3).
    #[serde(default)]
    pub guard_window: Option<Spanned<usize>>,
}

/// Compiled settings.
#[derive(Debug)]
pub struct Settings {
    paths: GlobList,
    exclude: GlobList,
    control_paths: GlobList,
    control_text: String,
    verify_paths: GlobList,
    client_paths: GlobList,
    inline_test_marker: Option<util::TestMarker>,
    providers: PatternList,
    authority: PatternList,
    verify: PatternList,
    fallbacks: PatternList,
    /// The lists a file is matched on, at once: a file it rejects holds no hit of any of
    /// them (#19). By [`lists_index`]: a control file is matched on neither `authority` nor
    /// `verify`, and most of a monorepo's bytes may be control code, so its superset leaves
    /// their common words (`session`, `token`, `grant`) out.
    any: [util::Prefilter; 4],
    guards: Vec<crate::engine::config::LazyRegex>,
    guard_window: usize,
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
    /// Validates and compiles; problems go to `v`.
    fn compile(&self, v: &mut Validator) -> Settings {
        v.non_empty(&self.paths, "no file", "paths");
        v.non_empty(&self.control_paths, "the control plane", "control-paths");
        if self.providers.is_empty()
            && self.authority.is_empty()
            && self.verify.is_empty()
            && self.fallbacks.is_empty()
        {
            v.require_non_empty(0..0, "nothing", "providers, authority, verify or fallbacks");
        }
        Settings {
            paths: v.glob_list(&self.paths),
            exclude: v.glob_list(&self.exclude),
            control_paths: v.glob_list(&self.control_paths),
            control_text: self
                .control_paths
                .iter()
                .filter(|p| !p.get_ref().starts_with('!'))
                .map(|p| format!("`{}`", p.get_ref()))
                .collect::<Vec<_>>()
                .join(", "),
            verify_paths: v.glob_list(&self.verify_paths),
            client_paths: v.glob_list(&self.client_paths),
            inline_test_marker: util::TestMarker::compile(v, &self.inline_test_marker),
            providers: v.patterns(&self.providers),
            authority: v.patterns(&self.authority),
            verify: v.patterns(&self.verify),
            fallbacks: v.patterns(&self.fallbacks),
            any: [0, 1, 2, 3].map(|i| {
                let (authority, verify) = (i & 2 != 0, i & 1 != 0);
                let lists = [
                    Some(&self.providers),
                    authority.then_some(&self.authority),
                    verify.then_some(&self.verify),
                    Some(&self.fallbacks),
                ];
                util::Prefilter::new(
                    lists
                        .iter()
                        .flatten()
                        .flat_map(|list| list.iter().map(|p| p.regex.get_ref().clone()))
                        .collect(),
                )
            }),
            guards: self.guards.iter().filter_map(|g| v.regex(g)).collect(),
            guard_window: self
                .guard_window
                .as_ref()
                .map(|w| *w.get_ref())
                .unwrap_or(3),
        }
    }
}

/// The check.
pub struct IdentityOutsideControl;

impl Check for IdentityOutsideControl {
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
        let mitigation = mitigation_hint(inv);
        cx.scan_files(&cfg.paths, &cfg.exclude, out, |file, out| {
            let Some(src) = file.head.source() else {
                return;
            };
            let is_control = cfg.control_paths.is_match(&file.path);
            let may_verify = is_control || cfg.verify_paths.is_match(&file.path);
            let authority = !is_control && !cfg.client_paths.is_match(&file.path);
            let verify = !may_verify;
            // One pass of the superset of the lists this file is matched on picks the lines
            // each of them is matched on.
            let candidates = cfg.any[lists_index(authority, verify)].lines(src);
            if candidates.is_empty() {
                return;
            }
            // Hits in the inline test module are test code; an authority or validation name
            // that is a whole quoted string (`"revoke_all_sessions"` in a contract table) is
            // data naming the operation, not a call of it (#18).
            let tests_from = match &cfg.inline_test_marker {
                Some(marker) if file.path.ends_with(".rs") => marker.start(src),
                _ => usize::MAX,
            };
            let text = src.text();
            let quoted = |h: &util::Hit| {
                let before = text[..h.span.start].chars().next_back();
                let after = text[h.span.end..].chars().next();
                matches!((before, after), (Some(a), Some(b)) if a == b && (a == '"' || a == '\''))
            };
            let hits = |patterns: &PatternList, names: bool| {
                let mut v = util::added_hits_on(file, src, patterns, true, &candidates);
                v.retain(|h| h.line < tests_from && !(names && quoted(h)));
                first_per_line(v)
            };
            let cite = |f: Finding, p: &crate::engine::config::Pattern| {
                f.cite(cx.policy(), p.span.clone(), format!("pattern `{}`", p.id))
            };

            for hit in hits(&cfg.providers, false) {
                let p = &cfg.providers.items[hit.pattern];
                let f = Finding::new(
                    inv,
                    META.name,
                    format!("this change brings in {}, an identity provider other than WorkOS", p.what),
                )
                .at(src, hit.span.clone(), format!("`{}` is not WorkOS", hit.text))
                .help(format!(
                    "authenticate through WorkOS (the control plane's `WorkosIdentityProvider`, `laravel/workos`); other providers are prohibited in production paths. {mitigation}"
                ));
                out.push(cite(f, p));
            }

            if authority {
                for hit in hits(&cfg.authority, true) {
                    let p = &cfg.authority.items[hit.pattern];
                    let f = Finding::new(
                        inv,
                        META.name,
                        format!("this change {} outside the control plane", p.what),
                    )
                    .at(src, hit.span.clone(), format!("`{}` {}", hit.text, p.what))
                    .help(format!(
                        "the control plane ({}) owns sessions, tokens and device revocation: call its HTTP API (`/api/auth/*`, `/api/v1/auth/sessions/revoke`) and let it push revocations to the runtime. {mitigation}",
                        cfg.control_text
                    ));
                    out.push(cite(f, p));
                }
            }

            if verify {
                for hit in hits(&cfg.verify, true) {
                    let p = &cfg.verify.items[hit.pattern];
                    let f = Finding::new(
                        inv,
                        META.name,
                        format!("this change {} outside the control plane", p.what),
                    )
                    .at(src, hit.span.clone(), format!("`{}` {}", hit.text, p.what))
                    .help(format!(
                        "validate control-issued tokens in one place ({}) or ask the control plane; a new validation site needs its path under `verify-paths` after review. {mitigation}",
                        verify_places(cfg)
                    ));
                    out.push(cite(f, p));
                }
            }

            for hit in hits(&cfg.fallbacks, false) {
                let p = &cfg.fallbacks.items[hit.pattern];
                if is_guarded(src, hit.line, &cfg.guards, cfg.guard_window) {
                    continue;
                }
                let f = Finding::new(
                    inv,
                    META.name,
                    format!("this change adds {} reachable from production code", p.what),
                )
                .at(src, hit.span.clone(), format!("`{}` can skip WorkOS authentication", hit.text))
                .help(format!(
                    "keep mock identities in tests or local dev tooling, or guard this path so production cannot reach it (`cfg!(debug_assertions)`, an explicit non-production check that fails closed when WorkOS credentials are missing). {mitigation}"
                ));
                out.push(cite(f, p));
            }
        });
    }
}

/// Which of [`Settings::any`] holds `providers` and `fallbacks`, with `authority` and
/// `verify` when a file is matched on them.
fn lists_index(authority: bool, verify: bool) -> usize {
    (usize::from(authority) << 1) | usize::from(verify)
}

/// One hit per (line, pattern): `@auth0/auth0-react` is one dependency, not two.
fn first_per_line(mut hits: Vec<util::Hit>) -> Vec<util::Hit> {
    let mut seen = std::collections::BTreeSet::new();
    hits.retain(|h| seen.insert((h.line, h.pattern)));
    hits
}

/// True when a guard matches within `window` lines of `line`.
fn is_guarded(
    src: &Source,
    line: usize,
    guards: &[crate::engine::config::LazyRegex],
    window: usize,
) -> bool {
    let lo = line.saturating_sub(window).max(1);
    (lo..=line + window).any(|n| {
        src.line(n)
            .is_some_and(|l| guards.iter().any(|g| g.is_match(l)))
    })
}

fn verify_places(cfg: &Settings) -> String {
    let list: Vec<String> = cfg
        .verify_paths
        .entries()
        .filter(|e| !e.text.starts_with('!'))
        .map(|e| format!("`{}`", e.text))
        .collect();
    if list.is_empty() {
        "the control plane".to_string()
    } else {
        list.join(", ")
    }
}

/// What a mitigation needs (OA-RUST-003: owner approval plus a follow-up issue).
fn mitigation_hint(inv: &Invariant) -> String {
    let owner = inv.owners.first().map(String::as_str).unwrap_or("@owner");
    format!(
        "To merge anyway, an owner ({}) must approve a mitigation with a follow-up issue in the PR description, e.g. `{} mitigation: approved by {owner}, follow-up #123`",
        if inv.owners.is_empty() {
            "listed under `owners`".to_string()
        } else {
            inv.owners.join(", ")
        },
        inv.id
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guard_window() {
        let src = Source::new(
            "a.rs",
            "fn f() {\n    if cfg!(debug_assertions) {\n        if std::env::var(\"AUTH_BYPASS\").is_ok() {}\n    }\n}\n",
        );
        let g = vec![crate::engine::config::LazyRegex::new(
            r"cfg!\(debug_assertions\)",
        )];
        assert!(is_guarded(&src, 3, &g, 1));
        assert!(!is_guarded(&src, 5, &g, 1));
    }
}
