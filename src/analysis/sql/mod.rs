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

use crate::engine::matchers::LazyGlob;
use globset::GlobBuilder;
use regex::Regex;
use std::sync::LazyLock;

use crate::rules::prelude::*;

mod builders;
mod literals;
mod planes;
mod scan;
mod statements;
#[cfg(test)]
mod tests;

use builders::*;
use literals::*;
pub use planes::*;
pub use scan::*;
use statements::*;

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
    /// The statement's SQL text, for SQL statements (absent for builders and models).
    pub sql: Option<String>,
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

/// False when `content` certainly does not match [`SQL_START`]: after white space (`\s` is
/// Unicode `White_Space`, as `trim_start` is) and an optional `(`, a keyword must start with one
/// of `s i u d w c a t m r`, in either case. A non-ASCII first character passes (`(?i)` folds
/// `ſ` to `s`). Most literals fail this on their first byte, without a regex call (#19).
fn may_start_sql(content: &str) -> bool {
    let rest = content.trim_start();
    let rest = rest.strip_prefix('(').map_or(rest, str::trim_start);
    match rest.as_bytes().first() {
        Some(c) if c.is_ascii() => matches!(
            c.to_ascii_lowercase(),
            b's' | b'i' | b'u' | b'd' | b'w' | b'c' | b'a' | b't' | b'm' | b'r'
        ),
        Some(_) => true,
        None => false,
    }
}

/// Cheap prefilter: a string literal (or PHP heredoc) whose text starts with an SQL keyword. A
/// file without one can hold no SQL literal, so its literals are not lexed at all. The word
/// boundary is ASCII (`(?-u:\b)`), a superset of `SQL_START`'s Unicode one after an ASCII
/// keyword: the lazy DFA gives up on a Unicode `\b` at the first non-ASCII byte and falls back
/// to the PikeVM, ~50x slower on a whole file (#19). A heredoc's name is `[^\s'"]+`, a superset
/// of the `\w+` PHP allows that compiles in half the time (no Unicode word class): a pre-commit
/// run on one file compiles this for that file alone. White space may be written as an escape
/// (`"\n  SELECT`, a line continuation): the cleaned literal reads it as white space. A keyword
/// spelled by numeric escapes is [`has_numeric_escape`]'s.
static MAYBE_SQL_LITERAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)(["'`]|<<<['"]?[^\s'"]+['"]?)(?:\s|\\[ntr\s])*\(?(?:\s|\\[ntr\s])*(select|insert|update|delete|with|create|alter|drop|truncate|merge|upsert|replace)(?-u:\b)"#)
        .expect("static regex")
});

impl Extractor {
    /// True when `text` may hold something `extract` finds; false means it certainly does not.
    fn may_hold_sql(&self, lang: Lang, text: &str) -> bool {
        // The substring tests first: they are cheaper than the regex over the whole text (#19).
        let by_name = match lang {
            Lang::Rust => false,
            Lang::Php => {
                text.contains("DB::") || text.contains("Schema::") || text.contains("$table")
            }
            // As an identifier: `db` is inside `feedback` and `dbg` in most files.
            Lang::Js => self.builders.iter().any(|b| holds_ident(text, b)),
            Lang::Elixir => true,
        };
        by_name || MAYBE_SQL_LITERAL.is_match(text) || has_numeric_escape(text)
    }

    /// Statements in `text` (a file at `path`), by the file's language.
    pub fn extract(&self, path: &str, text: &str) -> Vec<Statement> {
        self.extract_in(path, text, false)
    }

    /// [`Extractor::extract`], leaving out the SQL statements that name no schema when
    /// `skip_unqualified` (see [`sql_statements`]). Builders and models are always kept: they
    /// cost no parse.
    pub fn extract_in(&self, path: &str, text: &str, skip_unqualified: bool) -> Vec<Statement> {
        let ext = path.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
        let lang = match ext {
            "sql" => {
                let mut out = Vec::new();
                sql_statements(
                    text,
                    0..text.len(),
                    None,
                    "SQL file",
                    skip_unqualified,
                    &mut out,
                );
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
            let raw = &text[lit.content.clone()];
            let escaped = lit.escapes && raw.contains('\\');
            // No `.` and no escape that could spell one: every statement in it would be left
            // out ([`sql_statements`]).
            if skip_unqualified && !escaped && !raw.contains('.') {
                continue;
            }
            // Most literals fail the start test on their first byte. Up to the first escape the
            // cleaned text is the literal's, so the raw test answers for it unless an escape
            // leads (`\nSELECT`, `\x53ELECT`).
            let lead = raw.trim_start();
            let lead = lead.strip_prefix('(').map_or(lead, str::trim_start);
            if !(may_start_sql(raw) || escaped && lead.starts_with('\\')) {
                continue;
            }
            // What the program holds: `\x53ELECT` is a SELECT, `runtime\x2eruns` names
            // `runtime.runs` (a PHP single-quoted string decodes none); `map` takes offsets in
            // the decoded text back to the literal.
            let (cleaned, map) = lit.clean(text, lit.decodes_numeric(text, lang));
            let content = &*cleaned;
            if !may_start_sql(content) || !SQL_START.is_match(content) {
                continue;
            }
            let via = match self.sql_callee(text, lit, lang) {
                Some(c) => format!("`{c}` literal"),
                None if bound_to_name(text, lit.open) && SQL_BODY.is_match(content) => {
                    "SQL literal".to_string()
                }
                None => continue,
            };
            sql_statements(
                content,
                lit.content.clone(),
                map.as_deref(),
                &via,
                skip_unqualified,
                &mut out,
            );
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
        // A chain's head calls a builder by name (`knex(`, `db.table(`): a file that never
        // spells one as an identifier has none, and its literals need no walk back (#19).
        if !self.builders.iter().any(|b| holds_ident(text, b)) {
            return;
        }
        let at: BTreeMap<usize, &Lit> = lits.iter().map(|l| (l.open, l)).collect();
        for lit in lits {
            // Only a table name can head a chain: test it before walking back to the callee
            // (most literals are not one, and the walk reads up to 600 bytes).
            let name = lit.value(text, Lang::Js);
            if !is_table_name(&name) {
                continue;
            }
            let Some((callee, Some(_))) = callee_before(text, lit.open, Lang::Js) else {
                continue;
            };
            let segs = split_path(&callee);
            let last = segs.last().map(String::as_str).unwrap_or("");
            let is_builder = segs.len() == 1 && self.builders.iter().any(|b| b == last);
            let is_from = segs.len() > 1 && matches!(last, "from" | "into" | "table");
            if !(is_builder || is_from) {
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
                    &name,
                    chain_kind(chain, ".", "del"),
                    lit.content.clone(),
                )],
                parsed: true,
                sql: None,
                via: format!("`{callee}('…')` builder"),
            };
            join_uses(text, lit.content.end, chain_end, &at, Lang::Js, &mut st);
            out.push(st);
        }
    }
}

/// Whether `text` holds `name` with no identifier byte ([`is_word`]) on either side, as
/// [`path_before`] would read it as one segment of a path.
fn holds_ident(text: &str, name: &str) -> bool {
    let b = text.as_bytes();
    !name.is_empty()
        && memchr::memmem::find_iter(b, name.as_bytes()).any(|s| {
            let e = s + name.len();
            (s == 0 || !is_word(b[s - 1])) && (e == b.len() || !is_word(b[e]))
        })
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

/// Adds `->join('y', ...)` (PHP) or `.join('y', ...)` tables of a chain as reads.
fn join_uses(
    text: &str,
    from: usize,
    to: usize,
    lits: &BTreeMap<usize, &Lit>,
    lang: Lang,
    st: &mut Statement,
) {
    let sep = if lang == Lang::Php { "->" } else { "." };
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
        let name = lit.value(text, lang);
        if is_join && is_table_name(&name) {
            st.uses.push(use_of(&name, Kind::Read, lit.content.clone()));
        }
    }
}
