//! SQL access extraction and the plane map, shared by INV-04 `cross-plane-sql` and INV-06
//! `khala-authority-write`.
//!
//! For every file a change touches, at base and at head, this finds the statements that touch
//! tables: `(table, kind = read | write | ddl, the other tables of the statement, span)`.
//!
//! Sources:
//! - `.sql` files, split into statements;
//! - string literals passed to a configured SQL call (`sql-calls`: sqlx `query!`/`query_as!`/
//!   `query(`, tokio-postgres `query`/`execute`/`prepare`, diesel `sql_query`, Laravel
//!   `DB::select`/`DB::statement`, node `pool.query`, tagged templates `` sql`...` ``, Ecto
//!   `SQL.query`/`execute`), and literals bound to a name (`const Q: &str = "SELECT ..."`) when
//!   they read as SQL;
//! - query builders: Laravel `DB::table('x')->insert(..)`, `Schema::create('x')`, Eloquent
//!   `$table = 'x'`; knex-style `builder('x').insert(..)` with `.join('y')`; Ecto `schema "x"`,
//!   `from(r in "x")`, `create table(:x, prefix: "runtime")`, `Repo.insert_all("x", ..)`.
//!
//! Literals are found by a small per-language lexer (strings and comments), not by syn: one
//! scanner then serves Rust, PHP, TypeScript and Elixir alike, comments never yield SQL, and the
//! literal's own span is the finding's span. The call a literal is passed to is found by walking
//! back to the innermost unclosed `(` (or the identifier just before the literal, for tagged
//! templates and paren-less Elixir calls).
//!
//! SQL is parsed with `sqlparser` (PostgreSQL dialect). A statement that does not parse
//! (templated, partial, `?` placeholders) falls back to a tokenizer that still finds table names
//! after `FROM`/`JOIN`/`INTO`/`UPDATE`/`TABLE`; such statements carry `parsed = false` and
//! findings say so. Nothing here panics on any input.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::{ControlFlow, Range};

use globset::{GlobBuilder, GlobMatcher};
use regex::Regex;
use std::sync::LazyLock;

use crate::rules::prelude::*;

// ---------------------------------------------------------------------------------------------
// Extracted data.

/// What a statement does to a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// SELECT, a join, a model or schema declaration.
    Read,
    /// INSERT, UPDATE, DELETE, UPSERT, MERGE, TRUNCATE.
    Write,
    /// CREATE/ALTER/DROP TABLE, CREATE INDEX.
    Ddl,
}

impl Kind {
    /// `read`, `write`, `ddl`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Read => "read",
            Kind::Write => "write",
            Kind::Ddl => "ddl",
        }
    }

    /// True for writes and DDL.
    pub fn is_write(self) -> bool {
        self != Kind::Read
    }
}

/// One table a statement touches, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableUse {
    /// Schema as written (lowercase), if qualified.
    pub schema: Option<String>,
    /// Table name (lowercase).
    pub name: String,
    /// What the statement does to it.
    pub kind: Kind,
    /// Byte span in the file (the table name when found, else the literal).
    pub span: Range<usize>,
}

impl TableUse {
    /// `schema.name` or `name`, as written.
    pub fn written(&self) -> String {
        match &self.schema {
            Some(s) => format!("{s}.{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// One statement (or builder chain) and the tables it touches.
#[derive(Debug, Clone)]
pub struct Statement {
    /// Tables, in order of appearance.
    pub uses: Vec<TableUse>,
    /// False when the SQL did not parse and the tokenizer found the names.
    pub parsed: bool,
    /// Where it came from ("SQL file", "`query!` literal", "`DB::table` builder").
    pub via: String,
}

/// Which calls and builders carry SQL (from the policy).
#[derive(Debug, Default)]
pub struct Extractor {
    /// Callee paths whose string arguments are SQL, split on `::`/`.`/`->`.
    pub sql_calls: Vec<Vec<String>>,
    /// knex-style builder functions: `name('table')`.
    pub builders: Vec<String>,
}

const WRAPPERS: &[&str] = &[
    "format",
    "concat",
    "indoc",
    "formatdoc",
    "sprintf",
    "String::from",
    "raw",
    "trim",
    "dedent",
];

static SQL_START: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?is)^\s*(\(\s*)?(select|insert|update|delete|with|create|alter|drop|truncate|merge|upsert|replace)\b").expect("static regex")
});
static SQL_BODY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(from|into|set|table|index|join|values)\b").expect("static regex")
});

/// Cheap prefilter: a string literal (or PHP heredoc) whose text starts with an SQL keyword. A
/// file without one can hold no SQL literal, so its literals are not lexed at all.
static MAYBE_SQL_LITERAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)(["'`]|<<<['"]?\w+['"]?)\s*\(?\s*(select|insert|update|delete|with|create|alter|drop|truncate|merge|upsert|replace)\b"#)
        .expect("static regex")
});

impl Extractor {
    /// True when `text` may hold something `extract` finds; false means it certainly does not.
    fn may_hold_sql(&self, lang: Lang, text: &str) -> bool {
        if MAYBE_SQL_LITERAL.is_match(text) {
            return true;
        }
        match lang {
            Lang::Rust => false,
            Lang::Php => {
                text.contains("DB::") || text.contains("Schema::") || text.contains("$table")
            }
            Lang::Js => self.builders.iter().any(|b| text.contains(b.as_str())),
            Lang::Elixir => true,
        }
    }

    /// Statements in `text` (a file at `path`), by the file's language.
    pub fn extract(&self, path: &str, text: &str) -> Vec<Statement> {
        let ext = path.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
        let lang = match ext {
            "sql" => {
                let mut out = Vec::new();
                sql_statements(text, 0..text.len(), "SQL file", &mut out);
                return out;
            }
            "rs" => Lang::Rust,
            "php" => Lang::Php,
            "ts" | "tsx" | "js" | "jsx" | "mjs" | "cjs" | "mts" | "cts" => Lang::Js,
            "ex" | "exs" => Lang::Elixir,
            _ => return Vec::new(),
        };
        if !self.may_hold_sql(lang, text) {
            return Vec::new();
        }
        let lits = literals(text, lang);
        let mut out = Vec::new();
        for lit in &lits {
            let content = &text[lit.content.clone()];
            if !SQL_START.is_match(content) {
                continue;
            }
            let via = match self.sql_callee(text, lit, lang) {
                Some(c) => format!("`{c}` literal"),
                None if bound_to_name(text, lit.open) && SQL_BODY.is_match(content) => {
                    "SQL literal".to_string()
                }
                None => continue,
            };
            // Escapes were blanked to keep offsets, so spans map one to one.
            sql_statements(&lit.clean, lit.content.clone(), &via, &mut out);
        }
        match lang {
            Lang::Php => php_builders(text, &lits, &mut out),
            Lang::Js => self.js_builders(text, &lits, &mut out),
            Lang::Elixir => ecto(text, &lits, &mut out),
            Lang::Rust => {}
        }
        out
    }

    /// The configured SQL call `lit` is passed to, if any.
    fn sql_callee(&self, text: &str, lit: &Lit, lang: Lang) -> Option<String> {
        let mut end = lit.open;
        for _ in 0..4 {
            let (callee, open_paren) = callee_before(text, end, lang)?;
            let segs = split_path(&callee);
            if self.sql_calls.iter().any(|c| segs.ends_with(c)) {
                return Some(callee);
            }
            let joined = segs.join("::");
            let is_wrapper = WRAPPERS
                .iter()
                .any(|w| joined == *w || joined.ends_with(&format!("::{w}")));
            match (is_wrapper, open_paren) {
                (true, Some(p)) => end = p,
                _ => return None,
            }
        }
        None
    }

    fn js_builders(&self, text: &str, lits: &[Lit], out: &mut Vec<Statement>) {
        if self.builders.is_empty() {
            return;
        }
        let at: BTreeMap<usize, &Lit> = lits.iter().map(|l| (l.open, l)).collect();
        for lit in lits {
            let Some((callee, Some(_))) = callee_before(text, lit.open, Lang::Js) else {
                continue;
            };
            let segs = split_path(&callee);
            let last = segs.last().map(String::as_str).unwrap_or("");
            let is_builder = segs.len() == 1 && self.builders.iter().any(|b| b == last);
            let is_from = segs.len() > 1 && matches!(last, "from" | "into" | "table");
            if !(is_builder || is_from) || !is_table_name(&text[lit.content.clone()]) {
                continue;
            }
            // Only the chain head: a `.from('x')` after a builder is handled with it.
            if is_from && segs.iter().take(1).any(|s| self.builders.contains(s)) {
                // `knex.from('x')` / `db.table('x')`: a chain head too.
            } else if is_from {
                continue;
            }
            let chain_end = chain_end(text, lit.content.end);
            let chain = &text[lit.content.end..chain_end];
            let mut st = Statement {
                uses: vec![use_of(
                    &text[lit.content.clone()],
                    chain_kind(chain, ".", "del"),
                    lit.content.clone(),
                )],
                parsed: true,
                via: format!("`{callee}('…')` builder"),
            };
            join_uses(text, lit.content.end, chain_end, &at, ".", &mut st);
            out.push(st);
        }
    }
}

fn use_of(written: &str, kind: Kind, span: Range<usize>) -> TableUse {
    let (schema, name) = split_table(written);
    TableUse {
        schema,
        name,
        kind,
        span,
    }
}

fn split_table(written: &str) -> (Option<String>, String) {
    let clean: String = written
        .chars()
        .filter(|c| !matches!(c, '"' | '`' | '[' | ']'))
        .collect::<String>()
        .to_lowercase();
    let parts: Vec<&str> = clean.split('.').filter(|p| !p.is_empty()).collect();
    match parts.as_slice() {
        [] => (None, clean),
        [n] => (None, n.to_string()),
        [.., s, n] => (Some(s.to_string()), n.to_string()),
    }
}

fn is_table_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        && !s.starts_with('.')
}

/// Splits a callee path on `::`, `.`, `->`, without a trailing `!`.
pub fn split_path(callee: &str) -> Vec<String> {
    callee
        .trim_end_matches('!')
        .replace("->", ".")
        .replace("::", ".")
        .split('.')
        .filter(|s| !s.is_empty())
        .map(|s| s.trim_start_matches('$').to_string())
        .collect()
}

/// Where a builder chain ends: the statement end (`;`), a blank line, or 800 bytes.
fn chain_end(text: &str, from: usize) -> usize {
    let mut limit = (from + 800).min(text.len());
    while !text.is_char_boundary(limit) {
        limit -= 1;
    }
    let mut end = limit;
    let bytes = text.as_bytes();
    let mut i = from;
    while i < limit {
        if bytes[i] == b';' {
            end = i;
            break;
        }
        if bytes[i] == b'\n'
            && text[i + 1..limit]
                .trim_start_matches([' ', '\t', '\r'])
                .starts_with('\n')
        {
            end = i;
            break;
        }
        i += 1;
    }
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    end
}

static WRITE_METHODS: &[&str] = &[
    "insert",
    "insertOrIgnore",
    "insertGetId",
    "insertUsing",
    "update",
    "updateOrInsert",
    "upsert",
    "delete",
    "increment",
    "decrement",
    "truncate",
    "merge",
    "onConflict",
    "returning_insert",
];

/// Write when the chain calls a write method.
fn chain_kind(chain: &str, sep: &str, extra: &str) -> Kind {
    for m in WRITE_METHODS.iter().copied().chain(std::iter::once(extra)) {
        if chain.contains(&format!("{sep}{m}(")) {
            return Kind::Write;
        }
    }
    Kind::Read
}

/// Adds `->join('y', ...)` tables of a chain as reads.
fn join_uses(
    text: &str,
    from: usize,
    to: usize,
    lits: &BTreeMap<usize, &Lit>,
    sep: &str,
    st: &mut Statement,
) {
    for (_, lit) in lits.range(from..to) {
        let before = text[from..lit.open].trim_end();
        let Some(head) = before.strip_suffix('(') else {
            continue;
        };
        let is_join = [
            "join",
            "leftJoin",
            "rightJoin",
            "crossJoin",
            "innerJoin",
            "fullOuterJoin",
            "joinSub",
            "from",
        ]
        .iter()
        .any(|j| head.ends_with(&format!("{sep}{j}")));
        let name = &text[lit.content.clone()];
        if is_join && is_table_name(name) {
            st.uses.push(use_of(name, Kind::Read, lit.content.clone()));
        }
    }
}

static PHP_TABLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(DB::|->)table\(\s*$").expect("static regex"));
static PHP_SCHEMA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"Schema::(?:connection\([^)]*\)->)?(create|table|drop|dropIfExists|rename)\(\s*$")
        .expect("static regex")
});
static PHP_MODEL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\$table\s*=\s*$").expect("static regex"));

fn php_builders(text: &str, lits: &[Lit], out: &mut Vec<Statement>) {
    let at: BTreeMap<usize, &Lit> = lits.iter().map(|l| (l.open, l)).collect();
    for lit in lits {
        let name = &text[lit.content.clone()];
        if !is_table_name(name) {
            continue;
        }
        let line_start = text[..lit.open].rfind('\n').map(|i| i + 1).unwrap_or(0);
        let lo = lit.open.saturating_sub(200).max(line_start);
        let lo = (lo..=lit.open)
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(lit.open);
        let before = &text[lo..lit.open];
        if let Some(c) = PHP_SCHEMA.captures(before) {
            out.push(Statement {
                uses: vec![use_of(name, Kind::Ddl, lit.content.clone())],
                parsed: true,
                via: format!("`Schema::{}` migration", &c[1]),
            });
        } else if PHP_TABLE.is_match(before) {
            if before.contains("Schema::") || before.trim_end().ends_with("$table->table(") {
                continue;
            }
            let end = chain_end(text, lit.content.end);
            let chain = &text[lit.content.end..end];
            let mut st = Statement {
                uses: vec![use_of(
                    name,
                    chain_kind(chain, "->", "forceDelete"),
                    lit.content.clone(),
                )],
                parsed: true,
                via: "`DB::table` builder".into(),
            };
            join_uses(text, lit.content.end, end, &at, "->", &mut st);
            out.push(st);
        } else if PHP_MODEL.is_match(before) && text[..lit.open].contains("class ") {
            out.push(Statement {
                uses: vec![use_of(name, Kind::Read, lit.content.clone())],
                parsed: true,
                via: "Eloquent `$table`".into(),
            });
        }
    }
}

static ECTO_PREFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"@schema_prefix\s+"(\w+)""#).expect("static regex"));
static ECTO_SCHEMA: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"\bschema\s*\(?\s*$"#).expect("static regex"));
static ECTO_FROM_IN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"\b(from|join)\s*\(?\s*\w+\s+in\s+$|\b(join|left_join|inner_join):\s*\w+\s+in\s+$"#,
    )
    .expect("static regex")
});
static ECTO_REPO_WRITE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"Repo\.(insert_all|update_all|delete_all|insert|insert!)\(\s*$"#)
        .expect("static regex")
});
static ECTO_DDL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\b(create|create_if_not_exists|alter|drop|drop_if_exists|rename)\s+(table|index|unique_index)\(\s*:(\w+)([^)\n]*)\)"#).expect("static regex")
});
static ECTO_OPT_PREFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"prefix:\s*"(\w+)""#).expect("static regex"));

fn ecto(text: &str, lits: &[Lit], out: &mut Vec<Statement>) {
    let prefix = ECTO_PREFIX.captures(text).map(|c| c[1].to_lowercase());
    let code = masked(text);
    let mut from_stmt: Option<(usize, Statement)> = None;
    for lit in lits {
        let name = &text[lit.content.clone()];
        if !is_table_name(name) {
            continue;
        }
        let lo = lit.open.saturating_sub(120);
        let lo = (lo..=lit.open)
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(lit.open);
        let before = &text[lo..lit.open];
        let mut u = use_of(name, Kind::Read, lit.content.clone());
        if u.schema.is_none() {
            u.schema = prefix.clone();
        }
        if ECTO_SCHEMA.is_match(before) {
            out.push(Statement {
                uses: vec![u],
                parsed: true,
                via: "Ecto `schema`".into(),
            });
        } else if let Some(c) = ECTO_FROM_IN.captures(before) {
            // Joins within 300 bytes of a `from` belong to it.
            let starts = c.get(1).is_some_and(|m| m.as_str() == "from");
            match &mut from_stmt {
                Some((end, st)) if !starts && lit.open < *end => st.uses.push(u),
                _ => {
                    if let Some((_, st)) = from_stmt.take() {
                        out.push(st);
                    }
                    from_stmt = Some((
                        lit.open + 300,
                        Statement {
                            uses: vec![u],
                            parsed: true,
                            via: "Ecto `from`".into(),
                        },
                    ));
                }
            }
        } else if ECTO_REPO_WRITE.is_match(before) {
            u.kind = Kind::Write;
            out.push(Statement {
                uses: vec![u],
                parsed: true,
                via: "Ecto `Repo` write".into(),
            });
        }
    }
    if let Some((_, st)) = from_stmt {
        out.push(st);
    }
    for c in ECTO_DDL.captures_iter(&code) {
        let (Some(name), Some(opts)) = (c.get(3), c.get(4)) else {
            continue;
        };
        // `create index(:runs, ...)` changes `runs`; options may name the prefix.
        let schema = ECTO_OPT_PREFIX
            .captures(&text[opts.range()])
            .map(|p| p[1].to_lowercase())
            .or_else(|| prefix.clone());
        out.push(Statement {
            uses: vec![TableUse {
                schema,
                name: name.as_str().to_lowercase(),
                kind: Kind::Ddl,
                span: name.range(),
            }],
            parsed: true,
            via: format!("Ecto `{} {}` migration", &c[1], &c[2]),
        });
    }
}

/// `text` with comments blanked (literals kept), for regexes over code.
fn masked(text: &str) -> String {
    // Offsets stay: only ASCII bytes after `#` up to the newline are replaced by spaces.
    let mut bytes = text.as_bytes().to_vec();
    let mut in_str = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'"' if i == 0 || bytes[i - 1] != b'\\' => in_str = !in_str,
            b'#' if !in_str && bytes.get(i + 1) != Some(&b'{') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    if bytes[i].is_ascii() {
                        bytes[i] = b' ';
                    }
                    i += 1;
                }
                continue;
            }
            b'\n' => in_str = false,
            _ => {}
        }
        i += 1;
    }
    String::from_utf8(bytes).unwrap_or_else(|_| text.to_string())
}

// ---------------------------------------------------------------------------------------------
// Literals.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lang {
    Rust,
    Php,
    Js,
    Elixir,
}

/// A string literal: where its opening quote is, its content span, and its content with escapes
/// blanked (same length, so offsets map one to one).
#[derive(Debug)]
struct Lit {
    open: usize,
    content: Range<usize>,
    clean: String,
}

fn literals(text: &str, lang: Lang) -> Vec<Lit> {
    let b = text.as_bytes();
    let n = b.len();
    let mut out = Vec::new();
    let mut i = 0;
    let line_comment: &[&str] = match lang {
        Lang::Rust | Lang::Js => &["//"],
        Lang::Php => &["//", "#"],
        Lang::Elixir => &["#"],
    };
    while i < n {
        let rest = &b[i..];
        if line_comment.iter().any(|m| rest.starts_with(m.as_bytes()))
            && !(lang == Lang::Php && rest.starts_with(b"#["))
        {
            while i < n && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if lang != Lang::Elixir && rest.starts_with(b"/*") {
            i = find(b, i + 2, b"*/").map(|e| e + 2).unwrap_or(n);
            continue;
        }
        match (lang, b[i]) {
            (Lang::Rust, b'r') if is_raw_start(b, i) && (i == 0 || !is_word(b[i - 1])) => {
                let mut j = i + 1;
                while j < n && b[j] == b'#' {
                    j += 1;
                }
                let hashes = j - i - 1;
                let mut close = vec![b'"'];
                close.extend(std::iter::repeat_n(b'#', hashes));
                let start = j + 1;
                let end = find(b, start, &close).unwrap_or(n);
                push_lit(text, &mut out, i, start, end, false);
                i = (end + close.len()).min(n);
                continue;
            }
            (Lang::Rust, b'\'') => {
                // A char literal ('a', '\n') or a lifetime: skip without treating as a string.
                if b.get(i + 1) == Some(&b'\\') {
                    i = find(b, i + 2, b"'").map(|e| e + 1).unwrap_or(n);
                } else if b.get(i + 2) == Some(&b'\'') {
                    i += 3;
                } else {
                    i += 1;
                }
                continue;
            }
            (Lang::Elixir, b'"') if rest.starts_with(b"\"\"\"") => {
                let start = i + 3;
                let end = find(b, start, b"\"\"\"").unwrap_or(n);
                push_lit(text, &mut out, i, start, end, true);
                i = (end + 3).min(n);
                continue;
            }
            (Lang::Php, b'<') if rest.starts_with(b"<<<") => {
                // Heredoc / nowdoc: <<<SQL ... SQL
                let mut j = i + 3;
                while j < n && matches!(b[j], b' ' | b'\'' | b'"') {
                    j += 1;
                }
                let id_start = j;
                while j < n && is_word(b[j]) {
                    j += 1;
                }
                let id = &text[id_start..j];
                let start = find(b, j, b"\n").map(|e| e + 1).unwrap_or(n);
                let mut end = n;
                let mut k = start;
                while k < n {
                    let line_end = find(b, k, b"\n").unwrap_or(n);
                    if !id.is_empty() && text[k..line_end].trim_start().starts_with(id) {
                        end = k;
                        break;
                    }
                    k = line_end + 1;
                }
                push_lit(text, &mut out, i, start, end, true);
                i = (end + id.len()).min(n).max(i + 3);
                continue;
            }
            (_, q @ (b'"' | b'\'')) | (Lang::Js, q @ b'`') => {
                if lang == Lang::Elixir && q == b'\'' {
                    // charlist: skip like a string
                }
                let start = i + 1;
                let mut j = start;
                while j < n && b[j] != q {
                    if b[j] == b'\\' {
                        j += 1;
                    }
                    j += 1;
                }
                let end = j.min(n);
                push_lit(text, &mut out, i, start, end, true);
                i = (end + 1).min(n);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

fn is_raw_start(b: &[u8], i: usize) -> bool {
    let mut j = i + 1;
    while j < b.len() && b[j] == b'#' {
        j += 1;
    }
    b.get(j) == Some(&b'"')
}

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if from > b.len() {
        return None;
    }
    b[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn push_lit(text: &str, out: &mut Vec<Lit>, open: usize, start: usize, end: usize, escapes: bool) {
    if start > end || !text.is_char_boundary(start) || !text.is_char_boundary(end) {
        return;
    }
    let raw = &text[start..end];
    let clean = if escapes && raw.contains('\\') {
        let mut s = String::with_capacity(raw.len());
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                s.push(' ');
                if let Some(next) = chars.next() {
                    match next {
                        'n' | 't' | 'r' | '\n' => s.push(if next == '\n' { '\n' } else { ' ' }),
                        other => s.push(other),
                    }
                }
            } else {
                s.push(c);
            }
        }
        s
    } else {
        raw.to_string()
    };
    out.push(Lit {
        open,
        content: start..end,
        clean,
    });
}

/// True when the literal at `open` is bound to a name: `= "..."`, `=> "..."`, `: "..."`.
fn bound_to_name(text: &str, open: usize) -> bool {
    let before = text[..open].trim_end();
    let before = before
        .strip_suffix("r#")
        .or_else(|| before.strip_suffix('r'))
        .unwrap_or(before)
        .trim_end();
    before.ends_with('=') && !before.ends_with("==") && !before.ends_with("!=")
}

/// The callee of the call whose arguments contain `pos`: walks back to the innermost unclosed
/// `(` and reads the path before it. Also accepts an identifier right before the literal
/// (tagged templates, paren-less Elixir calls). Returns the callee and the `(` offset.
fn callee_before(text: &str, pos: usize, lang: Lang) -> Option<(String, Option<usize>)> {
    let b = text.as_bytes();
    // An identifier directly before the literal: `sql`...``, `execute "..."`.
    let mut j = pos;
    let ws_end = j;
    while j > 0 && (b[j - 1] == b' ' || b[j - 1] == b'\t') {
        j -= 1;
    }
    if (lang == Lang::Js && j == ws_end && j > 0 && is_word(b[j - 1]))
        || (lang == Lang::Elixir && j < ws_end && j > 0 && is_word(b[j - 1]))
    {
        let p = path_before(text, j);
        if !p.is_empty() {
            return Some((p, None));
        }
    }
    // Innermost unclosed paren.
    let lo = pos.saturating_sub(600);
    let mut depth = 0i32;
    let mut k = pos;
    while k > lo {
        k -= 1;
        match b[k] {
            b')' | b']' => depth += 1,
            b'(' | b'[' if depth > 0 => depth -= 1,
            b'[' => return None,
            b'(' => {
                let mut e = k;
                while e > 0 && b[e - 1] == b' ' {
                    e -= 1;
                }
                let p = path_before(text, e);
                return if p.is_empty() {
                    None
                } else {
                    Some((p, Some(k)))
                };
            }
            b';' | b'{' | b'}' if depth == 0 => return None,
            _ => {}
        }
    }
    None
}

/// The call path ending at `end`: `sqlx::query_as!`, `$this->db->select`, `client.query`.
fn path_before(text: &str, end: usize) -> String {
    let b = text.as_bytes();
    let mut s = end;
    while s > 0 {
        let c = b[s - 1];
        if is_word(c) || matches!(c, b':' | b'.' | b'!' | b'$') {
            s -= 1;
        } else if c == b'>' && s >= 2 && b[s - 2] == b'-' {
            s -= 2;
        } else {
            break;
        }
    }
    text[s..end].trim_start_matches(['.', ':']).to_string()
}

// ---------------------------------------------------------------------------------------------
// SQL.

/// Splits `sql` (whose byte 0 is at `base` in the file) into statements and appends what each
/// touches.
fn sql_statements(sql: &str, whole: Range<usize>, via: &str, out: &mut Vec<Statement>) {
    let base = whole.start;
    for r in split_statements(sql) {
        let chunk = &sql[r.clone()];
        if chunk.trim().is_empty() {
            continue;
        }
        let toks = tokens(chunk);
        let (uses, parsed) = match parse_uses(chunk) {
            Some(found) => {
                let uses = found
                    .into_iter()
                    .map(|(schema, name, kind)| {
                        let span = locate(&toks, schema.as_deref(), &name)
                            .map(|s| base + r.start + s.start..base + r.start + s.end)
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
                        use_of(
                            &written,
                            kind,
                            base + r.start + s.start..base + r.start + s.end,
                        )
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
            });
        }
    }
}

/// Statement ranges: split on `;` outside quotes, comments and dollar quotes.
fn split_statements(sql: &str) -> Vec<Range<usize>> {
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
const SQL_RECURSION_LIMIT: usize = 64;

/// Deepest statement handed to sqlparser, as [`nesting`] estimates it; deeper ones are read
/// by the text fallback. Real queries nest a handful of levels.
const MAX_SQL_NESTING: usize = 24;

/// Longest statement handed to sqlparser; longer ones (bulk `INSERT .. VALUES` data) are read by
/// the text fallback, which costs one pass.
const MAX_STATEMENT_BYTES: usize = 256 << 10;

/// An upper estimate of how deep sqlparser recurses on `sql`: brackets and `CASE .. END` open a
/// level; a run of prefix keywords or operators (`NOT NOT`, `- -`, `EXISTS`, `ARRAY`) adds one
/// level each until an operand ends the run. Counted on raw bytes, string literals included, so
/// it can only overestimate.
fn nesting(sql: &str) -> usize {
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
            let word = sql[start..i].to_ascii_lowercase();
            if word == "case" {
                stack.push(level);
                level += 1 + run;
                run = 0;
            } else if word == "end" {
                level = stack.pop().unwrap_or(0);
                run = 0;
            } else if PREFIX_WORDS.contains(&word.as_str()) {
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
fn parse_uses(chunk: &str) -> Option<Vec<(Option<String>, String, Kind)>> {
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
fn fill_holes(chunk: &str) -> String {
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
struct Tok {
    /// Lowercase text (quotes removed for identifiers).
    text: String,
    span: Range<usize>,
    is_ident: bool,
}

/// Words, quoted identifiers and punctuation; strings, comments and template holes are skipped.
fn tokens(sql: &str) -> Vec<Tok> {
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
fn locate(toks: &[Tok], schema: Option<&str>, name: &str) -> Option<Range<usize>> {
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

const NOT_TABLES: &[&str] = &[
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
fn fallback_uses(_chunk: &str, toks: &[Tok]) -> Vec<(String, Kind, Range<usize>)> {
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

// ---------------------------------------------------------------------------------------------
// The plane map.

/// One `[[...planes]]` entry as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawPlane {
    /// Plane name (`control`, `runtime`, `khala`); several entries may share one.
    pub name: Spanned<String>,
    /// Code and migration paths of this plane.
    #[serde(default)]
    pub paths: Vec<Spanned<String>>,
    /// Schema an unqualified table name means in these paths.
    pub default_schema: Spanned<String>,
    /// `schema.table` globs this plane owns.
    #[serde(default)]
    pub tables: Vec<Spanned<String>>,
    /// Planes whose tables these paths may create/alter/drop (a shared migration directory).
    #[serde(default)]
    pub ddl_for: Vec<Spanned<String>>,
}

/// A compiled plane entry.
#[derive(Debug)]
pub struct Plane {
    /// Plane name.
    pub name: String,
    /// Span of the name in the policy.
    pub name_span: Range<usize>,
    /// Its paths.
    pub paths: GlobList,
    /// Default schema.
    pub default_schema: String,
    /// Owned table globs.
    pub tables: Vec<TableGlob>,
    /// Planes whose tables it may change the schema of.
    pub ddl_for: Vec<String>,
    /// The positive path globs, compiled once, with their specificity.
    pub path_matchers: Vec<(usize, GlobMatcher)>,
}

/// A `schema.table` glob.
#[derive(Debug)]
pub struct TableGlob {
    /// As written.
    pub text: String,
    /// Span in the policy.
    pub span: Range<usize>,
    matcher: GlobMatcher,
    specificity: usize,
}

/// Which plane owns which code paths and tables.
#[derive(Debug, Default)]
pub struct PlaneMap {
    /// Entries in policy order.
    pub planes: Vec<Plane>,
    /// Span of the `planes` array (for "set this key" hints).
    pub span: Range<usize>,
}

fn specificity(glob: &str) -> usize {
    glob.chars()
        .filter(|c| !matches!(c, '*' | '?' | '[' | ']' | '{' | '}'))
        .count()
}

impl PlaneMap {
    /// Validates and compiles `[[...planes]]`.
    pub fn compile(raw: &[RawPlane], v: &mut Validator) -> PlaneMap {
        let mut planes = Vec::new();
        let names: BTreeSet<String> = raw.iter().map(|p| p.name.get_ref().clone()).collect();
        for p in raw {
            let mut tables = Vec::new();
            for t in &p.tables {
                let text = t.get_ref().to_lowercase();
                if !text.contains('.') {
                    v.problem(
                        t.span(),
                        format!("table glob `{text}` has no schema"),
                        "expected `schema.table`",
                        Some(format!(
                            "write it as `{}.{text}` (unqualified names resolve through `default-schema`)",
                            p.default_schema.get_ref()
                        )),
                    );
                    continue;
                }
                match GlobBuilder::new(&text).literal_separator(false).build() {
                    Ok(g) => tables.push(TableGlob {
                        specificity: specificity(&text),
                        text,
                        span: t.span(),
                        matcher: g.compile_matcher(),
                    }),
                    Err(e) => v.problem(
                        t.span(),
                        format!("invalid table glob `{text}`: {}", e.kind()),
                        "bad glob",
                        Some("use `schema.name` with `*` wildcards, e.g. `runtime.sync_*`".into()),
                    ),
                }
            }
            for d in &p.ddl_for {
                if !names.contains(d.get_ref()) {
                    v.problem(
                        d.span(),
                        format!("`ddl-for` names unknown plane `{}`", d.get_ref()),
                        "no plane entry has this name",
                        Some(format!(
                            "use one of: {}",
                            names.iter().cloned().collect::<Vec<_>>().join(", ")
                        )),
                    );
                }
            }
            if p.paths.is_empty() && p.tables.is_empty() {
                v.require_non_empty(p.name.span(), "this plane", "paths");
            }
            let paths = v.glob_list(&p.paths);
            let path_matchers = paths
                .entries()
                .filter(|e| !e.text.starts_with('!'))
                .filter_map(|e| {
                    GlobBuilder::new(&e.text)
                        .literal_separator(true)
                        .build()
                        .ok()
                        .map(|g| (specificity(&e.text), g.compile_matcher()))
                })
                .collect();
            planes.push(Plane {
                path_matchers,
                name: p.name.get_ref().clone(),
                name_span: p.name.span(),
                paths,
                default_schema: p.default_schema.get_ref().to_lowercase(),
                tables,
                ddl_for: p.ddl_for.iter().map(|d| d.get_ref().clone()).collect(),
            });
        }
        PlaneMap {
            span: raw.first().map(|p| p.name.span()).unwrap_or(0..0),
            planes,
        }
    }

    /// The plane entry that owns `path`: the one whose matching path glob is most specific
    /// (ties: the first entry).
    pub fn entry_of_path(&self, path: &str) -> Option<usize> {
        let mut best: Option<(usize, usize)> = None;
        for (i, p) in self.planes.iter().enumerate() {
            if !p.paths.is_match(path) {
                continue;
            }
            let s = p
                .path_matchers
                .iter()
                .filter(|(_, m)| m.is_match(path))
                .map(|(spec, _)| *spec)
                .max()
                .unwrap_or(0);
            if best.is_none_or(|(_, bs)| s > bs) {
                best = Some((i, s));
            }
        }
        best.map(|(i, _)| i)
    }

    /// The plane entry and glob that own `schema.name` (most specific glob wins).
    pub fn owner_of_table(&self, full: &str) -> Option<(usize, &TableGlob)> {
        let mut best: Option<(usize, &TableGlob)> = None;
        for (i, p) in self.planes.iter().enumerate() {
            for t in &p.tables {
                if t.matcher.is_match(full)
                    && best.is_none_or(|(_, b)| t.specificity > b.specificity)
                {
                    best = Some((i, t));
                }
            }
        }
        best
    }

    /// Plane names in policy order, once each.
    pub fn names(&self) -> Vec<&str> {
        let mut out: Vec<&str> = Vec::new();
        for p in &self.planes {
            if !out.contains(&p.name.as_str()) {
                out.push(&p.name);
            }
        }
        out
    }
}

/// Compiles the `sql-calls` and `builders` settings.
pub fn compile_extractor(sql_calls: &[Spanned<String>], builders: &[Spanned<String>]) -> Extractor {
    Extractor {
        sql_calls: sql_calls
            .iter()
            .map(|c| split_path(c.get_ref()))
            .filter(|s| !s.is_empty())
            .collect(),
        builders: builders.iter().map(|b| b.get_ref().clone()).collect(),
    }
}

// ---------------------------------------------------------------------------------------------
// New accesses of a change.

/// A table use resolved against the plane map.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// As written.
    pub written: String,
    /// `schema.name`.
    pub full: String,
    /// Owning plane entry and glob span, if any plane claims it.
    pub owner: Option<(usize, Range<usize>)>,
    /// What is done to it.
    pub kind: Kind,
    /// Span in the head file.
    pub span: Range<usize>,
}

/// A statement the change adds, in a file of plane entry `entry`.
#[derive(Debug)]
pub struct NewStatement {
    /// Plane entry of the file doing the access.
    pub entry: usize,
    /// Its tables.
    pub uses: Vec<Resolved>,
    /// Parsed by sqlparser (false: tokenizer fallback).
    pub parsed: bool,
    /// Where it came from.
    pub via: String,
}

/// A changed file with the statements it adds.
pub struct FileAccesses<'a> {
    /// The file.
    pub file: &'a FileChange,
    /// Its head text.
    pub src: Arc<Source>,
    /// New statements (by key), in text order.
    pub new: Vec<NewStatement>,
}

type Key = (String, String, Kind, BTreeSet<String>);

/// A file's head text, its plane entry, and its statements (resolved and as extracted).
type HeadStatements = (Arc<Source>, usize, Vec<(Vec<Resolved>, Statement)>);

fn resolve(map: &PlaneMap, entry: usize, st: &Statement) -> Vec<Resolved> {
    let default = &map.planes[entry].default_schema;
    st.uses
        .iter()
        .map(|u| {
            let full = format!("{}.{}", u.schema.as_deref().unwrap_or(default), u.name);
            Resolved {
                written: u.written(),
                owner: map.owner_of_table(&full).map(|(i, g)| (i, g.span.clone())),
                full,
                kind: u.kind,
                span: u.span.clone(),
            }
        })
        .collect()
}

fn keys(map: &PlaneMap, entry: usize, uses: &[Resolved]) -> Vec<Key> {
    let plane = &map.planes[entry].name;
    uses.iter()
        .map(|u| {
            let others = uses
                .iter()
                .filter(|o| o.full != u.full)
                .map(|o| o.full.clone())
                .collect();
            (plane.clone(), u.full.clone(), u.kind, others)
        })
        .collect()
}

/// Statements that `cx`'s change adds in plane code (not under `exempt`). A statement is new
/// when one of its `(plane, table, kind, other tables)` keys is neither in the same file at base
/// (its old path for renames) nor removed from another changed file (a moved query).
pub fn new_accesses<'a>(
    cx: &Context<'a>,
    map: &PlaneMap,
    ex: &Extractor,
    exempt: &GlobList,
) -> Vec<FileAccesses<'a>> {
    // INV-04 and INV-06 read the same plane map: INV-04 scans once before the checks run
    // (`prepare_scan`, memoized in `cx`); a scan is made here only when none was (unit tests, a
    // policy whose INV-06 names a plane map no active INV-04 owns).
    let scan = cx
        .memoized::<Scan>(&scan_key(map))
        .unwrap_or_else(|| std::sync::Arc::new(Scan::new(cx.changes(), map, ex)));
    let files = &cx.changes().files;
    let mut out = Vec::new();
    for p in &scan.per {
        let Some((src, entry, sts)) = &p.head else {
            continue;
        };
        let file = &files[p.file];
        if exempt.is_match(&file.path) {
            continue;
        }
        let mut new = Vec::new();
        for (uses, st) in sts {
            let is_new = keys(map, *entry, uses)
                .iter()
                .any(|k| !p.base.contains(k) && !scan.removed.contains(k));
            if is_new {
                new.push(NewStatement {
                    entry: *entry,
                    uses: uses.clone(),
                    parsed: st.parsed,
                    via: st.via.clone(),
                });
            }
        }
        if !new.is_empty() {
            out.push(FileAccesses {
                file,
                src: src.clone(),
                new,
            });
        }
    }
    out
}

/// The memo key of the scan under `map` (by address: one compiled map, one scan).
fn scan_key(map: &PlaneMap) -> String {
    format!("sql-scan@{:x}", map as *const PlaneMap as usize)
}

/// Scans the change under `map` once and keeps the scan in `cx` for every check that reads
/// that map (INV-04, INV-06): extracting SQL twice was a third of `check --all`.
pub fn prepare_scan(cx: &Context<'_>, map: &PlaneMap, ex: &Extractor) {
    cx.memo(&scan_key(map), || Scan::new(cx.changes(), map, ex));
}

/// Every changed file's SQL statements at base and head under one plane map, extracted once
/// (in parallel) and shared by the checks that read that map.
pub struct Scan {
    per: Vec<PerFile>,
    /// Keys removed from some file: a query moved elsewhere is not new there.
    removed: BTreeSet<Key>,
}

struct PerFile {
    /// Index into the change set's files.
    file: usize,
    head: Option<HeadStatements>,
    base: BTreeSet<Key>,
    head_keys: BTreeSet<Key>,
}

impl Scan {
    /// Extracts and resolves the statements of every changed file that a plane claims.
    pub fn new(changes: &crate::engine::diff::ChangeSet, map: &PlaneMap, ex: &Extractor) -> Scan {
        use rayon::prelude::*;
        let files: Vec<(usize, &FileChange)> = changes
            .files
            .iter()
            .enumerate()
            .filter(|(_, f)| !f.is_binary)
            .filter(|(_, f)| {
                let base = f.old_path.as_deref().unwrap_or(&f.path);
                map.entry_of_path(&f.path).is_some() || map.entry_of_path(base).is_some()
            })
            .collect();
        let per: Vec<PerFile> = files
            .par_iter()
            .map(|&(index, f)| {
                let base_path = f.old_path.as_deref().unwrap_or(&f.path);
                let mut base = BTreeSet::new();
                if let (Some(src), Some(entry)) = (f.base.source(), map.entry_of_path(base_path)) {
                    for st in ex.extract(base_path, src.text()) {
                        base.extend(keys(map, entry, &resolve(map, entry, &st)));
                    }
                }
                let mut head = None;
                let mut head_keys = BTreeSet::new();
                if f.exists_at_head() {
                    if let (Some(src), Some(entry)) = (f.head.source(), map.entry_of_path(&f.path))
                    {
                        let sts: Vec<(Vec<Resolved>, Statement)> = ex
                            .extract(&f.path, src.text())
                            .into_iter()
                            .map(|st| (resolve(map, entry, &st), st))
                            .collect();
                        for (r, _) in &sts {
                            head_keys.extend(keys(map, entry, r));
                        }
                        head = Some((src.clone(), entry, sts));
                    }
                }
                PerFile {
                    file: index,
                    head,
                    base,
                    head_keys,
                }
            })
            .collect();
        let mut removed = BTreeSet::new();
        for p in &per {
            removed.extend(p.base.iter().filter(|k| !p.head_keys.contains(*k)).cloned());
        }
        Scan { per, removed }
    }
}

/// `" (SQL did not parse; tables found by the tokenizer)"` for fallback statements.
pub fn fallback_note(parsed: bool) -> &'static str {
    if parsed {
        ""
    } else {
        " (SQL did not parse; tables found by the tokenizer)"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_estimate_bounds_what_sqlparser_gets() {
        let real = "WITH t AS (SELECT id FROM runtime.runs WHERE NOT (state = 'done' OR \
                    state IN (SELECT s FROM runtime.states))) SELECT CASE WHEN a THEN \
                    coalesce(b, -1) ELSE NULL END FROM t";
        assert!(nesting(real) <= 8, "{}", nesting(real));
        assert!(parse_uses(real).is_some());
        for deep in [
            format!("SELECT {}1{}", "ARRAY[".repeat(40), "]".repeat(40)),
            format!("SELECT {}x", "NOT ".repeat(40)),
            format!(
                "SELECT {}1{}",
                "CASE WHEN a THEN ".repeat(30),
                " END".repeat(30)
            ),
            format!("SELECT {}1", "- ".repeat(40)),
        ] {
            assert!(nesting(&deep) > MAX_SQL_NESTING, "{deep}");
            assert!(parse_uses(&deep).is_none(), "{deep}");
        }
    }

    fn ex() -> Extractor {
        compile_extractor(
            &[
                Spanned::new(0..0, "query".to_string()),
                Spanned::new(0..0, "query_as".to_string()),
                Spanned::new(0..0, "execute".to_string()),
                Spanned::new(0..0, "DB::select".to_string()),
                Spanned::new(0..0, "sql".to_string()),
                Spanned::new(0..0, "SQL.query".to_string()),
            ],
            &[Spanned::new(0..0, "knex".to_string())],
        )
    }

    fn summary(path: &str, text: &str) -> Vec<String> {
        ex().extract(path, text)
            .iter()
            .map(|s| {
                let mut v: Vec<String> = s
                    .uses
                    .iter()
                    .map(|u| {
                        format!(
                            "{}:{}={}",
                            u.written(),
                            u.kind.as_str(),
                            &text[u.span.clone()]
                        )
                    })
                    .collect();
                if !s.parsed {
                    v.push("fallback".into());
                }
                v.join(" ")
            })
            .collect()
    }

    #[test]
    fn sql_file() {
        let t = "-- users\nCREATE TABLE runtime.runs (id int);\nINSERT INTO runs SELECT * FROM runtime.run_events e JOIN users u ON u.id = e.id;\n";
        assert_eq!(
            summary("a.sql", t),
            vec![
                "runtime.runs:ddl=runtime.runs",
                "runs:write=runs runtime.run_events:read=runtime.run_events users:read=users"
            ]
        );
    }

    #[test]
    fn cte_and_fallback() {
        let t = "WITH x AS (SELECT 1 FROM a) SELECT * FROM x;\nSELECT * FROM {table} JOIN runtime.runs r ON ? = r.id";
        assert_eq!(
            summary("q.sql", t),
            vec!["a:read=a", "runtime.runs:read=runtime.runs fallback"]
        );
    }

    #[test]
    fn rust_literals() {
        let t = r####"
// client.query("DELETE FROM users", &[])
tracing::info!("INSERT INTO users failed");
let rows = client.query("SELECT id FROM runtime.runs WHERE id = $1", &[&id]).await?;
sqlx::query_as!(Run, r#"UPDATE runs SET x = 1"#).execute(&pool).await?;
const Q: &str = "DELETE FROM runtime.run_leases WHERE id = $1";
let c = 'a';
"####;
        assert_eq!(
            summary("x.rs", t),
            vec![
                "runtime.runs:read=runtime.runs",
                "runs:write=runs",
                "runtime.run_leases:write=runtime.run_leases"
            ]
        );
    }

    #[test]
    fn php() {
        let t = "<?php\nclass Run extends Model { protected $table = 'runs'; }\nDB::table('users')->join('runtime.runs', 'a', '=', 'b')->update(['x' => 1]);\n$n = DB::table('threads')->count();\nSchema::create('shouts', function (Blueprint $table) { $table->string('body'); });\nDB::select('SELECT * FROM runtime.run_events');\n// DB::table('runtime.runs')->delete();\n";
        assert_eq!(
            summary("a.php", t),
            vec![
                "runtime.run_events:read=runtime.run_events",
                "runs:read=runs",
                "users:write=users runtime.runs:read=runtime.runs",
                "threads:read=threads",
                "shouts:ddl=shouts",
            ]
        );
    }

    #[test]
    fn js() {
        let t = "const r = await pool.query(`SELECT * FROM runtime.runs WHERE id = ${id}`);\nawait knex('users').join('sessions', 'a', 'b').del();\nlog.info('SELECT FROM runtime.runs');\n";
        assert_eq!(
            summary("a.ts", t),
            vec![
                "runtime.runs:read=runtime.runs",
                "users:write=users sessions:read=sessions"
            ]
        );
    }

    #[test]
    fn elixir() {
        let t = "defmodule X do\n  @schema_prefix \"runtime\"\n  schema \"runs\" do\n  end\n  def q, do: from(r in \"runs\", join: e in \"run_events\", on: true)\n  # from(r in \"users\")\n  def up do\n    create table(:sync_stream_events, prefix: \"runtime\") do\n    end\n    execute \"DELETE FROM runtime.runs\"\n  end\nend\n";
        assert_eq!(
            summary("a.ex", t),
            vec![
                "runtime.runs:write=runtime.runs",
                "runtime.runs:read=runs",
                "runtime.runs:read=runs runtime.run_events:read=run_events",
                "runtime.sync_stream_events:ddl=sync_stream_events",
            ]
        );
    }

    #[test]
    fn default_plane_map() {
        let cfg = crate::parse_policy("inv-rules.toml", include_str!("../../inv-rules.toml"))
            .expect("default policy");
        let Some(s) = cfg
            .invariant("INV-04")
            .and_then(|i| i.settings_of::<crate::rules::inv04_cross_plane_sql::Settings>())
        else {
            panic!("INV-04 runs cross-plane-sql");
        };
        let map = &s.map;
        let plane = |p: &str| map.entry_of_path(p).map(|e| map.planes[e].name.as_str());
        assert_eq!(plane("apps/runtime/src/fanout.rs"), Some("khala"));
        assert_eq!(plane("apps/runtime/src/server.rs"), Some("runtime"));
        assert_eq!(
            plane("apps/openagents.com/app/Models/Run.php"),
            Some("control")
        );
        assert_eq!(plane("crates/runtime/src/lib.rs"), None);
        let mig = map
            .entry_of_path("apps/runtime/sql/migrations/0001_runs.sql")
            .expect("runtime migrations");
        assert_eq!(map.planes[mig].ddl_for, vec!["khala".to_string()]);
        let owner = |t: &str| {
            map.owner_of_table(t)
                .map(|(e, _)| map.planes[e].name.as_str())
        };
        assert_eq!(owner("runtime.sync_stream_events"), Some("khala"));
        assert_eq!(owner("runtime.runs"), Some("runtime"));
        assert_eq!(owner("public.runs"), Some("control"));
        assert_eq!(owner("spacetime.run_state"), Some("khala"));
        assert_eq!(owner("analytics.page_views"), None);
    }

    #[test]
    fn planes_from_must_name_the_map() {
        let text = include_str!("../../inv-rules.toml")
            .replace("planes-from = \"INV-04\"", "planes-from = \"INV-05\"");
        let err =
            crate::parse_policy("inv-rules.toml", &text).expect_err("INV-05 holds no plane map");
        assert!(format!("{err:?}").contains("planes-from"), "{err:?}");
    }

    #[test]
    fn never_panics() {
        let long = format!("DB::table('x'){}é;", " ".repeat(797));
        for t in [
            long.as_str(),
            "\"",
            "r#\"",
            "'",
            "`${",
            "<<<",
            "\"\"\"",
            "$$",
            "DB::table('",
            "é\"SELECT é FROM ü\"",
        ] {
            for p in ["a.rs", "a.php", "a.ts", "a.ex", "a.sql"] {
                let _ = ex().extract(p, t);
            }
        }
    }
}
