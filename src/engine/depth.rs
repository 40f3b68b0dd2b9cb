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
    refusal(text).map(|r| r.message().to_string())
}

/// Which limit of [`too_deep`] a text passes, if any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Brackets or angles nest over [`MAX_NESTING`].
    Nesting,
    /// One statement holds over [`MAX_CHAIN`] right-nesting tokens.
    Chain,
}

impl Refusal {
    /// What the run says of a file refused so.
    pub fn message(self) -> &'static str {
        match self {
            Refusal::Nesting => "not parsed: nesting over 256",
            Refusal::Chain => {
                "not parsed: one statement nests over 16384 operators or keywords deep"
            }
        }
    }
}

/// [`too_deep`] without the message: a byte to keep per file.
pub fn refusal(text: &str) -> Option<Refusal> {
    let b = text.as_bytes();
    // The chain count restarts at every `;`, `{` and `}`, and each link is at least one byte:
    // when no stretch between two of them is over MAX_CHAIN bytes, no chain can be, and only
    // the nesting needs counting, without reading words (a third the time on real code, where
    // this runs on every `.rs` file of a `check --all`, #19).
    // Both counts are bounded first, a block at a time ([`bounds`]).
    let bounds = bounds(b);
    if !bounds.stretch || longest_stretch(b) <= MAX_CHAIN {
        return (bounds.nesting && nesting_over_exactly(b)).then_some(Refusal::Nesting);
    }
    let (mut depth, mut max_depth) = (0usize, 0usize);
    // Generic arguments (`A<A<A<..>>>`) nest too; `<` is also a comparison, so the angle count
    // restarts at every statement or block boundary, where no type argument list spans.
    let mut angle = 0usize;
    let (mut chain, mut max_chain) = (0usize, 0usize);
    let mut i = 0;
    // One table lookup a byte: the engine runs this on every `.rs` file of a `check --all`
    // (8% of the CPU on the 2,506-file tree with the two `match`es it replaced, #19).
    while i < b.len() {
        match CLASS[b[i] as usize] {
            OTHER => {}
            OPEN => {
                depth += 1;
                max_depth = max_depth.max(depth);
            }
            CLOSE => depth = depth.saturating_sub(1),
            BRACE_OPEN => {
                depth += 1;
                max_depth = max_depth.max(depth);
                angle = 0;
                chain = 0;
            }
            BRACE_CLOSE => {
                depth = depth.saturating_sub(1);
                angle = 0;
                chain = 0;
            }
            SEMI => {
                angle = 0;
                chain = 0;
            }
            LT => {
                angle += 1;
                max_depth = max_depth.max(angle);
            }
            GT => angle = angle.saturating_sub(1),
            CHAIN => {
                chain += 1;
                max_chain = max_chain.max(chain);
            }
            WORD => {
                let start = i;
                while i < b.len() && matches!(CLASS[b[i] as usize], WORD | DIGIT) {
                    i += 1;
                }
                if is_nesting_word(&b[start..i]) {
                    chain += 1;
                    max_chain = max_chain.max(chain);
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    if max_depth > MAX_NESTING {
        Some(Refusal::Nesting)
    } else if max_chain > MAX_CHAIN {
        Some(Refusal::Chain)
    } else {
        None
    }
}

/// The most bytes between two of `;`, `{`, `}` (or an end of the text).
fn longest_stretch(b: &[u8]) -> usize {
    let (mut start, mut longest) = (0, 0);
    for i in memchr::memchr3_iter(b';', b'{', b'}', b) {
        longest = longest.max(i - start);
        start = i + 1;
    }
    longest.max(b.len() - start)
}

/// [`too_deep`]'s nesting count alone: true when brackets or angles nest over [`MAX_NESTING`].
/// Words hold no bracket, so skipping them (as `too_deep` does) or not gives the same count.
#[cfg(test)]
fn nesting_over(b: &[u8]) -> bool {
    bounds(b).nesting && nesting_over_exactly(b)
}

/// What [`bounds`] cannot rule out.
struct Bounds {
    /// Brackets or angles nesting over [`MAX_NESTING`] ([`nesting_over_exactly`]).
    nesting: bool,
    /// A stretch without `;`, `{` or `}` over [`MAX_CHAIN`] bytes ([`longest_stretch`]).
    stretch: bool,
}

/// Upper bounds on [`refusal`]'s counts, taken a 64-byte block at a time from how many opening
/// brackets, closing brackets, `<` and resets (`{`, `}`, `;`) each block holds: a loop the
/// compiler turns into vector compares, ~9x faster than the exact byte-at-a-time count (#19:
/// that count, over every `.rs` file, was ~5 % of `check --all` on the 2,506-file tree). The
/// exact counts run only where a bound is over its limit.
///
/// Why the bounds hold, for depth `d` (floored at 0 on a close) entering a block with `o`
/// opens and `c` closes: inside it, depth is at most `d + o`; after it, at most
/// `max(d + o - c, o)` (the floor can only lift the end to a suffix's surplus of opens, at most
/// `o`). Both grow with `d`, so a bound on the entering depth gives bounds after. The angle
/// count rises only at `<`: at most `a + lt` inside, and after a reset at most the block's `lt`.
/// A stretch without a reset spans the reset-free blocks in a row and at most one block on
/// either side.
fn bounds(b: &[u8]) -> Bounds {
    let (mut depth, mut angle, mut free_run) = (0usize, 0usize, 0usize);
    let mut out = Bounds {
        nesting: false,
        stretch: false,
    };
    let mut step = |(opens, closes, lts, resets): (usize, usize, usize, usize)| {
        if depth + opens > MAX_NESTING || angle + lts > MAX_NESTING {
            out.nesting = true;
        }
        depth = (depth + opens).saturating_sub(closes).max(opens);
        angle = if resets > 0 { lts } else { angle + lts };
        free_run = if resets > 0 { 0 } else { free_run + 1 };
        if (free_run + 2) * 64 > MAX_CHAIN {
            out.stretch = true;
        }
        out.nesting && out.stretch
    };
    let mut blocks = b.chunks_exact(64);
    for block in &mut blocks {
        if step(block_counts(block.try_into().expect("64 bytes"))) {
            return out;
        }
    }
    let mut last = [b' '; 64];
    last[..blocks.remainder().len()].copy_from_slice(blocks.remainder());
    step(block_counts(&last));
    out
}

/// Opening brackets, closing brackets, `<` and resets (`{`, `}`, `;`) in a block: byte-wise
/// compares the compiler vectorizes (a block's counts fit a byte each).
fn block_counts(block: &[u8; 64]) -> (usize, usize, usize, usize) {
    let (mut opens, mut closes, mut lts, mut resets) = (0u8, 0u8, 0u8, 0u8);
    for &c in block {
        opens += u8::from(c == b'(') + u8::from(c == b'[') + u8::from(c == b'{');
        closes += u8::from(c == b')') + u8::from(c == b']') + u8::from(c == b'}');
        lts += u8::from(c == b'<');
        resets += u8::from(c == b'{') + u8::from(c == b'}') + u8::from(c == b';');
    }
    (
        usize::from(opens),
        usize::from(closes),
        usize::from(lts),
        usize::from(resets),
    )
}

fn nesting_over_exactly(b: &[u8]) -> bool {
    let (mut depth, mut angle) = (0usize, 0usize);
    for &c in b {
        match CLASS[c as usize] {
            OPEN | BRACE_OPEN => {
                depth += 1;
                if depth > MAX_NESTING {
                    return true;
                }
                if CLASS[c as usize] == BRACE_OPEN {
                    angle = 0;
                }
            }
            CLOSE => depth = depth.saturating_sub(1),
            BRACE_CLOSE => {
                depth = depth.saturating_sub(1);
                angle = 0;
            }
            SEMI => angle = 0,
            LT => {
                angle += 1;
                if angle > MAX_NESTING {
                    return true;
                }
            }
            GT => angle = angle.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// The keywords that start a nested expression or type.
fn is_nesting_word(w: &[u8]) -> bool {
    matches!(
        w,
        b"return"
            | b"break"
            | b"yield"
            | b"become"
            | b"move"
            | b"box"
            | b"async"
            | b"static"
            | b"let"
            | b"ref"
            | b"mut"
            | b"const"
            | b"dyn"
            | b"impl"
            | b"in"
            | b"as"
            | b"fn"
            | b"unsafe"
    )
}

const OTHER: u8 = 0;
const OPEN: u8 = 1;
const CLOSE: u8 = 2;
const BRACE_OPEN: u8 = 3;
const BRACE_CLOSE: u8 = 4;
const SEMI: u8 = 5;
const LT: u8 = 6;
const GT: u8 = 7;
const CHAIN: u8 = 8;
const WORD: u8 = 9;
const DIGIT: u8 = 10;

/// What each byte is to [`too_deep`]: a word starts with an ASCII letter or `_` and goes on
/// through letters, digits and `_`.
static CLASS: [u8; 256] = {
    let mut t = [OTHER; 256];
    t[b'(' as usize] = OPEN;
    t[b'[' as usize] = OPEN;
    t[b'{' as usize] = BRACE_OPEN;
    t[b')' as usize] = CLOSE;
    t[b']' as usize] = CLOSE;
    t[b'}' as usize] = BRACE_CLOSE;
    t[b';' as usize] = SEMI;
    t[b'<' as usize] = LT;
    t[b'>' as usize] = GT;
    let chain = b"!-*&|=.";
    let mut k = 0;
    while k < chain.len() {
        t[chain[k] as usize] = CHAIN;
        k += 1;
    }
    let mut c = 0;
    while c < 256 {
        let u = c as u8;
        if u.is_ascii_alphabetic() || u == b'_' {
            t[c] = WORD;
        } else if u.is_ascii_digit() {
            t[c] = DIGIT;
        }
        c += 1;
    }
    t
};

#[cfg(test)]
mod tests {
    use super::*;

    /// The byte-at-a-time version the table replaced, as the oracle.
    fn too_deep_oracle(text: &str) -> Option<String> {
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

    /// Same verdict as the oracle on every string over the bytes that matter, up to length 6,
    /// with the limits reached by repetition.
    #[test]
    fn table_scan_agrees_with_the_oracle() {
        let alphabet = [
            "(", "{", "}", ")", "<", ">", ";", "!", "a", "return", "r1", "_", " ", "é",
        ];
        let mut words = vec![(String::new(), 0)];
        let mut frontier = vec![String::new()];
        for tokens in 1..=5 {
            frontier = frontier
                .iter()
                .flat_map(|w| alphabet.map(|a| format!("{w}{a}")))
                .collect();
            words.extend(frontier.iter().map(|w| (w.clone(), tokens)));
        }
        // Up to three tokens repeated: past either limit when two of them are a level or a
        // chain link each, and the other does not reset the count.
        for (w, tokens) in &words {
            let reps: &[usize] = match tokens {
                0..=2 => &[1, MAX_NESTING + 1, MAX_CHAIN + 1],
                3 => &[1, MAX_NESTING / 2 + 1, MAX_CHAIN / 2 + 1],
                _ => &[1],
            };
            for &n in reps {
                let t = w.repeat(n);
                assert_eq!(too_deep(&t), too_deep_oracle(&t), "{w:?} x {n}");
            }
        }
    }

    /// The block bounds never rule out a nesting the exact count finds, over random texts of
    /// brackets, angles and resets (nesting built up past the limit and let down again).
    #[test]
    fn nesting_bounds_never_miss_an_exact_refusal() {
        let mut rng = crate::test_rng::XorShift(0x2545_f491_4f6c_dd1d);
        let mut next = |n: usize| rng.below(n);
        let pieces: [&[u8]; 9] = [b"(", b"{", b"[", b")", b"}", b"<", b">", b";", b"ab "];
        let (mut over, mut texts) = (0, 0);
        for _ in 0..2_000 {
            // Runs of one piece, so that the nesting climbs far.
            let mut t = Vec::new();
            for _ in 0..next(12) {
                let piece = pieces[next(pieces.len())];
                for _ in 0..1 + next(90) {
                    t.extend_from_slice(piece);
                }
            }
            texts += 1;
            let exact = nesting_over_exactly(&t);
            over += usize::from(exact);
            assert!(
                !exact || bounds(&t).nesting,
                "{}",
                String::from_utf8_lossy(&t)
            );
            assert_eq!(nesting_over(&t), exact);
        }
        assert!(over > 20 && over < texts, "{over} of {texts}");
        // Stretches without a reset around MAX_CHAIN bytes, the resets at every offset in a
        // block: the stretch bound never rules out one the exact search finds.
        for len in [
            MAX_CHAIN - 130,
            MAX_CHAIN - 1,
            MAX_CHAIN,
            MAX_CHAIN + 1,
            MAX_CHAIN + 70,
        ] {
            for pad in 0..64 {
                let t = format!(
                    "{};{};{}",
                    "a".repeat(pad),
                    "b".repeat(len),
                    "c".repeat(pad)
                );
                let t = t.as_bytes();
                assert!(
                    longest_stretch(t) <= MAX_CHAIN || bounds(t).stretch,
                    "{len} {pad}"
                );
            }
        }
    }

    #[test]
    fn messages_name_the_limits() {
        assert_eq!(
            Refusal::Nesting.message(),
            format!("not parsed: nesting over {MAX_NESTING}")
        );
        assert_eq!(
            Refusal::Chain.message(),
            format!("not parsed: one statement nests over {MAX_CHAIN} operators or keywords deep")
        );
    }

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
