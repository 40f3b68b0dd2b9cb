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

use git2::{ErrorClass, ErrorCode, ObjectType, Oid, Repository, TreeWalkMode, TreeWalkResult};

use crate::engine::diff::DiffMode;
use crate::engine::error::Error;
use crate::engine::walk::RepoIndex;

/// The tree of the commit a run judges, readable from any check thread.
pub struct HeadTree {
    repo: Mutex<Repository>,
    tree: Oid,
    /// The first object a read needed and the store lacks ([`HeadTree::missing_object`]).
    missing: Mutex<Option<String>>,
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
            missing: Mutex::new(None),
        }))
    }

    /// The first object a read of this tree needed that the object store lacks (a partial
    /// clone, an interrupted fetch, a damaged store). The diff reads only the directories the
    /// change touches (`diff::tree_walk`), so a read for coverage or a check is where an
    /// untouched one is met; the run then stops with `invlint::git::missing_object`, as a diff
    /// meeting it does, rather than taking the file for absent.
    pub fn missing_object(&self) -> Option<String> {
        self.missing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Records `e` when the object store failed it: a missing object (libgit2 says so with
    /// `NotFound` from a lookup, with a generic code from a tree path lookup), or a store it
    /// cannot read.
    fn note(&self, e: &git2::Error) {
        if e.class() == ErrorClass::Odb {
            let mut missing = self.missing.lock().unwrap_or_else(|p| p.into_inner());
            missing.get_or_insert_with(|| e.message().to_string());
        }
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
                self.note(&e);
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
            self.note(&e);
        }
        out.files.sort_unstable();
        out.files.dedup();
        out
    }

    /// True when a regular file of the tree (its path, lossy if not UTF-8) satisfies
    /// `is_match`, looking only under `roots` when given: every path that can match starts
    /// with one of them (a directory ending in `/`, or a file's whole path; see
    /// `Scope::roots`). Stops at the first match. Coverage asks this instead of listing the
    /// whole tree: the walk of an 11,629-file head tree was 6% of `check --base` (#19).
    pub fn any_file(
        &self,
        roots: Option<&[String]>,
        is_match: &dyn Fn(&str) -> bool,
    ) -> Result<bool, String> {
        let repo = self.repo.lock().unwrap_or_else(|p| p.into_inner());
        let tree = repo
            .find_tree(self.tree)
            .map_err(|e| format!("cannot read the head tree: {}", e.message()))?;
        let walk = |tree: &git2::Tree<'_>, base: &str| -> Result<bool, String> {
            let mut found = false;
            let walked = tree.walk(TreeWalkMode::PreOrder, |dir, entry| {
                let regular = matches!(entry.filemode(), 0o100644 | 0o100755);
                if regular && entry.kind() == Some(ObjectType::Blob) {
                    let name = String::from_utf8_lossy(entry.name_bytes());
                    if is_match(&format!("{base}{dir}{name}")) {
                        found = true;
                        return TreeWalkResult::Abort;
                    }
                }
                TreeWalkResult::Ok
            });
            match walked {
                Err(e) if !found => Err(format!("cannot walk the head tree: {}", e.message())),
                _ => Ok(found),
            }
        };
        let Some(roots) = roots else {
            return walk(&tree, "");
        };
        for root in roots {
            let entry = match tree.get_path(Path::new(root.trim_end_matches('/'))) {
                Ok(entry) => entry,
                // No such path: nothing there. A tree on the way that cannot be read is an
                // error, as below, never "nothing there".
                Err(e) if e.code() == ErrorCode::NotFound && e.class() == ErrorClass::Tree => {
                    continue
                }
                Err(e) => return Err(format!("cannot read the head tree: {}", e.message())),
            };
            let found = if root.ends_with('/') {
                // A directory whose tree cannot be read is an error (the caller lists the
                // whole tree and notes what it could not read), never "nothing there"; a
                // file, link or submodule at that path holds no file below it.
                if entry.kind() != Some(ObjectType::Tree) {
                    false
                } else {
                    let sub = entry
                        .to_object(&repo)
                        .and_then(|o| o.peel_to_tree())
                        .map_err(|e| format!("cannot read the head tree: {}", e.message()))?;
                    walk(&sub, root)?
                }
            } else {
                matches!(entry.filemode(), 0o100644 | 0o100755)
                    && entry.kind() == Some(ObjectType::Blob)
                    && is_match(root)
            };
            if found {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// True when `path` is a regular file of the tree (not a link, a submodule or a
    /// directory).
    pub fn is_regular_file(&self, path: &str) -> bool {
        let repo = self.repo.lock().unwrap_or_else(|p| p.into_inner());
        let tree = match repo.find_tree(self.tree) {
            Ok(tree) => tree,
            Err(e) => {
                self.note(&e);
                return false;
            }
        };
        match tree.get_path(Path::new(path)) {
            Ok(e) => {
                matches!(e.filemode(), 0o100644 | 0o100755) && e.kind() == Some(ObjectType::Blob)
            }
            Err(e) => {
                self.note(&e);
                false
            }
        }
    }

    /// The bytes of the regular file at `path` in the tree, when it is at most `max_size` bytes;
    /// `None` when absent, not a regular file, or larger.
    pub fn read(&self, path: &str, max_size: u64) -> Option<Vec<u8>> {
        let repo = self.repo.lock().unwrap_or_else(|p| p.into_inner());
        let noted = |e: git2::Error| self.note(&e);
        let tree = repo.find_tree(self.tree).map_err(noted).ok()?;
        let entry = tree.get_path(Path::new(path)).map_err(noted).ok()?;
        if entry.kind() != Some(ObjectType::Blob)
            || !matches!(entry.filemode(), 0o100644 | 0o100755)
        {
            return None;
        }
        let blob = repo.find_blob(entry.id()).map_err(noted).ok()?;
        if blob.size() as u64 > max_size {
            return None;
        }
        Some(blob.content().to_vec())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::staged::tests::{add, commit_index};

    /// Coverage's question, asked under the roots a scope names, has the answer the whole
    /// list gives: for files deep under a root, at the top, behind a link, in no root.
    #[test]
    fn any_file_under_roots_agrees_with_the_whole_list() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = Repository::init(tmp.path()).unwrap();
        let mut index = repo.index().unwrap();
        for path in [
            "Cargo.toml",
            "apps/runtime/src/khala_sync.rs",
            "apps/runtime/src/deep/er/api.rs",
            "apps/web/b.sh",
            "docs/a.md",
            "z.sh",
        ] {
            add(&mut index, path, 0o100644, "x\n");
        }
        add(&mut index, "apps/link.rs", 0o120000, "x\n");
        add(&mut index, "apps/tool.sh", 0o100755, "x\n");
        commit_index(&repo, &mut index, "c");
        let head = HeadTree::open(repo, &DiffMode::Base(None))
            .unwrap()
            .unwrap();
        let all = head.index();
        type Case = (Option<Vec<&'static str>>, fn(&str) -> bool);
        let cases: Vec<Case> = vec![
            (Some(vec!["apps/runtime/"]), |p| p.ends_with("/api.rs")),
            (Some(vec!["apps/runtime/"]), |p| p.contains("khala")),
            (Some(vec!["apps/"]), |p| p.ends_with(".sh")),
            (Some(vec!["apps/"]), |p| p == "apps/link.rs"),
            (Some(vec!["Cargo.toml"]), |p| p == "Cargo.toml"),
            (Some(vec!["docs/", "Cargo.toml"]), |p| p.ends_with(".toml")),
            (Some(vec!["proto/", "apps/runtime/src/deep/"]), |p| {
                p.ends_with(".rs")
            }),
            (Some(vec!["proto/", "Missing.toml"]), |_| true),
            (None, |p| p == "z.sh"),
            (None, |p| p.ends_with(".proto")),
        ];
        for (roots, is_match) in cases {
            let roots: Option<Vec<String>> =
                roots.map(|r| r.iter().map(|s| s.to_string()).collect());
            let whole = all.files.iter().any(|f| is_match(f));
            let under = head.any_file(roots.as_deref(), &is_match).unwrap();
            // Under roots that hold every match, the two agree.
            let holds = all.files.iter().filter(|f| is_match(f)).all(|f| {
                roots
                    .as_ref()
                    .is_none_or(|r| r.iter().any(|r| f.starts_with(r.as_str())))
            });
            if holds {
                assert_eq!(under, whole, "{roots:?}");
            } else {
                assert!(!under || whole, "{roots:?}");
            }
        }
        // The link is not a regular file, in either answer.
        assert!(!head.any_file(None, &|p| p == "apps/link.rs").unwrap());
        assert!(!head.is_regular_file("apps/link.rs"));
        assert!(head.is_regular_file("apps/tool.sh"));
        assert!(!head.is_regular_file("apps/runtime"));
        assert!(!head.is_regular_file("apps/missing.rs"));
    }

    /// A directory on the way to a root whose tree object is missing (a partial clone, a
    /// damaged store) is an error, never "no file there"; a path that is not in the tree is.
    #[test]
    fn any_file_says_when_a_tree_on_the_way_is_missing() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = Repository::init(tmp.path()).unwrap();
        let mut index = repo.index().unwrap();
        add(&mut index, "apps/runtime/src/api.rs", 0o100644, "x\n");
        add(&mut index, "docs/a.md", 0o100644, "x\n");
        commit_index(&repo, &mut index, "c");
        let id = repo
            .revparse_single("HEAD:apps/runtime")
            .unwrap()
            .id()
            .to_string();
        let loose = tmp
            .path()
            .join(".git/objects")
            .join(&id[..2])
            .join(&id[2..]);
        std::fs::remove_file(loose).unwrap();
        // A fresh handle: the first one caches the objects it wrote.
        drop(repo);
        let repo = Repository::open(tmp.path()).unwrap();
        let head = HeadTree::open(repo, &DiffMode::Base(None))
            .unwrap()
            .unwrap();
        let roots = ["apps/runtime/src/".to_string()];
        let err = head.any_file(Some(&roots), &|_| true).unwrap_err();
        assert!(err.contains(&id), "{err}");
        let elsewhere = ["proto/".to_string(), "docs/b.md".to_string()];
        assert_eq!(head.any_file(Some(&elsewhere), &|_| true), Ok(false));
        // Paths that are not there, or are there, are no missing object...
        assert!(head.read("docs/b.md", 1 << 20).is_none());
        assert!(head.read("docs/a.md", 1 << 20).is_some());
        assert_eq!(head.missing_object(), None);
        // ...a read through the missing tree is: the run stops on it (lib.rs), the file is
        // not taken for absent.
        assert!(head.read("apps/runtime/src/api.rs", 1 << 20).is_none());
        let missing = head.missing_object().expect("recorded");
        assert!(missing.contains(&id), "{missing}");
    }
}
