//! A changed file's hunks: the line ranges a change adds at head and removes at base.

use std::ops::Range;
use std::sync::OnceLock;

use super::{diff_options, FileChange, LazyText, TextState};

/// Line ranges (1-based, half-open, sorted): added at head, removed at base.
pub(super) type LineRanges = (Vec<Range<usize>>, Vec<Range<usize>>);

/// A file's hunks: known when the change set is built (none for a file the change adds whole,
/// libgit2's patch when a side is not text), or made on first use from the two texts, with the
/// options the diff used (`Patch::from_buffers` runs the same xdiff). Most changed files are
/// never asked: no check's paths claim them, and a 640 KB lock file's patch was a fifth of
/// `check --base` on the 11,629-file tree (#19).
///
/// Boxed, and `None` for no hunks: a `check --all` holds one per tracked file, all empty
/// (56 bytes each inline; 16 now, #19).
#[derive(Debug, Default)]
pub(super) struct Hunks(OnceLock<Option<Box<LineRanges>>>);

/// No hunks.
static NONE: LineRanges = (Vec::new(), Vec::new());

impl Hunks {
    pub(super) fn known(added: Vec<Range<usize>>, removed: Vec<Range<usize>>) -> Hunks {
        let cell = OnceLock::new();
        let _ = cell.set(Hunks::boxed((added, removed)));
        Hunks(cell)
    }

    fn boxed(ranges: LineRanges) -> Option<Box<LineRanges>> {
        (!ranges.0.is_empty() || !ranges.1.is_empty()).then(|| Box::new(ranges))
    }

    /// True when the hunks are made (known when built, or asked for already).
    pub(super) fn is_known(&self) -> bool {
        self.0.get().is_some()
    }
}

/// The hunks between two texts, as the change set's diff makes them (no context lines, no
/// merged hunks, text whatever the content). `None` when libgit2 fails.
fn hunks_between(base: &str, head: &str) -> Option<LineRanges> {
    let mut opts = diff_options(u64::MAX);
    let patch = git2::Patch::from_buffers(
        base.as_bytes(),
        None,
        head.as_bytes(),
        None,
        Some(&mut opts),
    )
    .ok()?;
    line_ranges(&patch).ok()
}

/// Added and removed line ranges of `patch`.
pub(super) fn line_ranges(patch: &git2::Patch<'_>) -> Result<LineRanges, git2::Error> {
    let (mut added, mut removed) = (Vec::new(), Vec::new());
    for h in 0..patch.num_hunks() {
        let (hunk, _) = patch.hunk(h)?;
        let (ns, nl) = (hunk.new_start() as usize, hunk.new_lines() as usize);
        let (os, ol) = (hunk.old_start() as usize, hunk.old_lines() as usize);
        if nl > 0 {
            added.push(ns..ns + nl);
        }
        if ol > 0 {
            removed.push(os..os + ol);
        }
    }
    Ok((added, removed))
}

impl FileChange {
    /// Added lines at head, 1-based half-open ranges, sorted (none for a file that is all
    /// added: see `is_all_added`).
    pub fn added(&self) -> &[Range<usize>] {
        &self.hunks().0
    }

    /// Removed lines at base, 1-based half-open ranges, sorted.
    pub fn removed(&self) -> &[Range<usize>] {
        &self.hunks().1
    }

    fn hunks(&self) -> &LineRanges {
        let made = self.hunks.0.get_or_init(|| {
            let text = |t: &LazyText| match t.state() {
                TextState::Text(s) => Some(s.text_arc()),
                TextState::Absent => Some(std::sync::Arc::new(String::new())),
                _ => None,
            };
            let all = |t: &str| match t.lines().count() {
                0 => Vec::new(),
                n => std::iter::once(1..n + 1).collect(),
            };
            // `collect` made the patch of every file with a side that is not text; a file
            // built here with one (none is) has no hunks rather than a guess, except an
            // unreadable base, as in `collect`: every head line counts as added.
            let ranges = match (text(&self.base), text(&self.head)) {
                // Should libgit2 fail, every line counts as changed: more to check, never less.
                (Some(base), Some(head)) => {
                    hunks_between(&base, &head).unwrap_or_else(|| (all(&head), all(&base)))
                }
                (None, Some(head)) if matches!(self.base.state(), TextState::Unreadable(_)) => {
                    (all(&head), Vec::new())
                }
                _ => LineRanges::default(),
            };
            Hunks::boxed(ranges)
        });
        made.as_deref().unwrap_or(&NONE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::diff::ChangeKind;
    use crate::engine::source::Source;
    use std::sync::Arc;

    /// A base the store lacks: every head line counts as added, whether the hunks are made
    /// in `collect` or here on first use (more to check, never less).
    #[test]
    #[allow(clippy::single_range_in_vec_init)] // one range is the expected value
    fn unreadable_base_counts_every_head_line_as_added() {
        let file = |base: TextState| FileChange {
            path: "a.ts".into(),
            old_path: None,
            kind: ChangeKind::Modified,
            is_binary: false,
            hunks: Hunks::default(),
            is_all_added: false,
            head: LazyText::loaded(
                "a.ts",
                TextState::Text(Arc::new(Source::new("a.ts", "one\ntwo\nthree\n"))),
            ),
            base: Arc::new(LazyText::loaded("a.ts", base)),
        };
        let unreadable = file(TextState::Unreadable("object not found".into()));
        assert_eq!(unreadable.added(), [1..4]);
        assert!(unreadable.removed().is_empty());
        assert!(unreadable.is_line_added(2));
        // Other sides that are not text still make no guess here (`collect` patches them).
        assert!(file(TextState::Binary).added().is_empty());
    }

    #[test]
    #[allow(clippy::single_range_in_vec_init)] // one range is the expected value
    fn hunks_are_line_ranges_without_context() {
        let base = "a\nb\nc\nd\n";
        let head = "a\nB\nc\nd\ne\n";
        let (added, removed) = hunks_between(base, head).unwrap();
        assert_eq!(added, vec![2..3, 5..6]);
        assert_eq!(removed, vec![2..3]);
        // No trailing newline, CRLF, and a whole file on one side.
        let (added, removed) = hunks_between("x\r\ny", "x\r\ny\r\nz").unwrap();
        assert_eq!((added, removed), (vec![2..4], vec![2..3]));
        let (added, removed) = hunks_between("", "one\ntwo\n").unwrap();
        assert_eq!((added, removed), (vec![1..3], vec![]));
        let (added, removed) = hunks_between("one\ntwo\n", "").unwrap();
        assert_eq!((added, removed), (vec![], vec![1..3]));
        assert_eq!(hunks_between("same\n", "same\n").unwrap(), (vec![], vec![]));
    }
}
