//! Unit tests of the module.

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
    let cfg = crate::parse_policy("inv-rules.toml", include_str!("../../../inv-rules.toml"))
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
fn default_schema_ownership_is_proved_or_refused() {
    let owns = |policy: &str| -> Vec<(String, String, bool)> {
        let cfg = crate::parse_policy("inv-rules.toml", policy).expect("policy");
        let s = cfg
            .invariant("INV-04")
            .and_then(|i| i.settings_of::<crate::rules::inv04_cross_plane_sql::Settings>())
            .expect("INV-04 runs cross-plane-sql");
        (0..s.map.planes.len())
            .map(|i| {
                let p = &s.map.planes[i];
                (
                    p.name.clone(),
                    p.default_schema.clone(),
                    s.map.owns_unqualified(i),
                )
            })
            .collect()
    };
    let default = include_str!("../../../inv-rules.toml");
    let t = |n: &str, d: &str, b: bool| (n.to_string(), d.to_string(), b);
    // Control owns all of `public`; `runtime.*` is shared with Khala's `runtime.sync_*`, so
    // neither runtime entry nor Khala's runtime entry can skip; the Spacetime store owns its
    // schema.
    assert_eq!(
        owns(default),
        vec![
            t("control", "public", true),
            t("runtime", "runtime", false),
            t("runtime", "runtime", false),
            t("khala", "runtime", false),
            t("khala", "spacetime", true),
        ]
    );
    // Another plane's glob that may match in `public` refutes control's claim; one whose
    // literal prefix diverges from `public.` does not.
    for (glob, control_owns) in [
        ("public.billing_*", false),
        ("*.audit_log", false),
        ("pub*.ledger", false),
        ("{public,billing}.ledger", false),
        ("publicity.*", true),
        ("billing.public", true),
    ] {
        let policy = default.replace(
            "tables = [\"runtime.*\"]",
            &format!("tables = [\"runtime.*\", \"{glob}\"]"),
        );
        assert_ne!(policy, default);
        assert_eq!(
            owns(&policy)[0],
            t("control", "public", control_owns),
            "{glob}"
        );
    }
    // A claim needs `<schema>.*` itself: `public.a*` does not cover `public.users`.
    let policy = default.replace(
        "tables = [\"public.*\", \"control.*\"]",
        "tables = [\"public.a*\", \"control.*\"]",
    );
    assert_ne!(policy, default);
    assert_eq!(owns(&policy)[0], t("control", "public", false));
}

#[test]
fn own_write_planes_are_khala_planes_of_the_readers_of_the_map() {
    use crate::rules::inv06_khala_authority_write::own_write_planes;
    let default = include_str!("../../../inv-rules.toml");
    let cfg = crate::parse_policy("inv-rules.toml", default).expect("default policy");
    let s = cfg
        .invariant("INV-04")
        .and_then(|i| i.settings_of::<crate::rules::inv04_cross_plane_sql::Settings>())
        .expect("INV-04 runs cross-plane-sql");
    assert_eq!(
        own_write_planes(&cfg, &s.map),
        Some(BTreeSet::from(["khala".to_string()]))
    );
    // A map the policy does not hold: nothing is known of its readers.
    let other = crate::parse_policy("inv-rules.toml", default).expect("default policy");
    let foreign = other
        .invariant("INV-04")
        .and_then(|i| i.settings_of::<crate::rules::inv04_cross_plane_sql::Settings>())
        .expect("INV-04 runs cross-plane-sql");
    assert_eq!(own_write_planes(&cfg, &foreign.map), None);
}

#[test]
fn numeric_escapes_spell_what_the_program_holds() {
    let esc = |s: &str| numeric_escape(s.as_bytes());
    assert_eq!(esc(r"\x2e"), Some((b'.', 4)));
    assert_eq!(esc(r"\x2Eruns"), Some((b'.', 4)));
    assert_eq!(esc(r"\x53ELECT"), Some((b'S', 4)));
    assert_eq!(esc(r"\u{2e}"), Some((b'.', 6)));
    assert_eq!(esc(r"\u002e"), Some((b'.', 6)));
    assert_eq!(esc(r"\056"), Some((b'.', 4)));
    assert_eq!(esc(r"\56x"), Some((b'.', 3)));
    // Not a printable ASCII character, or not a numeric escape: blanked as before.
    for s in [
        r"\0",
        r"\x0a",
        r"\x",
        r"\u{}",
        r"\u{2e",
        r"\u2e",
        r"\u{110000}",
        r"\n",
        r"\",
        r"\u{e9}",
    ] {
        assert_eq!(esc(s), None, "{s}");
    }
    assert!(has_numeric_escape(r#"q("runtime\x2eruns")"#));
    assert!(!has_numeric_escape(r#"q("line\n", '\0')"#));
    // In the SQL of a literal: the table is the one the program names, its span the text as
    // written. A PHP single-quoted string decodes nothing.
    let rust = r#"client.query("INSERT INTO runtime\x2eruns (id) VALUES ($1)", &[&id]);"#;
    assert_eq!(
        summary("x.rs", rust),
        vec![r"runtime.runs:write=runtime\x2eruns"]
    );
    let js = r#"await pool.query("\x53ELECT * FROM runtime\u002eruns JOIN jobs ON true");"#;
    assert_eq!(
        summary("x.ts", js),
        vec![r"runtime.runs:read=runtime\u002eruns jobs:read=jobs"]
    );
    let php = r#"DB::select("SELECT * FROM runtime\056runs"); DB::select('SELECT * FROM a\x2eb');"#;
    assert_eq!(
        summary("x.php", php),
        vec![r"runtime.runs:read=runtime\056runs", "a:read=a"]
    );
    // An escape before the first keyword: the start test reads the cleaned text.
    let lead = r#"client.query("\n  SELECT id FROM runtime.runs", &[]); q("\tnot sql");"#;
    assert_eq!(
        summary("x.rs", lead),
        vec!["runtime.runs:read=runtime.runs"]
    );
    // Builders read the table name as the program holds it too.
    let knex = r#"await knex("runtime\x2eruns").join("runtime\u{2e}jobs", "a", "b").insert(row);"#;
    assert_eq!(
        summary("x.ts", knex),
        vec![r"runtime.runs:write=runtime\x2eruns runtime.jobs:read=runtime\u{2e}jobs"]
    );
    let laravel = r#"DB::table("runtime\x2eruns")->insert($row); DB::table('runtime\x2ejobs')->insert($row);"#;
    assert_eq!(
        summary("x.php", laravel),
        vec![r"runtime.runs:write=runtime\x2eruns"]
    );
}

#[test]
fn planes_from_must_name_the_map() {
    let text = include_str!("../../../inv-rules.toml")
        .replace("planes-from = \"INV-04\"", "planes-from = \"INV-05\"");
    let err = crate::parse_policy("inv-rules.toml", &text).expect_err("INV-05 holds no plane map");
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

/// The lexer as it was before the byte-table skip and the lazy `clean` (#19), kept to show the
/// new one finds the same literals, at the same offsets, with the same cleaned text.
mod reference {
    use super::super::literals::{find, is_raw_start, is_word, Lang};
    use std::ops::Range;

    #[derive(Debug, PartialEq)]
    pub(super) struct Lit {
        pub(super) open: usize,
        pub(super) content: Range<usize>,
        pub(super) clean: String,
    }

    pub(super) fn literals(text: &str, lang: Lang) -> Vec<Lit> {
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
    fn push_lit(
        text: &str,
        out: &mut Vec<Lit>,
        open: usize,
        start: usize,
        end: usize,
        escapes: bool,
    ) {
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
}

/// Crate sources and fixtures in the lexer's languages, plus generated text dense in quotes,
/// comment markers, escapes, raw-string and heredoc openers.
fn lexer_corpus() -> Vec<(String, Lang)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
        entries.sort();
        for p in entries {
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.push(p);
            }
        }
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    walk(&root.join("src"), &mut paths);
    walk(&root.join("fixtures"), &mut paths);
    let mut out = Vec::new();
    for p in paths {
        let lang = match p.extension().and_then(|e| e.to_str()) {
            Some("rs") => Lang::Rust,
            Some("php") => Lang::Php,
            Some("ts" | "tsx" | "js" | "mjs") => Lang::Js,
            Some("ex" | "exs") => Lang::Elixir,
            _ => continue,
        };
        if let Ok(t) = std::fs::read_to_string(&p) {
            out.push((t, lang));
        }
    }
    // Generated: a fixed-seed xorshift over pieces that steer every branch of the lexer.
    const PIECES: &[&str] = &[
        "\"",
        "'",
        "`",
        "\\",
        "\\\"",
        "//",
        "/*",
        "*/",
        "#",
        "#[",
        "r\"",
        "r#\"",
        "\"#",
        "<<<",
        "<<<'SQL'\n",
        "SQL",
        "\"\"\"",
        "\n",
        " ",
        "é",
        "x",
        "(",
        ")",
        "$",
        "{",
        "}",
        "br",
        "a'b'",
        "SELECT * FROM t",
        "\\n",
        "\\\n",
    ];
    let mut rng = crate::test_rng::XorShift(0x9E37_79B9_7F4A_7C15);
    for _ in 0..4000 {
        let mut t = String::new();
        for _ in 0..(rng.0 % 40) {
            t.push_str(PIECES[rng.below(PIECES.len())]);
        }
        for lang in [Lang::Rust, Lang::Php, Lang::Js, Lang::Elixir] {
            out.push((t.clone(), lang));
        }
        rng.step();
    }
    out
}

#[test]
fn lexer_finds_what_the_reference_lexer_found() {
    let corpus = lexer_corpus();
    assert!(corpus.len() > 16_000, "{}", corpus.len());
    let mut literals_seen = 0;
    for (text, lang) in &corpus {
        let want = reference::literals(text, *lang);
        let got: Vec<reference::Lit> = literals(text, *lang)
            .into_iter()
            .map(|l| reference::Lit {
                open: l.open,
                clean: l.clean(text, false).0.into_owned(),
                content: l.content,
            })
            .collect();
        assert_eq!(got, want, "{lang:?} on {text:?}");
        literals_seen += want.len();
    }
    // The corpus exercises the lexer: many literals, not a vacuous equality.
    assert!(literals_seen > 20_000, "{literals_seen}");
}

#[test]
fn start_precheck_never_drops_what_sql_start_matches() {
    let mut contents: Vec<String> = [
        "select 1",
        "  \u{2003}(\u{85} SELECT x",
        "ſelect * from t",
        "(update",
        "((select",
        "Replace",
        "\n\tWITH x",
        "",
        "(",
        "é",
        "xselect",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for (text, lang) in lexer_corpus() {
        for l in literals(&text, lang) {
            contents.push(text[l.content].to_string());
        }
    }
    let mut matched = 0;
    for c in &contents {
        if SQL_START.is_match(c) {
            matched += 1;
            assert!(may_start_sql(c), "{c:?}");
        }
    }
    assert!(matched > 100, "{matched}");
    // And it does reject: most literals fail on their first byte.
    assert!(!may_start_sql("xselect") && !may_start_sql("((select") && !may_start_sql(""));
    assert!(may_start_sql("ſelect * from t") && SQL_START.is_match("ſelect * from t"));
}

#[test]
fn read_step_reads_what_the_scan_reads_and_bills_it() {
    let cfg = crate::parse_policy("inv-rules.toml", include_str!("../../../inv-rules.toml"))
        .expect("default policy");
    let s = cfg
        .invariant("INV-04")
        .and_then(|i| i.settings_of::<crate::rules::inv04_cross_plane_sql::Settings>())
        .expect("INV-04 runs cross-plane-sql");
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            "apps/runtime/src/a.rs",
            "fn f() { client.query(\"SELECT id FROM runtime.runs\", &[]); }\n",
        ),
        (
            "apps/runtime/sql/migrations/0001.sql",
            "CREATE TABLE runtime.runs (id int);\n",
        ),
        ("apps/runtime/README.md", "SELECT * FROM runtime.runs\n"),
        (
            "crates/other/src/b.rs",
            "fn g() { client.query(\"DELETE FROM runtime.runs\", &[]); }\n",
        ),
    ];
    for (p, t) in files {
        let path = dir.path().join(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, t).unwrap();
    }
    let mut names: Vec<String> = files.iter().map(|(p, _)| p.to_string()).collect();
    names.sort();
    let index = crate::engine::walk::RepoIndex {
        files: names,
        ..Default::default()
    };
    let lazy = crate::engine::diff::ChangeSet::audit(dir.path(), &index, 1 << 20);
    let direct = Scan::new(&lazy, &s.map, &s.extractor, &[]);
    let prepared = crate::engine::diff::ChangeSet::audit(dir.path(), &index, 1 << 20);
    let tree = std::sync::OnceLock::from(index);
    let cx = crate::engine::check::Context::new(&prepared, &tree, None, &cfg, dir.path(), None);
    prepare_scan(&cx, &s.map, &s.extractor);
    let memo = cx
        .memoized::<Scan>(&scan_key(&s.map))
        .expect("prepare_scan keeps its scan");
    // The same statements, and the same files asked for (the fail-closed notes read that).
    assert_eq!(memo.head_counts(), direct.head_counts());
    assert_eq!(
        direct.head_counts().iter().map(|c| c.1).sum::<usize>(),
        2,
        "{:?}",
        direct.head_counts()
    );
    let asked = |c: &crate::engine::diff::ChangeSet| -> Vec<(String, bool)> {
        c.files
            .iter()
            .map(|f| (f.path.to_string(), f.head.was_asked()))
            .collect()
    };
    assert_eq!(asked(&prepared), asked(&lazy));
    assert!(
        asked(&prepared).iter().any(|(_, a)| !a),
        "a file no plane claims stays unread"
    );
    assert!(cx.read_ms() > 0.0);
}

#[test]
fn literal_prefilter_admits_every_heredoc_the_word_class_did() {
    // The heredoc name was `\w+`; `[^\s'"]+` must admit every text the old prefilter did.
    let old = regex::Regex::new(r#"(?i)(["'`]|<<<['"]?\w+['"]?)\s*\(?\s*(select|insert|update|delete|with|create|alter|drop|truncate|merge|upsert|replace)(?-u:\b)"#).unwrap();
    let mut texts: Vec<String> = [
        "<<<SQL\nSELECT * FROM runtime.runs\nSQL;",
        "<<<'é_SQL'\n  (insert into t values (1)",
        "<<<\"Q1\" delete from x",
        "<<<ſql\nſelect 1",
        "$q = <<<SQL\n\tWITH a AS (select 1) select * from a\nSQL;",
        "<<< SQL\nselect",
        "no sql here",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    texts.extend(lexer_corpus().into_iter().map(|(t, _)| t));
    let mut admitted = 0;
    for t in &texts {
        if old.is_match(t) {
            admitted += 1;
            assert!(MAYBE_SQL_LITERAL.is_match(t), "{t:?}");
        }
    }
    assert!(admitted > 100, "{admitted}");
    assert!(!MAYBE_SQL_LITERAL.is_match("no sql here"));
}

/// The builder pre-test reads a name as `path_before` does: bytes that are no identifier
/// byte (punctuation, non-ASCII) bound it.
#[test]
fn builder_names_are_found_as_path_segments() {
    assert!(holds_ident("await knex('runs').del()", "knex"));
    assert!(holds_ident("this.db.table('runs')", "db"));
    assert!(holds_ident("édb.table('runs')", "db"));
    assert!(holds_ident("db", "db"));
    assert!(!holds_ident("const feedback = dbg(1); mydb.x", "db"));
    assert!(!holds_ident("knex_config", "knex"));
    assert!(!holds_ident("anything", ""));
}
