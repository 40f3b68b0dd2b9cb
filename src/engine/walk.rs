//! `ignore::WalkParallel` -> `RepoIndex`: the paths of the head work tree, for checks that need
//! whole-tree context and for `--all` audits.
//!
//! Per-thread buffers are merged when each worker's visitor drops (ripgrep's
//! `ParallelVisitorBuilder` pattern), then sorted, so the index is the same at any thread count.
//! Respects `.gitignore`, `.ignore` and `.git/info/exclude`; never follows symlinks (a symlink loop
//! cannot hang the walk); never reads file contents.

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
}

impl RepoIndex {
    /// True when `path` is in the tree.
    pub fn contains(&self, path: &str) -> bool {
        self.files
            .binary_search_by(|f| f.as_str().cmp(path))
            .is_ok()
    }
}

struct Collector<'a> {
    root: &'a Path,
    out: &'a Mutex<(Vec<String>, Vec<String>)>,
}

struct Visitor<'a> {
    root: &'a Path,
    files: Vec<String>,
    errors: Vec<String>,
    out: &'a Mutex<(Vec<String>, Vec<String>)>,
}

impl<'s> ParallelVisitorBuilder<'s> for Collector<'s> {
    fn build(&mut self) -> Box<dyn ParallelVisitor + 's> {
        Box::new(Visitor {
            root: self.root,
            files: Vec::new(),
            errors: Vec::new(),
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
                        self.files.push(rel.to_string_lossy().replace('\\', "/"));
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
    }
}

/// Walks `root` with `threads` threads (0 = ignore's default).
pub fn index(root: &Path, threads: usize) -> RepoIndex {
    let out = Mutex::new((Vec::new(), Vec::new()));
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
    let (mut files, mut errors) = out.into_inner().unwrap_or_else(|p| p.into_inner());
    files.sort_unstable();
    errors.sort_unstable();
    RepoIndex { files, errors }
}
