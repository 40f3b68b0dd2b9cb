//! How deep a parser of untrusted source may be asked to recurse: [`too_deep`] refuses a file
//! before syn or protox-parse see it. The checks call it through their parsers
//! (`rules::util::parse_rust`); the engine calls it to say which files were not parsed (VER-01).

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn depth_precheck() {
        let ok = "fn f(v: Vec<Option<u8>>) -> u8 { if let Some(x) = v[0] { x } else { !0 } }";
        assert_eq!(too_deep(ok), None);
        let parens = format!("fn f() {{ {}1{} }}", "(".repeat(300), ")".repeat(300));
        assert!(too_deep(&parens).unwrap().contains("nesting over 256"));
        let generics = format!("type T = {}u8{};", "Box<".repeat(300), ">".repeat(300));
        assert!(too_deep(&generics).is_some());
        let returns = format!("fn f() {{ {}1; }}", "return ".repeat(MAX_CHAIN + 1));
        assert!(too_deep(&returns).is_some());
        // A comparison per statement never accumulates: `<` restarts at each `;`.
        let many = "fn f() { let a = 1 < 2; }\n".repeat(1_000);
        assert_eq!(too_deep(&many), None);
    }
}
