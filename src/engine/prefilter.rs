//! [`Prefilter`]: one pass over a file's text that picks the lines worth matching a pattern
//! list on exactly. Every compiled `PatternList` carries one (`engine::matchers`).

use std::ops::Range;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use regex_automata::meta;
// regex-automata's `util` module, under another name: the engine names no module of
// `rules` (tests/it/registry.rs), and `rules::util` has that name.
use regex_automata::util as automata;
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
    /// The patterns' syntax trees; `None` when one does not parse: every line is then a
    /// candidate (never "match nothing").
    hirs: Option<Vec<Hir>>,
    /// No pattern can match `\n` or `\r` or uses a text anchor, so a whole-text match is a
    /// match within one line.
    is_line_local: bool,
    /// The literals every match holds, searched for before the DFA runs ([`literals`]).
    gate: Option<Literals>,
    /// regex-automata searches for the patterns' literals itself ([`has_fast_prefilter`]).
    fast: bool,
    /// The superset for whole texts ([`Prefilter::may_match`], [`Prefilter::is_match`]), and
    /// the one for single lines ([`Prefilter::for_each_line`]), each built on first use;
    /// `None` when it does not build (every line is then a candidate). They are one when the
    /// patterns are line-local.
    whole: OnceLock<Option<meta::Regex>>,
    in_lines: OnceLock<Option<meta::Regex>>,
}

/// Whether the regex crate searches for the relaxed patterns' literals itself, with a fast
/// prefilter (memchr, Teddy) in front of the DFA: then the literal gate only adds a pass (#19:
/// INV-03's case-sensitive `EventSource`, `setInterval`).
fn has_fast_prefilter(hirs: &[Hir]) -> bool {
    let relaxed: Vec<Hir> = hirs.iter().map(|h| relax(h, false)).collect();
    automata::prefilter::Prefilter::from_hirs_prefix(
        regex_automata::MatchKind::LeftmostFirst,
        &relaxed,
    )
    .is_some_and(|p| p.is_fast())
}

/// The DFA of the patterns' [`relax`]ed trees; `in_lines`: without `\n`, so that what it
/// matches is what the patterns match within one line, and it is line-local.
fn superset(hirs: &[Hir], in_lines: bool) -> Option<meta::Regex> {
    let relaxed: Vec<Hir> = hirs.iter().map(|h| relax(h, in_lines)).collect();
    meta::Regex::builder()
        .configure(
            meta::Regex::config()
                .which_captures(regex_automata::nfa::thompson::WhichCaptures::Implicit)
                .nfa_size_limit(Some(8 << 20)),
        )
        .build_many_from_hir(&relaxed)
        .ok()
}

/// After this many gate hits, a stretch whose hits are closer than [`DENSE_GAP`] bytes apart on
/// average is left to the DFA alone for a while: one pass then costs less than a search per
/// line.
const DENSE_AFTER: usize = 64;
const DENSE_GAP: usize = 256;
/// How far the DFA reads on dense hits before the gate takes over again (to the next line
/// start): the imports at the top of a TypeScript file are dense, the rest of it seldom is.
const DENSE_STRETCH: usize = 4 << 10;
/// The gate is tried on this many bytes of a prefilter's texts, then kept only while it keeps
/// the DFA from [`GATE_MIN_SKIP`] tenths of the bytes it searches. Common words (`user`,
/// `token`, `import`) are on nearly every line, and searching for them first only adds to the
/// DFA's pass (#19: +5 % for INV-08 on the 11,629-file tree). Which path a text takes depends
/// on the texts seen before it, not what is found: both find the same lines with a match.
const GATE_TRIAL: usize = 1 << 20;
/// What a gate hit costs beyond the DFA's pass over its line (finding the line, starting a
/// search), as bytes the DFA reads in that time: the gate's record counts it as read by the
/// DFA, so that close hits on short lines do not pass for a gate that pays. On the bench box a
/// hit cost ~1.3 µs (INV-08 on the 11,629-file tree: 106k hits of `user`, `token`..., ~450
/// bytes of DFA each); at 256, INV-08's gate turns itself off and INV-05's stay on (#19).
const HIT_COST: usize = 256;
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
            let is_line_local = hirs.as_ref().is_some_and(|h| h.iter().all(is_line_local));
            let fast = hirs.as_deref().is_some_and(has_fast_prefilter);
            Compiled {
                gate: hirs.as_deref().filter(|_| !fast).and_then(Literals::new),
                fast,
                hirs,
                is_line_local,
                whole: OnceLock::new(),
                in_lines: OnceLock::new(),
            }
        })
    }

    /// True when regex-automata searches for the patterns' literals itself, with a fast
    /// prefilter in front of its DFA: then a pass is cheap whatever else the caller knows.
    pub fn is_fast(&self) -> bool {
        self.compiled().fast
    }

    /// The superset for whole texts.
    fn whole<'c>(&self, c: &'c Compiled) -> Option<&'c meta::Regex> {
        c.whole
            .get_or_init(|| superset(c.hirs.as_deref()?, false))
            .as_ref()
    }

    /// The superset for single lines: the one for whole texts when the patterns are
    /// line-local.
    fn in_lines<'c>(&self, c: &'c Compiled) -> Option<&'c meta::Regex> {
        if c.is_line_local {
            return self.whole(c);
        }
        c.in_lines
            .get_or_init(|| superset(c.hirs.as_deref()?, true))
            .as_ref()
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
    /// hold a non-empty match of one of the patterns, in order, each line once. The patterns
    /// are taken as run on one line at a time, as every caller runs them (`util::hits_on`): a
    /// match across lines (`encode\s*\(` before a line break) counts for no line.
    pub fn for_each_line(&self, src: &Source, region: Range<usize>, mut f: impl FnMut(usize)) {
        let text = src.text();
        let c = self.compiled();
        let Some(re) = self.in_lines(c) else {
            let (first, last) = (src.line_of(region.start), src.line_of(region.end));
            (first..=last.min(src.line_count())).for_each(f);
            return;
        };
        let mut at = region.start;
        if let Some(gate) = self.gate(c) {
            let read = region.len();
            // A line with a match holds one of its literals: the DFA runs on those lines only,
            // unless they are dense or a folded character turns up.
            let (mut hits, mut since, mut dfa) = (0, region.start, 0);
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
                if hits > DENSE_AFTER && (s - since) / hits < DENSE_GAP {
                    // The DFA reads the next stretch of whole lines, then the gate goes on.
                    let far = (at + DENSE_STRETCH).min(region.end);
                    let stop = memchr::memchr(b'\n', &text.as_bytes()[far..region.end])
                        .map_or(region.end, |i| far + i + 1);
                    dfa += stop - at;
                    dfa_lines(re, src, at..stop, &mut f);
                    (at, hits, since) = (stop, 0, stop);
                    continue;
                }
                // The hit's line, found without the line index: most files with a literal
                // have no match, and need none (#19: peak memory at 100k files).
                let Range { start, end } = line_around(text, at..region.end, s);
                dfa += end - start + HIT_COST;
                if re.is_match(Input::new(text).span(start..end)) {
                    f(src.line_of(s));
                }
                if end >= region.end {
                    self.gate_record(read, dfa);
                    return;
                }
                at = end + 1;
            }
            // The DFA reads on from `at`.
            self.gate_record(read, dfa + region.end.saturating_sub(at));
        }
        dfa_lines(re, src, at..region.end, &mut f);
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
        let Some(re) = self.whole(c) else {
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
                    from = line_around(text, 0..text.len(), s).start;
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
        let Some(re) = self.whole(c) else {
            return exact.is_match(text);
        };
        let gate = self.gate(c);
        if !c.is_line_local {
            if gate.is_some_and(|g| !self.holds_literal(g, text, 0..text.len())) {
                return false;
            }
            return re.is_match(text) && exact.is_match(text);
        }
        let line_at = |at: usize| line_around(text, 0..text.len(), at);
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
                let Range { start, end } = line_at(s);
                let line = &text[start..end];
                let line = line.strip_suffix('\r').unwrap_or(line);
                dfa += line.len() + HIT_COST;
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
            let Range { start, end } = line_at(on);
            let line = &text[start..end];
            if exact.is_match(line.strip_suffix('\r').unwrap_or(line)) {
                return true;
            }
            at = end + 1;
        }
        false
    }
}

/// The line of `text` around offset `at`, within `within` (which starts at a line start), up to
/// its `\n`: found with memchr, not a [`Source`]'s line index.
fn line_around(text: &str, within: Range<usize>, at: usize) -> Range<usize> {
    let bytes = text.as_bytes();
    let start = memchr::memrchr(b'\n', &bytes[within.start..at])
        .map_or(within.start, |i| within.start + i + 1);
    let end = memchr::memchr(b'\n', &bytes[at..within.end]).map_or(within.end, |i| at + i);
    start..end
}

/// Calls `f` with each line of `src` in `span` (a run of whole lines) on which the line-local
/// `re` matches, in order.
fn dfa_lines(re: &meta::Regex, src: &Source, span: Range<usize>, f: &mut impl FnMut(usize)) {
    let mut at = span.start;
    // An empty line holds no hit: hits are non-empty matches.
    while at < span.end {
        let Some(on) = match_in_line(re, src.text(), at..span.end) else {
            return;
        };
        let line = src.line_of(on);
        f(line);
        match src.line_range(line + 1) {
            Some(next) => at = next.start,
            None => return,
        }
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
/// With `in_lines` it also has no `\n`: classes lose it, and a literal holding it matches
/// nothing; what it matches is then what `hir` matches within one line.
fn relax(hir: &Hir, in_lines: bool) -> Hir {
    match hir.kind() {
        HirKind::Look(_) => Hir::empty(),
        HirKind::Capture(c) => relax(&c.sub, in_lines),
        HirKind::Repetition(r) => Hir::repetition(regex_syntax::hir::Repetition {
            min: r.min,
            max: r.max,
            greedy: r.greedy,
            sub: Box::new(relax(&r.sub, in_lines)),
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
                    _ => relax(h, in_lines),
                })
                .collect(),
        ),
        HirKind::Alternation(v) => Hir::alternation(v.iter().map(|h| relax(h, in_lines)).collect()),
        HirKind::Class(Class::Unicode(c)) => relax_class(c, in_lines),
        HirKind::Class(Class::Bytes(c)) if in_lines => {
            Hir::class(Class::Bytes(without_newline(c.clone())))
        }
        HirKind::Literal(l) if in_lines && l.0.contains(&b'\n') => Hir::fail(),
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(Class::Bytes(_)) => hir.clone(),
    }
}

/// `c` without `\n`.
fn without_newline(mut c: regex_syntax::hir::ClassBytes) -> regex_syntax::hir::ClassBytes {
    use regex_syntax::hir::{ClassBytes, ClassBytesRange};
    c.difference(&ClassBytes::new([ClassBytesRange::new(b'\n', b'\n')]));
    c
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
/// lazy DFA small on whole trees (#19). With `in_lines`, the ASCII part has no `\n`.
fn relax_class(c: &regex_syntax::hir::ClassUnicode, in_lines: bool) -> Hir {
    use regex_syntax::hir::{ClassBytes, ClassBytesRange};
    let ascii: Vec<ClassBytesRange> = c
        .ranges()
        .iter()
        .filter(|r| r.start() <= '\x7f')
        .map(|r| ClassBytesRange::new(r.start() as u8, r.end().min('\x7f') as u8))
        .collect();
    let mut ascii = ClassBytes::new(ascii);
    if in_lines {
        ascii = without_newline(ascii);
    }
    let ascii = Hir::class(Class::Bytes(ascii));
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
mod tests;
