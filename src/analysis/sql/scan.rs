//! The scan of a change: the statements each changed file adds (at head, absent at base),
//! resolved against the plane map.

use super::*;

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

/// A statement the change adds, in a file of plane entry `entry` (borrowed from the scan).
#[derive(Debug)]
pub struct NewStatement<'s> {
    /// Plane entry of the file doing the access.
    pub entry: usize,
    /// Its tables.
    pub uses: &'s [Resolved],
    /// Parsed by sqlparser (false: tokenizer fallback).
    pub parsed: bool,
    /// Where it came from.
    pub via: &'s str,
    /// Its SQL text (SQL statements only).
    pub sql: Option<&'s str>,
}

/// A changed file with the statements it adds.
pub struct FileAccesses<'a, 's> {
    /// The file.
    pub file: &'a FileChange,
    /// Its head text.
    pub src: &'s Arc<Source>,
    /// New statements (by key), in text order.
    pub new: Vec<NewStatement<'s>>,
}

pub(crate) type Key = (String, String, Kind, BTreeSet<String>);

/// A file's head text, its plane entry, and its statements (resolved and as extracted).
pub(crate) type HeadStatements = (Arc<Source>, usize, Vec<(Vec<Resolved>, Statement)>);

pub(crate) fn resolve(map: &PlaneMap, entry: usize, st: &Statement) -> Vec<Resolved> {
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

pub(crate) fn keys(map: &PlaneMap, entry: usize, uses: &[Resolved]) -> Vec<Key> {
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
///
/// Read with [`NewAccesses::iter`], one file at a time: the statements are borrowed from the
/// scan, not copied (INV-04 and INV-06 each held a copy of every statement of a `--all` audit,
/// 15 MB at 100k files, #19).
pub fn new_accesses<'a>(
    cx: &Context<'a>,
    map: &'a PlaneMap,
    ex: &Extractor,
    exempt: &'a GlobList,
) -> NewAccesses<'a> {
    // INV-04 and INV-06 read the same plane map: INV-04 scans once before the checks run
    // (`prepare_scan`, memoized in `cx`); a scan is made here only when none was (unit tests, a
    // policy whose INV-06 names a plane map no active INV-04 owns).
    let scan = cx
        .memoized::<Scan>(&scan_key(map))
        .unwrap_or_else(|| std::sync::Arc::new(Scan::of_pass(cx, map, ex)));
    NewAccesses {
        scan,
        files: &cx.changes().files,
        map,
        exempt,
    }
}

/// The statements a change adds, by file ([`new_accesses`]).
pub struct NewAccesses<'a> {
    scan: Arc<Scan>,
    files: &'a [FileChange],
    map: &'a PlaneMap,
    exempt: &'a GlobList,
}

impl<'a> NewAccesses<'a> {
    /// Each file with at least one new statement, in change-set order.
    pub fn iter(&self) -> impl Iterator<Item = FileAccesses<'a, '_>> + '_ {
        let scan = &*self.scan;
        scan.per.iter().filter_map(move |p| {
            let (src, entry, sts) = p.head.as_ref()?;
            let file = &self.files[p.file];
            if self.exempt.is_match(&file.path) {
                return None;
            }
            let new: Vec<NewStatement<'_>> = sts
                .iter()
                .filter(|(uses, _)| {
                    keys(self.map, *entry, uses)
                        .iter()
                        .any(|k| !p.base.contains(k) && !scan.removed.contains(k))
                })
                .map(|(uses, st)| NewStatement {
                    entry: *entry,
                    uses,
                    parsed: st.parsed,
                    via: &st.via,
                    sql: st.sql.as_deref(),
                })
                .collect();
            (!new.is_empty()).then_some(FileAccesses { file, src, new })
        })
    }
}

/// The memo key of the scan under `map` (by address: one compiled map, one scan).
pub(crate) fn scan_key(map: &PlaneMap) -> String {
    format!("sql-scan@{:x}", map as *const PlaneMap as usize)
}

/// Scans the change under `map` once and keeps the scan in `cx` for every check that reads
/// that map (INV-04, INV-06): extracting SQL twice was a third of `check --all`.
///
/// The files the scan reads are read first, in a step of their own, so that `--stats` bills
/// reading and decoding them as "read" rather than to the scan: it is the first to ask for most
/// files of a plane map, and under `--all` reading them was half its time (#19). The same sides
/// are read as the scan alone would read.
pub fn prepare_scan(cx: &Context<'_>, map: &PlaneMap, ex: &Extractor) {
    cx.memo(&scan_key(map), || {
        use rayon::prelude::*;
        let started = std::time::Instant::now();
        let files = scanned_files(cx.pass_files(), map);
        files.par_iter().with_min_len(8).for_each(|(_, f, _, _)| {
            let _ = f.base.source();
            if f.exists_at_head() {
                let _ = f.head.source();
            }
        });
        cx.add_read_ms(started.elapsed().as_secs_f64() * 1000.0);
        Scan::of_files(&files, map, ex, &skippable(cx, map))
    });
}

/// Per plane entry of `map`: whether the scan may leave out its statements that name no
/// schema ([`Extractor::extract_in`]). Such a statement's tables all resolve through the
/// entry's default schema; where that schema belongs wholly to the entry's plane
/// ([`PlaneMap::owns_unqualified`]) they are its own plane's tables, which INV-04 never flags.
/// INV-06 does flag Khala's writes to its own tables, so the planes some `khala-authority-write`
/// names as its `khala-plane` keep every statement, and so does every entry of a map that no
/// invariant of the policy holds (no reader is known).
///
/// Leaving such statements out of both sides of a change changes no verdict: a statement is
/// new when one of its keys `(plane, table, kind, other tables)` is absent at base, and a key
/// names all of its statement's tables and its plane, so a statement left out at base shares
/// no key with one that could be a finding at head.
pub(crate) fn skippable(cx: &Context<'_>, map: &PlaneMap) -> Vec<bool> {
    let watched = crate::rules::inv06_khala_authority_write::own_write_planes(cx.config(), map);
    map.planes
        .iter()
        .enumerate()
        .map(|(i, p)| {
            map.owns_unqualified(i) && watched.as_ref().is_some_and(|w| !w.contains(&p.name))
        })
        .collect()
}

/// A changed file the scan reads: its index in the change set, the file, and its plane entries
/// at head and at base.
type Scanned<'c> = (usize, &'c FileChange, Option<usize>, Option<usize>);

/// The changed files some plane claims at head or at base (not binary), with their entries:
/// glob matching once per file.
fn scanned_files<'c>(
    files: impl Iterator<Item = (usize, &'c FileChange)>,
    map: &PlaneMap,
) -> Vec<Scanned<'c>> {
    files
        .filter(|(_, f)| !f.is_binary)
        .filter_map(|(index, f)| {
            let head = map.entry_of_path(&f.path);
            let base = match f.old_path.as_deref() {
                Some(old) => map.entry_of_path(old),
                None => head,
            };
            (head.is_some() || base.is_some()).then_some((index, f, head, base))
        })
        .collect()
}

/// Every changed file's SQL statements at base and head under one plane map, extracted once
/// (in parallel) and shared by the checks that read that map.
pub struct Scan {
    per: Vec<PerFile>,
    /// Keys removed from some file: a query moved elsewhere is not new there.
    removed: BTreeSet<Key>,
}

pub(crate) struct PerFile {
    /// Index into the change set's files.
    pub(crate) file: usize,
    pub(crate) head: Option<HeadStatements>,
    pub(crate) base: BTreeSet<Key>,
    pub(crate) head_keys: BTreeSet<Key>,
}

impl Scan {
    /// The scan of the files of `cx`'s pass: an audit window's (INV-04 and INV-06 run an audit
    /// window by window; no file of an audit has a base, so no key is removed anywhere and a
    /// window's scan says of its files what the whole tree's does), or every file.
    pub fn of_pass(cx: &Context<'_>, map: &PlaneMap, ex: &Extractor) -> Scan {
        Scan::of_files(
            &scanned_files(cx.pass_files(), map),
            map,
            ex,
            &skippable(cx, map),
        )
    }

    /// The scan of `files` (from [`scanned_files`]); `skip[entry]` from [`skippable`].
    fn of_files(files: &[Scanned<'_>], map: &PlaneMap, ex: &Extractor, skip: &[bool]) -> Scan {
        use rayon::prelude::*;
        let skips = |entry: usize| skip.get(entry).copied().unwrap_or(false);
        let per: Vec<PerFile> = files
            .par_iter()
            .map(|&(index, f, head_entry, base_entry)| {
                let base_path = f.old_path.as_deref().unwrap_or(&f.path);
                let mut base = BTreeSet::new();
                if let (Some(src), Some(entry)) = (f.base.source(), base_entry) {
                    for st in ex.extract_in(base_path, src.text(), skips(entry)) {
                        base.extend(keys(map, entry, &resolve(map, entry, &st)));
                    }
                }
                let mut head = None;
                let mut head_keys = BTreeSet::new();
                if f.exists_at_head() {
                    if let (Some(src), Some(entry)) = (f.head.source(), head_entry) {
                        let sts: Vec<(Vec<Resolved>, Statement)> = ex
                            .extract_in(&f.path, src.text(), skips(entry))
                            .into_iter()
                            .map(|st| (resolve(map, entry, &st), st))
                            .collect();
                        // Only to tell which base keys a file dropped (`removed`): a file
                        // with no base key has none to drop (every file of `--all`), and its
                        // keys would be a set per table use held to the end (#19).
                        if !base.is_empty() {
                            for (r, _) in &sts {
                                head_keys.extend(keys(map, entry, r));
                            }
                        }
                        // The text is kept for the findings' spans: a file with no
                        // statement has none, and its text need not outlive its audit
                        // window (#19).
                        if !sts.is_empty() {
                            head = Some((src.clone(), entry, sts));
                        }
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

#[cfg(test)]
impl Scan {
    /// Extracts and resolves the statements of every changed file that a plane claims, with
    /// no context: what the prepared scan is compared with.
    pub(crate) fn new(
        changes: &crate::engine::diff::ChangeSet,
        map: &PlaneMap,
        ex: &Extractor,
        skip: &[bool],
    ) -> Scan {
        Scan::of_files(
            &scanned_files(changes.files.iter().enumerate(), map),
            map,
            ex,
            skip,
        )
    }

    /// Each scanned file's index and how many statements it has at head.
    pub(crate) fn head_counts(&self) -> Vec<(usize, usize)> {
        self.per
            .iter()
            .map(|p| (p.file, p.head.as_ref().map_or(0, |h| h.2.len())))
            .collect()
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
