//! [`Literals`]: the literals every match of a pattern list contains, found with SIMD literal
//! searches before any DFA runs (#19).
//!
//! The prefilter's lazy DFA reads every byte at ~450 MB/s on the bench box. Many policy
//! patterns are a few case-insensitive words (`ws-context` is `(?i)websocket|\bws\b|socket|..`),
//! which the regex crate cannot hand to a literal searcher: `(?i)socket` is 2^6 byte strings,
//! more with Unicode's `ſ` and Kelvin sign `K`. Here each pattern's required literal is taken
//! from its syntax tree and searched for, ASCII-lowercased, in an ASCII-lowercased copy of the
//! text (a stretch at a time, 4 KiB doubling to 64 KiB): aho-corasick's packed searcher (Teddy)
//! for literals of three bytes or more, memchr's `memmem` for two-byte ones. A line holds a
//! match only if it holds one of the literals, so the DFA runs on those lines alone. Whether
//! this search is used at all is [`super::Prefilter`]'s call (it stops when the literals are on
//! most lines).
//!
//! Soundness. A literal position stands for a character class of the pattern: a byte, or an
//! ASCII letter in both cases, plus the few non-ASCII characters Unicode case folding adds
//! (`ſ` to `s`, `K` to `k`). Those non-ASCII characters are searched for too (their UTF-8), and a
//! text holding one is read by the DFA alone, as before. Every other class (`\w`, `.`, a
//! range) ends a literal, and a pattern with a part that can match without one of its literals
//! (an optional part, an alternation branch without one) gives no gate at all. Lowercasing the
//! text and the literals alike only finds more.

use std::cell::RefCell;
use std::collections::BTreeSet;

use aho_corasick::{AhoCorasick, MatchKind};
use memchr::memmem;
use regex_syntax::hir::{Class, Hir, HirKind};

/// At most this many literals of three bytes or more (Teddy's limit is 64).
const MAX_LONG: usize = 64;
/// At most this many two-byte literals and folded characters (one `memmem` pass each).
const MAX_SHORT: usize = 6;
/// A class with more non-ASCII characters than this ends a literal.
const MAX_FOLDS: usize = 4;
/// The text is lowercased and searched a stretch at a time: the first this long, each next one
/// twice the last, up to [`CHUNK`]. On lines full of literals a search stops early, and then
/// little was lowercased for nothing.
const FIRST_CHUNK: usize = 4 << 10;
const CHUNK: usize = 64 << 10;

/// A required literal: one byte per position, an ASCII letter that the pattern admits in both
/// cases as its lowercase (the search is over lowercased text).
type Lit = Vec<u8>;

/// The literal search in front of a [`super::Prefilter`]'s DFA.
#[derive(Debug)]
pub(super) struct Literals {
    /// The literals of three bytes or more, lowercased.
    long: Option<AhoCorasick>,
    /// Two-byte literals (lowercased), then the UTF-8 of each non-ASCII character a literal
    /// position admits (from `first_fold` on).
    short: Vec<memmem::Finder<'static>>,
    first_fold: usize,
    /// The longest literal, in bytes: how far a chunk's search reads past its end.
    longest: usize,
}

/// A hit of the literal search.
pub(super) enum Hit {
    /// A literal occurrence starting at this offset.
    Literal(usize),
    /// A character the literals do not spell (`ſ`, `K`): from here on only the DFA can tell.
    Fold,
}

thread_local! {
    /// The buffer of the last [`Scan`] on this thread, for the next one.
    static SPARE: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Successive searches of one text: a lowercased stretch of it, `bytes` being
/// `text[start..start + bytes.len()]`, reused while the searches stay in it.
pub(super) struct Scan<'g, 't> {
    literals: &'g Literals,
    text: &'t str,
    start: usize,
    bytes: Vec<u8>,
    /// The length of the next stretch.
    chunk: usize,
}

impl Drop for Scan<'_, '_> {
    fn drop(&mut self) {
        let bytes = std::mem::take(&mut self.bytes);
        SPARE.with(|spare| *spare.borrow_mut() = bytes);
    }
}

impl Literals {
    /// The gate for `hirs` (each pattern's syntax tree), or `None` when some pattern can match
    /// without a literal of at least two bytes.
    pub(super) fn new(hirs: &[Hir]) -> Option<Literals> {
        let mut folds = BTreeSet::new();
        let mut lits: BTreeSet<Vec<u8>> = BTreeSet::new();
        for hir in hirs {
            for lit in required(hir, &mut folds)? {
                lits.insert(lit.to_ascii_lowercase());
            }
        }
        // Too many for one search (and the containment test below is quadratic): a policy
        // pattern with thousands of branches gets no gate, not a slow load.
        if lits.iter().any(|l| l.len() < 2) || lits.len() > 4 * MAX_LONG {
            return None;
        }
        // A literal holding another is found through the other.
        let kept: Vec<&Vec<u8>> = lits
            .iter()
            .filter(|l| {
                !lits
                    .iter()
                    .any(|o| o.len() < l.len() && memmem::find(l, o).is_some())
            })
            .collect();
        let (short, long): (Vec<&Vec<u8>>, Vec<&Vec<u8>>) =
            kept.into_iter().partition(|l| l.len() == 2);
        if long.len() > MAX_LONG || short.len() + folds.len() > MAX_SHORT {
            return None;
        }
        let longest = long
            .iter()
            .chain(&short)
            .map(|l| l.len())
            .max()
            .unwrap_or(2);
        let long = if long.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostFirst)
                    .build(&long)
                    .ok()?,
            )
        };
        let first_fold = short.len();
        let short = short
            .into_iter()
            .cloned()
            .chain(folds.iter().map(|c| c.to_string().into_bytes()))
            .map(|l| memmem::Finder::new(&l).into_owned())
            .collect();
        Some(Literals {
            long,
            short,
            first_fold,
            longest: longest.max(3),
        })
    }

    /// Searches of `text`.
    pub(super) fn scan<'t>(&self, text: &'t str) -> Scan<'_, 't> {
        let mut bytes = SPARE.with(|spare| std::mem::take(&mut *spare.borrow_mut()));
        bytes.clear();
        Scan {
            literals: self,
            text,
            start: 0,
            bytes,
            chunk: FIRST_CHUNK,
        }
    }
}

impl Scan<'_, '_> {
    /// The first hit in `text[at..end]`.
    pub(super) fn find(&mut self, at: usize, end: usize) -> Option<Hit> {
        let (text, longest) = (self.text, self.literals.longest);
        let mut from = at;
        while from < end {
            // Positions before `whole_to` start literals that are whole in the stretch.
            let whole_to = |start: usize, len: usize| {
                if start + len == text.len() {
                    text.len()
                } else {
                    (start + len + 1).saturating_sub(longest)
                }
            };
            if self.bytes.is_empty()
                || from < self.start
                || from >= whole_to(self.start, self.bytes.len())
            {
                let upto = (from + self.chunk + longest).min(text.len());
                self.chunk = (self.chunk * 2).min(CHUNK);
                self.start = from;
                self.bytes.clear();
                self.bytes.extend_from_slice(&text.as_bytes()[from..upto]);
                self.bytes.make_ascii_lowercase();
            }
            let base = self.start;
            let stop = whole_to(base, self.bytes.len()).min(end);
            let hay = &self.bytes[from - base..(end - base).min(self.bytes.len())];
            let limit = stop - from;
            let mut first: Option<(usize, bool)> = self
                .literals
                .long
                .as_ref()
                .and_then(|ac| ac.find(hay))
                .map(|m| (m.start(), false));
            for (i, finder) in self.literals.short.iter().enumerate() {
                let within = first.map_or(hay.len(), |(s, _)| s + finder.needle().len());
                if let Some(s) = finder.find(&hay[..within.min(hay.len())]) {
                    if first.is_none_or(|(f, _)| s < f) {
                        first = Some((s, i >= self.literals.first_fold));
                    }
                }
            }
            match first {
                Some((s, fold)) if s < limit => {
                    return Some(if fold {
                        Hit::Fold
                    } else {
                        Hit::Literal(from + s)
                    });
                }
                _ => from = stop,
            }
        }
        None
    }
}

/// Literals such that every match of `hir` contains one of them (as its positions admit),
/// adding to `folds` the non-ASCII characters a position stands for; `None` when no such set is
/// known (a part that can match the empty string, a class that is no case pair).
fn required(hir: &Hir, folds: &mut BTreeSet<char>) -> Option<Vec<Lit>> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => None,
        HirKind::Literal(l) => Some(vec![l.0.to_vec()]),
        HirKind::Class(_) => position(hir, folds).map(|p| vec![vec![p]]),
        HirKind::Capture(c) => required(&c.sub, folds),
        HirKind::Repetition(r) if r.min >= 1 => required(&r.sub, folds),
        HirKind::Repetition(_) => None,
        HirKind::Alternation(v) => {
            let mut out = Vec::new();
            for h in v {
                out.extend(required(h, folds)?);
            }
            Some(out)
        }
        HirKind::Concat(v) => {
            // Candidates: each run of single positions, and each other part's own set. The
            // best is the one whose shortest literal is longest, then the smallest.
            let mut best: Option<(Vec<Lit>, BTreeSet<char>)> = None;
            let mut consider = |set: Vec<Lit>, f: BTreeSet<char>| {
                let score = |s: &[Lit]| {
                    (
                        s.iter().map(|l| l.len().min(3)).min().unwrap_or(0),
                        std::cmp::Reverse(s.len()),
                    )
                };
                if best.as_ref().is_none_or(|(b, _)| score(&set) > score(b)) {
                    best = Some((set, f));
                }
            };
            let mut run: Lit = Vec::new();
            let mut run_folds = BTreeSet::new();
            for h in v {
                let mut f = BTreeSet::new();
                if let HirKind::Literal(l) = h.kind() {
                    run.extend_from_slice(&l.0);
                    continue;
                }
                if let Some(p) = position(h, &mut f) {
                    run.push(p);
                    run_folds.extend(f);
                    continue;
                }
                if !run.is_empty() {
                    consider(
                        vec![std::mem::take(&mut run)],
                        std::mem::take(&mut run_folds),
                    );
                }
                if let Some(set) = required(h, &mut f) {
                    consider(set, f);
                }
            }
            if !run.is_empty() {
                consider(vec![run], run_folds);
            }
            let (set, f) = best?;
            folds.extend(f);
            Some(set)
        }
    }
}

/// One position for a class: a single byte, or an ASCII letter in both cases (as its
/// lowercase), with at most [`MAX_FOLDS`] non-ASCII characters beside it (added to `folds`).
fn position(hir: &Hir, folds: &mut BTreeSet<char>) -> Option<u8> {
    let (ascii, non_ascii): (Vec<u8>, Vec<char>) = match hir.kind() {
        HirKind::Class(Class::Unicode(c)) => {
            let mut ascii = Vec::new();
            let mut non_ascii = Vec::new();
            for r in c.ranges() {
                for ch in r.start()..=r.end() {
                    if ch.is_ascii() {
                        ascii.push(ch as u8);
                    } else {
                        non_ascii.push(ch);
                    }
                    if ascii.len() > 2 || non_ascii.len() > MAX_FOLDS {
                        return None;
                    }
                }
            }
            (ascii, non_ascii)
        }
        HirKind::Class(Class::Bytes(c)) => {
            let mut bytes = Vec::new();
            for r in c.ranges() {
                for b in r.start()..=r.end() {
                    bytes.push(b);
                    if bytes.len() > 2 {
                        return None;
                    }
                }
            }
            (bytes, Vec::new())
        }
        _ => return None,
    };
    let pos = match ascii[..] {
        [byte] => byte,
        [a, b] if a.is_ascii_alphabetic() && a.eq_ignore_ascii_case(&b) && a != b => {
            a.to_ascii_lowercase()
        }
        _ => return None,
    };
    folds.extend(non_ascii);
    Some(pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literals(pats: &[&str]) -> Option<Literals> {
        let hirs: Vec<Hir> = pats
            .iter()
            .map(|p| regex_syntax::Parser::new().parse(p).unwrap())
            .collect();
        Literals::new(&hirs)
    }

    fn hits(g: &Literals, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut at = 0;
        let mut scan = g.scan(text);
        while let Some(h) = scan.find(at, text.len()) {
            let (kind, s) = match h {
                Hit::Literal(s) => ("w", s),
                Hit::Fold => ("f", at),
            };
            out.push(format!("{kind}{s}"));
            at = s + 1;
        }
        out
    }

    #[test]
    fn gate_finds_literals_in_any_case_and_reports_folds() {
        let g = literals(&[r"(?i)websocket|\bws\b|tungstenite|Message::Text|on_upgrade|socket"])
            .unwrap();
        assert_eq!(hits(&g, "a WS b"), vec!["w2"]);
        assert_eq!(hits(&g, "x on_Upgrade"), vec!["w2"]);
        assert_eq!(hits(&g, "no match here"), Vec::<String>::new());
        assert!(!hits(&g, "SoCkEt").is_empty());
        assert!(!hits(&g, "MESSAGE::TEXT").is_empty());
        // `ſocket` matches `(?i)socket`: the long s is searched for and hands over to the DFA.
        assert!(regex::Regex::new("(?i)socket").unwrap().is_match("ſocket"));
        assert!(hits(&g, "ſocket").iter().any(|h| h.starts_with('f')));
    }

    #[test]
    fn gate_needs_a_literal_in_every_branch() {
        // A branch that can match without a literal of two positions: no gate.
        assert!(literals(&[r"\w+"]).is_none());
        assert!(literals(&[r"(?i)token|\d{4}"]).is_none());
        assert!(literals(&[r"a"]).is_none());
        assert!(literals(&[r"(ab)?"]).is_none());
        // Thousands of branches: no gate (and no quadratic work to find that out).
        let many: Vec<String> = (0..5000).map(|i| format!("w{i:04}x")).collect();
        assert!(literals(&[&many.join("|")]).is_none());
        // A literal after an unbounded class is still required.
        assert!(literals(&[r"\w+_user\b"]).is_some());
        assert!(literals(&[r"^\s*import\s"]).is_some());
    }

    /// On generated texts, every text an exact pattern matches has a hit of its gate.
    #[test]
    fn gate_never_misses_a_match() {
        let pats = [
            r#"(?i)websocket|\bws\b|\bws_|_ws\b|socket|tungstenite|Message::Text|on_upgrade|"sync:"#,
            r"\b(issue|mint)_token\b",
            r"(?i)\bcognito",
            r"(?i)straße",
            r"\w+_user\b",
            r"(?i)k8s",
            r"[Ee]vent[Ss]ource",
            r"(?i)select\s+\*",
        ];
        let texts = [
            "x WS y",
            "ws_x",
            "a_ws",
            "new WebSocket()",
            "SOCKET",
            "tungstenite::",
            "message::text",
            "\"sync:x",
            "mint_token",
            "ISSUE_TOKEN",
            "CoGnItO",
            "STRASSE",
            "straſſe",
            "Straẞe",
            "é_user",
            "K8S",
            "\u{212A}8s",
            "eventSource",
            "EventSource",
            "SELECT  *",
            "ſelect *",
            "nothing at all",
        ];
        let mut matched = 0;
        for pat in pats {
            let exact = regex::Regex::new(pat).unwrap();
            let Some(g) = literals(&[pat]) else {
                continue;
            };
            for t in texts {
                if exact.is_match(t) {
                    matched += 1;
                    assert!(!hits(&g, t).is_empty(), "{pat} on {t:?}: no hit");
                }
            }
        }
        assert!(matched > 15, "{matched}");
    }
}
