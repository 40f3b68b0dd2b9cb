//! Helpers shared by checks: matching patterns on the lines a change adds, recognising comment
//! lines by file type, and [`Prefilter`], the one pass over a file's text that picks the lines
//! worth matching exactly.

use std::ops::Range;
use std::sync::OnceLock;

use regex_automata::meta;
use regex_automata::Input;
use regex_syntax::hir::{Class, Hir, HirKind, Look};

use crate::engine::config::PatternList;
use crate::engine::diff::FileChange;
use crate::engine::source::Source;

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
    if file.is_all_added {
        patterns
            .prefilter
            .for_each_line(src, 0..src.text().len(), |line_no| {
                scan_line(line_no, &mut hits)
            });
    } else {
        for r in &file.added {
            let (Some(first), Some(last)) = (
                src.line_range(r.start),
                src.line_range(r.end.saturating_sub(1)),
            ) else {
                continue;
            };
            patterns
                .prefilter
                .for_each_line(src, first.start..last.end, |line_no| {
                    scan_line(line_no, &mut hits)
                });
        }
    }
    hits.sort_by_key(|h| (h.span.start, h.pattern));
    hits
}

/// A context-free superset of a list of regexes, searched with one DFA pass: every look-around
/// (`\b`, `^`, `$`) is dropped and capture groups are flattened, so whatever an exact pattern
/// matches on a line, the prefilter matches too, whatever the surrounding text.
///
/// Why: Unicode `\b` makes the regex crate's lazy DFA give up at the first non-ASCII byte and
/// fall back to the PikeVM, which on a whole file is ~50x slower (`perf`: 40% of `check --all`
/// on the real monorepo went to `PikeVM::search_imp` and `try_is_word_character`, see
/// bench/RESULTS.md). Without look-arounds the DFA never quits, and the exact patterns then
/// run only on the few lines the prefilter picks, where the PikeVM costs little. See #19.
#[derive(Debug)]
pub struct Prefilter {
    texts: Vec<String>,
    cell: OnceLock<Compiled>,
}

#[derive(Debug)]
struct Compiled {
    /// `None` when a pattern does not parse or the superset does not build: every line is
    /// then a candidate (never "match nothing").
    relaxed: Option<meta::Regex>,
    /// No pattern can match `\n` or `\r` or uses a text anchor, so a whole-text match is a
    /// match within one line.
    is_line_local: bool,
}

impl Prefilter {
    /// A prefilter over `texts` (built on first use, like the patterns themselves).
    pub fn new(texts: Vec<String>) -> Prefilter {
        Prefilter {
            texts,
            cell: OnceLock::new(),
        }
    }

    fn compiled(&self) -> &Compiled {
        self.cell.get_or_init(|| {
            let parser = regex_syntax::ParserBuilder::new();
            let hirs: Option<Vec<Hir>> = self
                .texts
                .iter()
                .map(|t| parser.build().parse(t).ok())
                .collect();
            let Some(hirs) = hirs else {
                return Compiled {
                    relaxed: None,
                    is_line_local: false,
                };
            };
            let is_line_local = hirs.iter().all(is_line_local);
            let relaxed: Vec<Hir> = hirs.iter().map(relax).collect();
            let relaxed = meta::Regex::builder()
                .configure(
                    meta::Regex::config()
                        .which_captures(regex_automata::nfa::thompson::WhichCaptures::Implicit)
                        .nfa_size_limit(Some(8 << 20)),
                )
                .build_many_from_hir(&relaxed)
                .ok();
            Compiled {
                relaxed,
                is_line_local,
            }
        })
    }

    /// Calls `f` with each 1-based line of `src` within `region` (a run of whole lines) that may
    /// hold a non-empty match of one of the patterns, in order, each line once.
    pub fn for_each_line(&self, src: &Source, region: Range<usize>, mut f: impl FnMut(usize)) {
        let text = src.text();
        let Some(re) = &self.compiled().relaxed else {
            let (first, last) = (src.line_of(region.start), src.line_of(region.end));
            (first..=last.min(src.line_count())).for_each(f);
            return;
        };
        // An empty line holds no hit: hits are non-empty matches.
        let mut at = region.start;
        while at < region.end {
            let Some(m) = re.find(Input::new(text).span(at..region.end)) else {
                return;
            };
            let line = src.line_of(m.start());
            f(line);
            match src.line_range(line + 1) {
                Some(next) => at = next.start,
                None => return,
            }
        }
    }

    /// True when the prefilter matches somewhere in `text`: false means no pattern can match.
    pub fn may_match(&self, text: &str) -> bool {
        self.compiled()
            .relaxed
            .as_ref()
            .is_none_or(|re| re.is_match(text))
    }

    /// `exact.is_match(text)`, where `exact` is the alternation of this prefilter's patterns
    /// (or any regex they are a superset of), without running `exact` over the whole text when
    /// a match is known to stay within one line.
    pub fn is_match(&self, text: &str, exact: &regex::Regex) -> bool {
        let c = self.compiled();
        let Some(re) = &c.relaxed else {
            return exact.is_match(text);
        };
        if !c.is_line_local {
            return re.is_match(text) && exact.is_match(text);
        }
        let mut at = 0;
        while at <= text.len() {
            let Some(m) = re.find(Input::new(text).span(at..text.len())) else {
                return false;
            };
            let bytes = text.as_bytes();
            let start = bytes[..m.start()]
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            let end = bytes[m.start()..]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(text.len(), |i| m.start() + i);
            let line = &text[start..end];
            if exact.is_match(line.strip_suffix('\r').unwrap_or(line)) {
                return true;
            }
            at = end + 1;
        }
        false
    }
}

/// `hir` without look-arounds or capture groups: it matches a superset of what `hir` matches,
/// and what it matches does not depend on the text around the match.
fn relax(hir: &Hir) -> Hir {
    match hir.kind() {
        HirKind::Look(_) => Hir::empty(),
        HirKind::Capture(c) => relax(&c.sub),
        HirKind::Repetition(r) => Hir::repetition(regex_syntax::hir::Repetition {
            min: r.min,
            max: r.max,
            greedy: r.greedy,
            sub: Box::new(relax(&r.sub)),
        }),
        HirKind::Concat(v) => Hir::concat(v.iter().map(relax).collect()),
        HirKind::Alternation(v) => Hir::alternation(v.iter().map(relax).collect()),
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(_) => hir.clone(),
    }
}

/// True when no match of `hir` can contain a line terminator or depend on where the text
/// starts or ends: then a match in a whole text is a match in one of its lines.
fn is_line_local(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Empty => true,
        HirKind::Literal(l) => !l.0.iter().any(|&b| b == b'\n' || b == b'\r'),
        HirKind::Class(Class::Unicode(c)) => !c
            .ranges()
            .iter()
            .any(|r| r.start() <= '\r' && r.end() >= '\n'),
        HirKind::Class(Class::Bytes(c)) => !c
            .ranges()
            .iter()
            .any(|r| r.start() <= b'\r' && r.end() >= b'\n'),
        // Word boundaries see a non-word character or an edge at a line's end either way; line
        // anchors differ at `\r\n`, text anchors everywhere.
        HirKind::Look(l) => !matches!(
            l,
            Look::Start | Look::End | Look::StartLF | Look::EndLF | Look::StartCRLF | Look::EndCRLF
        ),
        HirKind::Capture(c) => is_line_local(&c.sub),
        HirKind::Repetition(r) => is_line_local(&r.sub),
        HirKind::Concat(v) | HirKind::Alternation(v) => v.iter().all(is_line_local),
    }
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

fn is_comment(line: &str, markers: &[&str]) -> bool {
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

fn is_word_boundary(text: &str, s: usize, e: usize) -> bool {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let before = text[..s].chars().next_back().is_none_or(|c| !is_word(c));
    let after = text[e..].chars().next().is_none_or(|c| !is_word(c));
    before && after
}

/// Rust files parsed with syn in this process (for `check --stats`: the prefilters should keep
/// this a small share of the `.rs` files a change touches).
pub static SYN_PARSES: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Deepest bracket nesting a parser of untrusted source is given: syn and protox-parse recurse
/// once (or more) per level, so an 8 MiB file of `(` would overflow any thread's stack. Real code
/// stays far below (rustc's own sources: under 40). A file over it is not parsed; the run says so
/// (see [`too_deep`]).
pub const MAX_NESTING: usize = 256;

/// Most right-nesting tokens one statement may hold: prefix operators, assignments, closure
/// bars and the keywords that start a nested expression or type (`return`, `break`, `move`,
/// `&mut`, `dyn`, ...). syn recurses once per such token (`return return return ..` or
/// `a = a = a ..`); left-nested chains (`a + b + c`, `a.b().c()`) it parses in a loop.
pub const MAX_CHAIN: usize = 16_384;

/// Why a file is refused before parsing: its bracket nesting (`(`, `[`, `{`, and `<` within a
/// statement) is over [`MAX_NESTING`], or one statement holds over [`MAX_CHAIN`] right-nesting
/// tokens. Counted over every byte, strings and comments included, so the count can only
/// overestimate what a parser sees: no lexing trick hides a level from it.
pub fn too_deep(text: &str) -> Option<String> {
    const NESTING_WORDS: &[&[u8]] = &[
        b"return", b"break", b"yield", b"become", b"move", b"box", b"async", b"static", b"let",
        b"ref", b"mut", b"const", b"dyn", b"impl", b"in", b"as", b"fn", b"unsafe",
    ];
    let b = text.as_bytes();
    let (mut depth, mut max_depth) = (0usize, 0usize);
    // Generic arguments (`A<A<A<..>>>`) nest too; `<` is also a comparison, so the angle count
    // restarts at every statement or block boundary, where no type argument list spans.
    let mut angle = 0usize;
    let (mut chain, mut max_chain) = (0usize, 0usize);
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match c {
            b'(' | b'[' | b'{' => {
                depth += 1;
                max_depth = max_depth.max(depth);
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        match c {
            b'<' => {
                angle += 1;
                max_depth = max_depth.max(angle);
            }
            b'>' => angle = angle.saturating_sub(1),
            b';' | b'{' | b'}' => {
                angle = 0;
                chain = 0;
            }
            b'!' | b'-' | b'*' | b'&' | b'|' | b'=' | b'.' => {
                chain += 1;
                max_chain = max_chain.max(chain);
            }
            _ => {}
        }
        if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            if NESTING_WORDS.contains(&&b[start..i]) {
                chain += 1;
                max_chain = max_chain.max(chain);
            }
            continue;
        }
        i += 1;
    }
    if max_depth > MAX_NESTING {
        Some(format!("not parsed: nesting over {MAX_NESTING}"))
    } else if max_chain > MAX_CHAIN {
        Some(format!(
            "not parsed: one statement nests over {MAX_CHAIN} operators or keywords deep"
        ))
    } else {
        None
    }
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

/// Parses a Rust file with syn, counting the parse. Call only after a cheap text prefilter.
/// A file [`too_deep`] to parse safely is an error, as a syntax error would be.
pub fn parse_rust(text: &str) -> syn::Result<syn::File> {
    if let Some(why) = too_deep(text) {
        return Err(syn::Error::new(proc_macro2::Span::call_site(), why));
    }
    SYN_PARSES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    syn::parse_file(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_precheck() {
        let ok = "fn f(v: Vec<Option<u8>>) -> u8 { if let Some(x) = v[0] { x } else { !0 } }";
        assert_eq!(too_deep(ok), None);
        assert!(parse_rust(ok).is_ok());
        let parens = format!("fn f() {{ {}1{} }}", "(".repeat(300), ")".repeat(300));
        assert!(too_deep(&parens).unwrap().contains("nesting over 256"));
        let generics = format!("type T = {}u8{};", "Box<".repeat(300), ">".repeat(300));
        assert!(too_deep(&generics).is_some());
        let returns = format!("fn f() {{ {}1; }}", "return ".repeat(MAX_CHAIN + 1));
        assert!(parse_rust(&returns).is_err());
        // A comparison per statement never accumulates: `<` restarts at each `;`.
        let many = "fn f() { let a = 1 < 2; }\n".repeat(1_000);
        assert_eq!(too_deep(&many), None);
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

    fn lines(p: &Prefilter, text: &str) -> Vec<usize> {
        let src = Source::new("a.rs", text);
        let mut out = Vec::new();
        p.for_each_line(&src, 0..text.len(), |l| out.push(l));
        out
    }

    #[test]
    fn prefilter_keeps_every_line_an_exact_pattern_matches() {
        let pats = [
            r"(?i)\bauth0\b",
            r"^\s*fn\s+(?P<name>\w+)",
            r"\bws\b|socket",
        ];
        let p = Prefilter::new(pats.iter().map(|s| s.to_string()).collect());
        let text = "é auth0 x\nfoo\n  fn main() {}\r\nxauth0x\n\nweb ws\nnothing\nsocket";
        let src = Source::new("a.rs", text);
        let picked = lines(&p, text);
        for n in 1..=src.line_count() {
            let line = src.line(n).unwrap();
            if pats
                .iter()
                .any(|r| regex::Regex::new(r).unwrap().is_match(line))
            {
                assert!(picked.contains(&n), "line {n} `{line}` dropped");
            }
        }
        // `xauth0x` has no word boundary but the superset still picks it; so is `foo`, where
        // `\s*fn` starts at its newline; `nothing` matches nothing at all.
        assert_eq!(picked, vec![1, 2, 3, 4, 6, 8]);
        // A region of whole lines: only lines 3..=4.
        let r = src.line_range(3).unwrap().start..src.line_range(4).unwrap().end;
        let mut sub = Vec::new();
        p.for_each_line(&src, r, |l| sub.push(l));
        assert_eq!(sub, vec![3, 4]);
    }

    #[test]
    fn prefilter_whole_text_match_equals_exact() {
        let cases = [
            (r"(?i)websocket|\bws\b|socket", true),
            (r"\bws\b", true),
            (r"a\s+b", false),
            (r"^use", false),
        ];
        let texts = [
            "é ws é",
            "news",
            "a\nb",
            "x\nuse y",
            "use y",
            "naïve wsé",
            "é\r\nws",
        ];
        for (pat, line_local) in cases {
            let p = Prefilter::new(vec![pat.to_string()]);
            assert_eq!(p.compiled().is_line_local, line_local, "{pat}");
            let exact = regex::Regex::new(pat).unwrap();
            for t in texts {
                assert_eq!(p.is_match(t, &exact), exact.is_match(t), "{pat} on {t:?}");
                assert!(p.may_match(t) || !exact.is_match(t), "{pat} on {t:?}");
            }
        }
    }

    #[test]
    fn prefilter_that_cannot_build_keeps_every_line() {
        let p = Prefilter::new(vec!["(unclosed".to_string()]);
        assert_eq!(lines(&p, "a\nb\n"), vec![1, 2]);
        assert!(p.may_match("anything"));
    }

    #[test]
    fn comments_by_extension() {
        assert!(is_comment("   // EventSource", comment_markers("a.ts")));
        assert!(!is_comment("#[derive(Debug)]", comment_markers("a.rs")));
        assert!(is_comment("# poll", comment_markers("deploy.sh")));
        assert!(!is_comment("new EventSource(x)", comment_markers("a.ts")));
    }
}
