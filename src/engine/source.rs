//! `Source`: one text (a file at base or head, the PR description, the policy file), read once
//! and shared, with byte <-> line/column conversions.
//!
//! Spans everywhere in invlint are byte ranges into a `Source`. Lines are 1-based; columns are
//! 1-based and count characters, as editors, GitHub annotations and SARIF (with
//! `columnKind: unicodeCodePoints`) expect.

use std::ops::Range;
use std::sync::Arc;

use miette::{MietteError, MietteSpanContents, SourceCode, SourceSpan, SpanContents};

/// Longest line (in bytes) shown in a source excerpt; see [`Source::is_showable`].
pub const MAX_SHOWN_LINE_BYTES: usize = 4096;

/// A named text with a line index.
#[derive(Debug)]
pub struct Source {
    name: Arc<str>,
    /// An `Arc<String>`, not an `Arc<str>`: a text read from disk moves in without a copy
    /// (the copy into an `Arc<str>` was ~5 % of `check --all` on the real monorepo, #19).
    text: Arc<String>,
    /// Built on first use: most files a `check --all` reads never need a line or column
    /// (their prefilters find nothing), and the index was a fifth of their memory (#19).
    line_starts: std::sync::OnceLock<LineStarts>,
    /// [`crate::engine::depth::too_deep`] of the text, on first use: every check that parses
    /// a Rust file and the run's list of unparsed files ask for it.
    too_deep: std::sync::OnceLock<Option<crate::engine::depth::Refusal>>,
}

/// Byte offset of each line's start: 4 bytes a line for any text under 4 GiB (every file
/// invlint reads is far under `max-file-size`), 8 above; no spare capacity. A `check --all`
/// holds one per file it reads, so this is a fifth of its memory per file (#19).
#[derive(Debug)]
enum LineStarts {
    Narrow(Box<[u32]>),
    Wide(Box<[usize]>),
}

impl LineStarts {
    fn of(text: &str) -> LineStarts {
        let starts = std::iter::once(0).chain(memchr_iter(text.as_bytes()).map(|i| i + 1));
        if u32::try_from(text.len()).is_ok() {
            LineStarts::Narrow(starts.map(|i| i as u32).collect())
        } else {
            LineStarts::Wide(starts.collect())
        }
    }

    fn len(&self) -> usize {
        match self {
            LineStarts::Narrow(v) => v.len(),
            LineStarts::Wide(v) => v.len(),
        }
    }

    fn get(&self, i: usize) -> Option<usize> {
        match self {
            LineStarts::Narrow(v) => v.get(i).map(|&x| x as usize),
            LineStarts::Wide(v) => v.get(i).copied(),
        }
    }

    fn at(&self, i: usize) -> usize {
        self.get(i).expect("line index in range")
    }

    fn binary_search(&self, offset: usize) -> Result<usize, usize> {
        match self {
            // Offsets are clamped to the text, which fits in u32 here.
            LineStarts::Narrow(v) => v.binary_search(&(offset as u32)),
            LineStarts::Wide(v) => v.binary_search(&offset),
        }
    }
}

impl Source {
    /// Builds a source; its line index is built on first use.
    pub fn new(name: impl Into<Arc<str>>, text: impl Into<String>) -> Self {
        Source {
            name: name.into(),
            text: Arc::new(text.into()),
            line_starts: std::sync::OnceLock::new(),
            too_deep: std::sync::OnceLock::new(),
        }
    }

    fn starts(&self) -> &LineStarts {
        self.line_starts.get_or_init(|| LineStarts::of(&self.text))
    }

    /// The name shown in diagnostics (a repository-relative path, or "PR description").
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The whole text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Why the text is refused before parsing ([`crate::engine::depth::too_deep`]), computed
    /// once.
    pub fn too_deep(&self) -> Option<&'static str> {
        self.too_deep
            .get_or_init(|| crate::engine::depth::refusal(&self.text))
            .map(crate::engine::depth::Refusal::message)
    }

    /// Shared handle to the text.
    pub fn text_arc(&self) -> Arc<String> {
        self.text.clone()
    }

    /// Number of lines (a trailing newline does not start a new line).
    pub fn line_count(&self) -> usize {
        let n = self.starts().len();
        if self.text.ends_with('\n') {
            n - 1
        } else {
            n
        }
    }

    /// Byte range of 1-based line `line`, without its line terminator (`\n` or `\r\n`).
    pub fn line_range(&self, line: usize) -> Option<Range<usize>> {
        if line == 0 || line > self.line_count() {
            return None;
        }
        let start = self.starts().at(line - 1);
        let mut end = self
            .starts()
            .get(line)
            .map(|next| next - 1)
            .unwrap_or(self.text.len());
        if end > start && self.text.as_bytes()[end - 1] == b'\r' {
            end -= 1;
        }
        Some(start..end)
    }

    /// Text of 1-based line `line`, without its terminator.
    pub fn line(&self, line: usize) -> Option<&str> {
        self.line_range(line).map(|r| &self.text[r])
    }

    /// 1-based line containing byte `offset` (clamped to the text).
    pub fn line_of(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        match self.starts().binary_search(offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    /// 1-based (line, column) of byte `offset`; the column counts characters.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let line = self.line_of(offset);
        let start = self.starts().at(line - 1);
        let col = self.text[start..offset].chars().count() + 1;
        (line, col)
    }

    /// 1-based (line, column) of byte `offset` with the column in UTF-16 code units, as SARIF's
    /// default `columnKind: utf16CodeUnits` (and GitHub code scanning) count them: a character
    /// outside the Basic Multilingual Plane (an emoji) is two units, `é` is one.
    pub fn line_col_utf16(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let line = self.line_of(offset);
        let start = self.starts().at(line - 1);
        let col = self.text[start..offset]
            .chars()
            .map(char::len_utf16)
            .sum::<usize>()
            + 1;
        (line, col)
    }

    /// Byte offset of 1-based `line` and 0-based character `column` (proc-macro2's convention),
    /// clamped to the line's end.
    pub fn offset(&self, line: usize, column: usize) -> usize {
        let Some(range) = self.line_range(line) else {
            return self.text.len();
        };
        let text = &self.text[range.clone()];
        match text.char_indices().nth(column) {
            Some((i, _)) => range.start + i,
            None => range.end,
        }
    }

    /// True when the lines around `span` (one line of context each side) are short enough to
    /// show as a source excerpt. miette pads columns with `{:width$}`, which panics past 65,535
    /// columns, and a megabyte-long line (minified code, generated data) says nothing in a
    /// terminal anyway; such spans are shown as `path:line:col` only.
    pub fn is_showable(&self, span: &Range<usize>) -> bool {
        let first = self.line_of(span.start).saturating_sub(1).max(1);
        let last = self.line_of(span.end).saturating_add(1);
        (first..=last).all(|n| {
            self.line_range(n)
                .is_none_or(|r| r.len() <= MAX_SHOWN_LINE_BYTES)
        })
    }

    /// `name:line:col` of byte `offset`.
    pub fn location(&self, offset: usize) -> String {
        let (line, col) = self.line_col(offset);
        format!("{}:{line}:{col}", self.name)
    }

    /// A miette `NamedSource` over this text.
    pub fn named(&self) -> miette::NamedSource<Arc<String>> {
        miette::NamedSource::new(self.name.clone(), self.text.clone())
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Newline offsets, found with SIMD (`memchr`): indexing every file's lines was a tenth of a
/// full scan of a real tree when done byte by byte.
fn memchr_iter(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    memchr::memchr_iter(b'\n', bytes)
}

impl SourceCode for Source {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let contents = self
            .text
            .read_span(span, context_lines_before, context_lines_after)?;
        Ok(Box::new(MietteSpanContents::new_named(
            // A file name is the change's to choose: never a raw newline or escape in a header.
            crate::engine::render::sanitize::line(&self.name).into_owned(),
            contents.data(),
            *contents.span(),
            contents.line(),
            contents.column(),
            contents.line_count(),
        )))
    }
}

/// Lines longer than this (in characters) are cut to a window around the span when a cited
/// line (a policy entry, a related file) is shown under a finding.
pub const MAX_CITED_LINE_CHARS: usize = 120;

/// Width (in characters) of the window kept from a long cited line.
const CITED_WINDOW_CHARS: usize = 96;

/// A few lines of a [`Source`] cut to a window of columns, shown in place of the source when a
/// cited line is too long to read in a terminal (a policy regex of 300 characters). It keeps the
/// real line numbers and the real column in the `path:line:col` header.
#[derive(Debug)]
pub struct Excerpt {
    name: String,
    text: String,
    /// 0-based number of the excerpt's first line in the source.
    first_line: usize,
    /// Byte range of the span's line inside `text`, and the span's 0-based (line, column) in
    /// the source.
    target_line: Range<usize>,
    target_pos: (usize, usize),
    /// The span, moved into `text` (and cut at the window's edge).
    pub span: Range<usize>,
}

impl Source {
    /// An [`Excerpt`] of the lines around `span` (one each side), cut to a window of columns,
    /// when one of them is longer than [`MAX_CITED_LINE_CHARS`]; `None` when they all fit or the
    /// span covers more than one line.
    pub fn clipped(&self, span: &Range<usize>) -> Option<Excerpt> {
        let line = self.line_of(span.start);
        if self.line_of(span.end.max(span.start)) != line {
            return None;
        }
        let first = line.saturating_sub(1).max(1);
        let last = (line + 1).min(self.line_count());
        let long = (first..=last)
            .filter_map(|n| self.line(n))
            .any(|l| l.chars().count() > MAX_CITED_LINE_CHARS);
        if !long {
            return None;
        }
        let range = self.line_range(line)?;
        let start = floor_char_boundary(&self.text, span.start.clamp(range.start, range.end));
        let end = floor_char_boundary(&self.text, span.end.clamp(start, range.end));
        let col_start = self.text[range.start..start].chars().count();
        let col_end = col_start + self.text[start..end].chars().count();
        // Start at the line's beginning when the span fits that way (the entry's key stays in
        // view); else keep a little text before the span.
        let window_start = if col_end <= CITED_WINDOW_CHARS {
            0
        } else {
            col_start.saturating_sub(24)
        };
        let window_end = window_start + CITED_WINDOW_CHARS;
        let mut text = String::new();
        let mut target_line = 0..0;
        let mut new_span = 0..0;
        for n in first..=last {
            let Some(l) = self.line(n) else { continue };
            let line_start = text.len();
            let chars = l.chars().count();
            if chars <= MAX_CITED_LINE_CHARS {
                // Lines that fit (`deploy = [`, a short neighbour, a short cited line) are
                // shown whole; only long ones are cut to the window.
                if n == line {
                    new_span = line_start + (start - range.start)..line_start + (end - range.start);
                    target_line = line_start..line_start + l.len();
                }
                text.push_str(l);
                text.push('\n');
                continue;
            }
            if window_start > 0 && chars > 0 {
                text.push('…');
            }
            let kept_from = text.len();
            text.extend(l.chars().skip(window_start).take(CITED_WINDOW_CHARS));
            if chars > window_end {
                text.push('…');
            }
            if n == line {
                let byte_at = |col: usize| {
                    let k = col.saturating_sub(window_start).min(CITED_WINDOW_CHARS);
                    kept_from
                        + l.chars()
                            .skip(window_start)
                            .take(k)
                            .map(char::len_utf8)
                            .sum::<usize>()
                };
                new_span = byte_at(col_start)..byte_at(col_end.min(window_end));
                target_line = line_start..text.len();
            }
            text.push('\n');
        }
        Some(Excerpt {
            name: self.name.to_string(),
            text,
            first_line: first - 1,
            target_line,
            target_pos: (line - 1, col_start),
            span: new_span,
        })
    }
}

impl Excerpt {
    /// The excerpt's text (for tests).
    pub fn text(&self) -> &str {
        &self.text
    }
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        _span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        // miette asks for the span alone (no context) to write the `[path:line:col]` header,
        // and for the span with context to draw the lines.
        if context_lines_before == 0 && context_lines_after == 0 {
            let r = self.target_line.clone();
            return Ok(Box::new(MietteSpanContents::new_named(
                crate::engine::render::sanitize::line(&self.name).into_owned(),
                &self.text.as_bytes()[r.clone()],
                SourceSpan::from(r),
                self.target_pos.0,
                self.target_pos.1,
                1,
            )));
        }
        Ok(Box::new(MietteSpanContents::new_named(
            // A file name is the change's to choose: never a raw newline or escape in a header.
            crate::engine::render::sanitize::line(&self.name).into_owned(),
            self.text.as_bytes(),
            SourceSpan::from(0..self.text.len()),
            self.first_line,
            0,
            self.text.lines().count(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_columns_count_surrogate_pairs_as_two() {
        // `é` is 2 bytes, 1 char, 1 UTF-16 unit; `🦀` is 4 bytes, 1 char, 2 UTF-16 units.
        let s = Source::new("a.rs", "x\n é🦀 y\n");
        let y = s.text().find('y').unwrap();
        assert_eq!(s.line_col(y), (2, 5));
        assert_eq!(s.line_col_utf16(y), (2, 6));
        assert_eq!(s.line_col_utf16(0), (1, 1));
    }

    #[test]
    fn long_cited_lines_are_cut_to_a_window_around_the_span() {
        let long = format!("k = '{}' # end", "x".repeat(300));
        let text = format!("a = 1\n{long}\nb = 2\n");
        let s = Source::new("p.toml", text.as_str());
        let at = text.find("xxx").unwrap() + 100;
        let e = s.clipped(&(at..at + 5)).expect("long line is clipped");
        let lines: Vec<&str> = e.text().lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(
            lines[1].starts_with('…') && lines[1].ends_with('…'),
            "{}",
            lines[1]
        );
        assert!(lines[1].chars().count() <= CITED_WINDOW_CHARS + 2);
        assert_eq!(&e.text()[e.span.clone()], "xxxxx");
        assert_eq!(e.target_pos, (1, 105));
        // Lines that fit are shown whole, next to a cut one.
        let e = s.clipped(&(0..1)).expect("a neighbour of a long line");
        assert_eq!(e.text().lines().next(), Some("a = 1"));
        assert_eq!(&e.text()[e.span.clone()], "a");
        assert_eq!(e.target_pos, (0, 0));
        let short = Source::new("q", "a\nb\nc\nd\n");
        assert!(short.clipped(&(0..1)).is_none());
    }

    #[test]
    fn lines_and_columns() {
        let s = Source::new("a", "ab\r\ncé d\nlast");
        assert_eq!(s.line_count(), 3);
        assert_eq!(s.line(1), Some("ab"));
        assert_eq!(s.line(2), Some("cé d"));
        assert_eq!(s.line(3), Some("last"));
        assert_eq!(s.line(4), None);
        let d = s.text().find('d').unwrap();
        assert_eq!(s.line_col(d), (2, 4));
        assert_eq!(s.offset(2, 3), d);
        assert_eq!(s.offset(2, 99), s.line_range(2).unwrap().end);
    }

    #[test]
    fn trailing_newline_is_not_a_line() {
        let s = Source::new("a", "x\n");
        assert_eq!(s.line_count(), 1);
        assert_eq!(s.line_of(2), 2);
        let empty = Source::new("e", "");
        assert_eq!(empty.line_count(), 1);
        assert_eq!(empty.line_col(0), (1, 1));
    }
}
