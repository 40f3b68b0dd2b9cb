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
    name: String,
    text: Arc<str>,
    line_starts: Vec<usize>,
}

impl Source {
    /// Builds a source and its line index.
    pub fn new(name: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        let text: Arc<str> = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(memchr_iter(text.as_bytes()).map(|i| i + 1));
        Source {
            name: name.into(),
            text,
            line_starts,
        }
    }

    /// The name shown in diagnostics (a repository-relative path, or "PR description").
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The whole text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Shared handle to the text.
    pub fn text_arc(&self) -> Arc<str> {
        self.text.clone()
    }

    /// Number of lines (a trailing newline does not start a new line).
    pub fn line_count(&self) -> usize {
        let n = self.line_starts.len();
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
        let start = self.line_starts[line - 1];
        let mut end = self
            .line_starts
            .get(line)
            .map(|&next| next - 1)
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
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i + 1,
            Err(i) => i,
        }
    }

    /// 1-based (line, column) of byte `offset`; the column counts characters.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = floor_char_boundary(&self.text, offset.min(self.text.len()));
        let line = self.line_of(offset);
        let start = self.line_starts[line - 1];
        let col = self.text[start..offset].chars().count() + 1;
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
    pub fn named(&self) -> miette::NamedSource<Arc<str>> {
        miette::NamedSource::new(self.name.clone(), self.text.clone())
    }
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn memchr_iter(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes
        .iter()
        .enumerate()
        .filter(|(_, &b)| b == b'\n')
        .map(|(i, _)| i)
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
            self.name.clone(),
            contents.data(),
            *contents.span(),
            contents.line(),
            contents.column(),
            contents.line_count(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
