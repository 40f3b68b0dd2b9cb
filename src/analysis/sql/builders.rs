//! Query builders: Laravel `DB::table`/`Schema::create`/Eloquent models and Ecto schemas,
//! queries and migrations, read from the text around the literals.

use super::*;

pub(crate) static PHP_TABLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(DB::|->)table\(\s*$").expect("static regex"));
pub(crate) static PHP_SCHEMA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"Schema::(?:connection\([^)]*\)->)?(create|table|drop|dropIfExists|rename)\(\s*$")
        .expect("static regex")
});
pub(crate) static PHP_MODEL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\$table\s*=\s*$").expect("static regex"));

pub(crate) fn php_builders(text: &str, lits: &[Lit], out: &mut Vec<Statement>) {
    let at: BTreeMap<usize, &Lit> = lits.iter().map(|l| (l.open, l)).collect();
    for lit in lits {
        let name = &*lit.value(text, Lang::Php);
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
                sql: None,
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
                sql: None,
                via: "`DB::table` builder".into(),
            };
            join_uses(text, lit.content.end, end, &at, Lang::Php, &mut st);
            out.push(st);
        } else if PHP_MODEL.is_match(before) && text[..lit.open].contains("class ") {
            out.push(Statement {
                uses: vec![use_of(name, Kind::Read, lit.content.clone())],
                parsed: true,
                sql: None,
                via: "Eloquent `$table`".into(),
            });
        }
    }
}

pub(crate) static ECTO_PREFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"@schema_prefix\s+"(\w+)""#).expect("static regex"));
pub(crate) static ECTO_SCHEMA: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"\bschema\s*\(?\s*$"#).expect("static regex"));
pub(crate) static ECTO_FROM_IN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"\b(from|join)\s*\(?\s*\w+\s+in\s+$|\b(join|left_join|inner_join):\s*\w+\s+in\s+$"#,
    )
    .expect("static regex")
});
pub(crate) static ECTO_REPO_WRITE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"Repo\.(insert_all|update_all|delete_all|insert|insert!)\(\s*$"#)
        .expect("static regex")
});
pub(crate) static ECTO_DDL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"\b(create|create_if_not_exists|alter|drop|drop_if_exists|rename)\s+(table|index|unique_index)\(\s*:(\w+)([^)\n]*)\)"#).expect("static regex")
});
pub(crate) static ECTO_OPT_PREFIX: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"prefix:\s*"(\w+)""#).expect("static regex"));

pub(crate) fn ecto(text: &str, lits: &[Lit], out: &mut Vec<Statement>) {
    let prefix = ECTO_PREFIX.captures(text).map(|c| c[1].to_lowercase());
    let code = masked(text);
    let mut from_stmt: Option<(usize, Statement)> = None;
    for lit in lits {
        let name = &*lit.value(text, Lang::Elixir);
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
                sql: None,
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
                            sql: None,
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
                sql: None,
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
            sql: None,
            via: format!("Ecto `{} {}` migration", &c[1], &c[2]),
        });
    }
}

/// `text` with comments blanked (literals kept), for regexes over code.
pub(crate) fn masked(text: &str) -> String {
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
