//! INV-04 `cross-plane-sql`: control/runtime authority plane boundaries are preserved: no
//! cross-plane writes, no cross-plane SQL joins, cross-plane reads only through APIs
//! (OA-RUST-003).
//!
//! Looks at: every changed file under a plane's `paths` (SQL files, SQL literals passed to
//! `sql-calls`, Laravel/knex/Ecto builders; see `analysis::sql`), at base and at head.
//! Flags: statements new at head (by plane, table, kind and joined tables, so a moved or
//! reformatted query is not new) that write or change the schema of another plane's table, join
//! tables of two planes, or read another plane's table.
//! Allows: DDL on another plane's tables from paths whose plane entry lists it in `ddl-for`, and
//! seeding from paths that list it in `seed-for` (a runtime migration registering a Khala sync
//! topic): an INSERT that never overwrites a row (no `ON CONFLICT .. DO UPDATE`), and a DELETE
//! with a WHERE of a table the same file seeds (the migration's rollback). An UPDATE, a TRUNCATE,
//! an upsert or a DELETE of rows the file does not seed is still a cross-plane write.
//! Softens: a table no plane claims is a warning naming the key to set.
//! Ignores: `exempt` paths (tests, fixtures), comments, log strings, files outside every plane.

use std::collections::BTreeSet;
use std::fmt::Write;
use std::sync::LazyLock;

use regex::Regex;

use crate::analysis::sql::{self, Extractor, Kind, PlaneMap, RawPlane, Resolved};
use crate::rules::prelude::*;

/// Check metadata.
pub static META: Meta = Meta {
    explain: include_str!("../../rules/INV-04.md"),
    keys: KEYS,
    // Each file on its own: its statements in the SQL scan of the pass, which an audit makes
    // window by window (`sql::Scan::of_pass`). An audit runs it in windows.
    windowed: true,
    ..Meta::spec(
        "INV-04",
        "cross-plane-sql",
        "change adds SQL that writes, joins or reads across the control/runtime/Khala planes",
        Escalation::BlockMerge,
    )
};

/// The keys of `[invariant.<ID>.cross-plane-sql]`, for the policy's schema and `invlint init`.
#[rustfmt::skip]
const KEYS: &[Key] = &[
    opt("exempt", Ty::Globs, "Paths never checked."),
    opt("sql-calls", Ty::Strings, "Calls whose string arguments are SQL (`query`, `DB::select`, `sql`)."),
    opt("builders", Ty::Strings, "knex-style builder functions called with a table name."),
    opt("planes", Ty::Tables(schema::PLANE), "The plane map."),
];

/// `[invariant.<ID>.cross-plane-sql]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawSettings {
    /// Paths never checked (tests and fixtures may touch any table).
    #[serde(default)]
    pub exempt: Vec<Spanned<String>>,
    /// Calls whose string arguments are SQL (`query`, `DB::select`, `sql`).
    #[serde(default)]
    pub sql_calls: Vec<Spanned<String>>,
    /// knex-style builder functions called with a table name (`knex('runs')`).
    #[serde(default)]
    pub builders: Vec<Spanned<String>>,
    /// The plane map.
    #[serde(default)]
    pub planes: Vec<RawPlane>,
}

/// Compiled settings.
#[derive(Debug)]
pub struct Settings {
    /// Exempt paths.
    pub exempt: GlobList,
    /// The plane map, also read by `khala-authority-write`.
    pub map: PlaneMap,
    /// SQL sources.
    pub extractor: Extractor,
}

impl Settings {
    /// The files this check reads, for coverage.
    fn scope(&self) -> Scope<'_> {
        Scope {
            key: "planes",
            include: self.map.planes.iter().map(|p| &p.paths).collect(),
            exclude: vec![&self.exempt],
        }
    }
}

impl RawSettings {
    /// Validates and compiles; problems go to `v`.
    fn compile(&self, v: &mut Validator) -> Settings {
        v.non_empty(&self.planes, "no plane", "planes");
        Settings {
            exempt: v.glob_list(&self.exempt),
            map: PlaneMap::compile(&self.planes, v),
            extractor: sql::compile_extractor(&self.sql_calls, &self.builders),
        }
    }
}

/// The check.
pub struct CrossPlaneSql;

impl Check for CrossPlaneSql {
    type Raw = RawSettings;
    type Settings = Settings;

    fn meta(&self) -> &'static Meta {
        &META
    }

    fn compile(&self, raw: &RawSettings, v: &mut Validator) -> Settings {
        raw.compile(v)
    }

    fn scope<'a>(&self, settings: &'a Settings, _: &'a Config) -> Option<Scope<'a>> {
        Some(settings.scope())
    }

    fn prepare(&self, cx: &Context<'_>, cfg: &Settings) {
        sql::prepare_scan(cx, &cfg.map, &cfg.extractor);
    }

    fn check(&self, cx: &Context<'_>, inv: &Invariant, cfg: &Settings, out: &mut Findings) {
        let map = &cfg.map;
        let accesses = sql::new_accesses(cx, map, &cfg.extractor, &cfg.exempt);
        for fa in accesses.iter() {
            // Tables this file seeds (a non-overwriting INSERT): its DELETEs of them roll back.
            let seeded: BTreeSet<&str> = fa
                .new
                .iter()
                .filter(|st| st.sql.is_some_and(is_seed_insert))
                .filter_map(|st| st.uses.iter().find(|u| u.kind == Kind::Write))
                .map(|u| u.full.as_str())
                .collect();
            for st in &fa.new {
                let entry = &map.planes[st.entry];
                let plane = entry.name.as_str();
                let plane_of =
                    |u: &Resolved| u.owner.as_ref().map(|(i, _)| map.planes[*i].name.as_str());
                // Unclaimed tables: a warning each.
                let mut warned = Vec::new();
                for u in st.uses.iter().filter(|u| u.owner.is_none()) {
                    if warned.contains(&u.full) {
                        continue;
                    }
                    warned.push(u.full.clone());
                    out.push(
                        Finding::new(
                            inv,
                            META.name,
                            format!(
                                "{plane}-plane code {} `{}`, a table no plane claims{}",
                                verb(u.kind),
                                u.full,
                                sql::fallback_note(st.parsed)
                            ),
                        )
                        .level(Severity::Warning)
                        .at(fa.src, u.span.clone(), format!("`{}` ({})", u.written, st.via))
                        .cite(cx.policy(), entry.name_span.clone(), format!("{plane} plane, default schema `{}`", entry.default_schema))
                        .help(format!(
                            "add `{}` (or a glob such as `{}.*`) to `tables` of the owning `[[invariant.{}.cross-plane-sql.planes]]` entry",
                            u.full,
                            u.full.split('.').next().unwrap_or(""),
                            inv.id
                        )),
                    );
                }
                let claimed: Vec<(&Resolved, &str)> = st
                    .uses
                    .iter()
                    .filter_map(|u| plane_of(u).map(|p| (u, p)))
                    .collect();
                let writes: Vec<&(&Resolved, &str)> = claimed
                    .iter()
                    .filter(|(u, p)| {
                        u.kind.is_write()
                            && *p != plane
                            && !(u.kind == Kind::Ddl && entry.ddl_for.iter().any(|d| d == p))
                            && !(u.kind == Kind::Write
                                && entry.seed_for.iter().any(|d| d == p)
                                && st.sql.is_some_and(|q| is_seed(q, &u.full, &seeded)))
                    })
                    .collect();
                let mut planes_seen: Vec<&str> = Vec::new();
                for (_, p) in &claimed {
                    if !planes_seen.contains(p) {
                        planes_seen.push(p);
                    }
                }
                let reads: Vec<&(&Resolved, &str)> = claimed
                    .iter()
                    .filter(|(u, p)| u.kind == Kind::Read && *p != plane)
                    .collect();
                let note = sql::fallback_note(st.parsed);
                let (message, offending, help): (String, Vec<&(&Resolved, &str)>, String) =
                    if let Some((u, q)) = writes.first() {
                        (
                            format!("{plane}-plane code {} `{}`, a table of the {q} plane{note}", verb(u.kind), u.full),
                            writes.clone(),
                            format!("only the {q} plane writes its tables: call the {q} plane's HTTP/proto API instead, or move this statement into {q}-plane code"),
                        )
                    } else if planes_seen.len() > 1 {
                        let mut names = String::new();
                        for (i, (u, p)) in claimed.iter().enumerate() {
                            let _ = write!(
                                names,
                                "{}`{}` ({p})",
                                if i == 0 { "" } else { " with " },
                                u.full
                            );
                        }
                        (
                            format!("this change adds one statement over tables of two planes: {names}{note}"),
                            claimed.iter().filter(|(_, p)| *p != plane).collect::<Vec<_>>().into_iter().chain(claimed.iter().filter(|(_, p)| *p == plane)).collect(),
                            "split the statement: keep the join within one plane and fetch the other plane's data through its API".into(),
                        )
                    } else if let Some((u, q)) = reads.first() {
                        (
                            format!("{plane}-plane production code reads `{}`, a table of the {q} plane{note}", u.full),
                            reads.clone(),
                            format!("cross-plane reads go through APIs: ask the {q} plane's HTTP/proto API for this data; test code belongs under `exempt`"),
                        )
                    } else {
                        continue;
                    };
                let Some(((first, q), rest)) = offending.split_first().map(|(f, r)| (**f, r))
                else {
                    continue;
                };
                let mut f = Finding::new(inv, META.name, message).at(
                    fa.src,
                    first.span.clone(),
                    format!(
                        "`{}` is the {q} plane's ({}, {})",
                        first.written,
                        kind_word(first.kind),
                        st.via
                    ),
                );
                for (u, p) in rest {
                    if u.span != first.span {
                        f = f.also(
                            u.span.clone(),
                            format!("`{}` is the {p} plane's ({})", u.written, kind_word(u.kind)),
                        );
                    }
                }
                if let Some((_, span)) = &first.owner {
                    f = f.cite(
                        cx.policy(),
                        span.clone(),
                        format!("`{}` belongs to the {q} plane", first.full),
                    );
                }
                out.push(f.help(help));
            }
        }
    }
}

/// An INSERT that never overwrites a row: no upsert (`ON CONFLICT .. DO UPDATE`, MySQL's
/// `ON DUPLICATE KEY UPDATE`).
fn is_seed_insert(sql: &str) -> bool {
    static INSERT: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?is)^\s*insert\s+into\b").expect("static regex"));
    static OVERWRITES: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?is)\bon\s+conflict\b.*\bdo\s+update\b|\bon\s+duplicate\s+key\s+update\b")
            .expect("static regex")
    });
    INSERT.is_match(sql) && !OVERWRITES.is_match(sql)
}

/// A statement that seeds `table` (`seed-for`): a non-overwriting INSERT, or a DELETE with a
/// WHERE from a table the same file seeds.
fn is_seed(sql: &str, table: &str, seeded: &BTreeSet<&str>) -> bool {
    static DELETE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?is)^\s*delete\s+from\s+\S+\s+where\b").expect("static regex")
    });
    is_seed_insert(sql) || (DELETE.is_match(sql) && seeded.contains(table))
}

fn verb(k: Kind) -> &'static str {
    match k {
        Kind::Read => "reads",
        Kind::Write => "writes",
        Kind::Ddl => "changes the schema of",
    }
}

fn kind_word(k: Kind) -> &'static str {
    match k {
        Kind::Read => "read",
        Kind::Write => "written",
        Kind::Ddl => "DDL",
    }
}
