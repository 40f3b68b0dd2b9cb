//! The head commit's tree, for the files a check reads beyond the change (a workspace manifest,
//! an inventory, a generator script) and for the list of files coverage and whole-tree checks
//! see.
//!
//! `--base`, `--range` and `dry-run` judge a commit, so what they read must come from that
//! commit, not from whatever the work tree holds: a dry run over history, `invlint report`, or a
//! `--range A..B` with another branch checked out would otherwise judge an old commit against
//! today's inventory. `--staged` (the index) and `--all` (the work tree) keep reading the work
//! tree.
//!
//! Reads go through the object database by tree path: a symlinked directory in the tree is a
//! blob, so a path through it resolves to nothing and never leaves the repository.

use std::path::Path;
use std::sync::Mutex;

use git2::{ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult};

use crate::engine::diff::DiffMode;
use crate::engine::error::Error;
use crate::engine::walk::RepoIndex;

/// The tree of the commit a run judges, readable from any check thread.
pub struct HeadTree {
    repo: Mutex<Repository>,
    tree: Oid,
}

impl std::fmt::Debug for HeadTree {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeadTree")
            .field("tree", &self.tree)
            .finish()
    }
}

impl HeadTree {
    /// The head tree of `mode` in `repo` (the repository the change was read from, kept open
    /// so its object cache serves the reads): HEAD for `--base`, the range's end for `--range`,
    /// the commit for `dry-run`; `None` for `--staged` and `--all`, which judge the index and
    /// the work tree.
    pub fn open(repo: Repository, mode: &DiffMode) -> Result<Option<HeadTree>, Error> {
        if matches!(mode, DiffMode::Staged | DiffMode::All) {
            return Ok(None);
        }
        let tree = {
            // Resolved as `diff::collect` resolves the head side.
            let head = match mode {
                DiffMode::Range(spec) => repo.revparse(spec).and_then(|r| {
                    r.to()
                        .map(|o| o.peel_to_commit())
                        .unwrap_or_else(|| Err(git2::Error::from_str("not a range")))
                }),
                DiffMode::Commit(rev) => repo.revparse_single(rev).and_then(|o| o.peel_to_commit()),
                _ => repo.head().and_then(|h| h.peel_to_commit()),
            };
            head.and_then(|c| c.tree())
                .map(|t| t.id())
                .map_err(|e| Error::git("reading the head commit's tree", &e))?
        };
        Ok(Some(HeadTree {
            repo: Mutex::new(repo),
            tree,
        }))
    }

    /// The repository, for the caller's next run.
    pub fn into_repository(self) -> Repository {
        self.repo.into_inner().unwrap_or_else(|p| p.into_inner())
    }

    /// The regular files of the tree (no links, no submodules), sorted.
    pub fn index(&self) -> RepoIndex {
        let mut out = RepoIndex::default();
        let repo = self.repo.lock().unwrap_or_else(|p| p.into_inner());
        let tree = match repo.find_tree(self.tree) {
            Ok(t) => t,
            Err(e) => {
                out.errors
                    .push(format!("cannot read the head tree: {}", e.message()));
                return out;
            }
        };
        let walked = tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
            let regular = matches!(entry.filemode(), 0o100644 | 0o100755);
            if regular && entry.kind() == Some(ObjectType::Blob) {
                // One allocation a file: this runs for every file of the tree (11,629 on the
                // large bench tree), and `format!` was a third of the walk (#19).
                let name = entry.name_bytes();
                let mut path = String::with_capacity(dir.len() + name.len());
                path.push_str(dir);
                match std::str::from_utf8(name) {
                    Ok(name) => path.push_str(name),
                    Err(_) => {
                        path.push_str(&String::from_utf8_lossy(name));
                        out.errors.push(format!(
                            "{path}: the file name is not UTF-8; checks that read the tree skip it"
                        ));
                    }
                }
                out.files.push(path);
            }
            TreeWalkResult::Ok
        });
        if let Err(e) = walked {
            out.errors
                .push(format!("cannot walk the head tree: {}", e.message()));
        }
        out.files.sort_unstable();
        out.files.dedup();
        out
    }

    /// The bytes of the regular file at `path` in the tree, when it is at most `max_size` bytes;
    /// `None` when absent, not a regular file, or larger.
    pub fn read(&self, path: &str, max_size: u64) -> Option<Vec<u8>> {
        let repo = self.repo.lock().unwrap_or_else(|p| p.into_inner());
        let tree = repo.find_tree(self.tree).ok()?;
        let entry = tree.get_path(Path::new(path)).ok()?;
        if entry.kind() != Some(ObjectType::Blob)
            || !matches!(entry.filemode(), 0o100644 | 0o100755)
        {
            return None;
        }
        let blob = repo.find_blob(entry.id()).ok()?;
        if blob.size() as u64 > max_size {
            return None;
        }
        Some(blob.content().to_vec())
    }
}
