//! The matchers a policy compiles to: glob lists and regexes whose syntax and size are checked
//! when the policy loads and which build on first use (most of a policy's hundreds of patterns
//! are never needed by a pre-commit run on one file), and the caps that bound them.

use std::ops::Range;

use globset::{GlobSet, GlobSetBuilder};

use crate::engine::glob_interp::Interp;
use regex::{Regex, RegexSet};
use serde::Deserialize;
use toml::Spanned;

/// A compiled glob list with the spans of its entries.
#[derive(Debug, Default)]
pub struct GlobList {
    include: LazyGlobSet,
    exclude: LazyGlobSet,
    include_entries: Vec<GlobEntry>,
    exclude_entries: Vec<GlobEntry>,
}

impl GlobList {
    /// Adds an include glob, checked by the caller.
    pub(crate) fn include(&mut self, glob: globset::Glob, entry: GlobEntry) {
        self.include.push(glob);
        self.include_entries.push(entry);
    }

    /// Adds an exclude glob (`!glob`), checked by the caller.
    pub(crate) fn exclude(&mut self, glob: globset::Glob, entry: GlobEntry) {
        self.exclude.push(glob);
        self.exclude_entries.push(entry);
    }
}

/// One glob entry as written in the policy.
#[derive(Debug, Clone)]
pub struct GlobEntry {
    /// The glob text.
    pub text: String,
    /// Its span in the policy file.
    pub span: Range<usize>,
}

/// Globs checked at load, matched as one `GlobSet` built on first use: a policy has ~100 glob
/// lists and building them all took most of its 40 ms load, while `check --staged` on one file
/// uses a handful.
#[derive(Debug, Default, Clone)]
struct LazyGlobSet {
    globs: Vec<globset::Glob>,
    /// One per glob: what a path must start and end with to match it. A path no anchor admits
    /// matches no glob, and the set is not built for it: `check --staged` on one file consults
    /// dozens of lists whose globs are under other directories or for other extensions, and
    /// building their sets was a quarter of the run (#19).
    anchors: Vec<Anchor>,
    /// One per glob: its regex read for [`Interp`], on first use.
    interps: Vec<std::sync::OnceLock<Option<Interp>>>,
    /// Paths asked about so far: the first [`INTERPRET_FIRST`] are answered without building
    /// the set.
    asked: Asked,
    cell: std::sync::OnceLock<BuiltGlobs>,
}

/// Paths a glob list answers by interpreting its globs before it builds its set: enough for a
/// pre-commit run or a typical diff, far fewer than a `check --all` asks (#19).
const INTERPRET_FIRST: usize = 64;

/// A count that a clone copies.
#[derive(Debug, Default)]
struct Asked(std::sync::atomic::AtomicUsize);

impl Clone for Asked {
    fn clone(&self) -> Asked {
        Asked(std::sync::atomic::AtomicUsize::new(
            self.0.load(std::sync::atomic::Ordering::Relaxed),
        ))
    }
}

/// A necessary condition for a path to match one glob: the glob's literal text before its first
/// and after its last special character. `/**/`, `**/` and `/**` may match no `/` at all (`a/**/b`
/// matches `a/b`, `**/b` matches `b`), so a `/` next to a special character is not required.
#[derive(Debug, Clone)]
struct Anchor {
    prefix: String,
    suffix: String,
    /// The glob has no special character: it matches exactly its text.
    exact: bool,
}

impl Anchor {
    /// Everything globset reads as syntax (with `backslash_escape`), and more: a character
    /// taken for syntax only shortens the literal ends, which weakens the condition.
    const SPECIAL: &'static [char] = &['*', '?', '[', ']', '{', '}', '\\'];

    fn of(glob: &str) -> Anchor {
        match (glob.find(Self::SPECIAL), glob.rfind(Self::SPECIAL)) {
            (Some(first), Some(last)) => {
                let prefix = &glob[..first];
                let suffix = &glob[last + 1..];
                Anchor {
                    prefix: prefix.strip_suffix('/').unwrap_or(prefix).to_string(),
                    suffix: suffix.strip_prefix('/').unwrap_or(suffix).to_string(),
                    exact: false,
                }
            }
            _ => Anchor {
                prefix: glob.to_string(),
                suffix: String::new(),
                exact: true,
            },
        }
    }

    fn admits(&self, path: &str) -> bool {
        let (path, prefix, suffix) = (
            path.as_bytes(),
            self.prefix.as_bytes(),
            self.suffix.as_bytes(),
        );
        if self.exact {
            return path.len() == prefix.len() && same(path, prefix);
        }
        path.len() >= prefix.len() + suffix.len()
            && same(&path[..prefix.len()], prefix)
            && same(&path[path.len() - suffix.len()..], suffix)
    }
}

/// `a == b` for two slices of one length, the last 8 bytes first and without a call to
/// `memcmp` up to 16 bytes. A `check --all` asks every glob list about every file, and the
/// paths under one directory share their first bytes with the prefixes of many globs: the
/// `memcmp` calls of `starts_with` and `ends_with` were ~3 % of its CPU on the real monorepo
/// (#19).
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    debug_assert_eq!(n, b.len());
    let word = |s: &[u8], at: usize| u64::from_le_bytes(s[at..at + 8].try_into().unwrap_or([0; 8]));
    match n {
        0..8 => a.iter().zip(b).all(|(x, y)| x == y),
        8..=16 => word(a, n - 8) == word(b, n - 8) && word(a, 0) == word(b, 0),
        _ => word(a, n - 8) == word(b, n - 8) && a == b,
    }
}

/// A glob set, or, when the combination of globs (each checked at load) exceeds globset's
/// limit, the globs one by one: slower, never "match nothing".
#[derive(Debug, Clone)]
enum BuiltGlobs {
    Set(GlobSet),
    Each(Vec<Option<GlobSet>>),
}

impl LazyGlobSet {
    fn push(&mut self, glob: globset::Glob) {
        self.anchors.push(Anchor::of(glob.glob()));
        self.interps.push(std::sync::OnceLock::new());
        self.globs.push(glob);
    }

    /// True while paths are answered by [`Interp`]: the set is not built and fewer than
    /// [`INTERPRET_FIRST`] paths were asked. Once built, no atomic is touched.
    fn interpreting(&self) -> bool {
        self.cell.get().is_none()
            && self
                .asked
                .0
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                < INTERPRET_FIRST
    }

    /// The globs that match `path`, by [`Interp`], among those whose anchors admit it (only
    /// they can match); `None` when one of those is not interpretable.
    fn interpret(&self, path: &str) -> Option<Vec<usize>> {
        let mut hits = Vec::new();
        for i in (0..self.anchors.len()).filter(|&i| self.anchors[i].admits(path)) {
            let m = self.interps[i]
                .get_or_init(|| Interp::new(self.globs[i].regex()))
                .as_ref()?;
            if m.is_match(path) {
                hits.push(i);
            }
        }
        Some(hits)
    }

    fn built(&self) -> &BuiltGlobs {
        self.cell.get_or_init(|| {
            let mut b = GlobSetBuilder::new();
            for g in &self.globs {
                b.add(g.clone());
            }
            match b.build() {
                Ok(set) => BuiltGlobs::Set(set),
                // One set per glob (`Glob::compile_matcher` would panic on a glob whose regex
                // does not build; a validating load rules that out, a trusted one may not).
                Err(_) => BuiltGlobs::Each(
                    self.globs
                        .iter()
                        .map(|g| {
                            let mut one = GlobSetBuilder::new();
                            one.add(g.clone());
                            one.build()
                                .map_err(|e| {
                                    compile_failed(format!(
                                        "the policy's glob `{}` does not build: {e}",
                                        g.glob()
                                    ))
                                })
                                .ok()
                        })
                        .collect(),
                ),
            }
        })
    }

    fn is_match(&self, path: &str) -> bool {
        // No allocation on this path: a `check --all` asks every list about every file.
        if !self.anchors.iter().any(|a| a.admits(path)) {
            return false;
        }
        if let Some(hits) = self.interpreting().then(|| self.interpret(path)).flatten() {
            return !hits.is_empty();
        }
        match self.built() {
            BuiltGlobs::Set(s) => s.is_match(path),
            BuiltGlobs::Each(v) => v.iter().flatten().any(|m| m.is_match(path)),
        }
    }

    fn matches(&self, path: &str) -> Vec<usize> {
        if !self.anchors.iter().any(|a| a.admits(path)) {
            return Vec::new();
        }
        if let Some(hits) = self.interpreting().then(|| self.interpret(path)).flatten() {
            return hits;
        }
        match self.built() {
            BuiltGlobs::Set(s) => s.matches(path),
            BuiltGlobs::Each(v) => (0..v.len())
                .filter(|&i| v[i].as_ref().is_some_and(|m| m.is_match(path)))
                .collect(),
        }
    }
}

impl GlobList {
    /// True when `path` matches an include entry and no exclude entry.
    pub fn is_match(&self, path: &str) -> bool {
        self.include.is_match(path) && !self.exclude.is_match(path)
    }

    /// The first include entry that matches `path` (for citations).
    pub fn matching_entry(&self, path: &str) -> Option<&GlobEntry> {
        self.include
            .matches(path)
            .first()
            .map(|&i| &self.include_entries[i])
    }

    /// Where every path this list matches lies: for each include glob, the directory its
    /// literal start names (`apps/runtime/` for `apps/runtime/src/**/api.rs`), or its whole
    /// text when it has no special character. `None` when a glob may match anywhere (`**/x`).
    pub fn roots(&self) -> Option<Vec<String>> {
        self.include
            .globs
            .iter()
            .map(|g| {
                let glob = g.glob();
                match glob.find(Anchor::SPECIAL) {
                    None => Some(glob.to_string()),
                    Some(first) => glob[..first]
                        .rfind('/')
                        .map(|slash| glob[..=slash].to_string()),
                }
            })
            .collect()
    }

    /// True when the list has no include entry.
    pub fn is_empty(&self) -> bool {
        self.include_entries.is_empty()
    }

    /// The entries as written, includes then excludes.
    pub fn entries(&self) -> impl Iterator<Item = &GlobEntry> {
        self.include_entries.iter().chain(&self.exclude_entries)
    }
}

/// A named pattern as written in the policy.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawPattern {
    /// Stable id, shown in findings.
    pub id: Spanned<String>,
    /// Rust regex matched against one added line.
    pub regex: Spanned<String>,
    /// What a match means, for the label ("an SSE client").
    pub what: Spanned<String>,
    /// Optional second regex that must match within `within` lines for the hit to count.
    pub near: Option<Spanned<String>>,
    /// Window for `near`, in lines either side (default 5).
    pub within: Option<usize>,
}

/// A compiled named pattern.
#[derive(Debug)]
pub struct Pattern {
    /// Stable id.
    pub id: String,
    /// The regex.
    pub regex: LazyRegex,
    /// What a match means.
    pub what: String,
    /// Companion regex, if any.
    pub near: Option<LazyRegex>,
    /// Window for `near`.
    pub within: usize,
    /// Span of the regex in the policy file.
    pub span: Range<usize>,
}

/// A regex whose syntax is checked when the policy loads and which is compiled on first use:
/// a policy holds hundreds of patterns, most of which a pre-commit run on one file never needs,
/// and compiling them all cost ~70 ms per run. Derefs to [`Regex`].
#[derive(Debug)]
pub struct LazyRegex {
    pub(crate) text: String,
    cell: std::sync::OnceLock<Regex>,
}

impl LazyRegex {
    /// A lazy regex over `text`; the caller has checked its syntax.
    pub fn new(text: &str) -> LazyRegex {
        LazyRegex {
            text: text.to_string(),
            cell: std::sync::OnceLock::new(),
        }
    }
}

impl LazyRegex {
    /// True when the pattern has a capture group named `name`, read from the parsed pattern
    /// without compiling it (validation runs on every load, matching only when a file needs it).
    pub fn has_capture(&self, name: &str) -> bool {
        fn walk(hir: &regex_syntax::hir::Hir, name: &str) -> bool {
            use regex_syntax::hir::HirKind;
            match hir.kind() {
                HirKind::Capture(c) => c.name.as_deref() == Some(name) || walk(&c.sub, name),
                HirKind::Repetition(r) => walk(&r.sub, name),
                HirKind::Concat(v) | HirKind::Alternation(v) => v.iter().any(|h| walk(h, name)),
                _ => false,
            }
        }
        regex_syntax::ParserBuilder::new()
            .build()
            .parse(&self.text)
            .is_ok_and(|hir| walk(&hir, name))
    }

    /// True when the pattern parses and asserts nothing but word boundaries (`\b`): no `^`,
    /// `$`, `\B` or half boundaries. Whether a match in a slice of a text is a match in the
    /// whole text then depends only on the `\b` tests at the slice's two ends (INV-02's gate).
    pub fn only_word_boundaries(&self) -> bool {
        use regex_syntax::hir::Look;
        regex_syntax::ParserBuilder::new()
            .build()
            .parse(&self.text)
            .is_ok_and(|hir| {
                hir.properties()
                    .look_set()
                    .iter()
                    .all(|look| matches!(look, Look::WordAscii | Look::WordUnicode))
            })
    }

    /// Number of capture groups, group 0 (the whole match) included, as `Regex::captures_len`
    /// counts them, read from the parsed pattern without compiling it; 0 when it does not parse.
    pub fn group_count(&self) -> usize {
        regex_syntax::ParserBuilder::new()
            .build()
            .parse(&self.text)
            .map_or(0, |hir| {
                hir.properties().explicit_captures_len().saturating_add(1)
            })
    }
}

/// One glob, parsed when the policy loads and compiled on its first match (see [`LazyRegex`]):
/// the plane map's table and path globs, INV-06's sync-metadata tables. A one-glob
/// [`LazyGlobSet`]: its anchor turns most names away unbuilt, and a glob whose regex does not
/// build (`Glob::compile_matcher` would panic) matches nothing and is a compile failure, an
/// incomplete result, as in the glob lists.
#[derive(Debug, Clone)]
pub struct LazyGlob(LazyGlobSet);

impl LazyGlob {
    /// A lazy matcher over a built (syntax-checked) glob.
    pub fn new(glob: globset::Glob) -> LazyGlob {
        let mut set = LazyGlobSet::default();
        set.push(glob);
        LazyGlob(set)
    }

    /// True when `text` matches.
    pub fn is_match(&self, text: &str) -> bool {
        self.0.is_match(text)
    }
}

/// Caps on what a policy may ask the matchers to build (README, "The policy file"; also in the
/// schema): bigger is a load error with a span, never an empty matcher.
pub const MAX_PATTERNS: usize = 256;
/// Longest regex, in bytes.
pub const MAX_REGEX_LEN: usize = 4096;
/// Longest glob, in bytes.
pub const MAX_GLOB_LEN: usize = 1024;
/// Largest NFA one regex or glob may compile to.
pub const MAX_REGEX_NFA: usize = 1 << 20;
/// Largest NFA one pattern list may compile to, matched as one set.
pub const MAX_SET_NFA: usize = 8 << 20;
/// Runtime limit for building what load validated (larger than any validated size).
const RUNTIME_SIZE_LIMIT: usize = 256 << 20;

/// Builds the Thompson NFA of `hirs` (as one set) under `limit` bytes. One compiler per thread
/// and limit is reused: a fresh one allocates its UTF-8 suffix cache (10,000 entries) on its
/// first Unicode class, which was a tenth of a policy load.
pub(crate) fn nfa_within(hirs: &[regex_syntax::hir::Hir], limit: usize) -> Result<(), String> {
    use regex_automata::nfa::thompson::{Compiler, Config};
    thread_local! {
        static COMPILERS: std::cell::RefCell<Vec<(usize, Compiler)>> =
            const { std::cell::RefCell::new(Vec::new()) };
    }
    let refs: Vec<&regex_syntax::hir::Hir> = hirs.iter().collect();
    COMPILERS.with(|c| {
        let mut c = c.borrow_mut();
        let at = match c.iter().position(|(l, _)| *l == limit) {
            Some(at) => at,
            None => {
                let mut compiler = Compiler::new();
                compiler.configure(Config::new().nfa_size_limit(Some(limit)).shrink(false));
                c.push((limit, compiler));
                c.len() - 1
            }
        };
        c[at].1.build_many_from_hir(&refs).map(|_| ()).map_err(|e| {
            format!(
                "{e}: compiled size exceeds the size limit of {} KiB",
                limit >> 10
            )
        })
    })
}

/// Patterns and globs that failed to build at first use, as messages: none can after a
/// validating load, so one here means the load trusted a validated-policy cache entry that
/// was wrong (`engine::policy_cache`). The pipeline reports each as an incomplete-result note:
/// a pattern that cannot build never silently matches nothing.
static COMPILE_FAILURES: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

fn compile_failed(message: String) {
    COMPILE_FAILURES
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(message);
}

/// The build failures recorded so far in this process (see `COMPILE_FAILURES`), sorted.
pub fn compile_failures() -> Vec<String> {
    let mut v = COMPILE_FAILURES
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    v.sort();
    v.dedup();
    v
}

/// Matches nothing: what a pattern becomes in the one case syntax checking cannot foresee (a
/// regex over the compiled-size limit), so that a bad pattern never matches everything.
fn never() -> Regex {
    Regex::new(r"[^\s\S]").expect("static regex")
}

impl std::ops::Deref for LazyRegex {
    type Target = Regex;
    fn deref(&self) -> &Regex {
        self.cell.get_or_init(|| {
            // Sized at load (`nfa_within`); the runtime limit only has to exceed that.
            regex::RegexBuilder::new(&self.text)
                .size_limit(RUNTIME_SIZE_LIMIT)
                .build()
                .unwrap_or_else(|e| {
                    compile_failed(format!(
                        "the policy's regex `{}` does not build: {e}",
                        self.text
                    ));
                    never()
                })
        })
    }
}

/// A `RegexSet` over a pattern list, built on first use (see [`LazyRegex`]).
#[derive(Debug)]
pub struct LazySet {
    texts: Vec<String>,
    cell: std::sync::OnceLock<RegexSet>,
}

impl LazySet {
    /// A set over `texts`, whose syntax and size the caller checked.
    pub(crate) fn new(texts: Vec<String>) -> LazySet {
        LazySet {
            texts,
            cell: std::sync::OnceLock::new(),
        }
    }
}

impl std::ops::Deref for LazySet {
    type Target = RegexSet;
    fn deref(&self) -> &RegexSet {
        self.cell.get_or_init(|| {
            // Sized at load (`nfa_within` over the whole list); the runtime limit only has to
            // exceed that. Syntax was checked too, so this cannot fail on a loaded policy.
            regex::RegexSetBuilder::new(&self.texts)
                .size_limit(RUNTIME_SIZE_LIMIT)
                .build()
                .unwrap_or_else(|e| {
                    compile_failed(format!(
                        "a pattern list of the policy ({} patterns) does not build: {e}",
                        self.texts.len()
                    ));
                    RegexSet::empty()
                })
        })
    }
}

/// Compiled patterns plus a `RegexSet` prefilter.
#[derive(Debug)]
pub struct PatternList {
    /// In policy order.
    pub items: Vec<Pattern>,
    /// All regexes at once, to reject a line in one pass.
    pub set: LazySet,
    /// Their context-free superset: one DFA pass over a file picks the lines to match (#19).
    pub prefilter: crate::engine::prefilter::Prefilter,
    /// When some patterns have a `near`: a superset of every `near`, and the superset of the
    /// patterns without one ([`PatternList::prefilter_for`]).
    pub unconditional: Option<(
        crate::engine::prefilter::Prefilter,
        crate::engine::prefilter::Prefilter,
    )>,
}

impl PatternList {
    /// True when there are no patterns.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The prefilter that picks the lines of `text` worth matching: [`PatternList::prefilter`],
    /// or, where no pattern's `near` matches anywhere in `text`, the superset of the patterns
    /// without a `near` alone. A pattern with a `near` counts only where its `near` matches
    /// within a few lines, so in such a text it has no hit, and leaving it out loses none. It
    /// keeps a common word out of the literal gate: INV-02's `socket-json-frame` needs `type`,
    /// `event` or `op` at a line's start, which is on most lines of a TypeScript file, but it
    /// counts only near a `.send(` (#19). Where the list's prefilter is fast anyway (INV-03's),
    /// the pass for the `near`s would only add to it.
    pub fn prefilter_for(&self, text: &str) -> &crate::engine::prefilter::Prefilter {
        match &self.unconditional {
            Some((near, rest)) if !self.prefilter.is_fast() && !near.may_match(text) => rest,
            _ => &self.prefilter,
        }
    }
}

#[cfg(test)]
mod tests;
