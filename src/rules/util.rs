//! Helpers shared by checks: matching patterns on the lines a change adds, recognising comment
//! lines by file type, and the bounded parsers (syn, protox-parse) that refuse what is
//! [`too_deep`] to parse safely. [`Prefilter`] (the one pass over a file's text that picks the
//! lines worth matching exactly) lives in the engine, with the pattern lists that carry it.

use std::ops::Range;

pub mod lazy_rust;

pub use lazy_rust::{LazyFile, Outline, Unread};

pub use crate::engine::depth::{too_deep, MAX_CHAIN, MAX_NESTING};
pub use crate::engine::prefilter::Prefilter;

use crate::engine::check::Context;
use crate::engine::config::PatternList;
use crate::engine::diff::FileChange;
use crate::engine::source::Source;

/// A check's `inline-test-marker`: the line that starts a Rust file's inline test module (hits
/// from it on are test code). Its lines are picked by a [`Prefilter`] over the marker and tested
/// in order: a regex call on every line of every Rust file, until one matched, was ~5 % of
/// `check --all` on the 2,506-file tree (#19).
#[derive(Debug)]
pub struct TestMarker {
    regex: crate::engine::config::LazyRegex,
    prefilter: Prefilter,
    /// Whether the marker can match the empty string somewhere: the prefilter picks lines with
    /// a non-empty match only, so such a marker is tried on every line.
    may_be_empty: std::sync::OnceLock<bool>,
}

impl TestMarker {
    /// The marker `regex` (checked by the policy's validation).
    pub fn new(regex: crate::engine::config::LazyRegex) -> TestMarker {
        TestMarker {
            prefilter: Prefilter::new(vec![regex.text.clone()]),
            regex,
            may_be_empty: std::sync::OnceLock::new(),
        }
    }

    /// The marker a check's `inline-test-marker` setting names, if set and valid.
    pub fn compile(
        v: &mut crate::engine::validator::Validator,
        raw: &Option<toml::Spanned<String>>,
    ) -> Option<TestMarker> {
        raw.as_ref().and_then(|r| v.regex(r)).map(TestMarker::new)
    }

    /// The first line of `src` the marker matches, or `usize::MAX`.
    pub fn start(&self, src: &Source) -> usize {
        let matches = |n: usize| src.line(n).is_some_and(|l| self.regex.is_match(l));
        let may_be_empty = *self.may_be_empty.get_or_init(|| {
            regex_syntax::parse(&self.regex.text).map_or(true, |h| {
                h.properties().minimum_len().is_none_or(|n| n == 0)
            })
        });
        if may_be_empty {
            return (1..=src.line_count())
                .find(|&n| matches(n))
                .unwrap_or(usize::MAX);
        }
        let mut first = usize::MAX;
        self.prefilter.for_each_line(src, 0..src.text().len(), |n| {
            if first == usize::MAX && matches(n) {
                first = n;
            }
        });
        first
    }
}

/// One pattern match on an added line.
#[derive(Debug, Clone)]
pub struct Hit {
    /// Byte span of the match in the head text.
    pub span: Range<usize>,
    /// 1-based head line.
    pub line: usize,
    /// The matched text.
    pub text: String,
    /// Index into `PatternList::items`.
    pub pattern: usize,
}

/// Matches of `patterns` on the lines `file` adds, in text order. Lines that are comments in
/// their file's language are skipped when `skip_comments` is set. A pattern with `near` counts
/// only when `near` matches within `within` lines of the hit.
pub fn added_hits(
    file: &FileChange,
    src: &Source,
    patterns: &PatternList,
    skip_comments: bool,
) -> Vec<Hit> {
    hits_on(file, src, patterns, skip_comments, None)
}

/// [`added_hits`] on `candidates` only: the lines of the whole text (in order) that a
/// [`Prefilter`] over a superset of `patterns` picked. A check that matches several lists
/// runs one pass for all of them this way, instead of one per list (INV-08, #19).
pub fn added_hits_on(
    file: &FileChange,
    src: &Source,
    patterns: &PatternList,
    skip_comments: bool,
    candidates: &[usize],
) -> Vec<Hit> {
    hits_on(file, src, patterns, skip_comments, Some(candidates))
}

fn hits_on(
    file: &FileChange,
    src: &Source,
    patterns: &PatternList,
    skip_comments: bool,
    candidates: Option<&[usize]>,
) -> Vec<Hit> {
    let mut hits = Vec::new();
    if patterns.is_empty() {
        return hits;
    }
    let comment = if skip_comments {
        comment_markers(&file.path)
    } else {
        &[]
    };
    let scan_line = |line_no: usize, hits: &mut Vec<Hit>| {
        let Some(range) = src.line_range(line_no) else {
            return;
        };
        let line = &src.text()[range.clone()];
        let matched = patterns.set.matches(line);
        if !matched.matched_any() {
            return;
        }
        if is_comment(line, comment) {
            return;
        }
        for idx in matched.iter() {
            let p = &patterns.items[idx];
            if let Some(near) = &p.near {
                let lo = line_no.saturating_sub(p.within).max(1);
                let hi = line_no + p.within;
                let found = (lo..=hi).any(|n| src.line(n).is_some_and(|l| near.is_match(l)));
                if !found {
                    continue;
                }
            }
            for m in p.regex.find_iter(line) {
                if m.as_str().is_empty() {
                    continue;
                }
                hits.push(Hit {
                    span: range.start + m.start()..range.start + m.end(),
                    line: line_no,
                    text: m.as_str().to_string(),
                    pattern: idx,
                });
            }
        }
    };
    // Only lines where the context-free superset of the patterns matches can hold a hit: one
    // DFA pass over the file (or the added lines) instead of the exact set on every line.
    if let Some(lines) = candidates {
        // A line with a hit is one where a match of the superset starts: the pass over the
        // whole text picked it, whether or not the lines around it are added.
        if file.is_all_added {
            lines.iter().for_each(|&n| scan_line(n, &mut hits));
        } else if !lines.is_empty() {
            // The ranges are sorted and apart: a binary search per line, not a scan of every
            // hunk (a file with thousands of hunks and of candidate lines).
            let added = file.added();
            let is_added = |n: usize| {
                let i = added.partition_point(|r| r.end <= n);
                added.get(i).is_some_and(|r| r.contains(&n))
            };
            lines
                .iter()
                .filter(|&&n| is_added(n))
                .for_each(|&n| scan_line(n, &mut hits));
        }
    } else {
        // Chosen once per file: it may read the whole text for the patterns' `near`s.
        let prefilter = patterns.prefilter_for(src.text());
        if file.is_all_added {
            prefilter.for_each_line(src, 0..src.text().len(), |line_no| {
                scan_line(line_no, &mut hits)
            });
        } else if prefilter.may_match(src.text()) {
            // Only then the hunks: a file the superset matches nowhere has no hit on any added
            // line, and its hunks (made on first use) are skipped; a changed lock file's were a
            // fifth of `check --base` on the 11,629-file tree (#19).
            for r in file.added() {
                let (Some(first), Some(last)) = (
                    src.line_range(r.start),
                    src.line_range(r.end.saturating_sub(1)),
                ) else {
                    continue;
                };
                prefilter.for_each_line(src, first.start..last.end, |line_no| {
                    scan_line(line_no, &mut hits)
                });
            }
        }
    }
    hits.sort_by_key(|h| (h.span.start, h.pattern));
    hits
}

/// `a`, `a and b`, `a, b and c`.
pub fn and_list(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// Line-comment markers for a path, by extension.
pub fn comment_markers(path: &str) -> &'static [&'static str] {
    let ext = path.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    match ext {
        "rs" | "ts" | "tsx" | "js" | "jsx" | "mjs" | "cjs" | "go" | "java" | "kt" | "swift"
        | "c" | "h" | "cc" | "cpp" | "proto" | "scss" | "dart" => &["//", "/*", "*"],
        "php" => &["//", "#", "/*", "*"],
        "sh" | "bash" | "zsh" | "py" | "rb" | "yaml" | "yml" | "toml" | "ex" | "exs" | "mk" => {
            &["#"]
        }
        "sql" => &["--", "/*", "*"],
        _ if path.ends_with("Makefile") || path.ends_with("Dockerfile") => &["#"],
        _ => &[],
    }
}

/// True when `line` starts (after indentation) with one of the comment `markers`
/// ([`comment_markers`]); Rust attributes (`#[..]`, `#![..]`) are not comments.
pub fn is_comment(line: &str, markers: &[&str]) -> bool {
    let t = line.trim_start();
    // `#[attr]` and `#!` are Rust attributes / shebangs, not comments.
    markers.iter().any(|m| t.starts_with(m)) && !t.starts_with("#[") && !t.starts_with("#![")
}

/// True when `span` (within `line_text` starting at `line_start`) lies inside an occurrence of
/// one of `identifiers` as a whole word.
pub fn within_identifier(text: &str, span: &Range<usize>, identifiers: &[String]) -> bool {
    identifiers.iter().any(|ident| {
        if ident.is_empty() {
            return false;
        }
        let lo = span.start.saturating_sub(ident.len());
        let hi = (span.end + ident.len()).min(text.len());
        let (Some(window), true) = (text.get(lo..hi), text.is_char_boundary(lo)) else {
            return false;
        };
        window.match_indices(ident.as_str()).any(|(i, _)| {
            let s = lo + i;
            let e = s + ident.len();
            s <= span.start && e >= span.end && is_word_boundary(text, s, e)
        })
    })
}

/// True when `text` holds `word` as a whole word (not inside a longer identifier), in code,
/// strings or comments alike: a superset test for "may declare `fn`/`enum`".
pub fn has_word(text: &str, word: &str) -> bool {
    !word.is_empty()
        && memchr::memmem::find_iter(text.as_bytes(), word.as_bytes())
            .any(|s| is_word_boundary(text, s, s + word.len()))
}

fn is_word_boundary(text: &str, s: usize, e: usize) -> bool {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let before = text[..s].chars().next_back().is_none_or(|c| !is_word(c));
    let after = text[e..].chars().next().is_none_or(|c| !is_word(c));
    before && after
}

/// Parses a `.proto` file with protox-parse; a file [`too_deep`] to parse safely is an error
/// (its message, and the error's byte span when it has one).
#[allow(clippy::result_large_err)]
pub fn parse_proto(
    name: &str,
    text: &str,
) -> Result<prost_types::FileDescriptorProto, (String, Option<Range<usize>>)> {
    if let Some(why) = too_deep(text) {
        return Err((why, None));
    }
    protox_parse::parse(name, text).map_err(|e| (e.to_string(), e.span()))
}

/// The run's counter of Rust files parsed with syn (`check --stats`: the prefilters should keep
/// it a small share of the `.rs` files a change touches).
pub const SYN_PARSES: &str = "syn parses";

/// Parses a Rust file with syn, counting the parse in `cx` ([`SYN_PARSES`]). Call only after a
/// cheap text prefilter. A file [`too_deep`] to parse safely is an error, as a syntax error
/// would be.
pub fn parse_rust(cx: &Context<'_>, text: &str) -> syn::Result<syn::File> {
    let parsed = parse_rust_bounded(text);
    if parsed.as_ref().map_or_else(|e| !is_refusal(e), |_| true) {
        cx.count(SYN_PARSES, 1);
    }
    parsed
}

/// The run's counters of fn bodies: parsed on demand ([`fill_bodies`]), and left unparsed
/// because no check needed them (`check --stats`).
pub const SYN_BODIES_PARSED: &str = "syn fn bodies parsed";
/// See [`SYN_BODIES_PARSED`].
pub const SYN_BODIES_SKIPPED: &str = "syn fn bodies skipped";

/// The name an identifier spells, without the `r#` of a raw identifier: `r#ClientMessage`
/// declares the type `ClientMessage`, and a pattern over names (`^Client\w*Message$`) must
/// see that, or a change could rename its way past a check.
pub fn ident_name(ident: &syn::Ident) -> String {
    use syn::ext::IdentExt as _;
    ident.unraw().to_string()
}

/// [`ident_name`] of an identifier's source text (as rustc's lexer gives it).
pub fn unraw(name: &str) -> &str {
    name.strip_prefix("r#").unwrap_or(name)
}

/// Rust files a check's [`Unread::gate`] turned away after lexing, before syn (INV-02: no
/// `match` in a WebSocket fn, no inbound message enum).
pub const SYN_GATED: &str = "syn parses gated out";

/// [`parse_rust`] with fn bodies deferred ([`LazyFile`]): counts in [`SYN_PARSES`] as a parse;
/// fill the bodies a check needs with [`fill_bodies`]. Call only after a cheap text prefilter.
pub fn parse_rust_lazy<'t>(
    cx: &Context<'_>,
    src: &'t Source,
    unread: Unread<'_>,
) -> syn::Result<LazyFile<'t>> {
    let parsed = LazyFile::parse_guarded(src.text(), src.too_deep(), unread);
    match &parsed {
        Ok(lazy) if lazy.is_gated() => cx.count(SYN_GATED, 1),
        Ok(_) => cx.count(SYN_PARSES, 1),
        Err(e) if !is_refusal(e) => cx.count(SYN_PARSES, 1),
        Err(_) => {}
    }
    parsed
}

/// [`LazyFile::fill`], counting the bodies parsed, and those still unparsed when `lazy` is
/// dropped after this call, in `cx` ([`SYN_BODIES_PARSED`], [`SYN_BODIES_SKIPPED`]).
pub fn fill_bodies(
    cx: &Context<'_>,
    lazy: &mut LazyFile<'_>,
    want: impl FnMut(&syn::Signature, &syn::Block) -> bool,
) -> syn::Result<()> {
    let filled = lazy.fill(want);
    if let Ok(n) = &filled {
        cx.count(SYN_BODIES_PARSED, *n);
    }
    cx.count(SYN_BODIES_SKIPPED, lazy.deferred());
    filled.map(|_| ())
}

/// [`LazyFile::check_all`], counting the bodies parsed as [`fill_bodies`] does: the answer of
/// `fill_bodies(cx, lazy, |_, _| true)` for a caller that reads no body.
pub fn check_bodies(cx: &Context<'_>, lazy: &mut LazyFile<'_>) -> syn::Result<()> {
    let deferred = lazy.deferred();
    let checked = lazy.check_all();
    let parsed = *checked.as_ref().unwrap_or(&0);
    cx.count(SYN_BODIES_PARSED, parsed);
    cx.count(SYN_BODIES_SKIPPED, deferred.saturating_sub(parsed));
    checked.map(|_| ())
}

/// [`parse_rust`] without the count: syn, unless the text is [`too_deep`] to parse safely.
pub fn parse_rust_bounded(text: &str) -> syn::Result<syn::File> {
    if let Some(why) = too_deep(text) {
        return Err(syn::Error::new(proc_macro2::Span::call_site(), why));
    }
    syn::parse_file(text)
}

/// True for the error [`parse_rust_bounded`] returns without parsing.
fn is_refusal(e: &syn::Error) -> bool {
    e.to_string().starts_with("not parsed: ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_test_marker_finds_the_first_line_a_scan_of_every_line_finds() {
        let texts = [
            "fn a() {}\n#[cfg(test)]\nmod tests {}\n",
            "fn a() {}\r\n  #[cfg(test)]\r\nmod t {}\r\n    #[cfg(test)]\n",
            "// #[cfg(test)] in a comment\nfn a() {}\n",
            "fn a() {}\n\nfn b() {}",
            "",
            "#[cfg(test)]",
            "x #[cfg( test )]\n  #[cfg( test )]\n",
        ];
        // The default marker, one that matches within a line, and ones that can match the
        // empty string (every line, or only empty lines, or at a word boundary).
        let markers = [
            r"^\s*#\[cfg\(\s*test\s*\)\]",
            r"cfg\(test",
            r"^\s*",
            r"^$",
            r"\b",
        ];
        for marker in markers {
            let tm = TestMarker::new(crate::engine::config::LazyRegex::new(marker));
            let re = regex::Regex::new(marker).unwrap();
            for text in texts {
                let src = Source::new("a.rs", text);
                let scan = (1..=src.line_count())
                    .find(|&n| src.line(n).is_some_and(|l| re.is_match(l)))
                    .unwrap_or(usize::MAX);
                assert_eq!(tm.start(&src), scan, "{marker:?} on {text:?}");
            }
        }
    }

    #[test]
    fn rust_parses_are_bounded() {
        assert!(parse_rust_bounded("fn f(v: Vec<Option<u8>>) -> u8 { v[0].unwrap_or(0) }").is_ok());
        let returns = format!("fn f() {{ {}1; }}", "return ".repeat(MAX_CHAIN + 1));
        let refused = parse_rust_bounded(&returns).err().expect("refused");
        assert!(is_refusal(&refused), "{refused}");
        assert!(!is_refusal(
            &parse_rust_bounded("fn (").err().expect("a syntax error")
        ));
    }

    #[test]
    fn whole_words() {
        assert!(has_word("{ fn f() {} }", "fn"));
        assert!(has_word("fn", "fn"));
        assert!(!has_word("{ fnord(); a_fn(); fn_x; }", "fn"));
        assert!(has_word("x(); enum E {}", "enum"));
        assert!(!has_word("énum", "num"));
        assert!(!has_word("anything", ""));
    }

    #[test]
    fn identifier_window() {
        let text = "const KHALA_POLL_INTERVAL = 4;";
        let s = text.find("POLL").unwrap();
        assert!(within_identifier(
            text,
            &(s..s + 4),
            &["KHALA_POLL_INTERVAL".into()]
        ));
        assert!(!within_identifier(
            text,
            &(s..s + 4),
            &["POLL_INTERVAL_X".into()]
        ));
        assert!(!within_identifier(
            text,
            &(0..5),
            &["KHALA_POLL_INTERVAL".into()]
        ));
    }

    #[test]
    fn comments_by_extension() {
        assert!(is_comment("   // EventSource", comment_markers("a.ts")));
        assert!(!is_comment("#[derive(Debug)]", comment_markers("a.rs")));
        assert!(is_comment("# poll", comment_markers("deploy.sh")));
        assert!(!is_comment("new EventSource(x)", comment_markers("a.ts")));
    }
}
