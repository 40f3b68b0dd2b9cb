//! INV-06 `khala-authority-write`: Khala is projection/replay delivery only, not an authority
//! write path; Khala writes only sync metadata (OA-RUST-003).
//!
//! Looks at: changed files that the plane map of `planes-from` (INV-04's `cross-plane-sql`)
//! assigns to `khala-plane`: their SQL (see `analysis::sql`) and the lines the change adds.
//! Flags: statements new at head that write or change the schema of a table outside
//! `sync-metadata` (a runtime or control table, or an unlisted table of the sync store), and added
//! lines matching an `authority-apis` pattern (the runtime's mutation API called from Khala).
//! Ignores: reads (INV-04's concern), `exempt` paths, comment lines, files of other planes.

use crate::analysis::sql::{self, Kind};
use crate::rules::inv04_cross_plane_sql::Settings as PlaneSettings;
use crate::rules::prelude::*;

use crate::engine::matchers::LazyGlob;
use globset::GlobBuilder;
use std::ops::Range;

/// Check metadata.
pub static META: Meta = Meta {
    explain: include_str!("../../rules/INV-06.md"),
    keys: KEYS,
    // Each file on its own: the SQL scan of the pass (`sql::new_accesses`), and the files of
    // the pass (`Context::pass_files`). An audit runs it in windows.
    windowed: true,
    ..Meta::spec(
        "INV-06",
        "khala-authority-write",
        "change makes Khala code write authority data or call an authority write API",
        Escalation::BlockMerge,
    )
};

/// The keys of `[invariant.<ID>.khala-authority-write]`, for the policy's schema and `invlint init`.
#[rustfmt::skip]
const KEYS: &[Key] = &[
    opt("planes-from", Ty::Str, "The invariant whose `cross-plane-sql` settings hold the plane map (default INV-04)."),
    opt("khala-plane", Ty::Str, "The plane name of Khala code in that map (default khala)."),
    opt("sync-metadata", Ty::Strings, "`schema.table` globs Khala may write."),
    opt("authority-apis", Ty::Patterns, "Calls into the authority's write API."),
    opt("exempt", Ty::Globs, "Paths never checked."),
];

/// `[invariant.<ID>.khala-authority-write]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawSettings {
    /// The invariant whose `cross-plane-sql` settings hold the plane map (default `INV-04`).
    pub planes_from: Option<Spanned<String>>,
    /// The plane name of Khala code in that map (default `khala`).
    pub khala_plane: Option<Spanned<String>>,
    /// `schema.table` globs Khala may write: its sync metadata.
    #[serde(default)]
    pub sync_metadata: Vec<Spanned<String>>,
    /// Calls into the authority's write API.
    #[serde(default)]
    pub authority_apis: Vec<RawPattern>,
    /// Paths never checked.
    #[serde(default)]
    pub exempt: Vec<Spanned<String>>,
}

/// Compiled settings.
#[derive(Debug)]
pub struct Settings {
    planes_from: String,
    planes_from_span: Range<usize>,
    khala_plane: String,
    khala_plane_span: Range<usize>,
    sync_metadata: Vec<(String, Range<usize>, LazyGlob)>,
    authority_apis: PatternList,
    exempt: GlobList,
}

impl RawSettings {
    /// Validates and compiles; problems go to `v`.
    fn compile(&self, v: &mut Validator) -> Settings {
        let mut sync_metadata = Vec::new();
        for t in &self.sync_metadata {
            let text = t.get_ref().to_lowercase();
            match GlobBuilder::new(&text).literal_separator(false).build() {
                Ok(g) if text.contains('.') => {
                    sync_metadata.push((text, t.span(), LazyGlob::new(g)))
                }
                Ok(_) => v.problem(
                    t.span(),
                    format!("table glob `{text}` has no schema"),
                    "expected `schema.table`",
                    Some(format!("write it as `runtime.{text}`")),
                ),
                Err(e) => v.problem(
                    t.span(),
                    format!("invalid table glob `{text}`: {}", e.kind()),
                    "bad glob",
                    Some("use `schema.name` with `*` wildcards, e.g. `runtime.sync_*`".into()),
                ),
            }
        }
        v.non_empty(&self.sync_metadata, "every Khala write", "sync-metadata");
        let (planes_from, planes_from_span) = self
            .planes_from
            .as_ref()
            .map(|s| (s.get_ref().clone(), s.span()))
            .unwrap_or_else(|| ("INV-04".into(), 0..0));
        let (khala_plane, khala_plane_span) = self
            .khala_plane
            .as_ref()
            .map(|s| (s.get_ref().clone(), s.span()))
            .unwrap_or_else(|| ("khala".into(), 0..0));
        Settings {
            planes_from,
            planes_from_span,
            khala_plane,
            khala_plane_span,
            sync_metadata,
            authority_apis: v.patterns(&self.authority_apis),
            exempt: v.glob_list(&self.exempt),
        }
    }
}

impl Settings {
    /// The invariant whose plane map this check reads.
    pub fn planes_from(&self) -> &str {
        &self.planes_from
    }

    /// Checks that `planes-from` names an active `cross-plane-sql` invariant whose map has
    /// `khala-plane`; called once all invariants are compiled.
    fn link(&self, invariants: &[Invariant], v: &mut Validator) {
        let target = invariants
            .iter()
            .find(|i| i.id.eq_ignore_ascii_case(&self.planes_from));
        match target.and_then(|t| t.settings_of::<PlaneSettings>()) {
            Some(c) => {
                let names = c.map.names();
                if !names.contains(&self.khala_plane.as_str()) {
                    v.problem(
                        self.khala_plane_span.clone(),
                        format!(
                            "`khala-plane` names `{}`, which the plane map of {} does not define",
                            self.khala_plane, self.planes_from
                        ),
                        "unknown plane",
                        Some(format!("use one of: {}", names.join(", "))),
                    );
                }
            }
            None => v.problem(
                self.planes_from_span.clone(),
                format!(
                    "`planes-from` names `{}`, which is not an active `cross-plane-sql` invariant",
                    self.planes_from
                ),
                "no plane map there",
                Some("name the invariant that runs `cross-plane-sql` (its `planes` hold the plane map), and keep it active".into()),
            ),
        }
    }
}

/// The `khala-plane` of each `khala-authority-write` in `config` that reads `map`: the planes
/// whose writes to their own tables are findings, so the SQL scan of `map` keeps all their
/// statements ([`crate::analysis::sql::skippable`]). `None` when `map` is no invariant's of
/// `config`: then nothing is known of who reads it.
pub(crate) fn own_write_planes(
    config: &Config,
    map: &sql::PlaneMap,
) -> Option<std::collections::BTreeSet<String>> {
    let reads_map = |id: &str| {
        config
            .invariant(id)
            .and_then(|t| t.settings_of::<PlaneSettings>())
            .is_some_and(|p| std::ptr::eq(&p.map, map))
    };
    let owned = config
        .invariants
        .iter()
        .filter_map(|i| i.settings_of::<PlaneSettings>())
        .any(|p| std::ptr::eq(&p.map, map));
    owned.then(|| {
        config
            .invariants
            .iter()
            .filter_map(|i| i.settings_of::<Settings>())
            .filter(|s| reads_map(&s.planes_from))
            .map(|s| s.khala_plane.clone())
            .collect()
    })
}

/// The check.
pub struct KhalaAuthorityWrite;

impl Check for KhalaAuthorityWrite {
    type Raw = RawSettings;
    type Settings = Settings;

    fn meta(&self) -> &'static Meta {
        &META
    }

    fn compile(&self, raw: &RawSettings, v: &mut Validator) -> Settings {
        raw.compile(v)
    }

    fn link(&self, settings: &Settings, invariants: &[Invariant], v: &mut Validator) {
        settings.link(invariants, v);
    }

    fn scope<'a>(&self, settings: &'a Settings, config: &'a Config) -> Option<Scope<'a>> {
        config.invariant(&settings.planes_from)?.scope(config)
    }

    fn check(&self, cx: &Context<'_>, inv: &Invariant, cfg: &Settings, out: &mut Findings) {
        // `link` made sure at load that `planes-from` names an active `cross-plane-sql`
        // invariant: its plane map is there.
        let Some(planes) = cx
            .config()
            .invariant(&cfg.planes_from)
            .and_then(|i| i.settings_of::<PlaneSettings>())
        else {
            return;
        };
        let map = &planes.map;
        let is_khala = |path: &str| {
            map.entry_of_path(path)
                .is_some_and(|e| map.planes[e].name == cfg.khala_plane)
        };
        let khala_entry_span = map
            .planes
            .iter()
            .find(|p| p.name == cfg.khala_plane)
            .map(|p| p.name_span.clone())
            .unwrap_or(0..0);

        // Writes outside sync metadata.
        let accesses = sql::new_accesses(cx, map, &planes.extractor, &cfg.exempt);
        for fa in accesses.iter() {
            if !is_khala(&fa.file.path) {
                continue;
            }
            for st in &fa.new {
                let bad: Vec<&sql::Resolved> = st
                    .uses
                    .iter()
                    .filter(|u| u.kind.is_write())
                    .filter(|u| {
                        !cfg.sync_metadata
                            .iter()
                            .any(|(_, _, m)| m.is_match(&u.full))
                    })
                    .collect();
                let Some((first, rest)) = bad.split_first() else {
                    continue;
                };
                let owner = first
                    .owner
                    .as_ref()
                    .map(|(i, _)| format!("a table of the {} plane", map.planes[*i].name))
                    .unwrap_or_else(|| "a table no plane claims".into());
                let mut f = Finding::new(
                    inv,
                    META.name,
                    format!(
                        "Khala code {} `{}`, {owner}, not sync metadata{}",
                        if first.kind == Kind::Ddl {
                            "changes the schema of"
                        } else {
                            "writes"
                        },
                        first.full,
                        sql::fallback_note(st.parsed)
                    ),
                )
                .at(
                    fa.src,
                    first.span.clone(),
                    format!(
                        "`{}` {} here ({})",
                        first.written,
                        if first.kind == Kind::Ddl {
                            "altered"
                        } else {
                            "written"
                        },
                        st.via
                    ),
                );
                for u in rest {
                    f = f.also(u.span.clone(), format!("`{}` also written", u.written));
                }
                let cite = cfg
                    .sync_metadata
                    .first()
                    .map(|(_, s, _)| s.clone())
                    .unwrap_or_else(|| khala_entry_span.clone());
                out.push(
                    f.cite(cx.policy(), cite, "Khala may write only these sync-metadata tables")
                        .help(format!(
                            "Khala projects and replays; the authority write belongs to the owning plane's API (POST /internal/v1/...). If `{}` is sync metadata, add it to `sync-metadata` under [invariant.{}.khala-authority-write]",
                            first.full, inv.id
                        )),
                );
            }
        }

        // Calls into the authority's write API.
        if cfg.authority_apis.is_empty() {
            return;
        }
        for (_, file) in cx.pass_files() {
            if !file.exists_at_head()
                || file.is_binary
                || cfg.exempt.is_match(&file.path)
                || !is_khala(&file.path)
            {
                continue;
            }
            let Some(src) = file.head.source() else {
                continue;
            };
            for hit in util::added_hits(file, src, &cfg.authority_apis, true) {
                let p = &cfg.authority_apis.items[hit.pattern];
                out.push(
                    Finding::new(
                        inv,
                        META.name,
                        format!("this change makes Khala code call {}", p.what),
                    )
                    .at(src, hit.span.clone(), format!("`{}` reaches the authority's write API", hit.text))
                    .cite(cx.policy(), p.span.clone(), format!("authority API `{}`", p.id))
                    .help("Khala must not be an authority write path: let the runtime/control API perform the mutation and have Khala project the resulting events"),
                );
            }
        }
    }
}
