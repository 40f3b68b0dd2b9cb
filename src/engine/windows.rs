//! Running the checks of a change set: all at once, or for an audit (`check --all`) one window
//! of files at a time, so the run never holds every file's text (#19: peak memory at 100k
//! files).
//!
//! An audit runs in three steps:
//! 1. the checks that are not [`Meta::windowed`](crate::engine::check::Meta::windowed), with
//!    the work they prepare, over the whole tree ([`Pass::Whole`]);
//! 2. the windowed checks, with the work they prepare (INV-04's SQL scan, which INV-06 reads),
//!    on each window of files in turn ([`Pass::Window`]); after each window the texts of its
//!    files are dropped ([`LazyText::evict`]), whichever step read them, except those a later
//!    step reads without asking the file again: texts that may hold an inline suppression,
//!    and texts with a problem a run note reports. (Dropping step 1's texts before step 2
//!    would read those files twice: +30 % CPU at 100k files when the SQL scan was in step 1.)
//! 3. the windowed checks once more, for their work across files ([`Pass::Across`]).
//!
//! Every other mode, an audit of a tree that fits in one window, and an audit whose policy
//! runs no windowed check, are step 1 with every check. The findings are the same either way;
//! their order is fixed afterwards.
//!
//! [`LazyText::evict`]: crate::engine::diff::LazyText::evict

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use rayon::prelude::*;

use crate::engine::check::{Context, DynCheck, Findings, Pass};
use crate::engine::config::{Config, Invariant};
use crate::engine::diff::{ChangeSet, DiffMode};
use crate::engine::finding::Finding;
use crate::engine::pr::PrDescription;
use crate::engine::source::Source;
use crate::engine::walk::RepoIndex;

/// Files per audit window: a few megabytes of text on a generated tree, tens on a real one, and
/// few enough windows that their joins cost nothing measurable. `CheckOptions::audit_window`
/// sets another (the fixture suite audits each case one file per window, and compares).
/// 2048, not 4096 (#19): peak RSS of `check --all` at 100k generated files 95.8 -> 93.9 MiB
/// (median of 7, and 94.4 at most against spikes to 103), 126 -> 107 MiB on the 11,629-file
/// tree, wall time unchanged on both.
pub const AUDIT_WINDOW: usize = 2048;

/// What a context is made of, but the change set: each step of an audit makes its own.
pub struct Parts<'a> {
    /// The tree's file list (`Context::tree`).
    pub tree: &'a OnceLock<RepoIndex>,
    /// The description.
    pub pr: Option<&'a PrDescription>,
    /// The policy.
    pub config: &'a Config,
    /// The work tree's root.
    pub root: &'a Path,
    /// The judged commit's tree.
    pub head: Option<&'a crate::engine::head_tree::HeadTree>,
}

impl Parts<'_> {
    /// A context over `changes`, for every file.
    pub fn context<'c>(&'c self, changes: &'c ChangeSet) -> Context<'c> {
        Context::new(
            changes,
            self.tree,
            self.pr,
            self.config,
            self.root,
            self.head,
        )
    }
}

/// What the checks found, how long each took, and the work they counted.
#[derive(Default)]
pub struct Ran {
    /// Findings, unsorted.
    pub findings: Vec<Finding>,
    /// Wall time of each check less the file reads it did (summed over an audit's steps), in
    /// order of `checks`.
    pub check_ms: Vec<(String, f64)>,
    /// Time of the prepared work and of every work-tree file read (by that work or by a
    /// check), in milliseconds.
    pub prepare_ms: f64,
    /// Of `prepare_ms`, reading files.
    pub read_ms: f64,
    /// Work counters of every context.
    pub counters: BTreeMap<&'static str, usize>,
}

/// Runs `checks` (bound invariants, not the post checks) over `changes` on `pool`: in windows
/// of `window` files (0: [`AUDIT_WINDOW`]; `usize::MAX`: none) for an audit of more files than
/// that, else at once (module docs).
pub fn run(
    pool: &rayon::ThreadPool,
    checks: &[(&Invariant, &'static dyn DynCheck)],
    changes: &mut ChangeSet,
    parts: &Parts<'_>,
    window: usize,
) -> Ran {
    let size = if window == 0 { AUDIT_WINDOW } else { window };
    // A tree that fits in one window gains nothing from one: it runs as the other modes do.
    let windowed = |c: &dyn DynCheck| {
        changes.mode == DiffMode::All && changes.files.len() > size && c.meta().windowed
    };
    let (later, now): (Vec<_>, Vec<_>) = checks.iter().partition(|(_, c)| windowed(*c));
    let mut ran = Ran::default();
    let mut ms: BTreeMap<String, f64> = BTreeMap::new();
    {
        let cx = parts.context(changes);
        step(pool, &now, &cx, &mut ran, &mut ms);
    }
    if !later.is_empty() {
        let mut start = 0;
        while start < changes.files.len() {
            let end = (start + size).min(changes.files.len());
            let cx = parts.context(changes).with_pass(Pass::Window(start..end));
            step(pool, &later, &cx, &mut ran, &mut ms);
            drop(cx);
            evict(changes, start..end);
            start = end;
        }
        let cx = parts.context(changes).with_pass(Pass::Across);
        step(pool, &later, &cx, &mut ran, &mut ms);
    }
    ran.check_ms = checks
        .iter()
        .map(|(inv, _)| (inv.id.clone(), ms.get(&inv.id).copied().unwrap_or(0.0)))
        .collect();
    ran
}

/// Runs the work `checks` prepare on `cx`, then the checks in parallel, adding their findings,
/// times and counters to `ran` and `ms`.
fn step(
    pool: &rayon::ThreadPool,
    checks: &[&(&Invariant, &'static dyn DynCheck)],
    cx: &Context<'_>,
    ran: &mut Ran,
    ms: &mut BTreeMap<String, f64>,
) {
    let started = std::time::Instant::now();
    pool.install(|| {
        for (inv, check) in checks {
            check.prepare_bound(cx, inv);
        }
    });
    let prepare_ms = started.elapsed().as_secs_f64() * 1000.0;
    ran.prepare_ms += prepare_ms;
    ran.read_ms += cx.read_ms().min(prepare_ms);
    let timed: Vec<(Vec<Finding>, f64, f64)> = pool.install(|| {
        checks
            .par_iter()
            .map(|(inv, check)| {
                let started = std::time::Instant::now();
                let read_before = crate::engine::diff::read_ms_on_this_thread();
                let mut out = Findings::default();
                check.check_bound(cx, inv, &mut out);
                let read = crate::engine::diff::read_ms_on_this_thread() - read_before;
                let took = started.elapsed().as_secs_f64() * 1000.0;
                (out.0, took - read.min(took), read.min(took))
            })
            .collect()
    });
    // Reading a file is billed to "read", not to the check that asked first: the others read
    // the same text after it. Exact at -j1; with more threads a check's row is wall time, and
    // what leaves it is every read its thread did meanwhile, whichever check's work it was.
    for ((inv, _), (found, took, read)) in checks.iter().zip(timed) {
        ran.findings.extend(found);
        *ms.entry(inv.id.clone()).or_default() += took;
        ran.read_ms += read;
        ran.prepare_ms += read;
    }
    add(&mut ran.counters, cx.counters());
}

fn add(to: &mut BTreeMap<&'static str, usize>, from: BTreeMap<&'static str, usize>) {
    for (name, n) in from {
        *to.entry(name).or_default() += n;
    }
}

/// Drops the head texts of `changes.files[range]` but those read again after the checks
/// without asking the file: texts that may hold an inline suppression (`suppress::apply`
/// reads the texts the checks loaded) and texts with a problem a run note reports
/// (`verify::files`).
fn evict(changes: &mut ChangeSet, range: std::ops::Range<usize>) {
    let keep = |src: &Source| {
        crate::engine::suppress::may_hold_directives(src) || crate::engine::verify::has_note(src)
    };
    for file in &mut changes.files[range] {
        file.head.evict(keep);
    }
}
