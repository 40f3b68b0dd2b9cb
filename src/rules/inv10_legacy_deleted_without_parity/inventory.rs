//! The inventory document: its markdown tables, the surface, gates and status columns, and
//! the rows that map legacy paths to parity gates.

use super::*;

#[derive(Debug)]
pub(crate) struct Row {
    /// Surface paths as written.
    pub(crate) surfaces: Vec<String>,
    pub(crate) globs: GlobSet,
    pub(crate) gates: Vec<u32>,
    pub(crate) status: Option<String>,
    /// Span of the row line.
    pub(crate) span: Range<usize>,
    /// Header of the column the gates were read from (none found: `None`).
    pub(crate) gates_column: Option<String>,
}

#[derive(Debug, Default)]
pub(crate) struct Inventory {
    pub(crate) rows: Vec<Row>,
    /// Header line of the first surface table.
    pub(crate) header: Option<Range<usize>>,
    /// Per-gate status from tables that list gates without surfaces.
    pub(crate) gate_status: BTreeMap<u32, (String, Range<usize>)>,
}

/// Paths in a surface cell: backticked tokens, else words containing `/`.
pub(crate) fn surface_paths(cell: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut parts = cell.split('`');
    let mut in_tick = false;
    let mut ticked = Vec::new();
    for p in parts.by_ref() {
        if in_tick {
            ticked.push(p.trim().to_string());
        }
        in_tick = !in_tick;
    }
    let candidates: Vec<String> = if ticked.is_empty() {
        cell.split(|c: char| c.is_whitespace() || c == ',')
            .map(|s| s.to_string())
            .collect()
    } else {
        ticked
    };
    for c in candidates {
        let c = c.trim().trim_end_matches('/').to_string();
        if c.contains('/') && !c.contains(' ') && !c.starts_with("http") {
            out.push(c);
        }
    }
    out
}

pub(crate) fn surface_globs(paths: &[String]) -> GlobSet {
    let mut b = GlobSetBuilder::new();
    for p in paths {
        let variants = if p.ends_with("/**") {
            vec![p.clone()]
        } else {
            vec![p.clone(), format!("{p}/**")]
        };
        for g in variants {
            if let Ok(glob) = GlobBuilder::new(&g).literal_separator(true).build() {
                b.add(glob);
            }
        }
    }
    b.build().unwrap_or_else(|_| GlobSet::empty())
}

/// One markdown table: header cells and body rows, each cell as its source text (escaped pipes
/// unescaped) with the row's span.
pub(crate) struct Table {
    pub(crate) header: Vec<String>,
    pub(crate) header_span: Range<usize>,
    pub(crate) rows: Vec<(Vec<String>, Range<usize>)>,
}

/// The tables of `text`, read with a CommonMark parser (GitHub tables: escaped pipes, inline
/// code, alignment rows), so a table inside a code block or a quote is not an inventory.
pub(crate) fn tables(text: &str) -> Vec<Table> {
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
    let mut out: Vec<Table> = Vec::new();
    let mut in_head = false;
    let mut row: Option<(Vec<String>, Range<usize>)> = None;
    let mut depth_hidden = 0usize;
    for (event, range) in Parser::new_ext(text, Options::ENABLE_TABLES).into_offset_iter() {
        match event {
            Event::Start(Tag::BlockQuote(_)) => depth_hidden += 1,
            Event::End(TagEnd::BlockQuote(_)) => depth_hidden = depth_hidden.saturating_sub(1),
            _ if depth_hidden > 0 => {}
            Event::Start(Tag::Table(_)) => out.push(Table {
                header: Vec::new(),
                header_span: range.start..range.start,
                rows: Vec::new(),
            }),
            Event::Start(Tag::TableHead) => {
                in_head = true;
                row = Some((Vec::new(), range));
            }
            Event::Start(Tag::TableRow) => row = Some((Vec::new(), range)),
            Event::Start(Tag::TableCell) => {
                if let Some((cells, _)) = row.as_mut() {
                    let raw = text.get(range).unwrap_or("");
                    cells.push(raw.trim().trim_matches('|').trim().replace("\\|", "|"));
                }
            }
            Event::End(TagEnd::TableHead) | Event::End(TagEnd::TableRow) => {
                if let (Some((cells, span)), Some(t)) = (row.take(), out.last_mut()) {
                    let span = span.start
                        ..text[span.start..span.end.min(text.len())].trim_end().len() + span.start;
                    if in_head {
                        t.header = cells;
                        t.header_span = span;
                    } else {
                        t.rows.push((cells, span));
                    }
                }
                in_head = false;
            }
            _ => {}
        }
    }
    out
}

pub(crate) fn parse_inventory(src: &Source, cfg: &Settings) -> Inventory {
    let mut inv = Inventory::default();
    for table in tables(src.text()) {
        let header = &table.header;
        let surface_col = header.iter().position(|h| cfg.surface_column.is_match(h));
        // The gates column: by header words, else by content (the column whose cells hold the
        // most gate IDs), so "Primary blockers" or an unnamed column still counts.
        let by_header = header
            .iter()
            .enumerate()
            .position(|(i, h)| Some(i) != surface_col && cfg.gates_column.is_match(h));
        let by_content = || {
            (0..header.len())
                .filter(|&i| Some(i) != surface_col)
                .map(|i| {
                    let n = table
                        .rows
                        .iter()
                        .filter(|(cs, _)| {
                            cs.get(i)
                                .is_some_and(|c| !cfg.gate_ids.parse(c, true).is_empty())
                        })
                        .count();
                    (n, i)
                })
                .filter(|(n, _)| *n > 0)
                .max_by_key(|(n, i)| (*n, std::cmp::Reverse(*i)))
                .map(|(_, i)| i)
        };
        let gates_col = by_header.or_else(by_content);
        let status_col = header.iter().enumerate().position(|(i, h)| {
            Some(i) != surface_col && Some(i) != gates_col && cfg.status_column.is_match(h)
        });
        for (cs, span) in &table.rows {
            let cell = |c: Option<usize>| c.and_then(|i| cs.get(i).map(String::as_str));
            let surfaces = cell(surface_col).map(surface_paths).unwrap_or_default();
            let gates = cell(gates_col)
                .map(|g| cfg.gate_ids.parse(g, false))
                .unwrap_or_default();
            let status = cell(status_col)
                .map(|s| s.trim_matches('`').trim().to_string())
                .filter(|s| !s.is_empty());
            if !surfaces.is_empty() {
                inv.header.get_or_insert_with(|| table.header_span.clone());
                inv.rows.push(Row {
                    globs: surface_globs(&surfaces),
                    surfaces,
                    gates,
                    status,
                    span: span.clone(),
                    gates_column: gates_col.and_then(|i| header.get(i).cloned()),
                });
            } else if let Some(status) = status {
                for g in gates {
                    inv.gate_status.insert(g, (status.clone(), span.clone()));
                }
            }
        }
    }
    inv
}
