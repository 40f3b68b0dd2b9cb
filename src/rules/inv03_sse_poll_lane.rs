//! INV-03 `sse-poll-lane`: Khala live sync is WS-only; a change must not add an SSE or polling
//! lane for live updates (OA-RUST-003).
//!
//! Looks at: lines the change adds, in files matching `paths` and not `exclude`.
//! Flags: added lines matching any `patterns` entry (EventSource, `text/event-stream`, axum SSE,
//! long-poll routes and flags, cursor polling with `after_seq=`, interval-driven fetch loops).
//! Softens: hits in `warn-paths` (design docs) are warnings, not errors.
//! Ignores: removed lines, comment lines in code, hits inside `ignore-identifiers`
//! (`KHALA_POLL_INTERVAL`), and hits under an `allow` entry that cites its reference (ADR-0008).

use crate::rules::prelude::*;

/// Check metadata.
pub static META: Meta = Meta {
    explain: include_str!("../../rules/INV-03.md"),
    keys: KEYS,
    // Each file on its own (`Context::scan_files`/`files_in`): an audit runs it in windows.
    windowed: true,
    ..Meta::spec(
        "INV-03",
        "sse-poll-lane",
        "change adds an SSE or polling lane to live sync",
        Escalation::BlockMerge,
    )
};

/// The keys of `[invariant.<ID>.sse-poll-lane]`, for the policy's schema and `invlint init`.
#[rustfmt::skip]
const KEYS: &[Key] = &[
    opt("paths", Ty::Globs, "Where live-sync code lives."),
    opt("exclude", Ty::Globs, "Out of scope."),
    opt("warn-paths", Ty::Globs, "Paths whose hits are warnings (design docs)."),
    opt("patterns", Ty::Patterns, "What opens a lane."),
    opt("ignore-identifiers", Ty::Strings, "Identifiers that contain a pattern's text but are not lanes."),
    opt("not-lanes", Ty::Patterns, "Lines that match a pattern but open no lane (a WS resume cursor, a grep of a response)."),
    opt("inline-test-marker", Ty::Regex, "A line after which the rest of the file is test code."),
    opt("allow", Ty::Tables(schema::ALLOW), "Path-scoped exceptions, each citing its decision record."),
];

/// `[invariant.<ID>.sse-poll-lane]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawSettings {
    /// Where live-sync code lives.
    #[serde(default)]
    pub paths: Vec<Spanned<String>>,
    /// Out of scope (tests, LLM/MCP clients that stream SSE for other reasons).
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
    /// Paths whose hits are warnings (design docs).
    #[serde(default)]
    pub warn_paths: Vec<Spanned<String>>,
    /// What opens a lane.
    #[serde(default)]
    pub patterns: Vec<RawPattern>,
    /// Identifiers that contain a pattern's text but are not lanes.
    #[serde(default)]
    pub ignore_identifiers: Vec<Spanned<String>>,
    /// Path-scoped exceptions, each citing its decision record.
    #[serde(default)]
    pub allow: Vec<RawAllow>,
    /// Lines that match a pattern but open no lane: a WebSocket URL's `?after_seq=` resume
    /// cursor, a smoke script grepping a response for `text/event-stream`.
    #[serde(default)]
    pub not_lanes: Vec<RawPattern>,
    /// In Rust files, the first line matching this starts the inline test module: hits from it
    /// on are test code, not a lane.
    pub inline_test_marker: Option<Spanned<String>>,
}

/// One `[[...allow]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawAllow {
    /// Glob of the allowed file(s).
    pub path: Spanned<String>,
    /// Pattern ids allowed there (empty: all).
    #[serde(default)]
    pub patterns: Vec<Spanned<String>>,
    /// The decision that allows it (an ADR path or issue).
    pub reference: Spanned<String>,
}

/// Compiled settings.
#[derive(Debug)]
pub struct Settings {
    paths: GlobList,
    exclude: GlobList,
    warn_paths: GlobList,
    patterns: PatternList,
    ignore_identifiers: Vec<String>,
    allow: Vec<Allow>,
    not_lanes: PatternList,
    inline_test_marker: Option<util::TestMarker>,
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

#[derive(Debug)]
struct Allow {
    path: GlobList,
    patterns: Vec<String>,
    reference: String,
}

impl RawSettings {
    /// Validates and compiles; problems go to `v`.
    fn compile(&self, v: &mut Validator) -> Settings {
        let patterns = v.patterns(&self.patterns);
        v.non_empty(&self.paths, "no file", "paths");
        v.non_empty(&self.patterns, "no lane", "patterns");
        let mut allow = Vec::new();
        for a in &self.allow {
            if a.reference.get_ref().trim().is_empty() {
                v.problem(
                    a.reference.span(),
                    "an allow entry must cite the decision that allows it",
                    "empty reference",
                    Some(
                        "set `reference` to the ADR or issue, e.g. \"docs/adr/ADR-0008-...md\""
                            .into(),
                    ),
                );
            }
            for id in &a.patterns {
                if !patterns.items.iter().any(|p| &p.id == id.get_ref()) {
                    v.problem(
                        id.span(),
                        format!("allow entry names unknown pattern `{}`", id.get_ref()),
                        "no pattern has this id",
                        Some("use an `id` from this invariant's `patterns`".into()),
                    );
                }
            }
            allow.push(Allow {
                path: v.glob_list(std::slice::from_ref(&a.path)),
                patterns: a.patterns.iter().map(|p| p.get_ref().clone()).collect(),
                reference: a.reference.get_ref().clone(),
            });
        }
        Settings {
            paths: v.glob_list(&self.paths),
            exclude: v.glob_list(&self.exclude),
            warn_paths: v.glob_list(&self.warn_paths),
            patterns,
            ignore_identifiers: self
                .ignore_identifiers
                .iter()
                .map(|s| s.get_ref().clone())
                .collect(),
            allow,
            not_lanes: v.patterns(&self.not_lanes),
            inline_test_marker: util::TestMarker::compile(v, &self.inline_test_marker),
        }
    }
}

/// The check.
pub struct SsePollLane;

impl Check for SsePollLane {
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
        cx.scan_files(&cfg.paths, &cfg.exclude, out, |file, out| {
            let Some(src) = file.head.source() else {
                return;
            };
            let is_doc = cfg.warn_paths.is_match(&file.path);
            let hits = util::added_hits(file, src, &cfg.patterns, !is_doc);
            if hits.is_empty() {
                return;
            }
            // Rust's inline test module is test code, not a lane.
            let tests_from = match &cfg.inline_test_marker {
                Some(marker) if file.path.ends_with(".rs") => marker.start(src),
                _ => usize::MAX,
            };
            let hits: Vec<_> = hits
                .into_iter()
                .filter(|hit| {
                    let pattern = &cfg.patterns.items[hit.pattern];
                    hit.line < tests_from
                        && !src.line(hit.line).is_some_and(|l| cfg.not_lanes.set.is_match(l))
                        && !util::within_identifier(src.text(), &hit.span, &cfg.ignore_identifiers)
                        && !cfg.allow.iter().any(|a| {
                            a.path.is_match(&file.path)
                                && (a.patterns.is_empty() || a.patterns.contains(&pattern.id))
                        })
                })
                .collect();
            // One finding per line: `new EventSource(`...?after_seq=${seq}`)` is one lane,
            // however many patterns it matches; the other hits are labelled on the same line.
            let mut i = 0;
            while i < hits.len() {
                let mut j = i + 1;
                while j < hits.len() && hits[j].line == hits[i].line {
                    j += 1;
                }
                let group = &hits[i..j];
                i = j;
                let first = &group[0];
                let pattern = &cfg.patterns.items[first.pattern];
                let mut whats: Vec<&str> = Vec::new();
                for h in group {
                    let what = cfg.patterns.items[h.pattern].what.as_str();
                    if !whats.contains(&what) {
                        whats.push(what);
                    }
                }
                let what = util::and_list(&whats);
                let finding = if is_doc {
                    Finding::new(inv, META.name, format!("this design doc adds {what}"))
                        .level(Severity::Warning)
                        .help(format!(
                            "{} requires live sync over the Khala WebSocket; describe a WS subscription instead, or record the exception in an ADR",
                            inv.id
                        ))
                } else {
                    Finding::new(
                        inv,
                        META.name,
                        format!("this change adds {what}, a non-WebSocket live-sync lane"),
                    )
                    .help(allow_hint(inv, cfg))
                };
                let mut finding = finding.at(
                    src,
                    first.span.clone(),
                    format!("`{}` opens an SSE/poll lane", first.text),
                );
                for h in &group[1..] {
                    finding = finding.also(
                        h.span.clone(),
                        format!("`{}` ({})", h.text, cfg.patterns.items[h.pattern].id),
                    );
                }
                out.push(finding.cite(
                    cx.policy(),
                    pattern.span.clone(),
                    format!("pattern `{}`", pattern.id),
                ));
            }
        });
    }
}

fn allow_hint(inv: &Invariant, cfg: &Settings) -> String {
    let existing = cfg
        .allow
        .first()
        .map(|a| {
            format!(
                " (as `{}` is, citing {})",
                a.path
                    .entries()
                    .next()
                    .map(|e| e.text.as_str())
                    .unwrap_or(""),
                a.reference
            )
        })
        .unwrap_or_default();
    format!(
        "deliver live updates over the Khala WebSocket (subscribe to the topic and resume after the last seq); a bounded presentation adapter needs an ADR and a path-scoped `allow` entry under [invariant.{}.sse-poll-lane]{existing}",
        inv.id
    )
}
