//! [`Prefilter`]: one pass over a file's text that picks the lines worth matching a pattern
//! list on exactly. Every compiled `PatternList` carries one (`engine::matchers`).

use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use regex_automata::meta;
use regex_automata::Input;
use regex_syntax::hir::{Class, Hir, HirKind, Look};

use crate::engine::source::Source;

mod literals;
use literals::{Hit, Literals};

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
    /// Bytes the gate searched, and of those the bytes it kept from the DFA: the gate stays on
    /// while it keeps the DFA from enough of them ([`Prefilter::gate`]).
    gate_read: AtomicUsize,
    gate_skipped: AtomicUsize,
}

#[derive(Debug)]
struct Compiled {
    /// `None` when a pattern does not parse or the superset does not build: every line is
    /// then a candidate (never "match nothing").
    relaxed: Option<meta::Regex>,
    /// No pattern can match `\n` or `\r` or uses a text anchor, so a whole-text match is a
    /// match within one line.
    is_line_local: bool,
    /// The literals every match holds, searched for before the DFA runs ([`literals`]).
    gate: Option<Literals>,
}

/// After this many gate hits, a region whose hits are closer than [`DENSE_GAP`] bytes apart on
/// average is left to the DFA alone: one pass then costs less than a search per line.
const DENSE_AFTER: usize = 64;
const DENSE_GAP: usize = 256;
/// The gate is tried on this many bytes of a prefilter's texts, then kept only while it keeps
/// the DFA from [`GATE_MIN_SKIP`] tenths of the bytes it searches. Common words (`user`,
/// `token`, `import`) are on nearly every line, and searching for them first only adds to the
/// DFA's pass (#19: +5 % for INV-08 on the 11,629-file tree). Which path a text takes depends
/// on the texts seen before it, not what is found: both find the same lines with a match.
const GATE_TRIAL: usize = 1 << 20;
const GATE_MIN_SKIP: usize = 6;

impl Prefilter {
    /// A prefilter over `texts` (built on first use, like the patterns themselves).
    pub fn new(texts: Vec<String>) -> Prefilter {
        Prefilter {
            texts,
            cell: OnceLock::new(),
            gate_read: AtomicUsize::new(0),
            gate_skipped: AtomicUsize::new(0),
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
                    gate: None,
                };
            };
            let is_line_local = hirs.iter().all(is_line_local);
            let gate = Literals::new(&hirs);
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
                gate: relaxed.as_ref().and(gate),
                relaxed,
                is_line_local,
            }
        })
    }

    /// The gate, while it pays (see [`GATE_TRIAL`]).
    fn gate<'c>(&self, c: &'c Compiled) -> Option<&'c Literals> {
        let gate = c.gate.as_ref()?;
        let read = self.gate_read.load(Ordering::Relaxed);
        let pays = read < GATE_TRIAL
            || self.gate_skipped.load(Ordering::Relaxed) * 10 >= read * GATE_MIN_SKIP;
        pays.then_some(gate)
    }

    /// Whether `text[range]` holds one of the gate's literals (a folded character counts: only
    /// the DFA can tell then), recorded as the DFA reading all of it or none.
    fn holds_literal(&self, gate: &Literals, text: &str, range: Range<usize>) -> bool {
        let found = gate.scan(text).find(range.start, range.end).is_some();
        self.gate_record(range.len(), if found { range.len() } else { 0 });
        found
    }

    /// The gate searched `read` bytes, of which the DFA then read `dfa`.
    fn gate_record(&self, read: usize, dfa: usize) {
        self.gate_read.fetch_add(read, Ordering::Relaxed);
        self.gate_skipped
            .fetch_add(read.saturating_sub(dfa), Ordering::Relaxed);
    }

    /// Calls `f` with each 1-based line of `src` within `region` (a run of whole lines) that may
    /// hold a non-empty match of one of the patterns, in order, each line once.
    pub fn for_each_line(&self, src: &Source, region: Range<usize>, mut f: impl FnMut(usize)) {
        let text = src.text();
        let c = self.compiled();
        let Some(re) = &c.relaxed else {
            let (first, last) = (src.line_of(region.start), src.line_of(region.end));
            (first..=last.min(src.line_count())).for_each(f);
            return;
        };
        let mut at = region.start;
        if let Some(gate) = self.gate(c) {
            let read = region.len();
            if !c.is_line_local {
                // A match may span lines: the gate only says whether the region holds one.
                if !self.holds_literal(gate, text, region.clone()) {
                    return;
                }
            } else {
                // A line with a match holds one of its literals: the DFA runs on those lines
                // only, unless they are dense or a folded character turns up.
                let (mut hits, mut dfa) = (0, 0);
                let mut scan = gate.scan(text);
                while at < region.end {
                    let s = match scan.find(at, region.end) {
                        Some(Hit::Literal(s)) => s,
                        None => {
                            self.gate_record(read, dfa);
                            return;
                        }
                        Some(Hit::Fold) => break,
                    };
                    hits += 1;
                    if hits > DENSE_AFTER && (s - region.start) / hits < DENSE_GAP {
                        break;
                    }
                    let line = src.line_of(s);
                    let Some(r) = src.line_range(line) else {
                        self.gate_record(read, dfa);
                        return;
                    };
                    dfa += r.end - r.start.max(at);
                    if re.is_match(Input::new(text).span(r.start.max(at)..r.end)) {
                        f(line);
                    }
                    match src.line_range(line + 1) {
                        Some(next) => at = next.start,
                        None => {
                            self.gate_record(read, dfa);
                            return;
                        }
                    }
                }
                // The DFA reads on from `at`.
                self.gate_record(read, dfa + region.end.saturating_sub(at));
            }
        }
        // An empty line holds no hit: hits are non-empty matches.
        while at < region.end {
            let line = if c.is_line_local {
                let Some(on) = match_in_line(re, text, at..region.end) else {
                    return;
                };
                src.line_of(on)
            } else {
                let Some(m) = re.find(Input::new(text).span(at..region.end)) else {
                    return;
                };
                src.line_of(m.start())
            };
            f(line);
            match src.line_range(line + 1) {
                Some(next) => at = next.start,
                None => return,
            }
        }
    }

    /// The 1-based lines of the whole of `src` that [`Prefilter::for_each_line`] picks: a
    /// superset of the lines on which one of the patterns matches, in order.
    pub fn lines(&self, src: &Source) -> Vec<usize> {
        let mut out = Vec::new();
        self.for_each_line(src, 0..src.text().len(), |n| out.push(n));
        out
    }

    /// `regex` compiled, with its prefilter: run the regex line by line on
    /// [`Prefilter::lines`] only, instead of on every line (#19).
    pub fn with_regex(regex: &str) -> (regex::Regex, Prefilter) {
        let exact = regex::Regex::new(regex).expect("static regex");
        (exact, Prefilter::new(vec![regex.to_string()]))
    }

    /// True when the prefilter matches somewhere in `text`: false means no pattern can match.
    pub fn may_match(&self, text: &str) -> bool {
        let c = self.compiled();
        let Some(re) = &c.relaxed else {
            return true;
        };
        let mut from = 0;
        if let Some(gate) = self.gate(c) {
            match gate.scan(text).find(0, text.len()) {
                None => {
                    self.gate_record(text.len(), 0);
                    return false;
                }
                // The first match is on the first literal's line or after it.
                Some(Hit::Literal(s)) if c.is_line_local => {
                    from = memchr::memrchr(b'\n', &text.as_bytes()[..s]).map_or(0, |i| i + 1);
                }
                Some(_) => {}
            }
            self.gate_record(text.len(), text.len() - from);
        }
        re.is_match(Input::new(text).span(from..text.len()))
    }

    /// `exact.is_match(text)`, where `exact` is the alternation of this prefilter's patterns
    /// (or any regex they are a superset of), without running `exact` over the whole text when
    /// a match is known to stay within one line.
    pub fn is_match(&self, text: &str, exact: &regex::Regex) -> bool {
        let c = self.compiled();
        let Some(re) = &c.relaxed else {
            return exact.is_match(text);
        };
        let gate = self.gate(c);
        if !c.is_line_local {
            if gate.is_some_and(|g| !self.holds_literal(g, text, 0..text.len())) {
                return false;
            }
            return re.is_match(text) && exact.is_match(text);
        }
        // The line around `at`, without its line terminator.
        let line_at = |at: usize| {
            let bytes = text.as_bytes();
            let start = memchr::memrchr(b'\n', &bytes[..at]).map_or(0, |i| i + 1);
            let end = memchr::memchr(b'\n', &bytes[at..]).map_or(text.len(), |i| at + i);
            (start, end)
        };
        let mut at = 0;
        if let Some(gate) = gate {
            // As in `for_each_line`: only lines with a literal can hold a match.
            let (mut scan, mut dfa) = (gate.scan(text), 0);
            while at < text.len() {
                let s = match scan.find(at, text.len()) {
                    Some(Hit::Literal(s)) => s,
                    None => {
                        self.gate_record(text.len(), dfa);
                        return false;
                    }
                    Some(Hit::Fold) => break,
                };
                let (start, end) = line_at(s);
                let line = &text[start..end];
                let line = line.strip_suffix('\r').unwrap_or(line);
                dfa += line.len();
                if re.is_match(Input::new(text).span(start..start + line.len()))
                    && exact.is_match(line)
                {
                    self.gate_record(end, dfa);
                    return true;
                }
                at = end + 1;
            }
            // `at` is a line start (or past the end): the DFA reads on from there.
            self.gate_record(text.len(), dfa + text.len().saturating_sub(at));
        }
        while at <= text.len() {
            let Some(on) = match_in_line(re, text, at..text.len()) else {
                return false;
            };
            let (start, end) = line_at(on);
            let line = &text[start..end];
            if exact.is_match(line.strip_suffix('\r').unwrap_or(line)) {
                return true;
            }
            at = end + 1;
        }
        false
    }
}

/// An offset on the line of the leftmost match of `re` in `text[span]`, for a line-local `re`:
/// only the match's end is searched for, without the reverse pass that finds its start (#19).
/// A match within one line ends on the line it starts on; an empty match at a line's start is
/// on that line.
fn match_in_line(re: &meta::Regex, text: &str, span: Range<usize>) -> Option<usize> {
    let from = span.start;
    let end = re.search_half(&Input::new(text).span(span))?.offset();
    Some(if end > from && text.as_bytes()[end - 1] != b'\n' {
        end - 1
    } else {
        end
    })
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
        HirKind::Concat(v) => Hir::concat(
            v.iter()
                .enumerate()
                .map(|(i, h)| match h.kind() {
                    // `\b` next to a character that is always an ASCII word character: the
                    // ASCII `\b` holds wherever the Unicode one does (the other side is then
                    // a non-word character, and any non-ASCII byte is one to ASCII), and the
                    // DFA runs it without quitting. Elsewhere it is dropped.
                    HirKind::Look(Look::WordUnicode)
                        if v.get(i + 1).is_some_and(|n| ascii_word_edge(n, true))
                            || i.checked_sub(1)
                                .is_some_and(|p| ascii_word_edge(&v[p], false)) =>
                    {
                        Hir::look(Look::WordAscii)
                    }
                    _ => relax(h),
                })
                .collect(),
        ),
        HirKind::Alternation(v) => Hir::alternation(v.iter().map(relax).collect()),
        HirKind::Class(Class::Unicode(c)) => relax_class(c),
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(Class::Bytes(_)) => hir.clone(),
    }
}

/// True when every match of `hir` starts (`first`) or ends with an ASCII word character
/// (`[0-9A-Za-z_]`): a literal, a class of such characters only, or one or more of them.
fn ascii_word_edge(hir: &Hir, first: bool) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    match hir.kind() {
        HirKind::Literal(l) => {
            let b = if first { l.0.first() } else { l.0.last() };
            b.is_some_and(|&b| word(b))
        }
        HirKind::Class(Class::Unicode(c)) => c
            .ranges()
            .iter()
            .all(|r| r.end() <= '\x7f' && (r.start()..=r.end()).all(|ch| word(ch as u8))),
        HirKind::Class(Class::Bytes(c)) => {
            c.ranges().iter().all(|r| (r.start()..=r.end()).all(word))
        }
        HirKind::Capture(c) => ascii_word_edge(&c.sub, first),
        HirKind::Repetition(r) => r.min >= 1 && ascii_word_edge(&r.sub, first),
        _ => false,
    }
}

/// A Unicode class as bytes: its ASCII part, or else a run of non-ASCII bytes. Every character
/// of the class is matched (a non-ASCII one is such a run), so the result is a superset; and it
/// compiles to a handful of byte transitions where `\w` or a case-folded letter is a large
/// UTF-8 automaton. That is most of a one-file `check --staged` (the NFA compile) and keeps the
/// lazy DFA small on whole trees (#19).
fn relax_class(c: &regex_syntax::hir::ClassUnicode) -> Hir {
    use regex_syntax::hir::{ClassBytes, ClassBytesRange};
    let ascii: Vec<ClassBytesRange> = c
        .ranges()
        .iter()
        .filter(|r| r.start() <= '\x7f')
        .map(|r| ClassBytesRange::new(r.start() as u8, r.end().min('\x7f') as u8))
        .collect();
    let ascii = Hir::class(Class::Bytes(ClassBytes::new(ascii)));
    if c.ranges().iter().all(|r| r.end() <= '\x7f') {
        return ascii;
    }
    let high = Hir::repetition(regex_syntax::hir::Repetition {
        min: 1,
        max: None,
        greedy: true,
        sub: Box::new(Hir::class(Class::Bytes(ClassBytes::new([
            ClassBytesRange::new(0x80, 0xff),
        ])))),
    });
    Hir::alternation(vec![ascii, high])
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

#[cfg(test)]
mod tests {
    use super::*;

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
        // `xauth0x` has no word boundary, and the ASCII `\b` next to `a` and `0` turns it
        // away; `foo` is picked, where `\s*fn` starts at its newline; `nothing` matches
        // nothing at all.
        assert_eq!(picked, vec![1, 2, 3, 6, 8]);
        assert_eq!(p.lines(&src), picked);
        // A region of whole lines: only lines 3..=4.
        let r = src.line_range(3).unwrap().start..src.line_range(4).unwrap().end;
        let mut sub = Vec::new();
        p.for_each_line(&src, r, |l| sub.push(l));
        assert_eq!(sub, vec![3]);
        // A region starting mid-text still sees the character before it: `xws` is no
        // `\bws`, even in a region that starts at its `w`.
        let ws = Prefilter::new(vec![r"\bws".to_string()]);
        let text = "xws\nws";
        let src = Source::new("a.rs", text);
        let mut got = Vec::new();
        ws.for_each_line(&src, 1..text.len(), |l| got.push(l));
        assert_eq!(got, vec![2]);
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

    /// Unicode classes are relaxed to bytes (ASCII part, or a run of non-ASCII bytes): every
    /// line a Unicode-aware pattern matches is still picked, whatever the characters.
    #[test]
    fn prefilter_with_byte_classes_keeps_non_ascii_matches() {
        let pats = [
            r"(?i)\bokta\b",
            r"caf\w\b",
            r"\w+_user\b",
            r"x.y",
            r"[^a-z]{2}z",
            r"(?i)straße",
            r"\p{Greek}+λ",
            r"\d{2}",
            r"\bws\b",
            r"\b(issue|mint)_token\b",
            r"(?i)\bcognito",
            r"(?i)\bselect\b",
            r"\b\w+_user\b",
            r"\bx\b",
        ];
        let lines = [
            "éws",
            "—ws—",
            "wsé",
            "x_ws ws",
            "мint_token mint_token",
            "ſelect",
            "«COGNITO»",
            "é_user",
            "éxé",
            "a—x—b",
            "o\u{212A}ta",
            "OKTA",
            "café",
            "naïve_user",
            "x\u{1F600}y",
            "éé z",
            "ééz",
            "STRASSE",
            "straſſe",
            "αβλ",
            "١٢",
            "plain ascii",
        ];
        // Each pattern alone: in a list, another pattern's relaxed class could pick the line.
        let mut matched = 0;
        for pat in pats {
            let p = Prefilter::new(vec![pat.to_string()]);
            let exact = regex::Regex::new(pat).unwrap();
            for line in lines {
                if exact.is_match(line) {
                    matched += 1;
                    assert!(p.may_match(line), "{pat} on {line:?} dropped");
                    let src = Source::new("a.rs", line);
                    assert_eq!(p.lines(&src), vec![1], "{pat} on {line:?} dropped by lines");
                }
            }
        }
        assert!(matched > 15, "{matched}");
        let all = Prefilter::new(pats.iter().map(|s| s.to_string()).collect());
        assert!(!all.may_match("plain ascii"));
    }

    /// The literal gate hands over to the DFA on dense literals and on a folded character, and
    /// skips the lines without a literal: every line an exact pattern matches is still picked.
    #[test]
    fn prefilter_gate_keeps_every_matching_line_on_every_path() {
        let pats = [r"(?i)\bsocket\b", r"\buser_\w+", r"(?i)token"];
        let p = Prefilter::new(pats.iter().map(|s| s.to_string()).collect());
        assert!(p.compiled().gate.is_some());
        let exact: Vec<regex::Regex> = pats.iter().map(|r| regex::Regex::new(r).unwrap()).collect();
        let sparse = "a\nb SOCKET c\nnothing\nuser_id\n";
        let dense = "token ".repeat(200) + "\nx\nSocket\n";
        let folded = "ſocket\nplain\nTOKEN here\n";
        let late_fold = "x\n".repeat(50) + "user_a\nſOCKET\ntoKen\n";
        for text in [sparse, &dense, folded, &late_fold] {
            let src = Source::new("a.rs", text);
            let picked = lines(&p, text);
            for n in 1..=src.line_count() {
                let line = src.line(n).unwrap();
                if exact.iter().any(|r| r.is_match(line)) {
                    assert!(picked.contains(&n), "line {n} `{line}` dropped in {text:?}");
                }
            }
            let any = exact.iter().any(|r| r.is_match(text));
            assert!(p.may_match(text) || !any, "{text:?}");
            for r in &exact {
                assert_eq!(p.is_match(text, r), r.is_match(text), "{r} on {text:?}");
            }
        }
        // Lines without a literal are not even tried.
        assert_eq!(lines(&p, sparse), vec![2, 4]);
        assert!(!p.may_match("nothing here\nat all"));
    }

    /// Random texts over a small alphabet (with `ſ`, the Kelvin sign, `é`, `\r`), random
    /// pattern lists over the same letters: the gate never drops a line an exact pattern
    /// matches, and `is_match` agrees with the exact regex.
    #[test]
    fn prefilter_gate_agrees_with_exact_patterns_on_random_texts() {
        let mut rng = crate::test_rng::XorShift(0x9e37_79b9_7f4a_7c15);
        let mut next = |n: usize| rng.below(n);
        let chars = [
            "s", "k", "o", "e", "t", "S", "K", "O", "E", "T", "_", " ", "\n", "\r\n", "ſ",
            "\u{212A}", "é", "(",
        ];
        let words = ["sok", "ket", "ok", "tose", "s_k", "eto", "kk"];
        let forms = [
            "(?i){w}",
            "\\b{w}\\b",
            "{w}\\w*",
            "(?i)\\b{w}_{v}",
            "({w}|{v})_t",
            "(?i)({w}|{v})\\(",
            "{w}(_{v})?o",
        ];
        let mut checked = 0;
        for _ in 0..300 {
            let pats: Vec<String> = (0..1 + next(3))
                .map(|_| {
                    forms[next(forms.len())]
                        .replace("{w}", words[next(words.len())])
                        .replace("{v}", words[next(words.len())])
                })
                .collect();
            let p = Prefilter::new(pats.clone());
            let exact: Vec<regex::Regex> =
                pats.iter().map(|r| regex::Regex::new(r).unwrap()).collect();
            for _ in 0..20 {
                let text: String = (0..next(120)).map(|_| chars[next(chars.len())]).collect();
                let src = Source::new("a.rs", &text);
                let picked = lines(&p, &text);
                for n in 1..=src.line_count() {
                    let line = src.line(n).unwrap();
                    if exact.iter().any(|r| r.is_match(line)) {
                        checked += 1;
                        assert!(
                            picked.contains(&n),
                            "{pats:?}: line {n} {line:?} of {text:?}"
                        );
                    }
                }
                for r in &exact {
                    assert_eq!(p.is_match(&text, r), r.is_match(&text), "{r} on {text:?}");
                    assert!(p.may_match(&text) || !r.is_match(&text), "{r} on {text:?}");
                }
            }
        }
        assert!(checked > 500, "{checked}");
    }

    #[test]
    fn prefilter_that_cannot_build_keeps_every_line() {
        let p = Prefilter::new(vec!["(unclosed".to_string()]);
        assert_eq!(lines(&p, "a\nb\n"), vec![1, 2]);
        assert!(p.may_match("anything"));
    }
}
