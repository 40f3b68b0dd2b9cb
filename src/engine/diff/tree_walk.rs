//! Tree-to-tree diffs that read only the subtrees that differ (#19).
//!
//! libgit2's `git_diff_tree_to_tree` expands every subtree of both trees, identical or not:
//! on the 11,629-file monorepo, `check --base HEAD~20` (58 files changed) spent ~40 % of its
//! time walking and inflating the trees of directories the change never touched. git's own
//! `diff-tree` skips a subtree whose id is the same on both sides. [`diff_trees`] does that
//! walk first ([`changed_paths`]), then hands libgit2 the paths it found as a literal path
//! list (`disable_pathspec_match`), with which libgit2's tree iterators descend only into
//! directories on the list. Every entry that differs is on the list, and nothing else is, so
//! the diff has the same deltas as a diff of the whole trees, renames included (the deleted
//! and the added path of a rename both differ).

use git2::{Diff, DiffOptions, ObjectType, Oid, Repository, Tree};

/// More changed paths than this and the path list is not worth matching against: libgit2
/// diffs the whole trees, as before.
const MAX_PATHS: usize = 4096;

/// `repo.diff_tree_to_tree(old, new, opts)`, reading only the subtrees whose ids differ.
/// Falls back to the whole-tree diff when the walk cannot read a tree, finds no difference
/// (an empty path list means "every path" to libgit2), finds more than [`MAX_PATHS`], or
/// finds a path git2 would not pass on as written ([`is_listable`]).
pub(super) fn diff_trees<'r>(
    repo: &'r Repository,
    old: Option<&Tree<'_>>,
    new: Option<&Tree<'_>>,
    opts: &mut DiffOptions,
) -> Result<Diff<'r>, git2::Error> {
    let paths = changed_paths(repo, old, new)
        .filter(|p| !p.is_empty() && p.iter().all(|path| is_listable(path)));
    if let Some(paths) = paths {
        for path in paths {
            opts.pathspec(path);
        }
        opts.disable_pathspec_match(true);
    }
    repo.diff_tree_to_tree(old, new, Some(opts))
}

/// True when git2 hands `path` to libgit2 as it is: on Windows `DiffOptions::pathspec` turns
/// each `\` into `/`, so a file the change names `apps\x.ts` (a legal name in a git tree)
/// would be listed as `apps/x.ts`, match nothing, and drop out of the diff; a NUL (which no
/// tree entry holds) makes it panic. Such a path makes the whole-tree diff instead, on every
/// platform alike.
fn is_listable(path: &[u8]) -> bool {
    !path.iter().any(|&b| b == b'\\' || b == 0)
}

/// The paths (bytes, `/`-separated) at which `old` and `new` differ: an entry added, removed,
/// or with another id or mode, and, under a directory on one side only, every file beneath
/// it. Subtrees with the same id on both sides are not read. `None` when a tree cannot be
/// read, or past [`MAX_PATHS`] paths: the walk stops there rather than read trees that the
/// whole-tree diff then reads again.
pub(super) fn changed_paths(
    repo: &Repository,
    old: Option<&Tree<'_>>,
    new: Option<&Tree<'_>>,
) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    walk(
        repo,
        old.map(Tree::id),
        new.map(Tree::id),
        &mut Vec::new(),
        &mut out,
    )
    .ok()?;
    Some(out)
}

/// One entry of a tree: its id, its mode, and whether it is a tree.
#[derive(Clone, Copy, PartialEq)]
struct Entry {
    id: Oid,
    mode: i32,
    is_tree: bool,
}

fn entries(repo: &Repository, id: Option<Oid>) -> Result<Vec<(Vec<u8>, Entry)>, git2::Error> {
    let Some(id) = id else {
        return Ok(Vec::new());
    };
    let tree = repo.find_tree(id)?;
    let mut out: Vec<(Vec<u8>, Entry)> = tree
        .iter()
        .map(|e| {
            let entry = Entry {
                id: e.id(),
                mode: e.filemode(),
                is_tree: e.kind() == Some(ObjectType::Tree),
            };
            (e.name_bytes().to_vec(), entry)
        })
        .collect();
    // By name, whatever the kind (git orders a tree's entries as if trees ended in `/`).
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// A path longer than this (a crafted tree nested thousands deep) ends the walk, and the
/// whole-tree diff is made: the recursion stays far from the end of the stack.
const MAX_PREFIX: usize = 1024;

/// Adds to `out` the paths under `prefix` at which the trees `old` and `new` (either may be
/// absent) differ; an error past [`MAX_PREFIX`] bytes of path.
fn walk(
    repo: &Repository,
    old: Option<Oid>,
    new: Option<Oid>,
    prefix: &mut Vec<u8>,
    out: &mut Vec<Vec<u8>>,
) -> Result<(), git2::Error> {
    if old == new {
        return Ok(());
    }
    if prefix.len() > MAX_PREFIX {
        return Err(git2::Error::from_str("tree nested too deep to walk"));
    }
    let (old, new) = (entries(repo, old)?, entries(repo, new)?);
    let (mut i, mut j) = (0, 0);
    while i < old.len() || j < new.len() {
        let (name, a, b) = match (old.get(i), new.get(j)) {
            (Some(o), Some(n)) if o.0 == n.0 => {
                i += 1;
                j += 1;
                (&o.0, Some(o.1), Some(n.1))
            }
            (Some(o), Some(n)) if o.0 < n.0 => {
                i += 1;
                (&o.0, Some(o.1), None)
            }
            (Some(o), None) => {
                i += 1;
                (&o.0, Some(o.1), None)
            }
            (_, Some(n)) => {
                j += 1;
                (&n.0, None, Some(n.1))
            }
            (None, None) => break,
        };
        if a == b {
            continue;
        }
        let len = prefix.len();
        prefix.extend_from_slice(name);
        let tree = |e: Option<Entry>| e.filter(|e| e.is_tree).map(|e| e.id);
        let (ta, tb) = (tree(a), tree(b));
        // A file (or link, or submodule) on either side is a path of its own.
        if a.is_some_and(|e| !e.is_tree) || b.is_some_and(|e| !e.is_tree) {
            out.push(prefix.clone());
            if out.len() > MAX_PATHS {
                return Err(git2::Error::from_str(
                    "more changed paths than a path list is worth",
                ));
            }
        }
        if ta.is_some() || tb.is_some() {
            prefix.push(b'/');
            walk(repo, ta, tb, prefix, out)?;
        }
        prefix.truncate(len);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Commits `files` (path, content) as a tree and returns its id.
    fn tree(repo: &Repository, files: &[(&str, &str)]) -> Oid {
        let mut index = git2::Index::new().unwrap();
        for (path, content) in files {
            let id = repo.blob(content.as_bytes()).unwrap();
            let entry = git2::IndexEntry {
                ctime: git2::IndexTime::new(0, 0),
                mtime: git2::IndexTime::new(0, 0),
                dev: 0,
                ino: 0,
                mode: if path.ends_with(".sh") {
                    0o100755
                } else {
                    0o100644
                },
                uid: 0,
                gid: 0,
                file_size: 0,
                id,
                flags: 0,
                flags_extended: 0,
                path: path.as_bytes().to_vec(),
            };
            index.add(&entry).unwrap();
        }
        index.write_tree_to(repo).unwrap()
    }

    #[test]
    fn finds_exactly_the_deltas_of_a_whole_tree_diff() {
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let base = tree(
            &repo,
            &[
                ("a/same.txt", "1"),
                ("a/changed.txt", "1"),
                ("a/deep/x/y.txt", "1"),
                ("gone/file.txt", "1"),
                ("becomes_dir", "1"),
                (
                    "old_name.txt",
                    "a long enough text to be found as a rename\n",
                ),
                ("run.txt", "1"),
                ("z/untouched/k.txt", "1"),
            ],
        );
        let head = tree(
            &repo,
            &[
                ("a/same.txt", "1"),
                ("a/changed.txt", "2"),
                ("a/deep/x/y.txt", "1"),
                ("a/deep/x/new.txt", "1"),
                ("becomes_dir/inner.txt", "1"),
                (
                    "new_name.txt",
                    "a long enough text to be found as a rename\n",
                ),
                ("run.sh", "1"),
                ("z/untouched/k.txt", "1"),
            ],
        );
        let (base, head) = (repo.find_tree(base).unwrap(), repo.find_tree(head).unwrap());
        let mut paths: Vec<String> = changed_paths(&repo, Some(&base), Some(&head))
            .unwrap()
            .into_iter()
            .map(|p| String::from_utf8(p).unwrap())
            .collect();
        paths.sort();
        assert_eq!(
            paths,
            [
                "a/changed.txt",
                "a/deep/x/new.txt",
                "becomes_dir",
                "becomes_dir/inner.txt",
                "gone/file.txt",
                "new_name.txt",
                "old_name.txt",
                "run.sh",
                "run.txt",
            ]
        );
        // The same deltas as libgit2's diff of the whole trees, renames found alike.
        let deltas = |diff: &mut Diff<'_>| {
            let mut find = git2::DiffFindOptions::new();
            find.renames(true);
            diff.find_similar(Some(&mut find)).unwrap();
            diff.deltas()
                .map(|d| {
                    (
                        d.status(),
                        d.old_file().path().map(|p| p.to_path_buf()),
                        d.new_file().path().map(|p| p.to_path_buf()),
                        d.new_file().id(),
                    )
                })
                .collect::<Vec<_>>()
        };
        let mut whole = repo
            .diff_tree_to_tree(Some(&base), Some(&head), Some(&mut DiffOptions::new()))
            .unwrap();
        let mut walked =
            diff_trees(&repo, Some(&base), Some(&head), &mut DiffOptions::new()).unwrap();
        let expected = deltas(&mut whole);
        assert_eq!(deltas(&mut walked), expected);
        // Identical small files pair up as exact renames: 5 deltas, 4 of them renames.
        assert_eq!(expected.len(), 5, "{expected:?}");
        let renamed = expected
            .iter()
            .filter(|d| d.0 == git2::Delta::Renamed)
            .count();
        assert_eq!(renamed, 4, "{expected:?}");
        // No difference: no path, and the whole-tree diff (empty) is made instead.
        assert_eq!(
            changed_paths(&repo, Some(&base), Some(&base))
                .unwrap()
                .len(),
            0
        );
        let none = diff_trees(&repo, Some(&base), Some(&base), &mut DiffOptions::new()).unwrap();
        assert_eq!(none.deltas().len(), 0);
        // Against no tree (a root commit): every file.
        assert_eq!(changed_paths(&repo, None, Some(&head)).unwrap().len(), 8);
        // More paths than a path list is worth: the walk stops, the whole-tree diff is made.
        let names: Vec<String> = (0..=MAX_PATHS).map(|i| format!("many/f{i}.txt")).collect();
        let many: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "1")).collect();
        let many = repo.find_tree(tree(&repo, &many)).unwrap();
        assert!(changed_paths(&repo, None, Some(&many)).is_none());
        let whole = diff_trees(&repo, None, Some(&many), &mut DiffOptions::new()).unwrap();
        assert_eq!(whole.deltas().len(), MAX_PATHS + 1);
        // A tree nested past the bound: no path list, and the whole-tree diff is made.
        let deep = "d/".repeat(600) + "f.txt";
        let deep = repo.find_tree(tree(&repo, &[(&deep, "1")])).unwrap();
        assert!(changed_paths(&repo, Some(&base), Some(&deep)).is_none());
        let whole = diff_trees(&repo, Some(&base), Some(&deep), &mut DiffOptions::new()).unwrap();
        assert_eq!(whole.deltas().len(), 9);
    }

    #[test]
    fn a_path_git2_would_rewrite_makes_the_whole_tree_diff() {
        assert!(is_listable(b"apps/runtime/src/ws.rs"));
        assert!(is_listable(b"!x [a]*?.ts"));
        assert!(!is_listable(b"apps\\evil.ts"));
        assert!(!is_listable(b"a\0b"));
        // The file is in the diff either way (on Windows only the fallback keeps it).
        let dir = tempfile::tempdir().unwrap();
        let repo = Repository::init(dir.path()).unwrap();
        let base = repo.find_tree(tree(&repo, &[("keep.txt", "1")])).unwrap();
        let head = tree(&repo, &[("keep.txt", "1"), ("apps\\evil.ts", "x")]);
        let head = repo.find_tree(head).unwrap();
        let diff = diff_trees(&repo, Some(&base), Some(&head), &mut DiffOptions::new()).unwrap();
        let paths: Vec<_> = diff
            .deltas()
            .map(|d| d.new_file().path_bytes().unwrap().to_vec())
            .collect();
        assert_eq!(paths, vec![b"apps\\evil.ts".to_vec()]);
    }
}
