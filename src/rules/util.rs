//! Helpers shared by checks: matching patterns on the lines a change adds, recognising comment
//! lines by file type.

use std::ops::Range;

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
    if file.is_all_added {
        // One pass over the whole text rejects most files before any per-line work.
        if !patterns.set.is_match(src.text()) {
            return hits;
        }
        for line_no in 1..=src.line_count() {
            scan_line(line_no, &mut hits);
        }
    } else {
        for r in &file.added {
            for line_no in r.clone() {
                scan_line(line_no, &mut hits);
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

    #[test]
    fn comments_by_extension() {
        assert!(is_comment("   // EventSource", comment_markers("a.ts")));
        assert!(!is_comment("#[derive(Debug)]", comment_markers("a.rs")));
        assert!(is_comment("# poll", comment_markers("deploy.sh")));
        assert!(!is_comment("new EventSource(x)", comment_markers("a.ts")));
    }
}
