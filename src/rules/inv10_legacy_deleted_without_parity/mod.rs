//! INV-10 `legacy-deleted-without-parity`: legacy surfaces are deleted only after their mapped
//! parity gates (OA-RUST-003; backup rule from the validation matrix OA-RUST-110).
//!
//! Looks at: files of `legacy` surfaces the change deletes, moves out, or guts (removes at least
//! `gut-ratio` of a file's lines); the inventory document (`inventory`, markdown tables mapping a
//! surface to gate IDs and a status), at head, or at base when the change deletes it; the `surface`
//! map in the policy when there is no inventory; the PR description (or, without one, the commit
//! messages).
//! Flags, per surface with at least `min-deleted-files` such files: mapped gates the description
//! does not reference (a warning without a PR description: what will be needed); mapped gates
//! the inventory does not mark done; deletions under `legacy` that no inventory row maps;
//! deleting or gutting the inventory itself; deletions under `backup-surfaces` without Laravel
//! database backup evidence (`backup-evidence`) in the description.
//! Ignores: additions and small edits, files outside `legacy`, bare issue numbers (`#1234`).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use crate::rules::prelude::*;

mod gates;
mod inventory;
#[cfg(test)]
mod tests;

use gates::*;
use inventory::*;

/// Check metadata.
pub static META: Meta = Meta {
    explain: include_str!("../../../rules/INV-10.md"),
    keys: KEYS,
    ..Meta::spec(
        "INV-10",
        "legacy-deleted-without-parity",
        "legacy surface deleted without its mapped parity gates",
        Escalation::BlockRelease,
    )
};

/// The keys of `[invariant.<ID>.legacy-deleted-without-parity]`, for the policy's schema and `invlint init`.
#[rustfmt::skip]
const KEYS: &[Key] = &[
    opt("legacy", Ty::Globs, "Legacy surfaces."),
    opt("exclude", Ty::Globs, "Out of scope."),
    opt("inventory", Ty::Path, "The inventory document (markdown tables); empty: use `surface` only."),
    opt("surface-column", Ty::Regex, "Header of the inventory column naming the surface."),
    opt("gates-column", Ty::Regex, "Header of the inventory column naming the gates."),
    opt("status-column", Ty::Regex, "Header of the inventory status column."),
    opt("done-status", Ty::Regex, "A status that counts as done."),
    opt("gate-prefix", Ty::Str, "Gate ID prefix (`OA-RUST-`)."),
    opt("min-deleted-files", Ty::Int, "Fewest files of one surface that make a deletion."),
    opt("gut-ratio", Ty::Float, "Share of a file's lines whose removal counts as deleting it."),
    opt("gut-min-lines", Ty::Int, "Files shorter than this are never \"gutted\"."),
    opt("backup-surfaces", Ty::Globs, "Surfaces whose deletion needs database backup evidence."),
    opt("backup-evidence", Ty::Regex, "What counts as backup evidence in the description."),
    opt("surface", Ty::Tables(schema::SURFACE), "The surface → gate map used when the inventory is absent."),
];

/// `[invariant.<ID>.legacy-deleted-without-parity]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawSettings {
    /// Legacy surfaces (globs).
    #[serde(default)]
    pub legacy: Vec<Spanned<String>>,
    /// Out of scope.
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
    /// The inventory document (markdown tables); empty: use `surface` only.
    pub inventory: Option<Spanned<String>>,
    /// Header regex of the inventory column naming the surface.
    pub surface_column: Option<Spanned<String>>,
    /// Header regex of the inventory column naming the gates.
    pub gates_column: Option<Spanned<String>>,
    /// Header regex of the inventory status column.
    pub status_column: Option<Spanned<String>>,
    /// A status that counts as done.
    pub done_status: Option<Spanned<String>>,
    /// Gate ID prefix (`OA-RUST-`).
    pub gate_prefix: Option<Spanned<String>>,
    /// Fewest files of one surface that make a deletion.
    pub min_deleted_files: Option<Spanned<usize>>,
    /// Share of a file's lines whose removal counts as deleting it.
    pub gut_ratio: Option<Spanned<f64>>,
    /// Files shorter than this are never "gutted".
    pub gut_min_lines: Option<Spanned<usize>>,
    /// Surfaces whose deletion needs database backup evidence.
    #[serde(default)]
    pub backup_surfaces: Vec<Spanned<String>>,
    /// What counts as backup evidence in the description.
    pub backup_evidence: Option<Spanned<String>>,
    /// The surface → gate map used when the inventory is absent.
    #[serde(default)]
    pub surface: Vec<RawSurface>,
}

/// One `[[...surface]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawSurface {
    /// Globs of the surface.
    pub root: Vec<Spanned<String>>,
    /// Gate IDs or ranges (`OA-RUST-054..058`).
    pub gates: Vec<Spanned<String>>,
}

/// Compiled settings.
#[derive(Debug)]
pub struct Settings {
    legacy: GlobList,
    exclude: GlobList,
    inventory: Option<(String, Range<usize>)>,
    surface_column: crate::engine::config::LazyRegex,
    gates_column: crate::engine::config::LazyRegex,
    gates_column_span: Range<usize>,
    status_column: crate::engine::config::LazyRegex,
    done_status: crate::engine::config::LazyRegex,
    done_span: Range<usize>,
    gate_ids: GateIds,
    min_deleted: usize,
    gut_ratio: f64,
    gut_min_lines: usize,
    backup_surfaces: GlobList,
    backup_evidence: Option<(crate::engine::config::LazyRegex, Range<usize>)>,
    surfaces: Vec<ConfigSurface>,
}

impl Settings {
    /// The files this check reads, for coverage.
    fn scope(&self) -> Scope<'_> {
        Scope {
            key: "legacy",
            include: vec![&self.legacy],
            exclude: vec![&self.exclude],
        }
    }

    /// For `invlint report`: whether `path` is a legacy file this check watches (under
    /// `legacy`, not excluded).
    pub fn is_legacy(&self, path: &str) -> bool {
        self.legacy.is_match(path) && !self.exclude.is_match(path)
    }

    /// For `invlint report`: the parity gates `text` references (`OA-RUST-054`, ranges
    /// expanded), as names.
    pub fn cited_gates(&self, text: &str) -> Vec<String> {
        self.gate_ids
            .parse(text, true)
            .into_iter()
            .map(|n| gate_name(&self.gate_ids.prefix, n))
            .collect()
    }
}

#[derive(Debug)]
struct ConfigSurface {
    name: String,
    root: GlobList,
    /// The `gates` entries as written.
    gate_texts: Vec<String>,
    /// Their gate numbers, sorted: read at load when the policy is validated, else (a load
    /// that trusts the validated-policy cache) on first use, so a pre-commit run compiles no
    /// gate regex.
    gates: std::sync::OnceLock<Vec<u32>>,
    span: Range<usize>,
}

impl ConfigSurface {
    fn gates(&self, ids: &GateIds) -> &[u32] {
        self.gates
            .get_or_init(|| read_gates(ids, self.gate_texts.iter().map(String::as_str)))
    }
}

/// The sorted, deduplicated gate numbers the `gates` entries `texts` name.
fn read_gates<'t>(ids: &GateIds, texts: impl Iterator<Item = &'t str>) -> Vec<u32> {
    let mut gates: Vec<u32> = texts.flat_map(|t| ids.parse(t, false)).collect();
    gates.sort_unstable();
    gates.dedup();
    gates
}

fn regex_or(
    v: &mut Validator,
    raw: &Option<Spanned<String>>,
    default: &str,
) -> (crate::engine::config::LazyRegex, Range<usize>) {
    let fallback = || crate::engine::config::LazyRegex::new(default);
    match raw {
        Some(r) => (v.regex(r).unwrap_or_else(fallback), r.span()),
        None => (fallback(), 0..0),
    }
}

impl RawSettings {
    /// Validates and compiles; problems go to `v`.
    fn compile(&self, v: &mut Validator) -> Settings {
        let gates_column = regex_or(
            v,
            &self.gates_column,
            r"(?i)gate|block|depend|item|replacement",
        );
        v.non_empty(&self.legacy, "no legacy deletion", "legacy");
        let prefix = self
            .gate_prefix
            .as_ref()
            .map(|p| p.get_ref().clone())
            .unwrap_or_else(|| "OA-RUST-".into());
        let gate_ids = GateIds::new(&prefix);
        let mut surfaces = Vec::new();
        for s in &self.surface {
            let gates = std::sync::OnceLock::new();
            if !v.trusted {
                for g in &s.gates {
                    if gate_ids.parse(g.get_ref(), false).is_empty() {
                        v.problem(
                            g.span(),
                            format!("`{}` names no gate", g.get_ref()),
                            "no gate ID",
                            Some(format!("write `{prefix}054` or a range `{prefix}054..058`")),
                        );
                    }
                }
                let _ = gates.set(read_gates(
                    &gate_ids,
                    s.gates.iter().map(|g| g.get_ref().as_str()),
                ));
            }
            surfaces.push(ConfigSurface {
                gate_texts: s.gates.iter().map(|g| g.get_ref().clone()).collect(),
                name: s
                    .root
                    .first()
                    .map(|r| r.get_ref().trim_end_matches("/**").to_string())
                    .unwrap_or_default(),
                root: v.glob_list(&s.root),
                gates,
                span: s.root.first().map(|r| r.span()).unwrap_or(0..0),
            });
        }
        let ratio = self.gut_ratio.as_ref().map(|r| *r.get_ref()).unwrap_or(0.8);
        if let Some(r) = &self.gut_ratio {
            if !(0.0..=1.0).contains(r.get_ref()) || *r.get_ref() == 0.0 {
                v.problem(
                    r.span(),
                    "`gut-ratio` must be in (0, 1]",
                    "out of range",
                    Some("0.8 means: removing 80% of a file's lines deletes it".into()),
                );
            }
        }
        let (done_status, done_span) = regex_or(
            v,
            &self.done_status,
            r"(?i)\b(done|complete|completed|closed|shipped|passed)\b|✅",
        );
        Settings {
            legacy: v.glob_list(&self.legacy),
            exclude: v.glob_list(&self.exclude),
            inventory: self
                .inventory
                .as_ref()
                .filter(|i| !i.get_ref().trim().is_empty())
                .map(|i| (i.get_ref().clone(), i.span())),
            surface_column: regex_or(v, &self.surface_column, r"(?i)legacy|surface|root|path").0,
            gates_column: gates_column.0,
            gates_column_span: gates_column.1,
            status_column: regex_or(v, &self.status_column, r"(?i)status|state|disposition").0,
            done_status,
            done_span,
            gate_ids,
            min_deleted: self
                .min_deleted_files
                .as_ref()
                .map(|m| *m.get_ref())
                .unwrap_or(1)
                .max(1),
            gut_ratio: ratio,
            gut_min_lines: self
                .gut_min_lines
                .as_ref()
                .map(|m| *m.get_ref())
                .unwrap_or(20),
            backup_surfaces: v.glob_list(&self.backup_surfaces),
            backup_evidence: self
                .backup_evidence
                .as_ref()
                .and_then(|b| v.regex(b).map(|r| (r, b.span()))),
            surfaces,
        }
    }
}

// The check.

/// The check.
pub struct LegacyDeletedWithoutParity;

/// A legacy file the change deletes (or moves out, or guts).
struct Deleted<'a> {
    file: &'a FileChange,
    base_path: &'a str,
    how: &'static str,
}

/// Where a group of deletions is mapped.
enum Mapping<'a> {
    Row(usize),
    Config(&'a ConfigSurface),
    Unlisted(String),
}

impl Check for LegacyDeletedWithoutParity {
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
        // The inventory: at head, or at base when this change deletes it.
        let inv_change = cfg
            .inventory
            .as_ref()
            .and_then(|(p, _)| cx.changes().file(p));
        let inv_src: Option<Arc<Source>> = cfg.inventory.as_ref().and_then(|(p, _)| {
            cx.head_file(p)
                .or_else(|| inv_change.and_then(|f| f.base.source().cloned()))
        });
        let inventory = inv_src.as_ref().map(|s| parse_inventory(s, cfg));
        check_inventory_change(cx, inv, cfg, inv_change, out);

        let deleted = deleted_files(cx, cfg);
        if deleted.is_empty() {
            return;
        }

        // Group by surface.
        let mut groups: BTreeMap<String, (Vec<&Deleted>, Mapping)> = BTreeMap::new();
        for d in &deleted {
            // The inventory and the policy's surface map together: a row first (its gates are
            // joined with the policy's for the same path below), else the policy's entry.
            let row = inventory
                .as_ref()
                .and_then(|t| t.rows.iter().position(|r| r.globs.is_match(d.base_path)));
            let (key, mapping) = match row {
                Some(i) => (format!("row:{i:05}"), Mapping::Row(i)),
                None => match cfg.surfaces.iter().find(|s| s.root.is_match(d.base_path)) {
                    Some(s) => (format!("cfg:{}", s.name), Mapping::Config(s)),
                    None => unlisted(cfg, d.base_path),
                },
            };
            groups
                .entry(key)
                .or_insert_with(|| (Vec::new(), mapping))
                .0
                .push(d);
        }

        // The description: PR text, or the commit messages without one.
        let pr = cx.pr_description();
        let commits = cx.changes().commit_messages.join("\n");
        // What the description states: code, comments, quotes and template text say nothing.
        let said: &str = pr.map(|p| p.statement_text()).unwrap_or(&commits);
        let referenced: BTreeSet<u32> = cfg.gate_ids.parse(said, true).into_iter().collect();
        let inv_name = cfg
            .inventory
            .as_ref()
            .map(|(p, _)| p.as_str())
            .unwrap_or("inv-rules.toml");

        for (files, mapping) in groups.values() {
            if files.len() < cfg.min_deleted {
                continue;
            }
            let first = files[0];
            let Some(at) = first.file.base.source() else {
                continue;
            };
            let at_span = at.line_range(1).unwrap_or(0..0);
            let count = if files.len() == 1 {
                "1 file".to_string()
            } else {
                format!("{} files", files.len())
            };
            let label = format!("`{}` {}", first.base_path, first.how);
            let (surface, gates, row) = match mapping {
                Mapping::Unlisted(glob) => {
                    let entry_span = cfg
                        .legacy
                        .matching_entry(first.base_path)
                        .map(|e| e.span.clone())
                        .unwrap_or(0..0);
                    let mut f = Finding::new(
                        inv,
                        META.name,
                        format!("this change removes {count} of legacy surface `{glob}`, which the inventory maps to no parity gate"),
                    )
                    .at(at, at_span.clone(), label.clone())
                    .help(format!("add a row for the surface with its {}nnn parity gates to `{inv_name}` (or a `[[surface]]` entry in the policy), finish those gates, then delete", cfg.gate_ids.prefix))
                    .cite(cx.policy(), entry_span, "legacy surface");
                    if let (Some(src), Some(t)) = (&inv_src, &inventory) {
                        let span = t.header.clone().unwrap_or(0..0);
                        f = f.related(src, span, "the inventory lists no row for this surface");
                    }
                    out.push(f);
                    continue;
                }
                Mapping::Row(i) => {
                    let Some(row) = inventory.as_ref().and_then(|t| t.rows.get(*i)) else {
                        continue;
                    };
                    let mut gates = row.gates.clone();
                    if let Some(s) = cfg
                        .surfaces
                        .iter()
                        .find(|s| s.root.is_match(first.base_path))
                    {
                        for g in s.gates(&cfg.gate_ids) {
                            if !gates.contains(g) {
                                gates.push(*g);
                            }
                        }
                    }
                    if gates.is_empty() {
                        // Fail closed: a row whose gates cannot be read is not "no gates".
                        let why = match &row.gates_column {
                            Some(h) => format!("its inventory row has no {}nnn ID in column `{h}`", cfg.gate_ids.prefix),
                            None => "the inventory table has no column of parity gates (no header like gate, blocker, depend, item or replacement, and no cell holding a gate ID)".to_string(),
                        };
                        let surface = row.surfaces.join("`, `");
                        let mut f = Finding::new(
                            inv,
                            META.name,
                            format!("cannot verify the parity gates of `{surface}`: {why}"),
                        )
                        .at(at, at_span.clone(), label.clone())
                        .help(format!("list the surface's {}nnn parity gates in its row of `{inv_name}` (or in a `[[surface]]` entry of the policy), then reference them in the description", cfg.gate_ids.prefix))
                        .cite(cx.policy(), cfg.gates_column_span.clone(), "how the gates column is found");
                        if let Some(src) = &inv_src {
                            f = f.related(src, row.span.clone(), "this row names no parity gate");
                        }
                        out.push(f);
                        continue;
                    }
                    (row.surfaces.join("`, `"), gates, Some(row))
                }
                Mapping::Config(s) => (s.name.clone(), s.gates(&cfg.gate_ids).to_vec(), None),
            };
            let cite_span = match mapping {
                Mapping::Config(s) => s.span.clone(),
                _ => cfg
                    .inventory
                    .as_ref()
                    .map(|(_, s)| s.clone())
                    .unwrap_or(0..0),
            };
            let with_row = |f: Finding, what: &str| match (row, &inv_src) {
                (Some(r), Some(src)) => f.related(src, r.span.clone(), what.to_string()),
                _ => f,
            };

            // Every mapped gate referenced.
            let missing: Vec<u32> = gates
                .iter()
                .copied()
                .filter(|g| !referenced.contains(g))
                .collect();
            if !missing.is_empty() {
                let f = if pr.is_some() {
                    Finding::new(
                        inv,
                        META.name,
                        format!("this change removes {count} of legacy surface `{surface}` without referencing its parity gates {}", gate_list(&cfg.gate_ids.prefix, &missing)),
                    )
                } else {
                    Finding::new(
                        inv,
                        META.name,
                        format!("removing {count} of legacy surface `{surface}` needs its parity gates {} referenced in the PR description", gate_list(&cfg.gate_ids.prefix, &missing)),
                    )
                    .level(Severity::Warning)
                };
                let f = f
                    .at(at, at_span.clone(), label.clone())
                    .help(format!("reference every mapped gate ({}) in the PR description; the mapping is in `{inv_name}`; a bare issue number does not count", gate_list(&cfg.gate_ids.prefix, &gates)))
                    .cite(cx.policy(), cite_span.clone(), "surface to gate map");
                out.push(with_row(f, "the surface's gates"));
            }

            // Every mapped gate done.
            let mut not_done: Vec<(u32, String)> = Vec::new();
            for &g in &gates {
                let status = inventory
                    .as_ref()
                    .and_then(|t| t.gate_status.get(&g).map(|(s, _)| s.clone()))
                    .or_else(|| row.and_then(|r| r.status.clone()));
                if let Some(s) = status {
                    if !cfg.done_status.is_match(&s) {
                        not_done.push((g, s));
                    }
                }
            }
            if !not_done.is_empty() {
                let ids: Vec<u32> = not_done.iter().map(|(g, _)| *g).collect();
                let statuses: BTreeSet<&str> = not_done.iter().map(|(_, s)| s.as_str()).collect();
                let statuses = statuses.into_iter().collect::<Vec<_>>().join("`, `");
                let mut f = Finding::new(
                    inv,
                    META.name,
                    format!("this change removes {count} of legacy surface `{surface}` before its parity gates are done: {} (status `{statuses}`)", gate_list(&cfg.gate_ids.prefix, &ids)),
                )
                .at(at, at_span.clone(), label.clone())
                .help(format!("keep the legacy surface until every mapped gate is marked done in `{inv_name}`; delete it in a later change"))
                .cite(cx.policy(), cfg.done_span.clone(), "what counts as done");
                if let Some(src) = &inv_src {
                    if let Some(t) = &inventory {
                        for g in &ids {
                            if let Some((s, span)) = t.gate_status.get(g) {
                                f = f.related(
                                    src,
                                    span.clone(),
                                    format!("{} is `{s}`", gate_name(&cfg.gate_ids.prefix, *g)),
                                );
                            }
                        }
                    }
                }
                out.push(with_row(f, "status of the surface's gates"));
            }
        }

        // Laravel database backup evidence (OA-RUST-110, Go/No-Go 4).
        if let Some((re, span)) = &cfg.backup_evidence {
            let hit = deleted
                .iter()
                .filter(|d| cfg.backup_surfaces.is_match(d.base_path))
                .find(|d| d.file.base.source().is_some());
            // Evidence is a positive statement: "No Laravel DB backup was taken" is not.
            let stated = match pr {
                Some(p) => p.states(re).is_some(),
                None => re.find_iter(said).any(|m| {
                    !crate::engine::pr::is_negated(
                        said,
                        m.range(),
                        &crate::engine::pr::default_negations(),
                    )
                }),
            };
            if let (Some(d), false) = (hit, stated) {
                if let Some(at) = d.file.base.source() {
                    let mut f = Finding::new(
                        inv,
                        META.name,
                        "deleting Laravel legacy files needs fresh Laravel database backup evidence in the PR description",
                    )
                    .at(at, at.line_range(1).unwrap_or(0..0), format!("`{}` {}", d.base_path, d.how))
                    .help("take a fresh backup of the Laravel database and name it in the description (backup id and time) before promotion (OA-RUST-110, Go/No-Go policy 4)")
                    .cite(cx.policy(), span.clone(), "backup evidence");
                    if pr.is_none() {
                        f = f.level(Severity::Warning);
                    }
                    out.push(f);
                }
            }
        }
    }
}

fn unlisted<'a>(cfg: &Settings, path: &str) -> (String, Mapping<'a>) {
    let glob = cfg
        .legacy
        .matching_entry(path)
        .map(|e| e.text.trim_end_matches("/**").to_string())
        .unwrap_or_else(|| path.to_string());
    (format!("unlisted:{glob}"), Mapping::Unlisted(glob))
}

fn deleted_files<'a>(cx: &Context<'a>, cfg: &Settings) -> Vec<Deleted<'a>> {
    let mut out = Vec::new();
    for f in &cx.changes().files {
        let base_path = f.old_path.as_deref().unwrap_or(&f.path);
        if !cfg.legacy.is_match(base_path) || cfg.exclude.is_match(base_path) {
            continue;
        }
        let how = match f.kind {
            ChangeKind::Deleted => "deleted",
            ChangeKind::Renamed if !cfg.legacy.is_match(&f.path) => "moved out",
            ChangeKind::Modified | ChangeKind::Renamed if !f.is_all_added => {
                let Some(base) = f.base.source() else {
                    continue;
                };
                let lines = base.line_count();
                let removed: usize = f.removed().iter().map(|r| r.len()).sum();
                if lines < cfg.gut_min_lines || (removed as f64) < cfg.gut_ratio * lines as f64 {
                    continue;
                }
                "gutted"
            }
            _ => continue,
        };
        out.push(Deleted {
            file: f,
            base_path,
            how,
        });
    }
    out
}

/// Deleting the inventory, or removing most of its surface rows.
fn check_inventory_change(
    cx: &Context<'_>,
    inv: &Invariant,
    cfg: &Settings,
    change: Option<&FileChange>,
    out: &mut Findings,
) {
    let (Some(f), Some((path, span))) = (change, &cfg.inventory) else {
        return;
    };
    let Some(base) = f.base.source() else { return };
    if f.is_all_added {
        return;
    }
    let base_rows = parse_inventory(base, cfg).rows;
    let moved = f.kind == ChangeKind::Renamed;
    if f.kind == ChangeKind::Deleted || moved {
        out.push(
            Finding::new(
                inv,
                META.name,
                format!("this change {} the legacy dependency inventory `{path}`", if moved { "moves" } else { "deletes" }),
            )
            .at(base, base.line_range(1).unwrap_or(0..0), format!("the inventory maps {} legacy surfaces to parity gates", base_rows.len()))
            .help("keep the inventory while legacy surfaces remain; if it moves, move its tables too and point `inventory` at the new path")
            .cite(cx.policy(), span.clone(), "the inventory"),
        );
        return;
    }
    let Some(head) = f.head.source() else { return };
    let head_rows = parse_inventory(head, cfg).rows;
    let gone: Vec<&Row> = base_rows
        .iter()
        .filter(|b| !head_rows.iter().any(|h| h.surfaces == b.surfaces))
        .collect();
    if base_rows.is_empty() || (gone.len() as f64) < cfg.gut_ratio * base_rows.len() as f64 {
        return;
    }
    let Some(first) = gone.first() else { return };
    let mut finding = Finding::new(
        inv,
        META.name,
        format!(
            "this change removes {} of {} surface rows from the legacy dependency inventory",
            gone.len(),
            base_rows.len()
        ),
    )
    .at(
        base,
        first.span.clone(),
        format!("row for `{}` removed", first.surfaces.join(", ")),
    )
    .help(
        "keep each surface's row (and its gates) until the surface is gone and its gates are done",
    )
    .cite(cx.policy(), span.clone(), "the inventory");
    for r in gone.iter().skip(1).take(8) {
        finding = finding.also(
            r.span.clone(),
            format!("row for `{}` removed", r.surfaces.join(", ")),
        );
    }
    out.push(finding);
}
