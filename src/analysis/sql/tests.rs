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
