//! `ignore::WalkParallel` -> `RepoIndex`: the paths of the head work tree, for checks that need
//! whole-tree context and for `--all` audits.
//!
//! Per-thread buffers are merged when each worker's visitor drops (ripgrep's
//! `ParallelVisitorBuilder` pattern), then sorted, so the index is the same at any thread count.
//! Respects `.gitignore`, `.ignore` and `.git/info/exclude`; never follows symlinks (a symlink loop
//! cannot hang the walk); never reads file contents.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ignore::{DirEntry, ParallelVisitor, ParallelVisitorBuilder, WalkBuilder, WalkState};

/// The files of the work tree, repository-relative with `/` separators, sorted.
#[derive(Debug, Default)]
pub struct RepoIndex {
    /// Sorted paths.
    pub files: Vec<String>,
    /// Entries the walk could not read (permission denied, loops), as messages.
    pub errors: Vec<String>,
    /// Files whose name is not UTF-8: the name in `files` (lossy, with U+FFFD) to the real path
    /// relative to the root, so they can still be read.
    pub raw_names: BTreeMap<String, PathBuf>,
}

impl RepoIndex {
    /// True when `path` is in the tree.
    pub fn contains(&self, path: &str) -> bool {
        self.files
            .binary_search_by(|f| f.as_str().cmp(path))
            .is_ok()
    }

    /// Where `path` (a name from `files`) lies on disk under `root`.
    pub fn disk_path(&self, root: &Path, path: &str) -> PathBuf {
        match self.raw_names.get(path) {
            Some(raw) => root.join(raw),
            None => root.join(path),
        }
    }
}

type Shared = Mutex<(Vec<String>, Vec<String>, Vec<(String, PathBuf)>)>;

struct Collector<'a> {
    root: &'a Path,
    out: &'a Shared,
}

struct Visitor<'a> {
    root: &'a Path,
    files: Vec<String>,
    errors: Vec<String>,
    raw: Vec<(String, PathBuf)>,
    out: &'a Shared,
}

impl<'s> ParallelVisitorBuilder<'s> for Collector<'s> {
    fn build(&mut self) -> Box<dyn ParallelVisitor + 's> {
        Box::new(Visitor {
            root: self.root,
            files: Vec::new(),
            errors: Vec::new(),
            raw: Vec::new(),
            out: self.out,
        })
    }
}

impl ParallelVisitor for Visitor<'_> {
    fn visit(&mut self, entry: Result<DirEntry, ignore::Error>) -> WalkState {
        match entry {
            Ok(entry) => {
                if entry.file_type().is_some_and(|t| t.is_file()) {
                    if let Ok(rel) = entry.path().strip_prefix(self.root) {
                        let name = rel.to_string_lossy().replace('\\', "/");
                        if rel.to_str().is_none() {
                            self.raw.push((name.clone(), rel.to_path_buf()));
                        }
                        self.files.push(name);
                    }
                }
            }
            Err(e) => self.errors.push(e.to_string()),
        }
        WalkState::Continue
    }
}

impl Drop for Visitor<'_> {
    fn drop(&mut self) {
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        out.0.append(&mut self.files);
        out.1.append(&mut self.errors);
        out.2.append(&mut self.raw);
    }
}

/// Walks `root` with `threads` threads (0 = ignore's default).
pub fn index(root: &Path, threads: usize) -> RepoIndex {
    let out: Shared = Mutex::new((Vec::new(), Vec::new(), Vec::new()));
    let root_buf: PathBuf = root.to_path_buf();
    WalkBuilder::new(&root_buf)
        .hidden(false)
        .parents(false)
        .git_global(false)
        .require_git(false)
        .follow_links(false)
        .threads(threads)
        .filter_entry(|e| e.file_name() != ".git")
        .build_parallel()
        .visit(&mut Collector {
            root: &root_buf,
            out: &out,
        });
    let (mut files, mut errors, raw) = out.into_inner().unwrap_or_else(|p| p.into_inner());
    files.sort_unstable();
    errors.sort_unstable();
    RepoIndex {
        files,
        errors,
        raw_names: raw.into_iter().collect(),
    }
}

/// The files git tracks in the repository at `root`: the index's stage-0 entries that are
/// regular files (gitlinks and symlinks are not files of this repository), sorted. This is
/// what `check --all` audits and what checks that read the tree see: a committed `.ignore`
/// or `.gitignore` (written by the change under review) can hide nothing that git tracks.
/// Entries whose file is missing from the work tree stay listed; reading them gives a run
/// note. An unreadable index is an error message in `errors` (and an empty list).
pub fn tracked(root: &Path) -> RepoIndex {
    let mut out = RepoIndex::default();
    let index = git2::Repository::open(root).and_then(|r| r.index());
    let index = match index {
        Ok(i) => i,
        Err(e) => {
            out.errors
                .push(format!("cannot read the git index: {}", e.message()));
            return out;
        }
    };
    for entry in index.iter() {
        let stage = (entry.flags >> 12) & 0x3;
        let kind = entry.mode & 0o170000;
        if stage != 0 || kind != 0o100000 {
            continue;
        }
        let name = String::from_utf8_lossy(&entry.path).replace('\\', "/");
        if std::str::from_utf8(&entry.path).is_err() {
            #[cfg(unix)]
            {
                use std::os::unix::ffi::OsStrExt;
                out.raw_names.insert(
                    name.clone(),
                    PathBuf::from(std::ffi::OsStr::from_bytes(&entry.path)),
                );
            }
        }
        out.files.push(name);
    }
    out.files.sort_unstable();
    out.files.dedup();
    out
}
