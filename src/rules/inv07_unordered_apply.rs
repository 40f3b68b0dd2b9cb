//! INV-07 `unordered-apply`: Khala delivers in `(topic, seq)` order and clients apply
//! idempotently; a change must not weaken the sequence guard or duplicate discard of an apply
//! path (OA-RUST-003).
//!
//! Looks at: changed files matching `paths` and not `exclude` (deleted ones too).
//! Flags:
//! - removed guard lines: base lines the change removes that match a `guard-patterns` entry
//!   (`seq <= last_seq`, `apply_watermark`, duplicate discard, processed-seq sets), when no
//!   added line of the same file matches the same pattern; the finding points into the base file.
//! - new apply functions (name matches `apply-functions`) whose body never matches
//!   `seq-mention`: Rust via syn, other languages via `function-decls` regexes and brace
//!   counting.
//! - changes to `ordering-paths` with no change to `ordering-tests` (or to the file's own
//!   `#[cfg(test)]` module): a warning by default (`test-severity`).
//!
//! Ignores: comment lines, tests, docs, and a deleted file retired with its callers (nothing left
//! names it, no apply function is added elsewhere, surviving files drop only its imports:
//! `retired.rs`, `import-lines`).
//! An owner-approved mitigation in the PR description makes the engine report findings as
//! mitigated instead of blocking (block-merge-unless-mitigated).

use std::collections::BTreeSet;
use std::ops::Range;

use regex::Regex;
use syn::visit::Visit;

use crate::rules::prelude::*;

mod proto_seq;
mod retired;

/// Check metadata.
pub static META: Meta = Meta {
    explain: include_str!("../../rules/INV-07.md"),
    keys: KEYS,
    ..Meta::spec(
        "INV-07",
        "unordered-apply",
        "change weakens (topic, seq) ordering or idempotent apply of sync frames",
        Escalation::BlockMergeUnlessMitigated,
    )
};

/// The keys of `[invariant.<ID>.unordered-apply]`, for the policy's schema and `invlint init`.
#[rustfmt::skip]
const KEYS: &[Key] = &[
    opt("paths", Ty::Globs, "Khala and client apply code."),
    opt("exclude", Ty::Globs, "Out of scope."),
    opt("guard-patterns", Ty::Patterns, "What a sequence guard or duplicate discard looks like."),
    opt("apply-functions", Ty::Regex, "Function names of functions that apply a frame or envelope."),
    opt("seq-mention", Ty::Regex, "A body that matches consults the sequence."),
    opt("function-decls", Ty::Patterns, "Function declarations in non-Rust files; each regex has a `name` group."),
    opt("max-body-lines", Ty::Int, "Longest non-Rust function body read, in lines."),
    opt("ordering-paths", Ty::Globs, "Ordering/apply code whose changes need a test change."),
    opt("ordering-tests", Ty::Globs, "The replay/ordering tests."),
    opt("ordering-logic", Ty::Regex, "Changed lines that touch sequence or watermark logic (only they need a test change)."),
    opt("import-lines", Ty::Regex, "A line that only declares or imports a module: removing it with a deleted apply file leaves no caller."),
    opt("inline-test-marker", Ty::Regex, "A line after which the rest of the file is test code."),
    opt("test-severity", Ty::Enum(schema::SEVERITY), "Level of an ordering change without a test change (default warning)."),
    opt("proto-paths", Ty::Globs, "The delivery protocol's proto files."),
    opt("proto-frames", Ty::Regex, "Names of frame messages that must keep a sequence field."),
    opt("proto-seq-fields", Ty::Regex, "Names of sequence fields."),
];

/// `[invariant.<ID>.unordered-apply]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawSettings {
    /// Khala and client apply code.
    #[serde(default)]
    pub paths: Vec<Spanned<String>>,
    /// Out of scope.
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
    /// What a sequence guard or duplicate discard looks like, one line at a time.
    #[serde(default)]
    pub guard_patterns: Vec<RawPattern>,
    /// Regex on function names: functions that apply a frame or envelope.
    pub apply_functions: Option<Spanned<String>>,
    /// Regex: a body that matches consults the sequence.
    pub seq_mention: Option<Spanned<String>>,
    /// Function declarations in non-Rust files; each regex has a `name` capture group.
    #[serde(default)]
    pub function_decls: Vec<RawPattern>,
    /// Longest non-Rust function body read, in lines.
    pub max_body_lines: Option<Spanned<usize>>,
    /// Ordering/apply code whose changes need a test change.
    #[serde(default)]
    pub ordering_paths: Vec<Spanned<String>>,
    /// The replay/ordering tests.
    #[serde(default)]
    pub ordering_tests: Vec<Spanned<String>>,
    /// Regex on a line that only declares or imports a module (`mod x;`, `use ..;`, `import ..`):
    /// a surviving file that removes only such lines naming a deleted apply file keeps no caller
    /// of it (the file is retired, not weakened). Absent: any removed line naming it is a caller.
    pub import_lines: Option<Spanned<String>>,
    /// Regex on a line: the rest of the file is test code (Rust `#[cfg(test)]`).
    pub inline_test_marker: Option<Spanned<String>>,
    /// `warning` (default) or `error` for an ordering change without a test change.
    pub test_severity: Option<Spanned<String>>,
    /// Regex on a changed line of an ordering file: only lines that match it change sequence or
    /// watermark logic and need a test change (absent: every code line does).
    pub ordering_logic: Option<Spanned<String>>,
    /// Proto files of the delivery protocol: a frame message that loses its sequence field
    /// (removed, or its number reserved) lets clients apply frames unordered.
    #[serde(default)]
    pub proto_paths: Vec<Spanned<String>>,
    /// Regex on message names: the frames and envelopes clients apply in order.
    pub proto_frames: Option<Spanned<String>>,
    /// Regex on field names: the sequence fields of those frames.
    pub proto_seq_fields: Option<Spanned<String>>,
}

/// Compiled settings.
#[derive(Debug)]
pub struct Settings {
    paths: GlobList,
    exclude: GlobList,
    guards: PatternList,
    apply_functions: Option<(crate::engine::config::LazyRegex, Range<usize>)>,
    seq_mention: Option<crate::engine::config::LazyRegex>,
    function_decls: PatternList,
    max_body_lines: usize,
    ordering_paths: GlobList,
    ordering_tests: GlobList,
    ordering_tests_span: Range<usize>,
    ordering_tests_text: Vec<String>,
    inline_test_marker: Option<util::TestMarker>,
    import_lines: Option<crate::engine::config::LazyRegex>,
    test_level: Severity,
    ordering_logic: Option<crate::engine::config::LazyRegex>,
    proto_paths: GlobList,
    proto_frames: Option<(crate::engine::config::LazyRegex, Range<usize>)>,
    proto_seq_fields: Option<crate::engine::config::LazyRegex>,
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
        v.non_empty(&self.paths, "no apply path", "paths");
        v.non_empty(&self.guard_patterns, "no guard removal", "guard-patterns");
        let function_decls = v.patterns(&self.function_decls);
        v.require_name_capture(
            &self.function_decls,
            &function_decls,
            "function pattern",
            "function name",
            r"\bfunc\s+(?P<name>\w+)",
        );
        let test_level = match self.test_severity.as_ref().map(|s| s.get_ref().as_str()) {
            None | Some("warning") => Severity::Warning,
            Some("error") => Severity::Error,
            Some(other) => {
                let span = self
                    .test_severity
                    .as_ref()
                    .map(|s| s.span())
                    .unwrap_or(0..0);
                v.problem(
                    span,
                    format!("unknown test-severity `{other}`"),
                    "not a severity",
                    Some("use \"warning\" or \"error\"".into()),
                );
                Severity::Warning
            }
        };
        Settings {
            paths: v.glob_list(&self.paths),
            exclude: v.glob_list(&self.exclude),
            guards: v.patterns(&self.guard_patterns),
            apply_functions: self
                .apply_functions
                .as_ref()
                .and_then(|r| v.regex(r).map(|re| (re, r.span()))),
            seq_mention: self.seq_mention.as_ref().and_then(|r| v.regex(r)),
            function_decls,
            max_body_lines: self
                .max_body_lines
                .as_ref()
                .map(|n| *n.get_ref())
                .unwrap_or(120),
            ordering_paths: v.glob_list(&self.ordering_paths),
            ordering_tests: v.glob_list(&self.ordering_tests),
            ordering_tests_span: self
                .ordering_tests
                .first()
                .map(|s| s.span())
                .unwrap_or(0..0),
            ordering_tests_text: self
                .ordering_tests
                .iter()
                .map(|s| s.get_ref().clone())
                .collect(),
            inline_test_marker: util::TestMarker::compile(v, &self.inline_test_marker),
            import_lines: self.import_lines.as_ref().and_then(|r| v.regex(r)),
            test_level,
            ordering_logic: self.ordering_logic.as_ref().and_then(|r| v.regex(r)),
            proto_paths: v.glob_list(&self.proto_paths),
            proto_frames: self
                .proto_frames
                .as_ref()
                .and_then(|r| v.regex(r).map(|re| (re, r.span()))),
            proto_seq_fields: self.proto_seq_fields.as_ref().and_then(|r| v.regex(r)),
        }
    }
}

/// The check.
pub struct UnorderedApply;

impl Check for UnorderedApply {
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
        let in_scope = |f: &FileChange, g: &GlobList| {
            !f.is_binary
                && !cfg.exclude.is_match(&f.path)
                && (g.is_match(&f.path) || f.old_path.as_deref().is_some_and(|p| g.is_match(p)))
        };
        let files: Vec<&FileChange> = cx
            .changes()
            .files
            .iter()
            .filter(|f| in_scope(f, &cfg.paths))
            .collect();
        // Guard patterns that some added line of an in-scope file still matches, per file.
        let mut kept_anywhere: BTreeSet<usize> = BTreeSet::new();
        let mut kept: Vec<BTreeSet<usize>> = Vec::with_capacity(files.len());
        for f in &files {
            let ids: BTreeSet<usize> = match f.head.source() {
                Some(src) if f.exists_at_head() => {
                    // A new test asserting `Duplicate` does not put the guard back.
                    let tests = test_region_start(cfg, Some(src));
                    util::added_hits(f, src, &cfg.guards, true)
                        .into_iter()
                        .filter(|h| h.line < tests)
                        .map(|h| h.pattern)
                        .collect()
                }
                _ => BTreeSet::new(),
            };
            kept_anywhere.extend(&ids);
            kept.push(ids);
        }
        // Deleted files retired together with their callers weaken nothing (#18).
        let retired = retired::retired_files(cx, cfg, &files);
        for (f, kept_here) in files.iter().zip(&kept) {
            if retired.contains(&*f.path) {
                continue;
            }
            // A deleted file's guard may live on in another changed file.
            let kept_ids = if f.exists_at_head() {
                kept_here
            } else {
                &kept_anywhere
            };
            removed_guards(cx, inv, cfg, f, kept_ids, out);
            if f.exists_at_head() {
                if let Some(src) = f.head.source() {
                    if f.path.ends_with(".rs") {
                        new_rust_apply_fns(cx, inv, cfg, f, src, out);
                    } else {
                        new_other_apply_fns(cx, inv, cfg, f, src, out);
                    }
                }
            }
        }
        // A file that already has a guard or apply finding needs no second, softer one.
        // A retired file is no ordering change either.
        let mut flagged: BTreeSet<String> = out.0.iter().filter_map(|f| f.path.clone()).collect();
        flagged.extend(retired);
        untested_ordering_change(cx, inv, cfg, &flagged, out);
        proto_seq::proto_seq_removed(cx, inv, cfg, out);
    }
}

/// What the help says about mitigation (OA-RUST-003, escalation rules).
fn mitigation_hint(inv: &Invariant) -> String {
    match inv.owners.first() {
        Some(owner) => format!(
            "if the change is intended, the PR description needs an owner-approved mitigation and a follow-up issue, e.g. `{} mitigation: approved by {owner}, follow-up #123` (owners: {})",
            inv.id,
            inv.owners.join(", ")
        ),
        None => format!(
            "{} lists no `owners` in inv-rules.toml, so no mitigation can be approved",
            inv.id
        ),
    }
}

fn is_comment_line(path: &str, line: &str) -> bool {
    let t = line.trim_start();
    util::comment_markers(path).iter().any(|m| t.starts_with(m)) && !t.starts_with("#[")
}

// ---------------------------------------------------------------------------------------------
// Removed guards.

fn removed_guards(
    cx: &Context<'_>,
    inv: &Invariant,
    cfg: &Settings,
    file: &FileChange,
    kept: &BTreeSet<usize>,
    out: &mut Findings,
) {
    if file.removed().is_empty() {
        return;
    }
    let Some(base) = file.base.source() else {
        return;
    };
    let base_path = file.old_path.as_deref().unwrap_or(&file.path);
    let base_tests = test_region_start(cfg, Some(base));
    let mut reported: BTreeSet<usize> = BTreeSet::new();
    // One finding per removed hunk: the first guard removed is the primary span, the others
    // are secondary labels.
    for range in file.removed() {
        let mut hits: Vec<(usize, Range<usize>, String)> = Vec::new();
        for line_no in range.clone() {
            if line_no >= base_tests {
                break;
            }
            let (Some(line_range), Some(line)) = (base.line_range(line_no), base.line(line_no))
            else {
                continue;
            };
            if is_comment_line(base_path, line) {
                continue;
            }
            for idx in cfg.guards.set.matches(line).iter() {
                if kept.contains(&idx) || !reported.insert(idx) {
                    continue;
                }
                if let Some(m) = cfg.guards.items[idx].regex.find(line) {
                    let span = line_range.start + m.start()..line_range.start + m.end();
                    hits.push((idx, span, m.as_str().to_string()));
                }
            }
        }
        let Some(((idx, span, text), rest)) = hits.split_first() else {
            continue;
        };
        let pattern = &cfg.guards.items[*idx];
        let message = if file.exists_at_head() {
            format!(
                "this change removes {} from a sync apply path and adds none back",
                pattern.what
            )
        } else {
            format!(
                "this change deletes a sync apply path with {}, and no changed file adds one back",
                pattern.what
            )
        };
        let mut finding = Finding::new(inv, META.name, message).at(
            base,
            span.clone(),
            format!("`{text}` kept frames in (topic, seq) order or discarded duplicates"),
        );
        for (i, span, text) in rest {
            finding = finding.also(
                span.clone(),
                format!("`{text}`: {} removed too", cfg.guards.items[*i].what),
            );
        }
        out.push(
            finding
                .cite(
                    cx.policy(),
                    pattern.span.clone(),
                    format!("guard pattern `{}`", pattern.id),
                )
                .help(format!(
                    "keep the guard: discard a frame whose seq is at or below the last applied seq of its topic, and apply each seq once; {}",
                    mitigation_hint(inv)
                )),
        );
    }
}

/// First line of the inline test module (`inline-test-marker`), or `usize::MAX`.
fn test_region_start(cfg: &Settings, src: Option<&Arc<Source>>) -> usize {
    let (Some(src), Some(marker)) = (src, cfg.inline_test_marker.as_ref()) else {
        return usize::MAX;
    };
    marker.start(src)
}

// ---------------------------------------------------------------------------------------------
// New apply functions that never read `seq`.

fn report_unguarded_fn(
    cx: &Context<'_>,
    inv: &Invariant,
    cfg: &Settings,
    src: &Arc<Source>,
    name: &str,
    span: Range<usize>,
    out: &mut Findings,
) {
    let Some((_, apply_span)) = &cfg.apply_functions else {
        return;
    };
    out.push(
        Finding::new(
            inv,
            META.name,
            format!("this change adds `{name}`, which applies sync frames without consulting their seq"),
        )
        .at(src, span, format!("`{name}` never reads `seq`"))
        .cite(cx.policy(), apply_span.clone(), "apply functions")
        .help(format!(
            "before applying, compare the frame's seq with the last applied seq of its topic (or call `apply_watermark`) and discard stale or duplicate frames; {}",
            mitigation_hint(inv)
        )),
    );
}

fn is_new_name(file: &FileChange, decl: &str) -> bool {
    match file.base.source() {
        None => true,
        Some(base) => Regex::new(decl).is_ok_and(|re| !re.is_match(base.text())),
    }
}

fn new_rust_apply_fns(
    cx: &Context<'_>,
    inv: &Invariant,
    cfg: &Settings,
    file: &FileChange,
    src: &Arc<Source>,
    out: &mut Findings,
) {
    let (Some((apply_re, _)), Some(seq_re)) = (&cfg.apply_functions, &cfg.seq_mention) else {
        return;
    };
    // Cheap prefilter: an added `fn` line whose name is an apply function.
    static FN: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let fn_re =
        FN.get_or_init(|| Regex::new(r"\bfn\s+([A-Za-z_][A-Za-z0-9_]*)").expect("static regex"));
    let has_candidate = (1..=src.line_count()).any(|n| {
        file.is_line_added(n)
            && src
                .line(n)
                .and_then(|l| fn_re.captures(l))
                .is_some_and(|c| apply_re.is_match(&c[1]))
    });
    if !has_candidate {
        return;
    }
    let Ok(mut lazy) = util::parse_rust_lazy(cx, src, util::Unread::FNS_ONLY) else {
        return;
    };
    // A fn's name and body span come from its signature and braces; only a body that may
    // declare fns of its own (nested items, impls) is parsed. A syntax error in another body
    // goes unseen where a whole-file parse would drop the file: more findings, never fewer.
    let nested_fn = |block: &syn::Block| {
        let braces = block.brace_token.span;
        let (open, close) = (braces.open().start(), braces.close().end());
        src.text()
            .get(src.offset(open.line, open.column)..src.offset(close.line, close.column))
            .is_some_and(|body| util::has_word(body, "fn"))
    };
    if util::fill_bodies(cx, &mut lazy, |_, block| nested_fn(block)).is_err() {
        return;
    }
    let mut fns = FnCollector {
        src,
        out: Vec::new(),
    };
    fns.visit_file(&lazy.file);
    for (name, name_span, body) in fns.out {
        if !apply_re.is_match(&name) || !file.is_line_added(src.line_of(name_span.start)) {
            continue;
        }
        let Some(body_text) = src.text().get(body) else {
            continue;
        };
        if seq_re.is_match(body_text) {
            continue;
        }
        if !is_new_name(file, &format!(r"\bfn\s+{}\b", regex::escape(&name))) {
            continue;
        }
        report_unguarded_fn(cx, inv, cfg, src, &name, name_span, out);
    }
}

/// Functions of a Rust file: (name, name span, body span).
struct FnCollector<'s> {
    src: &'s Source,
    out: Vec<(String, Range<usize>, Range<usize>)>,
}

impl FnCollector<'_> {
    fn push(&mut self, ident: &syn::Ident, block: &syn::Block) {
        let off = |lc: proc_macro2::LineColumn| self.src.offset(lc.line, lc.column);
        let name = off(ident.span().start())..off(ident.span().end());
        let braces = block.brace_token.span;
        let body = off(braces.open().start())..off(braces.close().end());
        self.out.push((util::ident_name(ident), name, body));
    }
}

impl<'ast> Visit<'ast> for FnCollector<'_> {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.push(&f.sig.ident, &f.block);
        syn::visit::visit_item_fn(self, f);
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.push(&f.sig.ident, &f.block);
        syn::visit::visit_impl_item_fn(self, f);
    }
}

fn new_other_apply_fns(
    cx: &Context<'_>,
    inv: &Invariant,
    cfg: &Settings,
    file: &FileChange,
    src: &Arc<Source>,
    out: &mut Findings,
) {
    let (Some((apply_re, _)), Some(seq_re)) = (&cfg.apply_functions, &cfg.seq_mention) else {
        return;
    };
    let mut seen: BTreeSet<usize> = BTreeSet::new();
    for hit in util::added_hits(file, src, &cfg.function_decls, true) {
        let pattern = &cfg.function_decls.items[hit.pattern];
        let Some(line) = src.line_range(hit.line) else {
            continue;
        };
        let line_text = &src.text()[line.clone()];
        let Some(name) = pattern
            .regex
            .captures_at(line_text, hit.span.start - line.start)
            .and_then(|c| c.name("name"))
        else {
            continue;
        };
        let name_span = line.start + name.start()..line.start + name.end();
        if !apply_re.is_match(name.as_str()) || !seen.insert(name_span.start) {
            continue;
        }
        let body = brace_body(src, name_span.end, cfg.max_body_lines);
        let body_text = &src.text()[body];
        // A dispatcher that hands the frame to a function of this file that reads the
        // sequence (`processUpdateBatch(frame.payload)`) consults it too (#18).
        let delegates = crate::analysis::calls::called_names(body_text)
            .into_iter()
            .filter(|callee| *callee != name.as_str())
            .filter_map(|callee| declaration_of(cfg, src, callee))
            .any(|at| seq_re.is_match(&src.text()[brace_body(src, at, cfg.max_body_lines)]));
        if seq_re.is_match(body_text) || delegates {
            continue;
        }
        if !is_new_name(file, &format!(r"\b{}\b", regex::escape(name.as_str()))) {
            continue;
        }
        report_unguarded_fn(cx, inv, cfg, src, name.as_str(), name_span, out);
    }
}

/// Where the name of the function `callee` ends in its declaration in `src` (`function-decls`).
fn declaration_of(cfg: &Settings, src: &Source, callee: &str) -> Option<usize> {
    cfg.function_decls.items.iter().find_map(|p| {
        p.regex.captures_iter(src.text()).find_map(|c| {
            c.name("name")
                .filter(|n| n.as_str() == callee)
                .map(|n| n.end())
        })
    })
}

/// The body after byte `from`: from the first `{` to its matching `}` (strings and comments
/// are not parsed), at most `max_lines` lines; without a `{` on the declaration line, the rest of
/// that line.
fn brace_body(src: &Source, from: usize, max_lines: usize) -> Range<usize> {
    let text = src.text();
    let first_line = src.line_of(from);
    let line_end = src
        .line_range(first_line)
        .map(|r| r.end)
        .unwrap_or(text.len());
    // A signature whose parameters go on over several lines (Swift, TypeScript) opens its
    // body on a later line, before any `;`.
    let open_parens = text[from..line_end].matches('(').count();
    let sig_end = if open_parens > text[from..line_end].matches(')').count() {
        src.line_range(first_line + 8).map_or(text.len(), |r| r.end)
    } else {
        line_end
    };
    let open = text[from..sig_end]
        .find(['{', ';'])
        .map(|i| from + i)
        .filter(|&i| text.as_bytes()[i] == b'{');
    let Some(open) = open else {
        return from..line_end;
    };
    let last_line = first_line + max_lines;
    let limit = src
        .line_range(last_line)
        .map(|r| r.end)
        .unwrap_or(text.len());
    let mut depth = 0usize;
    for (i, b) in text.as_bytes()[open..limit].iter().enumerate() {
        match b {
            b'{' => depth += 1,
            b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return open..open + i + 1;
                }
            }
            _ => {}
        }
    }
    open..limit
}

// ---------------------------------------------------------------------------------------------
// Ordering code changed without its tests.

fn untested_ordering_change(
    cx: &Context<'_>,
    inv: &Invariant,
    cfg: &Settings,
    flagged: &BTreeSet<String>,
    out: &mut Findings,
) {
    if cfg.ordering_paths.is_empty() {
        return;
    }
    let files = &cx.changes().files;
    let touches = |f: &FileChange, g: &GlobList| {
        g.is_match(&f.path) || f.old_path.as_deref().is_some_and(|p| g.is_match(p))
    };
    let mut untested: Vec<(&FileChange, ChangedLine)> = Vec::new();
    let mut tested = files.iter().any(|f| touches(f, &cfg.ordering_tests));
    for f in files
        .iter()
        .filter(|f| touches(f, &cfg.ordering_paths) && !f.is_binary)
    {
        let (code_line, test_touched) = classify_lines(cfg, f);
        tested |= test_touched;
        if let Some(line) = code_line {
            untested.push((f, line));
        }
    }
    if tested {
        return;
    }
    for (f, line) in untested {
        if flagged.contains(&*f.path) {
            continue;
        }
        let mut finding = Finding::new(
            inv,
            META.name,
            format!(
                "this change edits (topic, seq) ordering code in `{}` without touching its replay/ordering tests",
                f.path
            ),
        );
        let (src, line, label) = match line {
            ChangedLine::Head(n) => (f.head.source(), n, "ordering or apply code changed here"),
            ChangedLine::Base(n) => (f.base.source(), n, "ordering or apply code removed here"),
        };
        finding = match src {
            Some(src) => {
                let span = src.line_range(line).unwrap_or(0..0);
                let text = &src.text()[span.clone()];
                let span = span.start + (text.len() - text.trim_start().len())..span.end;
                finding.at(src, span, label)
            }
            None => finding.on_path(f.path.to_string()),
        };
        out.push(
            finding
                .level(cfg.test_level)
                .cite(
                    cx.policy(),
                    cfg.ordering_tests_span.clone(),
                    "the replay/ordering tests",
                )
                .help(format!(
                    "add or update a replay test for the changed behaviour (duplicate, stale and out-of-order frames) in {}, or in the file's own `#[cfg(test)]` module",
                    cfg.ordering_tests_text.join(", ")
                )),
        );
    }
}

/// A changed line: added at head, or removed from base.
#[derive(Debug, Clone, Copy)]
enum ChangedLine {
    Head(usize),
    Base(usize),
}

/// True when a changed line of an ordering file touches sequence or watermark logic
/// (`ordering-logic`; without it, every code line does).
fn is_ordering_logic(cfg: &Settings, line: &str) -> bool {
    cfg.ordering_logic
        .as_ref()
        .is_none_or(|re| re.is_match(line))
        || cfg.guards.set.is_match(line)
}

/// For an ordering file: the first changed code line (an added one if any, else a removed
/// one), and whether a line inside its inline test module changed.
fn classify_lines(cfg: &Settings, f: &FileChange) -> (Option<ChangedLine>, bool) {
    let test_start = |src: Option<&Arc<Source>>| test_region_start(cfg, src);
    let mut first_code: Option<ChangedLine> = None;
    let mut test_touched = false;
    let head = f.head.source().filter(|_| f.exists_at_head());
    let head_test = test_start(head);
    if let Some(src) = head {
        let lines: Vec<usize> = if f.is_all_added {
            (1..=src.line_count()).collect()
        } else {
            f.added().iter().flat_map(|r| r.clone()).collect()
        };
        for n in lines {
            let Some(text) = src.line(n) else { continue };
            if text.trim().is_empty() || is_comment_line(&f.path, text) {
                continue;
            }
            if n >= head_test {
                test_touched = true;
            } else if first_code.is_none() && is_ordering_logic(cfg, text) {
                first_code = Some(ChangedLine::Head(n));
            }
        }
    }
    let base = f.base.source();
    let base_test = test_start(base);
    if let Some(src) = base {
        for n in f.removed().iter().flat_map(|r| r.clone()) {
            let Some(text) = src.line(n) else { continue };
            if text.trim().is_empty() || is_comment_line(&f.path, text) {
                continue;
            }
            if n >= base_test {
                test_touched = true;
            } else if first_code.is_none() && is_ordering_logic(cfg, text) {
                first_code = Some(ChangedLine::Base(n));
            }
        }
    }
    (first_code, test_touched)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brace_body_spans_the_function() {
        let text = "function applyFrame(f) {\n  if (x) { y(); }\n  return f;\n}\nconst z = 1;\n";
        let src = Source::new("a.ts", text);
        let body = brace_body(&src, 19, 120);
        assert_eq!(&text[body], "{\n  if (x) { y(); }\n  return f;\n}");
        let arrow = Source::new("b.ts", "const applyFrame = (f) => store.set(f.id, f);\n");
        let body = brace_body(&arrow, 16, 120);
        assert!(arrow.text()[body].contains("store.set"));
    }
}
