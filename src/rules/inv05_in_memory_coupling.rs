//! INV-05 `in-memory-coupling`: no implicit in-memory coupling across control, runtime and Khala
//! in production; cross-service calls are explicit network/proto contracts (OA-RUST-003).
//!
//! Looks at: changed files under `paths` (not `exclude`), at head and at base. Each file yields
//! dependency edges from the unit it lives in (a service, or a shared library, chosen by the
//! longest matching root) to a service:
//! * `Cargo.toml`: `[dependencies]`, `[build-dependencies]` and `[target.*.dependencies]` entries
//!   (dev-dependencies only with `include-dev-dependencies`). A `path` is resolved against the
//!   manifest's directory and matched to service roots; otherwise the package name (`package =` or
//!   the key, through `[workspace.dependencies]` of the root `Cargo.toml` for `workspace = true`)
//!   must equal a service's crate name exactly.
//! * Rust: `use <crate>::`, `extern crate <crate>` and `<crate>::` paths naming a service crate.
//! * TypeScript/JavaScript/PHP: relative imports (`import .. from "../.."`, `require(..)`,
//!   `require __DIR__ . '/../..'`) that resolve into another service's root, and imports of a
//!   service's configured package names.
//! * `symbols`: configured in-process coupling symbols (Khala's in-memory fanout, exported
//!   process-globals), for planes that share one crate, reported at `symbol-level`.
//!
//! Flags: an edge the file creates at head that the same file (its base version) did not create,
//! once per edge, at the first line that creates it.
//! Ignores: edges within one service, dependencies on shared libraries or on crates that are not
//! services (`crates/runtime` is not `apps/runtime`), comment lines, Rust `#[cfg(test)] mod`
//! blocks, deleted files.

use std::collections::BTreeSet;
use std::ops::Range;

use regex::Regex;

use crate::rules::prelude::*;

mod discovered;
mod edges;
mod paths;
use paths::{ancestors, ext, is_manifest, parent, resolve};

/// Check metadata.
pub static META: Meta = Meta {
    explain: include_str!("../../rules/INV-05.md"),
    keys: KEYS,
    // Each file on its own (`Context::scan_files`), but the discovered service edges, which
    // run where `Context::crosses_files`: an audit runs it in windows.
    windowed: true,
    ..Meta::spec(
        "INV-05",
        "in-memory-coupling",
        "change couples two services in memory instead of through a network/proto contract",
        Escalation::BlockMerge,
    )
};

/// The keys of `[invariant.<ID>.in-memory-coupling]`, for the policy's schema and `invlint init`.
#[rustfmt::skip]
const KEYS: &[Key] = &[
    opt("paths", Ty::Globs, "Files whose dependency edges are examined."),
    opt("exclude", Ty::Globs, "Out of scope."),
    opt("services", Ty::Tables(schema::UNIT), "The services (planes) that must not couple in memory."),
    opt("shared", Ty::Tables(schema::UNIT), "Libraries every service may use."),
    opt("discover-services", Ty::Globs, "Directories whose Cargo manifest builds a binary are services too, unless listed."),
    opt("not-services", Ty::Strings, "Crate names that look like a service but are not one."),
    opt("include-dev-dependencies", Ty::Bool, "Also read `[dev-dependencies]` (off by default)."),
    opt("symbols", Ty::Tables(schema::SYMBOL), "In-process coupling symbols, for planes that share one crate."),
    opt("symbol-level", Ty::Enum(schema::SEVERITY), "The level of symbol findings (default warning)."),
];

/// `[invariant.<ID>.in-memory-coupling]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawSettings {
    /// Files whose edges are examined.
    #[serde(default)]
    pub paths: Vec<Spanned<String>>,
    /// Out of scope (tests, vendored code, docs).
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
    /// The services (planes) that must not couple in memory.
    #[serde(default)]
    pub services: Vec<RawUnit>,
    /// Libraries every service may use.
    #[serde(default)]
    pub shared: Vec<RawUnit>,
    /// Crate names that look like a service but are not one (a config error if a service lists
    /// one; dependencies on them are never edges).
    #[serde(default)]
    pub not_services: Vec<Spanned<String>>,
    /// Also read `[dev-dependencies]` (test-only code; off by default).
    #[serde(default)]
    pub include_dev_dependencies: Option<Spanned<bool>>,
    /// In-process coupling symbols, for planes that share one crate.
    #[serde(default)]
    pub symbols: Vec<RawSymbol>,
    /// `error` or `warning` (default): the level of symbol findings.
    #[serde(default)]
    pub symbol_level: Option<Spanned<String>>,
    /// Globs of directories that are services when their manifest builds a binary (`apps/*`),
    /// beside the listed `services`, which refine them.
    #[serde(default)]
    pub discover_services: Vec<Spanned<String>>,
}

/// One `[[...services]]` or `[[...shared]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawUnit {
    /// Plane or library name, shown in findings.
    pub name: Spanned<String>,
    /// Globs of the unit's root directories (or single files); the longest match wins.
    #[serde(default)]
    pub roots: Vec<Spanned<String>>,
    /// Exact Cargo package names.
    #[serde(default)]
    pub crates: Vec<Spanned<String>>,
    /// npm/composer package names (an import of `name` or `name/...`).
    #[serde(default)]
    pub packages: Vec<Spanned<String>>,
}

/// One `symbols` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawSymbol {
    /// Stable id, shown in findings.
    pub id: Spanned<String>,
    /// Rust regex matched against one line.
    pub regex: Spanned<String>,
    /// What a match means.
    pub what: Spanned<String>,
    /// The service that owns the symbol: uses from other services are edges to it. Without an
    /// owner, any new match in a service is reported (a process-global another plane can share).
    pub owner: Option<Spanned<String>>,
}

/// Compiled settings.
#[derive(Debug)]
pub struct Settings {
    paths: GlobList,
    exclude: GlobList,
    units: Vec<Unit>,
    not_services: Vec<String>,
    include_dev: bool,
    symbols: Vec<Symbol>,
    /// The symbol regexes without look-arounds: picks the lines a symbol can match (#19).
    symbol_prefilter: util::Prefilter,
    symbol_level: Severity,
    discover: GlobList,
    discover_span: Range<usize>,
}

impl Settings {
    /// The files this check reads, for coverage.
    fn scope(&self) -> Scope<'_> {
        Scope {
            key: "paths",
            include: vec![&self.paths],
            exclude: vec![&self.exclude],
        }
    }
}

#[derive(Debug)]
struct Unit {
    name: String,
    is_service: bool,
    roots: Vec<(GlobList, String, Range<usize>)>,
    crates: Vec<(String, Range<usize>)>,
    packages: Vec<(String, Range<usize>)>,
    name_span: Range<usize>,
}

#[derive(Debug)]
struct Symbol {
    id: String,
    regex: crate::engine::config::LazyRegex,
    what: String,
    owner: Option<usize>,
    span: Range<usize>,
}

impl RawSettings {
    /// Validates and compiles; problems go to `v`.
    fn compile(&self, v: &mut Validator) -> Settings {
        v.non_empty(&self.paths, "no file", "paths");
        if self.services.len() < 2 {
            v.problem(
                0..0,
                "`services` needs at least two entries, or no edge between services exists",
                "too few services",
                Some("declare each plane as `[[invariant.<ID>.in-memory-coupling.services]]` with `name`, `roots` and `crates`".into()),
            );
        }
        let not_services: Vec<String> = self
            .not_services
            .iter()
            .map(|s| s.get_ref().clone())
            .collect();
        let mut units = Vec::new();
        for (raw, is_service) in self
            .services
            .iter()
            .map(|u| (u, true))
            .chain(self.shared.iter().map(|u| (u, false)))
        {
            if raw.roots.is_empty() && raw.crates.is_empty() {
                v.problem(
                    raw.name.span(),
                    format!("`{}` has no `roots` and no `crates`", raw.name.get_ref()),
                    "matches nothing",
                    Some("give it the path globs of its root directories and its Cargo package names".into()),
                );
            }
            for c in &raw.crates {
                if is_service && not_services.contains(c.get_ref()) {
                    v.problem(
                        c.span(),
                        format!("`{}` is listed in `not-services`", c.get_ref()),
                        "service crate marked as not a service",
                        Some("remove it from one of the two lists".into()),
                    );
                }
            }
            let roots = raw
                .roots
                .iter()
                .map(|r| {
                    let trimmed =
                        Spanned::new(r.span(), r.get_ref().trim_end_matches('/').to_string());
                    (
                        v.glob_list(std::slice::from_ref(&trimmed)),
                        trimmed.get_ref().clone(),
                        r.span(),
                    )
                })
                .collect();
            let list = |l: &[Spanned<String>]| {
                l.iter()
                    .map(|s| (s.get_ref().clone(), s.span()))
                    .collect::<Vec<_>>()
            };
            units.push(Unit {
                name: raw.name.get_ref().clone(),
                is_service,
                roots,
                crates: list(&raw.crates),
                packages: list(&raw.packages),
                name_span: raw.name.span(),
            });
        }
        // Symbols: reuse the shared pattern compiler for regex diagnostics.
        let patterns: Vec<RawPattern> = self
            .symbols
            .iter()
            .map(|s| RawPattern {
                id: s.id.clone(),
                regex: s.regex.clone(),
                what: s.what.clone(),
                near: None,
                within: None,
            })
            .collect();
        let compiled = v.patterns(&patterns);
        let symbol_prefilter = compiled.prefilter;
        let mut symbols = Vec::new();
        for p in compiled.items {
            let Some(raw) = self.symbols.iter().find(|s| s.id.get_ref() == &p.id) else {
                continue;
            };
            let owner = match &raw.owner {
                None => None,
                Some(o) => {
                    let idx = units
                        .iter()
                        .position(|u| u.is_service && &u.name == o.get_ref());
                    if idx.is_none() {
                        v.problem(
                            o.span(),
                            format!("symbol owner `{}` is not a declared service", o.get_ref()),
                            "unknown service",
                            Some("use the `name` of one of the `services` entries".into()),
                        );
                    }
                    idx
                }
            };
            symbols.push(Symbol {
                id: p.id,
                regex: p.regex,
                what: p.what,
                owner,
                span: p.span,
            });
        }
        let symbol_level = match &self.symbol_level {
            None => Severity::Warning,
            Some(s) => match s.get_ref().as_str() {
                "error" => Severity::Error,
                "warning" => Severity::Warning,
                other => {
                    v.problem(
                        s.span(),
                        format!("unknown symbol-level `{other}`"),
                        "not a level",
                        Some("use \"error\" or \"warning\"".into()),
                    );
                    Severity::Warning
                }
            },
        };
        Settings {
            paths: v.glob_list(&self.paths),
            exclude: v.glob_list(&self.exclude),
            units,
            not_services,
            include_dev: self
                .include_dev_dependencies
                .as_ref()
                .is_some_and(|b| *b.get_ref()),
            symbols,
            symbol_prefilter,
            symbol_level,
            discover: v.glob_list(&self.discover_services),
            discover_span: self
                .discover_services
                .first()
                .map(|g| g.span())
                .unwrap_or(0..0),
        }
    }
}

/// The check.
pub struct InMemoryCoupling;

/// One dependency edge a file creates.
#[derive(Debug, Clone)]
struct Edge {
    /// Index of the service depended on.
    to: usize,
    /// The root of the target the edge resolved to (for the message).
    to_root: String,
    /// How: "the Cargo dependency `x`", "`use x::`".
    via: String,
    /// Where in the file.
    span: Range<usize>,
    /// Label under the span.
    label: String,
    /// The policy entry that makes it an edge.
    cite: Range<usize>,
    cite_label: String,
    /// Set for symbol edges: their own level.
    symbol: Option<usize>,
}

impl Edge {
    /// What makes two edges "the same" between base and head.
    /// Dependencies, imports and `use` are one edge kind; symbols owned by a plane are another;
    /// each ownerless symbol (a process-global) is its own.
    fn key(&self, cfg: &Settings) -> (usize, usize) {
        match self.symbol {
            None => (self.to, 0),
            Some(s) if cfg.symbols[s].owner.is_some() => (self.to, 1),
            Some(s) => (self.to, 2 + s),
        }
    }
}

impl Check for InMemoryCoupling {
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

    fn check(&self, cx: &Context<'_>, inv: &Invariant, cfg: &Settings, out: &mut Findings) {
        let workspace_head = workspace_deps(cx, false);
        let workspace_base = workspace_deps(cx, true);
        cx.scan_files(&cfg.paths, &cfg.exclude, out, |file, out| {
            let Some(head) = file.head.source() else {
                return;
            };
            let Some((from, from_root)) = cfg.unit_of(&file.path) else {
                // Only Cargo manifests outside any unit matter: a crate that links a service
                // re-exports it to whoever depends on that crate.
                if !is_manifest(&file.path) {
                    return;
                }
                let dir = parent(&file.path).to_string();
                report(
                    cx,
                    inv,
                    cfg,
                    file,
                    head,
                    &dir,
                    None,
                    &workspace_head,
                    &workspace_base,
                    out,
                );
                return;
            };
            report(
                cx,
                inv,
                cfg,
                file,
                head,
                &from_root,
                Some(from),
                &workspace_head,
                &workspace_base,
                out,
            );
        });
        // Across files (a manifest's crate and what builds a binary): once per run, not per
        // audit window.
        if cx.crosses_files() {
            discovered::edges(cx, inv, cfg, out);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn report(
    cx: &Context<'_>,
    inv: &Invariant,
    cfg: &Settings,
    file: &FileChange,
    head: &Arc<Source>,
    from_root: &str,
    from: Option<usize>,
    ws_head: &[WsDep],
    ws_base: &[WsDep],
    out: &mut Findings,
) {
    let head_edges = cfg.edges(&file.path, head, from, ws_head);
    if head_edges.is_empty() {
        return;
    }
    let base_path = file.old_path.as_deref().unwrap_or(&file.path);
    let base_keys: BTreeSet<(usize, usize)> = if file.is_all_added {
        BTreeSet::new()
    } else {
        match file.base.source() {
            Some(base) => {
                // The base file counts only if it lived in the same unit.
                let base_from = cfg.unit_of(base_path).map(|(u, _)| u);
                if base_from != from && !is_manifest(base_path) {
                    BTreeSet::new()
                } else {
                    cfg.edges(base_path, base, base_from.or(from), ws_base)
                        .iter()
                        .map(|e| e.key(cfg))
                        .collect()
                }
            }
            None => BTreeSet::new(),
        }
    };
    let mut seen = BTreeSet::new();
    for edge in head_edges {
        if base_keys.contains(&edge.key(cfg)) || !seen.insert(edge.key(cfg)) {
            continue;
        }
        let target = &cfg.units[edge.to];
        let to_desc = match target.crates.first() {
            Some((c, _)) => format!("{} (crate {c})", edge.to_root),
            None => format!("{} ({} plane)", edge.to_root, target.name),
        };
        let from_desc = match from {
            Some(u) if !cfg.units[u].is_service => format!("{from_root} (a shared library)"),
            Some(_) => from_root.to_string(),
            None => format!("the crate at {from_root}"),
        };
        let is_service_from = from.is_some_and(|u| cfg.units[u].is_service);
        let is_global = edge.symbol.is_some_and(|s| cfg.symbols[s].owner.is_none());
        let message = if is_global {
            format!("{from_desc} now exports {}", edge.via)
        } else {
            format!("{from_desc} now depends on {to_desc} through {}", edge.via)
        };
        let mut finding =
            Finding::new(inv, META.name, message).at(head, edge.span.clone(), edge.label.clone());
        finding = match (edge.symbol, from) {
            (Some(_), _) if is_global => finding.level(cfg.symbol_level).help(
                "process-global state in a crate that hosts more than one plane (Khala inside the runtime) is shared memory between planes; keep it private to its module, pass state explicitly, and cross planes over the network/proto contract",
            ),
            (Some(_), _) => finding.level(cfg.symbol_level).help(format!(
                "{0} shares this process with the caller only for local/dev; reach {0} over its network/proto contract (HTTP, the Khala WebSocket) or through a trait this code owns, with the in-memory driver wired in local/dev setup only",
                target.name
            )),
            (None, Some(_)) if !is_service_from => finding.help(format!(
                "a shared library must not link a service: every service that uses this library would carry {} in its process; move the types both sides need into proto/ or a shared crate",
                target.name
            )),
            _ => finding.help(format!(
                "call {} over its network/proto contract (HTTP API, proto messages via a shared client crate such as a `*-client` or `*-proto` library) instead of linking it; code both sides need belongs in a library listed in a `[[invariant.{}.in-memory-coupling.shared]]` table",
                target.name, inv.id
            )),
        };
        out.push(finding.cite(cx.policy(), edge.cite.clone(), edge.cite_label.clone()));
    }
}

/// A `[workspace.dependencies]` entry of the root manifest.
#[derive(Debug, Clone)]
struct WsDep {
    key: String,
    package: String,
    path: Option<String>,
}

fn workspace_deps(cx: &Context<'_>, base: bool) -> Vec<WsDep> {
    let src = if base {
        match cx.changes().file("Cargo.toml") {
            Some(f) => f.base.source().cloned(),
            None => cx.head_file("Cargo.toml"),
        }
    } else {
        cx.head_file("Cargo.toml")
    };
    let Some(src) = src else {
        return Vec::new();
    };
    let Ok(value) = src.text().parse::<toml::Table>() else {
        return Vec::new();
    };
    let Some(deps) = value
        .get("workspace")
        .and_then(|w| w.get("dependencies"))
        .and_then(|d| d.as_table())
    else {
        return Vec::new();
    };
    deps.iter()
        .map(|(k, v)| WsDep {
            key: k.clone(),
            package: v
                .get("package")
                .and_then(|p| p.as_str())
                .unwrap_or(k)
                .to_string(),
            path: v.get("path").and_then(|p| p.as_str()).map(str::to_string),
        })
        .collect()
}

/// One dependency entry of a manifest.
#[derive(Debug)]
struct Dep {
    key: String,
    package: String,
    path: Option<String>,
    workspace: bool,
    table: String,
    span: Range<usize>,
}

impl Dep {
    fn table_note(&self) -> String {
        if self.table == "dependencies" {
            String::new()
        } else {
            format!(" in [{}]", self.table)
        }
    }
}

/// The manifest's dependency tables, as written; `toml` with spans so each entry points at its
/// line. A manifest that does not parse yields nothing (cargo would reject it too).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct Manifest {
    #[serde(default)]
    dependencies: DepTable,
    #[serde(default)]
    build_dependencies: DepTable,
    #[serde(default)]
    dev_dependencies: DepTable,
    #[serde(default)]
    target: std::collections::BTreeMap<String, TargetTables>,
}

type DepTable = std::collections::BTreeMap<Spanned<String>, toml::Value>;

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "kebab-case")]
struct TargetTables {
    #[serde(default)]
    dependencies: DepTable,
    #[serde(default)]
    build_dependencies: DepTable,
    #[serde(default)]
    dev_dependencies: DepTable,
}

fn manifest_deps(text: &str, include_dev: bool) -> Vec<Dep> {
    let Ok(m) = toml::from_str::<Manifest>(text) else {
        return Vec::new();
    };
    let mut tables: Vec<(String, DepTable)> = vec![
        ("dependencies".into(), m.dependencies),
        ("build-dependencies".into(), m.build_dependencies),
    ];
    if include_dev {
        tables.push(("dev-dependencies".into(), m.dev_dependencies));
    }
    for (cfg, t) in m.target {
        tables.push((format!("target.{cfg}.dependencies"), t.dependencies));
        tables.push((
            format!("target.{cfg}.build-dependencies"),
            t.build_dependencies,
        ));
        if include_dev {
            tables.push((format!("target.{cfg}.dev-dependencies"), t.dev_dependencies));
        }
    }
    let mut out = Vec::new();
    for (table, deps) in tables {
        for (key, value) in deps {
            let span = key.span();
            let key = key.into_inner();
            out.push(Dep {
                package: value
                    .get("package")
                    .and_then(|p| p.as_str())
                    .unwrap_or(&key)
                    .to_string(),
                path: value
                    .get("path")
                    .and_then(|p| p.as_str())
                    .map(str::to_string),
                workspace: value
                    .get("workspace")
                    .and_then(|w| w.as_bool())
                    .unwrap_or(false),
                key,
                table: table.clone(),
                span,
            });
        }
    }
    out.sort_by_key(|d| d.span.start);
    out
}

/// Byte offset of `ident` used as a crate root in `line`: `use ident`, `extern crate ident`,
/// `ident::` not preceded by `::` or an identifier character.
fn find_crate_path(line: &str, ident: &str) -> Option<usize> {
    let bytes = line.as_bytes();
    for (at, _) in line.match_indices(ident) {
        let before = line[..at].trim_end();
        let prev_ok = at == 0
            || !(bytes[at - 1].is_ascii_alphanumeric()
                || bytes[at - 1] == b'_'
                || bytes[at - 1] == b':');
        if !prev_ok {
            continue;
        }
        let rest = &line[at + ident.len()..];
        let next_ok = rest
            .chars()
            .next()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        if !next_ok {
            continue;
        }
        let rest = rest.trim_start();
        let is_path = rest.starts_with("::");
        let is_use = before.ends_with("use")
            || before.ends_with("extern crate")
            || before.ends_with("use ::");
        if is_path || is_use {
            // Skip string literals: an odd number of quotes before the hit.
            if line[..at].matches('"').count() % 2 == 1 {
                continue;
            }
            return Some(at);
        }
    }
    None
}

/// 1-based lines inside top-level `#[cfg(test)] mod .. { .. }` blocks (test-only code).
fn rust_test_blocks(src: &Source) -> BTreeSet<usize> {
    let mut out = BTreeSet::new();
    let n = src.line_count();
    let mut line = 1;
    while line <= n {
        let l = src.line(line).unwrap_or("");
        if l.trim() == "#[cfg(test)]" {
            let next = src.line(line + 1).unwrap_or("").trim_start();
            if next.starts_with("mod ")
                || next.starts_with("pub mod ")
                || next.starts_with("pub(crate) mod ")
            {
                let mut depth: i64 = 0;
                let mut end = line + 1;
                while end <= n {
                    let t = src.line(end).unwrap_or("");
                    depth += t.matches('{').count() as i64 - t.matches('}').count() as i64;
                    out.insert(end);
                    if depth <= 0 && t.contains('}') {
                        break;
                    }
                    end += 1;
                }
                out.insert(line);
                line = end + 1;
                continue;
            }
        }
        line += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_relative_paths() {
        assert_eq!(
            resolve("apps/runtime", "../openagents.com/service").as_deref(),
            Some("apps/openagents.com/service")
        );
        assert_eq!(resolve("apps", "../../x"), None);
        assert_eq!(
            resolve("", "crates/runtime").as_deref(),
            Some("crates/runtime")
        );
    }

    #[test]
    fn crate_paths() {
        let id = "openagents_runtime_service";
        assert_eq!(
            find_crate_path("use openagents_runtime_service::fanout;", id),
            Some(4)
        );
        assert!(find_crate_path("pub use openagents_runtime_service as rt;", id).is_some());
        assert!(find_crate_path("extern crate openagents_runtime_service;", id).is_some());
        assert!(find_crate_path("let x = openagents_runtime_service::f();", id).is_some());
        assert!(find_crate_path("use crate::openagents_runtime_service::x;", id).is_none());
        assert!(find_crate_path("let s = \"openagents_runtime_service::x\";", id).is_none());
        assert!(find_crate_path("use openagents_runtime_service_types::x;", id).is_none());
        // The name trap: `runtime` is a different crate, never matched by the service ident.
        assert!(find_crate_path("use runtime::agent::Agent;", id).is_none());
    }

    #[test]
    fn manifest_tables() {
        let text = "[package]\nname = \"a\"\n\n[dependencies]\nserde = \"1\"\nrt = { package = \"openagents-runtime-service\", path = \"../runtime\" }\nws.workspace = true\n\n[dev-dependencies]\nx = { path = \"../x\" }\n\n[target.'cfg(unix)'.dependencies.y]\npath = \"../y\"\n";
        let deps = manifest_deps(text, false);
        let names: Vec<&str> = deps.iter().map(|d| d.key.as_str()).collect();
        assert_eq!(names, ["serde", "rt", "ws", "y"]);
        assert_eq!(deps[1].package, "openagents-runtime-service");
        assert!(deps[2].workspace);
        assert_eq!(deps[3].path.as_deref(), Some("../y"));
        assert_eq!(&text[deps[1].span.clone()], "rt");
        assert_eq!(manifest_deps(text, true).len(), 5);
    }

    #[test]
    fn test_blocks() {
        let src = Source::new(
            "a.rs",
            "use a;\n#[cfg(test)]\nmod tests {\n    use b;\n}\nfn f() {}\n",
        );
        let lines = rust_test_blocks(&src);
        assert!(lines.contains(&4));
        assert!(!lines.contains(&6));
        assert!(!lines.contains(&1));
    }
}
