//! One glob matched against a few paths without compiling it. A pre-commit run on one staged
//! file, or a diff of a few dozen files, asks each of the policy's ~100 glob lists about a
//! handful of paths; building their `GlobSet`s (regex sets, Aho-Corasick automata) was a
//! seventh of such a run (#19). [`Interp`] reads the regex globset itself derives from the glob
//! (`Glob::regex`, the definition of what the glob matches) and runs it as a set of positions:
//! no automaton is built, and the time is linear in the path per regex node (no backtracking, so
//! a hostile path name cannot make it blow up).

use regex_syntax::hir::{Class, Hir, HirKind, Look};

/// Longest glob regex interpreted; a longer one is left to the built set (whose build limits
/// then apply, as before).
const MAX_REGEX: usize = 4096;

/// A glob's regex, parsed (not compiled) the way globset parses it.
#[derive(Debug, Clone)]
pub(crate) struct Interp {
    hir: Hir,
}

impl Interp {
    /// `None` when the regex does not parse, is long, or uses a construct the interpreter does
    /// not handle: the caller then builds the set.
    pub(crate) fn new(regex: &str) -> Option<Interp> {
        if regex.len() > MAX_REGEX {
            return None;
        }
        // globset's `new_regex`: bytes, `.` matches `\n` (the regex itself says `(?-u)`).
        let hir = regex_syntax::ParserBuilder::new()
            .utf8(false)
            .dot_matches_new_line(true)
            .build()
            .parse(regex)
            .ok()?;
        supported(&hir, 0).then_some(Interp { hir })
    }

    /// True when the whole of `path` matches.
    pub(crate) fn is_match(&self, path: &str) -> bool {
        let path = path.as_bytes();
        let mut start = Positions::new(path.len());
        start.insert(0);
        // `^` and `$` are the ends: a match starts at 0 and must end at `path.len()`.
        step(&self.hir, &start, path).contains(path.len())
    }
}

/// Nesting deeper than this is left to the built set (globset nests one level of `{..}`).
const MAX_DEPTH: usize = 32;

fn supported(hir: &Hir, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    match hir.kind() {
        // Glob regexes say `(?-u)`: their classes are bytes. A Unicode one is left to the set.
        HirKind::Empty | HirKind::Literal(_) | HirKind::Class(Class::Bytes(_)) => true,
        HirKind::Class(Class::Unicode(_)) => false,
        HirKind::Look(l) => matches!(l, Look::Start | Look::End),
        HirKind::Repetition(r) => supported(&r.sub, depth + 1),
        HirKind::Capture(c) => supported(&c.sub, depth + 1),
        HirKind::Concat(v) | HirKind::Alternation(v) => v.iter().all(|h| supported(h, depth + 1)),
    }
}

/// A set of positions `0..=len` in the path.
#[derive(Clone, PartialEq, Eq)]
struct Positions {
    words: Vec<u64>,
    len: usize,
}

impl Positions {
    fn new(len: usize) -> Positions {
        Positions {
            words: vec![0; len / 64 + 1],
            len,
        }
    }
    fn insert(&mut self, i: usize) {
        self.words[i / 64] |= 1 << (i % 64);
    }
    fn contains(&self, i: usize) -> bool {
        i <= self.len && self.words[i / 64] & (1 << (i % 64)) != 0
    }
    fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }
    fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.words.iter().enumerate().flat_map(|(k, &w)| {
            let mut w = w;
            std::iter::from_fn(move || {
                (w != 0).then(|| {
                    let bit = w.trailing_zeros() as usize;
                    w &= w - 1;
                    k * 64 + bit
                })
            })
        })
    }
    fn union_with(&mut self, other: &Positions) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a |= b;
        }
    }
    /// `self` without `other`.
    fn minus(&self, other: &Positions) -> Positions {
        let mut out = self.clone();
        for (a, b) in out.words.iter_mut().zip(&other.words) {
            *a &= !b;
        }
        out
    }
}

/// Where a match of `hir` can end, having started at any of `from`.
fn step(hir: &Hir, from: &Positions, path: &[u8]) -> Positions {
    let n = path.len();
    let mut out = Positions::new(n);
    match hir.kind() {
        HirKind::Empty => return from.clone(),
        HirKind::Literal(lit) => {
            for p in from.iter() {
                if path[p..].starts_with(&lit.0) {
                    out.insert(p + lit.0.len());
                }
            }
        }
        HirKind::Class(Class::Bytes(c)) => {
            for p in from.iter().filter(|&p| p < n && in_class(c, path[p])) {
                out.insert(p + 1);
            }
        }
        HirKind::Class(Class::Unicode(_)) => unreachable!("rejected by `supported`"),
        HirKind::Look(Look::Start) => {
            if from.contains(0) {
                out.insert(0);
            }
        }
        HirKind::Look(Look::End) => {
            if from.contains(n) {
                out.insert(n);
            }
        }
        HirKind::Look(_) => unreachable!("rejected by `supported`"),
        HirKind::Capture(c) => return step(&c.sub, from, path),
        HirKind::Concat(v) => {
            let mut at = from.clone();
            for h in v {
                if at.is_empty() {
                    break;
                }
                at = step(h, &at, path);
            }
            return at;
        }
        HirKind::Alternation(v) => {
            for h in v {
                out.union_with(&step(h, from, path));
            }
        }
        HirKind::Repetition(r) if r.min == 0 && r.max.is_none() && is_byte_class(&r.sub) => {
            // `[^/]*` and `.*`, most of every glob: one pass, each position reachable from a
            // start or from the position before it through a byte of the class.
            let HirKind::Class(Class::Bytes(c)) = r.sub.kind() else {
                unreachable!()
            };
            let mut reach = false;
            for i in 0..=n {
                reach = from.contains(i) || (reach && in_class(c, path[i - 1]));
                if reach {
                    out.insert(i);
                }
            }
        }
        HirKind::Repetition(r) => {
            // `min` times, then up to `max - min` more (or any number): each round adds only
            // positions not seen, so an unbounded one stops after at most `n + 1` rounds.
            let mut at = from.clone();
            for _ in 0..r.min {
                at = step(&r.sub, &at, path);
            }
            let mut seen = at.clone();
            let mut frontier = at;
            let mut rounds = 0u32;
            while !frontier.is_empty() && r.max.is_none_or(|m| rounds < m - r.min) {
                frontier = step(&r.sub, &frontier, path).minus(&seen);
                seen.union_with(&frontier);
                rounds += 1;
            }
            return seen;
        }
    }
    out
}

fn is_byte_class(hir: &Hir) -> bool {
    matches!(hir.kind(), HirKind::Class(Class::Bytes(_)))
}

fn in_class(c: &regex_syntax::hir::ClassBytes, b: u8) -> bool {
    c.ranges().iter().any(|r| r.start() <= b && b <= r.end())
}

/// Every string of at most `n` pieces of `pieces`, the empty one first: the exhaustive glob
/// tests' globs and paths.
#[cfg(test)]
pub(crate) fn strings_of(pieces: &[&str], n: usize) -> Vec<String> {
    let mut all = vec![String::new()];
    let mut frontier = vec![String::new()];
    for _ in 0..n {
        frontier = frontier
            .iter()
            .flat_map(|s| pieces.iter().map(move |p| format!("{s}{p}")))
            .collect();
        all.extend(frontier.iter().cloned());
    }
    all
}

/// Each of `globs` that globset builds, with and without `literal_separator` (glob lists
/// separate, `*` stopping at `/`; the plane map's table globs do not), `\` escaping as the
/// policy's globs do.
#[cfg(test)]
pub(crate) fn built_both_ways(globs: &[String]) -> Vec<(&str, bool, globset::Glob)> {
    globs
        .iter()
        .flat_map(|g| [(g, true), (g, false)])
        .filter_map(|(glob, separator)| {
            globset::GlobBuilder::new(glob)
                .literal_separator(separator)
                .backslash_escape(true)
                .build()
                .ok()
                .map(|g| (glob.as_str(), separator, g))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every glob of up to three tokens against every path of up to four characters over
    /// `a`, `b`, `/`, `.`, `é`, with and without `literal_separator`: the interpreter agrees
    /// with globset's compiled matcher on each.
    #[test]
    fn interpreter_agrees_with_globset() {
        let tokens = [
            "a", "/", ".", "*", "**", "?", "[ab]", "[!a]", "[é-ê]", "{a,/b}", "{,a}", "\\*",
            "/**/", "**/", "/**", "é",
        ];
        let mut paths = strings_of(&["a", "b", "/", ".", "é"], 4);
        paths.push("a\nb".into());
        let globs = strings_of(&tokens, 3);
        let mut checked = 0;
        for (glob, separator, g) in built_both_ways(&globs) {
            let m = g.compile_matcher();
            let interp = Interp::new(g.regex()).unwrap_or_else(|| panic!("{glob} not handled"));
            for p in &paths {
                assert_eq!(
                    interp.is_match(p),
                    m.is_match(p),
                    "glob {glob:?} (separator {separator}) on {p:?}"
                );
                checked += 1;
            }
        }
        assert!(checked > 1_000_000, "{checked}");
    }

    #[test]
    fn long_paths_and_many_stars_stay_linear() {
        let g = globset::Glob::new(&"*a".repeat(40)).unwrap();
        let interp = Interp::new(g.regex()).unwrap();
        let path = "a".repeat(4000) + "b";
        let t = std::time::Instant::now();
        assert!(!interp.is_match(&path));
        // Backtracking would not finish; the position sets take milliseconds.
        assert!(t.elapsed() < std::time::Duration::from_secs(5));
        assert!(Interp::new(&"a".repeat(MAX_REGEX + 1)).is_none());
    }
}
