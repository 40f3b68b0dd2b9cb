//! SQL statements: splitting, parsing with `sqlparser` (PostgreSQL dialect) under nesting and
//! size bounds, and the tokenizer fallback for SQL that does not parse.

use super::*;

/// Splits `sql` into statements and appends what each touches. Byte `o` of `sql` is at
/// `whole.start + o` in the file, or, for a literal whose escapes were decoded, at
/// `whole.start + map[o]` ([`Lit::clean`]).
///
/// With `skip_unqualified` (a file whose unqualified table names all belong to its own plane,
/// in a plane whose own tables no check reads: see [`super::Scan`]), a statement without a `.`
/// is dropped unparsed: it can name no schema, neither to sqlparser (an object name's parts are
/// joined by a `.` token) nor to the fallback tokenizer, so all its tables are its own plane's
/// and no check has anything to say about it. Parsing those was most of the SQL scan (#19).
pub(crate) fn sql_statements(
    sql: &str,
    whole: Range<usize>,
    map: Option<&[usize]>,
    via: &str,
    skip_unqualified: bool,
    out: &mut Vec<Statement>,
) {
    // Offset `o` of `sql` in the file: through `map` where escapes were decoded.
    let at = |o: usize| {
        whole.start + map.map_or(o, |m| m.get(o).copied().unwrap_or(whole.end - whole.start))
    };
    for r in split_statements(sql) {
        let chunk = &sql[r.clone()];
        if chunk.trim().is_empty() || (skip_unqualified && !chunk.contains('.')) {
            continue;
        }
        let toks = tokens(chunk);
        let (uses, parsed) = match parse_uses(chunk) {
            Some(found) => {
                let uses = found
                    .into_iter()
                    .map(|(schema, name, kind)| {
                        let span = locate(&toks, schema.as_deref(), &name)
                            .map(|s| at(r.start + s.start)..at(r.start + s.end))
                            .unwrap_or_else(|| whole.clone());
                        TableUse {
                            schema,
                            name,
                            kind,
                            span,
                        }
                    })
                    .collect::<Vec<_>>();
                (uses, true)
            }
            None => {
                let uses = fallback_uses(chunk, &toks)
                    .into_iter()
                    .map(|(written, kind, s)| {
                        use_of(&written, kind, at(r.start + s.start)..at(r.start + s.end))
                    })
                    .collect();
                (uses, false)
            }
        };
        if !uses.is_empty() {
            out.push(Statement {
                uses,
                parsed,
                via: via.to_string(),
                sql: Some(chunk.to_string()),
            });
        }
    }
}

/// Statement ranges: split on `;` outside quotes, comments and dollar quotes.
pub(crate) fn split_statements(sql: &str) -> Vec<Range<usize>> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\'' | b'"' => {
                let q = b[i];
                i += 1;
                while i < b.len() && b[i] != q {
                    i += 1;
                }
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i = find(b, i + 2, b"*/").map(|e| e + 1).unwrap_or(b.len());
            }
            b'$' => {
                // $tag$ ... $tag$
                let mut j = i + 1;
                while j < b.len() && is_word(b[j]) {
                    j += 1;
                }
                if b.get(j) == Some(&b'$') && !(j > i + 1 && b[i + 1].is_ascii_digit()) {
                    let tag = &b[i..=j];
                    i = find(b, j + 1, tag)
                        .map(|e| e + tag.len() - 1)
                        .unwrap_or(b.len());
                }
            }
            b';' => {
                out.push(start..i);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < sql.len() {
        out.push(start..sql.len());
    }
    out
}

/// sqlparser's recursion limit. Reaching it is not enough: sqlparser retries a keyword-led
/// expression (`ARRAY[`, `NOT`, `CASE`) as an identifier when its first parse fails, so a
/// statement that hits the limit under n such levels costs 2^n parses (`ARRAY[` 62 deep ran for
/// minutes). [`nesting`] keeps every statement handed to it well under the limit.
pub(crate) const SQL_RECURSION_LIMIT: usize = 64;

/// Deepest statement handed to sqlparser, as [`nesting`] estimates it; deeper ones are read
/// by the text fallback. Real queries nest a handful of levels.
pub(crate) const MAX_SQL_NESTING: usize = 24;

/// Longest statement handed to sqlparser; longer ones (bulk `INSERT .. VALUES` data) are read by
/// the text fallback, which costs one pass.
pub(crate) const MAX_STATEMENT_BYTES: usize = 256 << 10;

/// An upper estimate of how deep sqlparser recurses on `sql`: brackets and `CASE .. END` open a
/// level; a run of prefix keywords or operators (`NOT NOT`, `- -`, `EXISTS`, `ARRAY`) adds one
/// level each until an operand ends the run. Counted on raw bytes, string literals included, so
/// it can only overestimate.
pub(crate) fn nesting(sql: &str) -> usize {
    const PREFIX_WORDS: &[&str] = &[
        "not", "exists", "array", "interval", "when", "then", "else", "prior", "row", "distinct",
        "all", "any", "some", "lateral", "select", "case", "cast", "collate", "at", "time", "zone",
    ];
    let b = sql.as_bytes();
    let mut stack: Vec<usize> = Vec::new();
    let (mut level, mut run, mut max) = (0usize, 0usize, 0usize);
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_alphanumeric() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            let word = &sql[start..i];
            if word.eq_ignore_ascii_case("case") {
                stack.push(level);
                level += 1 + run;
                run = 0;
            } else if word.eq_ignore_ascii_case("end") {
                level = stack.pop().unwrap_or(0);
                run = 0;
            } else if PREFIX_WORDS.iter().any(|w| word.eq_ignore_ascii_case(w)) {
                run += 1;
            } else {
                run = 0;
            }
            max = max.max(level + run);
            continue;
        }
        match c {
            b'(' | b'[' => {
                stack.push(level);
                level += 1 + run;
                run = 0;
            }
            b')' | b']' => {
                level = stack.pop().unwrap_or(0);
                run = 0;
            }
            b'-' | b'+' | b'~' | b'!' | b'@' | b'#' | b'&' | b'|' | b'=' | b'<' | b'>' => run += 1,
            _ if c.is_ascii_whitespace() => {}
            _ => run = 0,
        }
        max = max.max(level + run);
        i += 1;
    }
    max
}

/// Tables of one statement with sqlparser: `(schema, name, kind)`, or `None` if it does not parse.
pub(crate) fn parse_uses(chunk: &str) -> Option<Vec<(Option<String>, String, Kind)>> {
    use sqlparser::ast::{ObjectName, ObjectType, Query, Statement as S, Visit, Visitor};
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::parser::Parser;

    let filled = fill_holes(chunk);
    if filled.len() > MAX_STATEMENT_BYTES || nesting(&filled) > MAX_SQL_NESTING {
        return None; // the text fallback reads it (see `fallback_note`)
    }
    let stmts = Parser::new(&PostgreSqlDialect {})
        .with_recursion_limit(SQL_RECURSION_LIMIT)
        .try_with_sql(&filled)
        .and_then(|mut p| p.parse_statements())
        .ok()?;

    struct Rel {
        ctes: BTreeSet<String>,
        names: Vec<Vec<String>>,
    }
    impl Visitor for Rel {
        type Break = ();
        fn pre_visit_query(&mut self, q: &Query) -> ControlFlow<()> {
            if let Some(w) = &q.with {
                for c in &w.cte_tables {
                    self.ctes.insert(c.alias.name.value.to_lowercase());
                }
            }
            ControlFlow::Continue(())
        }
        fn pre_visit_relation(&mut self, r: &ObjectName) -> ControlFlow<()> {
            self.names.push(parts(r));
            ControlFlow::Continue(())
        }
    }
    fn parts(r: &ObjectName) -> Vec<String> {
        r.0.iter()
            .map(|p| p.to_string().trim_matches('"').to_lowercase())
            .collect()
    }
    fn to_pair(p: &[String]) -> Option<(Option<String>, String)> {
        match p {
            [] => None,
            [n] => Some((None, n.clone())),
            [.., s, n] => Some((Some(s.clone()), n.clone())),
        }
    }

    let mut found = Vec::new();
    for st in &stmts {
        let mut rel = Rel {
            ctes: BTreeSet::new(),
            names: Vec::new(),
        };
        let _ = st.visit(&mut rel);
        let first_kind = match st {
            S::Insert(_) | S::Update { .. } | S::Delete(_) | S::Merge { .. } => Some(Kind::Write),
            S::CreateTable(_) | S::AlterTable { .. } | S::CreateIndex(_) => Some(Kind::Ddl),
            _ => None,
        };
        if let S::Drop {
            object_type: ObjectType::Table,
            names,
            ..
        } = st
        {
            for n in names {
                if let Some((s, n)) = to_pair(&parts(n)) {
                    found.push((s, n, Kind::Ddl));
                }
            }
        }
        let all_write = matches!(st, S::Truncate { .. });
        let mut seen = BTreeSet::new();
        for (i, p) in rel.names.iter().enumerate() {
            let Some((s, n)) = to_pair(p) else { continue };
            if s.is_none() && rel.ctes.contains(&n) {
                continue;
            }
            let kind = if all_write {
                Kind::Write
            } else if i == 0 {
                first_kind.unwrap_or(Kind::Read)
            } else {
                Kind::Read
            };
            if seen.insert((s.clone(), n.clone(), kind)) {
                found.push((s, n, kind));
            }
        }
    }
    Some(found)
}

/// `chunk` with template holes (`${x}`, `#{x}`, `{}`) and `?`/`:name` bind markers replaced by
/// `$1`, so templated SQL whose holes sit in value positions still parses. Spans are never taken
/// from this text.
pub(crate) fn fill_holes(chunk: &str) -> String {
    let b = chunk.as_bytes();
    let mut out = String::with_capacity(chunk.len());
    let mut i = 0;
    let mut last = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'\'' {
            i = find(b, i + 1, b"'").map(|e| e + 1).unwrap_or(b.len());
            continue;
        }
        let hole_end = if (c == b'$' || c == b'#') && b.get(i + 1) == Some(&b'{') || c == b'{' {
            find(b, i, b"}").map(|e| e + 1)
        } else if c == b'?' && !matches!(b.get(i + 1), Some(b'?' | b'|' | b'&')) {
            Some(i + 1)
        } else if c == b':'
            && i > 0
            && b[i - 1] != b':'
            && b.get(i + 1).is_some_and(|n| n.is_ascii_alphabetic())
        {
            let mut e = i + 1;
            while e < b.len() && is_word(b[e]) {
                e += 1;
            }
            Some(e)
        } else {
            None
        };
        if let Some(e) = hole_end {
            out.push_str(&chunk[last..i]);
            out.push_str("$1");
            i = e;
            last = e;
            continue;
        }
        i += 1;
    }
    out.push_str(chunk.get(last..).unwrap_or(""));
    out
}

/// A token of the fallback tokenizer.
#[derive(Debug, Clone)]
pub(crate) struct Tok {
    /// Lowercase text (quotes removed for identifiers).
    pub(crate) text: String,
    pub(crate) span: Range<usize>,
    pub(crate) is_ident: bool,
}

/// Words, quoted identifiers and punctuation; strings, comments and template holes are skipped.
pub(crate) fn tokens(sql: &str) -> Vec<Tok> {
    let b = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c == b'-' && b.get(i + 1) == Some(&b'-') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            i = find(b, i + 2, b"*/").map(|e| e + 2).unwrap_or(b.len());
        } else if c == b'\'' {
            i = find(b, i + 1, b"'").map(|e| e + 1).unwrap_or(b.len());
        } else if (c == b'$' || c == b'#') && b.get(i + 1) == Some(&b'{') || c == b'{' {
            // Template hole: ${x}, #{x}, {x}, {}.
            out.push(Tok {
                text: "{}".into(),
                span: i..i + 1,
                is_ident: false,
            });
            i = find(b, i, b"}").map(|e| e + 1).unwrap_or(b.len());
        } else if c == b'"' || c == b'`' {
            let end = find(b, i + 1, &[c]).unwrap_or(b.len());
            if let Some(t) = sql.get(i + 1..end) {
                out.push(Tok {
                    text: t.to_lowercase(),
                    span: i..(end + 1).min(b.len()),
                    is_ident: true,
                });
            }
            i = end + 1;
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let s = i;
            while i < b.len() && (is_word(b[i]) || b[i] == b'$') {
                i += 1;
            }
            out.push(Tok {
                text: sql[s..i].to_lowercase(),
                span: s..i,
                is_ident: true,
            });
        } else {
            if !c.is_ascii_whitespace() {
                let s = i;
                let e = (s + 1..=b.len())
                    .find(|&e| sql.is_char_boundary(e))
                    .unwrap_or(b.len());
                out.push(Tok {
                    text: sql[s..e].to_string(),
                    span: s..e,
                    is_ident: false,
                });
                i = e;
                continue;
            }
            i += 1;
        }
    }
    out
}

/// Span of `schema.name` (or `name`) among the tokens.
pub(crate) fn locate(toks: &[Tok], schema: Option<&str>, name: &str) -> Option<Range<usize>> {
    for (i, t) in toks.iter().enumerate() {
        if !t.is_ident || t.text != name {
            continue;
        }
        let qualified = i >= 2 && toks[i - 1].text == "." && toks[i - 2].is_ident;
        match schema {
            Some(s) if qualified && toks[i - 2].text == s => {
                return Some(toks[i - 2].span.start..t.span.end)
            }
            Some(_) => continue,
            None if !qualified => return Some(t.span.clone()),
            None => {}
        }
    }
    // The name alone, if the qualifier is written differently.
    toks.iter()
        .find(|t| t.is_ident && t.text == name)
        .map(|t| t.span.clone())
}

pub(crate) const NOT_TABLES: &[&str] = &[
    "select",
    "only",
    "lateral",
    "if",
    "not",
    "exists",
    "unnest",
    "generate_series",
    "as",
    "on",
    "where",
    "values",
    "set",
    "default",
    "jsonb_to_recordset",
    "json_to_recordset",
    "into",
];

/// Tables found by keyword position in SQL that did not parse: `(written, kind, span)`.
pub(crate) fn fallback_uses(_chunk: &str, toks: &[Tok]) -> Vec<(String, Kind, Range<usize>)> {
    let lead = toks
        .iter()
        .find(|t| t.is_ident)
        .map(|t| t.text.as_str())
        .unwrap_or("");
    let mut ctes = BTreeSet::new();
    for w in toks.windows(3) {
        if w[0].is_ident && w[1].text == "as" && w[2].text == "(" {
            ctes.insert(w[0].text.clone());
        }
    }
    let mut out: Vec<(String, Kind, Range<usize>)> = Vec::new();
    let mut first_target = true;
    let mut i = 0;
    while i < toks.len() {
        let t = &toks[i];
        let kw = t.text.as_str();
        let takes = t.is_ident
            && matches!(
                kw,
                "from" | "join" | "into" | "update" | "table" | "truncate" | "using"
            );
        if !takes || (kw == "using" && lead != "delete") {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < toks.len() && matches!(toks[j].text.as_str(), "only" | "if" | "not" | "exists") {
            j += 1;
        }
        let Some(first) = toks.get(j) else { break };
        if !first.is_ident || NOT_TABLES.contains(&first.text.as_str()) {
            i = j;
            continue;
        }
        let mut written = first.text.clone();
        let mut span = first.span.clone();
        if toks.get(j + 1).is_some_and(|d| d.text == ".") {
            if let Some(n) = toks.get(j + 2).filter(|n| n.is_ident) {
                written = format!("{}.{}", first.text, n.text);
                span = first.span.start..n.span.end;
                j += 2;
            }
        }
        // A function call (`FROM unnest(...)`) is not a table.
        if toks.get(j + 1).is_some_and(|p| p.text == "(") && kw != "into" && kw != "table" {
            i = j + 1;
            continue;
        }
        if ctes.contains(&written) {
            i = j + 1;
            continue;
        }
        let target_kw = match lead {
            "insert" | "upsert" | "replace" | "merge" => kw == "into",
            "update" => kw == "update",
            "delete" => kw == "from",
            "truncate" => true,
            "create" | "alter" | "drop" => kw == "table",
            _ => false,
        };
        let kind = if target_kw && (first_target || lead == "truncate" || lead == "drop") {
            first_target = false;
            match lead {
                "create" | "alter" | "drop" => Kind::Ddl,
                _ => Kind::Write,
            }
        } else {
            Kind::Read
        };
        if !out.iter().any(|(w, k, _)| *w == written && *k == kind) {
            out.push((written, kind, span));
        }
        i = j + 1;
    }
    out
}
