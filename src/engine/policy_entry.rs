//! Names the policy entry a finding cites by its key path (`invariant.INV-03.sse-poll-lane.
//! patterns[axum-sse]`), not by its line: a comment added to the policy moves every line below
//! it, never an entry's name. Findings keep the byte span (SARIF and `--format json` still give
//! the line); the human output and the snapshots name the entry.
//!
//! The path is the innermost key or value whose span holds the cited span. Array elements are
//! named by their `id` when they are tables that carry one (`patterns[axum-sse]`), else by their
//! 0-based index (`surface[2]`).

use std::ops::Range;
use std::sync::Arc;

use toml_edit::{ImDocument, Item, Table, Value};

use crate::engine::source::Source;

/// The entries of one policy text, parsed once per render, on the first lookup: a run with no
/// finding to cite never parses the policy a second time (2 ms of a one-file `check --staged`,
/// #19).
#[derive(Debug)]
pub struct PolicyEntries {
    /// The text indexed.
    text: Arc<String>,
    /// (span, key path) of every key and value, in document order.
    entries: std::sync::OnceLock<Vec<(Range<usize>, String)>>,
}

impl PolicyEntries {
    /// Indexes `text`; a text that does not parse as TOML names no entry.
    pub fn new(text: impl Into<Arc<String>>) -> Self {
        PolicyEntries {
            text: text.into(),
            entries: std::sync::OnceLock::new(),
        }
    }

    fn entries(&self) -> &[(Range<usize>, String)] {
        self.entries.get_or_init(|| {
            let mut entries = Vec::new();
            if let Ok(doc) = ImDocument::parse(&*self.text) {
                let mut path = Vec::new();
                walk_table(doc.as_table(), &mut path, &mut entries);
            }
            entries
        })
    }

    /// The key path of the entry that holds `span` in `source`: looked up here when `source`
    /// is the text indexed, else in an index of `source` built for the call.
    pub fn id_in(&self, source: &Source, span: &Range<usize>) -> Option<String> {
        if *self.text == *source.text() {
            self.id_of(span).map(str::to_string)
        } else {
            PolicyEntries::new(source.text_arc())
                .id_of(span)
                .map(str::to_string)
        }
    }

    /// The key path of the innermost entry that holds `span`, if any does.
    pub fn id_of(&self, span: &Range<usize>) -> Option<&str> {
        self.entries()
            .iter()
            .filter(|(s, _)| s.start <= span.start && span.end <= s.end)
            // Innermost: the shortest span; among equals, the deepest path (a table's header
            // key and the table name the same text).
            .min_by_key(|(s, p)| (s.end - s.start, usize::MAX - p.len()))
            .map(|(_, p)| p.as_str())
    }
}

/// One path segment: a bare key as it is, any other key quoted as TOML would.
fn key_segment(key: &str) -> String {
    let is_bare = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if is_bare {
        key.to_string()
    } else {
        format!("{key:?}")
    }
}

fn joined(path: &[String]) -> String {
    let mut out = String::new();
    for seg in path {
        if !out.is_empty() && !seg.starts_with('[') {
            out.push('.');
        }
        out.push_str(seg);
    }
    out
}

/// `[id]` for an element that carries a string `id`, else `[index]`.
fn element_segment(id: Option<&str>, index: usize) -> String {
    match id {
        Some(id) => format!("[{}]", key_segment(id)),
        None => format!("[{index}]"),
    }
}

fn record(span: Option<Range<usize>>, path: &[String], out: &mut Vec<(Range<usize>, String)>) {
    if let Some(span) = span {
        out.push((span, joined(path)));
    }
}

fn walk_table(table: &Table, path: &mut Vec<String>, out: &mut Vec<(Range<usize>, String)>) {
    for (name, _) in table.iter() {
        let Some((key, item)) = table.get_key_value(name) else {
            continue;
        };
        path.push(key_segment(name));
        record(key.span(), path, out);
        walk_item(item, path, out);
        path.pop();
    }
}

fn walk_item(item: &Item, path: &mut Vec<String>, out: &mut Vec<(Range<usize>, String)>) {
    match item {
        Item::None => {}
        Item::Value(v) => walk_value(v, path, out),
        Item::Table(t) => {
            record(t.span(), path, out);
            walk_table(t, path, out);
        }
        Item::ArrayOfTables(a) => {
            for (i, t) in a.iter().enumerate() {
                let id = t.get("id").and_then(Item::as_str);
                path.push(element_segment(id, i));
                record(t.span(), path, out);
                walk_table(t, path, out);
                path.pop();
            }
        }
    }
}

fn walk_value(value: &Value, path: &mut Vec<String>, out: &mut Vec<(Range<usize>, String)>) {
    record(value.span(), path, out);
    match value {
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                let id = v
                    .as_inline_table()
                    .and_then(|t| t.get("id"))
                    .and_then(Value::as_str);
                path.push(element_segment(id, i));
                walk_value(v, path, out);
                path.pop();
            }
        }
        Value::InlineTable(t) => {
            for (name, v) in t.iter() {
                path.push(key_segment(name));
                if let Some((key, _)) = t.get_key_value(name) {
                    record(key.span(), path, out);
                }
                walk_value(v, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = r#"# a comment
version = 1

[invariant.INV-03]
title = "t"

[invariant.INV-03.sse-poll-lane]
paths = ["apps/**", "crates/**"]
patterns = [
  { id = "event-stream", regex = 'text/event-stream' },
  { id = "axum-sse", regex = 'Sse::new' },
]

[[invariant.INV-10.legacy.surface]]
root = ["apps/desktop/**"]

[[invariant.INV-10.legacy.surface]]
root = ["apps/mobile/**"]
"#;

    fn id(text: &str, needle: &str) -> Option<String> {
        let at = text.find(needle).unwrap();
        PolicyEntries::new(text.to_string())
            .id_of(&(at..at + needle.len()))
            .map(str::to_string)
    }

    #[test]
    fn entries_are_named_by_key_path_and_element_id() {
        assert_eq!(
            id(POLICY, "'Sse::new'").as_deref(),
            Some("invariant.INV-03.sse-poll-lane.patterns[axum-sse].regex")
        );
        assert_eq!(
            id(POLICY, "{ id = \"axum-sse\", regex = 'Sse::new' }").as_deref(),
            Some("invariant.INV-03.sse-poll-lane.patterns[axum-sse]")
        );
        assert_eq!(
            id(POLICY, "\"crates/**\"").as_deref(),
            Some("invariant.INV-03.sse-poll-lane.paths[1]")
        );
        assert_eq!(
            id(POLICY, "\"apps/mobile/**\"").as_deref(),
            Some("invariant.INV-10.legacy.surface[1].root[0]")
        );
        assert_eq!(
            id(POLICY, "\"t\"").as_deref(),
            Some("invariant.INV-03.title")
        );
        // A comment is no entry.
        assert_eq!(id(POLICY, "a comment"), None);
    }

    #[test]
    fn a_comment_edit_keeps_every_name() {
        let edited = POLICY.replace("# a comment\n", "# a comment\n# that grew\n# longer\n");
        for needle in ["'Sse::new'", "\"crates/**\"", "\"apps/mobile/**\"", "\"t\""] {
            assert_eq!(id(POLICY, needle), id(&edited, needle), "{needle}");
        }
    }

    #[test]
    fn odd_keys_are_quoted_and_bad_toml_names_nothing() {
        let text = "[a]\n\"x y\" = 1\n";
        assert_eq!(id(text, "1").as_deref(), Some("a.\"x y\""));
        let broken = "[a\n";
        assert_eq!(PolicyEntries::new(broken.to_string()).id_of(&(0..1)), None);
    }
}
