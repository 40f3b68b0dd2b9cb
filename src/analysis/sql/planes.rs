//! The plane map: which plane owns a table (by schema-qualified glob) and which plane a file
//! belongs to (by path).

use super::*;

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
    /// Planes whose tables these (migration) paths may seed: an INSERT that never overwrites a
    /// row, and a DELETE with a WHERE of rows the same file seeds (its rollback).
    #[serde(default)]
    pub seed_for: Vec<Spanned<String>>,
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
    /// Planes whose tables it may seed (and clear the seeded rows of).
    pub seed_for: Vec<String>,
    /// The positive path globs, compiled once, with their specificity.
    pub path_matchers: Vec<(usize, LazyGlob)>,
    /// True when every table of `default_schema` belongs to this plane: an entry of the same
    /// plane owns `<default_schema>.*`, and no table glob of another plane can match a name in
    /// that schema. An unqualified table name in these paths then always resolves to this
    /// plane ([`PlaneMap::owns_unqualified`]).
    pub owns_default_schema: bool,
}

/// A `schema.table` glob.
#[derive(Debug)]
pub struct TableGlob {
    /// As written.
    pub text: String,
    /// Span in the policy.
    pub span: Range<usize>,
    matcher: LazyGlob,
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

pub(crate) fn specificity(glob: &str) -> usize {
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
                        matcher: LazyGlob::new(g),
                    }),
                    Err(e) => v.problem(
                        t.span(),
                        format!("invalid table glob `{text}`: {}", e.kind()),
                        "bad glob",
                        Some("use `schema.name` with `*` wildcards, e.g. `runtime.sync_*`".into()),
                    ),
                }
            }
            let named = p.ddl_for.iter().map(|d| ("ddl-for", d));
            for (key, d) in named.chain(p.seed_for.iter().map(|d| ("seed-for", d))) {
                if !names.contains(d.get_ref()) {
                    v.problem(
                        d.span(),
                        format!("`{key}` names unknown plane `{}`", d.get_ref()),
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
                        .map(|g| (specificity(&e.text), LazyGlob::new(g)))
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
                seed_for: p.seed_for.iter().map(|d| d.get_ref().clone()).collect(),
                owns_default_schema: false,
            });
        }
        let owns: Vec<bool> = planes
            .iter()
            .map(|p| owns_schema(&planes, &p.name, &p.default_schema))
            .collect();
        for (p, owns) in planes.iter_mut().zip(owns) {
            p.owns_default_schema = owns;
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

    /// Whether every unqualified table name in the paths of `entry` resolves to a table of the
    /// entry's own plane ([`Plane::owns_default_schema`]).
    pub fn owns_unqualified(&self, entry: usize) -> bool {
        self.planes
            .get(entry)
            .is_some_and(|p| p.owns_default_schema)
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

/// Whether every `schema.x` (any `x`) resolves to plane `plane`: some entry of the plane owns
/// `schema.*`, and no table glob of another plane can match a name that starts with `schema.`,
/// because its literal prefix (up to its first special character) diverges from `schema.`. A
/// glob whose prefix does not diverge (`*.events`, `run*`) defeats the proof.
fn owns_schema(planes: &[Plane], plane: &str, schema: &str) -> bool {
    let dotted = format!("{schema}.");
    let whole = format!("{dotted}*");
    let claimed = planes
        .iter()
        .filter(|p| p.name == plane)
        .any(|p| p.tables.iter().any(|t| t.text == whole));
    let contested = planes
        .iter()
        .filter(|p| p.name != plane)
        .flat_map(|p| &p.tables)
        .any(|t| {
            let prefix = literal_prefix(&t.text);
            prefix.starts_with(&dotted) || dotted.starts_with(prefix)
        });
    claimed && !contested
}

/// The text of `glob` before its first character with a meaning in glob syntax: every string
/// the glob matches starts with it.
fn literal_prefix(glob: &str) -> &str {
    let end = glob.find(['*', '?', '[', '{', '\\']).unwrap_or(glob.len());
    &glob[..end]
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
