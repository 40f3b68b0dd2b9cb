//! Policy validation: [`Validator`] collects every problem of a policy, each at its span, while
//! the invariants and their checks' settings compile; the shared compilers (glob lists,
//! regexes, pattern lists) and the checks' common assertions (`require_non_empty`) live here so
//! that no check repeats them.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use globset::GlobBuilder;
use toml::Spanned;

use crate::engine::config::did_you_mean;
use crate::engine::error::ConfigProblem;
use crate::engine::matchers::{
    nfa_within, GlobEntry, GlobList, LazyRegex, LazySet, Pattern, PatternList, RawPattern,
    MAX_GLOB_LEN, MAX_PATTERNS, MAX_REGEX_LEN, MAX_REGEX_NFA, MAX_SET_NFA,
};
use crate::engine::prefilter::Prefilter;
use crate::engine::source::Source;

/// Collects policy problems while compiling settings.
pub struct Validator {
    pub(crate) source: Arc<Source>,
    pub(crate) problems: Vec<ConfigProblem>,
    pub(crate) vocabulary: BTreeMap<String, Vec<Spanned<String>>>,
    /// Where a problem without a span of its own points: the header of the invariant being
    /// compiled (a missing key has no span; line 1 would mislead).
    pub(crate) fallback: Range<usize>,
    /// This exact policy text passed every check below in an earlier load by this build
    /// (`engine::policy_cache`): the checks that only prove a pattern or glob well-formed and
    /// under the size caps are skipped (the matchers record any build failure at first use).
    /// The cheap checks (lengths, counts, duplicates, references) still run.
    pub(crate) trusted: bool,
}

impl Validator {
    /// Records a problem at `span`.
    pub fn problem(
        &mut self,
        span: Range<usize>,
        message: impl Into<String>,
        label: impl Into<String>,
        help: Option<String>,
    ) {
        let span = if span.is_empty() && span.start == 0 {
            self.fallback.clone()
        } else {
            span
        };
        let mut message = message.into();
        let at = if self.source.is_showable(&span) {
            Some((span.start, span.len()).into())
        } else {
            message = format!("{message} (at {})", self.source.location(span.start));
            None
        };
        self.problems.push(ConfigProblem {
            message,
            src: self.source.named(),
            at,
            label: label.into(),
            help,
        });
    }

    /// Compiles a glob list. Entries: a glob (`apps/**`), a negated glob (`!**/tests/**`), or a
    /// vocabulary reference (`@tests`, `!@tests`).
    pub fn glob_list(&mut self, entries: &[Spanned<String>]) -> GlobList {
        let mut list = GlobList::default();
        for entry in entries {
            let raw = entry.get_ref().as_str();
            let (negated, body) = match raw.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, raw),
            };
            let expanded: Vec<(String, Range<usize>)> = if let Some(name) = body.strip_prefix('@') {
                match self.vocabulary.get(name) {
                    Some(globs) => globs
                        .iter()
                        .map(|g| (g.get_ref().clone(), g.span()))
                        .collect(),
                    None => {
                        let known: Vec<String> = self.vocabulary.keys().cloned().collect();
                        let hint = did_you_mean(name, known.iter().map(|s| s.as_str()));
                        self.problem(
                            entry.span(),
                            format!("unknown vocabulary set `@{name}`"),
                            "not defined under [vocabulary]",
                            Some(format!("define `{name} = [...]` under [vocabulary]{hint}")),
                        );
                        continue;
                    }
                }
            } else {
                vec![(body.to_string(), entry.span())]
            };
            for (glob_text, span) in expanded {
                if glob_text.len() > MAX_GLOB_LEN {
                    self.problem(
                        span,
                        format!(
                            "glob of {} characters, over the cap of {MAX_GLOB_LEN}",
                            glob_text.len()
                        ),
                        "too long",
                        Some("split it into several entries".into()),
                    );
                    continue;
                }
                match GlobBuilder::new(&glob_text)
                    .literal_separator(true)
                    .backslash_escape(true)
                    .build()
                {
                    Ok(glob) => {
                        // The glob's own regex must build (globset compiles it on first use;
                        // a failure there would silently match nothing).
                        let checked = if self.trusted {
                            Ok(())
                        } else {
                            regex_syntax::ParserBuilder::new()
                            .utf8(false)
                            .build()
                            .parse(glob.regex())
                            .map_err(|e| e.to_string())
                                .and_then(|hir| nfa_within(&[hir], MAX_REGEX_NFA))
                        };
                        if let Err(e) = checked {
                            let last = e.lines().last().unwrap_or("").trim().to_string();
                            self.problem(
                                span,
                                format!("glob `{glob_text}` is too complex to match: {last}"),
                                "too complex",
                                Some("use fewer nested `{a,b}` alternations; list the alternatives as separate entries".into()),
                            );
                            continue;
                        }
                        let item = GlobEntry {
                            text: if negated { format!("!{glob_text}") } else { glob_text },
                            span: span.clone(),
                        };
                        if negated {
                            list.exclude(glob, item);
                        } else {
                            list.include(glob, item);
                        }
                    }
                    Err(e) => self.problem(
                        span,
                        format!("invalid glob `{glob_text}`: {}", e.kind()),
                        "bad glob",
                        Some("globs use `*` within a path segment and `**` across segments, e.g. `apps/**/src/*.rs`".into()),
                    ),
                }
            }
        }
        list
    }

    /// Parses one regex under the caps (length, nesting), reporting problems at its span.
    fn regex_hir(&mut self, entry: &Spanned<String>) -> Option<regex_syntax::hir::Hir> {
        let text = entry.get_ref();
        if text.len() > MAX_REGEX_LEN {
            self.problem(
                entry.span(),
                format!(
                    "regex of {} characters, over the cap of {MAX_REGEX_LEN}",
                    text.len()
                ),
                "too long",
                Some("split it into several patterns, each under the cap".into()),
            );
            return None;
        }
        match regex_syntax::ParserBuilder::new().build().parse(text) {
            Ok(hir) => Some(hir),
            Err(e) => {
                self.bad_regex(entry, &e.to_string());
                None
            }
        }
    }

    fn bad_regex(&mut self, entry: &Spanned<String>, error: &str) {
        let last = error
            .lines()
            .last()
            .unwrap_or("invalid regex")
            .trim()
            .to_string();
        self.problem(
            entry.span(),
            format!("invalid regex `{}`: {last}", entry.get_ref()),
            "bad regex",
            Some("patterns use Rust regex syntax (https://docs.rs/regex); escape `\\` in TOML basic strings or use '...' literal strings".into()),
        );
    }

    /// Compiles one regex.
    pub fn regex(&mut self, entry: &Spanned<String>) -> Option<LazyRegex> {
        if self.trusted && entry.get_ref().len() <= MAX_REGEX_LEN {
            return Some(LazyRegex::new(entry.get_ref()));
        }
        // Parse, translate and build the NFA under the size limit: the checks compiling makes,
        // without the DFAs and prefilters that make compiling slow.
        let hir = self.regex_hir(entry)?;
        match nfa_within(std::slice::from_ref(&hir), MAX_REGEX_NFA) {
            Ok(()) => Some(LazyRegex::new(entry.get_ref())),
            Err(e) => {
                self.bad_regex(entry, &e);
                None
            }
        }
    }

    /// Compiles a list of named patterns.
    pub fn patterns(&mut self, raw: &[RawPattern]) -> PatternList {
        let mut items = Vec::new();
        let mut hirs = Vec::new();
        let mut seen = BTreeMap::new();
        if raw.len() > MAX_PATTERNS {
            let span = raw[MAX_PATTERNS].regex.span();
            self.problem(
                span,
                format!(
                    "{} patterns in one list, over the cap of {MAX_PATTERNS}",
                    raw.len()
                ),
                "one pattern too many",
                Some("merge patterns with alternation, or split the invariant".into()),
            );
        }
        for p in raw {
            if let Some(prev) = seen.insert(p.id.get_ref().clone(), p.id.span()) {
                let _ = prev;
                self.problem(
                    p.id.span(),
                    format!("pattern id `{}` is used twice", p.id.get_ref()),
                    "duplicate pattern id",
                    Some("give each pattern a unique id; findings name it".into()),
                );
            }
            // `Some(None)`: trusted, not parsed; `None`: invalid (reported).
            let hir = if self.trusted && p.regex.get_ref().len() <= MAX_REGEX_LEN {
                Some(None)
            } else {
                self.regex_hir(&p.regex).map(Some)
            };
            let near = p.near.as_ref().and_then(|n| self.regex(n));
            if let Some(hir) = hir {
                if p.near.is_some() && near.is_none() {
                    continue;
                }
                let regex = LazyRegex::new(p.regex.get_ref());
                if let Some(hir) = hir {
                    hirs.push((hir, p.regex.clone()));
                }
                items.push(Pattern {
                    id: p.id.get_ref().clone(),
                    regex,
                    what: p.what.get_ref().clone(),
                    near,
                    within: p.within.unwrap_or(5),
                    span: p.regex.span(),
                });
            }
        }
        // The list is matched as one set: it must build as one, never fall back to matching
        // nothing. Built here as a Thompson NFA under the limit (no DFA: that is first use).
        let all: Vec<regex_syntax::hir::Hir> = hirs.iter().map(|(h, _)| h.clone()).collect();
        let sized = if self.trusted {
            Ok(())
        } else {
            nfa_within(&all, MAX_SET_NFA)
        };
        if let Err(e) = sized {
            let mut blamed = false;
            for (hir, entry) in &hirs {
                if let Err(e) = nfa_within(std::slice::from_ref(hir), MAX_REGEX_NFA) {
                    self.bad_regex(entry, &e);
                    blamed = true;
                }
            }
            if !blamed {
                if let Some((_, first)) = hirs.first() {
                    self.problem(
                        first.span(),
                        format!(
                            "the {} patterns of this list together exceed the matcher size limit ({e})",
                            hirs.len()
                        ),
                        "this list is too large to match as one set",
                        Some("simplify the patterns (a Unicode class like `\\w{50}` is large; use `[A-Za-z0-9_]`) or split them between invariants".into()),
                    );
                }
            }
        }
        let texts: Vec<String> = items.iter().map(|p| p.regex.text.clone()).collect();
        let prefilter = Prefilter::new(texts.clone());
        let unconditional = items.iter().any(|p| p.near.is_some()).then(|| {
            let near = items.iter().filter_map(|p| p.near.as_ref());
            let rest = items.iter().filter(|p| p.near.is_none());
            (
                Prefilter::new(near.map(|n| n.text.clone()).collect()),
                Prefilter::new(rest.map(|p| p.regex.text.clone()).collect()),
            )
        });
        let set = LazySet::new(texts);
        PatternList {
            items,
            set,
            prefilter,
            unconditional,
        }
    }

    /// Reports each compiled pattern of `list` without a `name` capture group, which the check
    /// reads (`kind`: "client pattern"; `named`: what the group captures, "event name";
    /// `example`: a pattern that has one, for the hint).
    pub fn require_name_capture(
        &mut self,
        raw: &[RawPattern],
        list: &PatternList,
        kind: &str,
        named: &str,
        example: &str,
    ) {
        if self.trusted {
            return;
        }
        for p in &list.items {
            if p.regex.has_capture("name") {
                continue;
            }
            let span = raw
                .iter()
                .find(|r| r.id.get_ref() == &p.id)
                .map(|r| r.regex.span())
                .unwrap_or_else(|| p.span.clone());
            self.problem(
                span,
                format!("{kind} `{}` has no `name` capture group", p.id),
                "no (?P<name>...) group",
                Some(format!("capture the {named}, e.g. `{example}`")),
            );
        }
    }

    /// Reports `list` (the value of `key`) when it is empty: the check would then never see
    /// `what` (a missing key has no span; the problem points at the invariant's header).
    pub fn non_empty<T>(&mut self, list: &[T], what: &str, key: &str) {
        if list.is_empty() {
            self.require_non_empty(0..0, what, key);
        }
    }

    /// Reports an empty list that the check needs, at `span`.
    pub fn require_non_empty(&mut self, span: Range<usize>, what: &str, key: &str) {
        self.problem(
            span,
            format!(
                "`{key}` is empty, so {what} would {} be checked",
                if what.starts_with("no ") || what == "nothing" {
                    "ever"
                } else {
                    "never"
                }
            ),
            "empty",
            Some(format!(
                "list at least one entry in `{key}`, or mark the invariant `status = \"retired\"`"
            )),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(toml_text: &str) -> PatternList {
        #[derive(serde::Deserialize)]
        struct Raw {
            p: Vec<RawPattern>,
        }
        let raw: Raw = toml::from_str(toml_text).unwrap();
        let mut v = Validator {
            source: Arc::new(Source::new("inv-rules.toml", toml_text)),
            problems: Vec::new(),
            vocabulary: BTreeMap::new(),
            fallback: 0..0,
            trusted: false,
        };
        let list = v.patterns(&raw.p);
        assert!(v.problems.is_empty());
        list
    }

    fn picked(list: &PatternList, text: &str) -> Vec<usize> {
        list.prefilter_for(text).lines(&Source::new("a.ts", text))
    }

    #[test]
    fn a_pattern_whose_near_matches_nowhere_picks_no_line() {
        let both = list(
            r#"p = [
              { id = "frame", regex = '^\s*(type|op)\s*:', near = '\.send\(', within = 1, what = "f" },
              { id = "emit", regex = '\bemit\(', what = "e" },
            ]"#,
        );
        // No `.send(` anywhere: only the pattern without a `near` picks lines.
        let quiet = "const a = {\n  type: 'x',\n  op: 'y',\n};\nbus.emit('z');\n";
        assert_eq!(picked(&both, quiet), vec![5]);
        // A `.send(` anywhere (even too far to count): every pattern picks, as before.
        let loud = format!("{quiet}\n\n\n\nws.send(frame);\n");
        assert_eq!(picked(&both, &loud), vec![2, 3, 5]);
        // Every pattern has a `near` that matches nowhere: no line.
        let only = list(r#"p = [{ id = "frame", regex = '\w*type', near = 'send', what = "f" }]"#);
        assert!(!only.prefilter.is_fast());
        assert!(picked(&only, "type\ntype\n").is_empty());
        assert_eq!(picked(&only, "type\nsend\n"), vec![1]);
        // Where regex-automata prefilters the list itself, no pass for the `near`s is made.
        let fast =
            list(r#"p = [{ id = "sse", regex = 'EventSource', near = 'fetch', what = "s" }]"#);
        assert!(fast.prefilter.is_fast());
        assert_eq!(picked(&fast, "new EventSource(u)\n"), vec![1]);
        // A list without `near` has one prefilter.
        let plain = list(r#"p = [{ id = "emit", regex = 'emit', what = "e" }]"#);
        assert!(plain.unconditional.is_none());
    }
}
