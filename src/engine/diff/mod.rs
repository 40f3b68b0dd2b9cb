//! git2 -> `ChangeSet`: which files the change touches, which lines it adds and removes, and the
//! text of each file at base and head.
//!
//! The change set it returns is owned data (no git2 type in it), so checks can read it from any
//! thread. Two git2 values do leave this module (`git.rs` reads the objects): [`open`] hands the pipeline the `Repository`
//! (`lib.rs` drops it once the change set is collected, since it is `Send` but not `Sync`), and
//! [`base_blob`] reads one file at base for the policy. Git is also read by `staged.rs` (the
//! index, for `--staged`) and written only by `scratch.rs`, into the temporary repositories of
//! dry runs. Nothing here writes to the checked repository: no index refresh, no lock files, no
//! checkout.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use git2::{Delta, DiffOptions, Oid, Repository};

use crate::engine::error::Error;
use crate::engine::source::Source;

mod git;
mod hunks;
mod tree_walk;

pub use git::*;
use hunks::{line_ranges, Hunks, LineRanges};

/// What to compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffMode {
    /// HEAD against the merge base with this revision (`None`: origin/HEAD, then main, then master).
    Base(Option<String>),
    /// The index against HEAD (pre-commit).
    Staged,
    /// One diff over `A..B` (or `A...B`: from their merge base).
    Range(String),
    /// One commit against its first parent (a root commit: against the empty tree), with its
    /// own message as the commit messages (`invlint dry-run`).
    Commit(String),
    /// The whole work tree, as if every file were added (audit).
    All,
}

/// How a file changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ChangeKind {
    /// New at head.
    Added,
    /// Changed in place.
    Modified,
    /// Gone at head.
    Deleted,
    /// Moved (and maybe changed).
    Renamed,
    /// Copied from another file.
    Copied,
    /// File type changed (e.g. file to symlink).
    TypeChanged,
}

/// The text of one side of a file, loaded eagerly from git or lazily from disk.
#[derive(Debug)]
pub struct LazyText {
    name: Arc<str>,
    /// Where to read it: the work tree's root and, when the name is not the path below it
    /// (a non-UTF-8 file name), the real relative path. The full path is joined on read: a
    /// `check --all` holds one of these per tracked file.
    disk: Option<(Arc<Path>, Option<Box<Path>>)>,
    max_size: u64,
    cell: OnceLock<TextState>,
    asked: AtomicBool,
    /// Read as text, then dropped by [`LazyText::evict`] (set only through `&mut`).
    evicted: bool,
}

/// What we could make of a file's bytes.
#[derive(Debug, Clone)]
pub enum TextState {
    /// UTF-8 text.
    Text(Arc<Source>),
    /// The file does not exist on this side.
    Absent,
    /// Binary content (NUL bytes, or git says so).
    Binary,
    /// Larger than `[limits] max-file-size`.
    TooLarge(u64),
    /// Not valid UTF-8.
    NotUtf8,
    /// A Git LFS pointer: the content lives outside the repository and is not checked.
    LfsPointer,
    /// Could not be read.
    Unreadable(String),
}

impl LazyText {
    fn absent(name: impl Into<Arc<str>>) -> Self {
        let t = LazyText::lazy(name, None, 0);
        let _ = t.cell.set(TextState::Absent);
        t
    }

    fn lazy(
        name: impl Into<Arc<str>>,
        disk: Option<(Arc<Path>, Option<Box<Path>>)>,
        max_size: u64,
    ) -> Self {
        LazyText {
            name: name.into(),
            disk,
            max_size,
            cell: OnceLock::new(),
            asked: AtomicBool::new(false),
            evicted: false,
        }
    }

    fn loaded(name: &str, state: TextState) -> Self {
        let t = LazyText::lazy(name, None, 0);
        let _ = t.cell.set(state);
        t
    }

    /// The state, reading the file from disk on first use when lazy (the time it takes counts
    /// in [`read_ms_on_this_thread`]).
    pub fn state(&self) -> &TextState {
        self.asked.store(true, Ordering::Relaxed);
        self.cell.get_or_init(|| match &self.disk {
            None => TextState::Absent,
            Some((root, raw)) => {
                let started = std::time::Instant::now();
                let path = match raw {
                    Some(raw) => root.join(raw),
                    None => root.join(&*self.name),
                };
                let state = read_disk(&self.name, &path, self.max_size);
                READ_MS.with(|ms| ms.set(ms.get() + started.elapsed().as_secs_f64() * 1000.0));
                state
            }
        })
    }

    /// The text, if it is text.
    pub fn source(&self) -> Option<&Arc<Source>> {
        match self.state() {
            TextState::Text(s) => Some(s),
            _ => None,
        }
    }

    /// True when a rule asked for this text.
    pub fn was_asked(&self) -> bool {
        self.asked.load(Ordering::Relaxed)
    }

    /// The state if already known, without reading.
    pub fn peek(&self) -> Option<&TextState> {
        self.cell.get()
    }

    /// Drops a text read from the work tree unless `keep` wants it: an audit (`check --all`)
    /// then holds one window of texts at a time, not the whole tree's (#19). The next
    /// [`LazyText::state`] reads the file again. A text loaded from git, and a state that is
    /// not text (what run notes report), stay.
    pub fn evict(&mut self, keep: impl Fn(&Source) -> bool) {
        if self.disk.is_none() {
            return;
        }
        if let Some(TextState::Text(src)) = self.cell.get() {
            if !keep(src) {
                self.cell.take();
                self.evicted = true;
            }
        }
    }

    /// True when the file was read as text and dropped by [`LazyText::evict`]: it held no
    /// problem a run note reports.
    pub fn is_evicted(&self) -> bool {
        self.evicted
    }
}

thread_local! {
    static READ_MS: std::cell::Cell<f64> = const { std::cell::Cell::new(0.0) };
}

/// Milliseconds this thread has spent reading and decoding work-tree files for
/// [`LazyText::state`]: `check --stats` takes a check's reads out of its row, since the first
/// check to ask for a file reads it for every check after it (#19).
pub fn read_ms_on_this_thread() -> f64 {
    READ_MS.with(std::cell::Cell::get)
}

fn read_disk(name: &Arc<str>, path: &Path, max_size: u64) -> TextState {
    // A tracked file is a regular file; a link in its place (the work tree differs from the
    // index) is never followed: it could point outside the repository.
    use crate::engine::bounded::Refused;
    match crate::engine::bounded::read_tracked(path, max_size) {
        Ok(bytes) => decode(name.clone(), bytes, max_size),
        Err(Refused::Link) => {
            TextState::Unreadable("a symbolic link in the work tree; not followed".into())
        }
        Err(Refused::TooLarge(len)) => TextState::TooLarge(len),
        Err(Refused::Io(e)) => TextState::Unreadable(e.to_string()),
    }
}

fn decode(name: impl Into<Arc<str>>, bytes: Vec<u8>, max_size: u64) -> TextState {
    if bytes.len() as u64 > max_size {
        return TextState::TooLarge(bytes.len() as u64);
    }
    // git's own heuristic: a NUL in the first 8000 bytes means binary.
    if bytes[..bytes.len().min(8000)].contains(&0) {
        return TextState::Binary;
    }
    if bytes.len() < 1024 && bytes.starts_with(b"version https://git-lfs.github.com/spec/") {
        return TextState::LfsPointer;
    }
    match String::from_utf8(bytes) {
        Ok(s) => TextState::Text(Arc::new(Source::new(name, s))),
        Err(_) => TextState::NotUtf8,
    }
}

/// One changed file.
#[derive(Debug)]
pub struct FileChange {
    /// Repository-relative path with `/` separators: the head path, or the base path if deleted.
    /// Shared with the head text's name (one allocation per file: #19, memory at 100k files).
    pub path: Arc<str>,
    /// The base path when renamed or copied.
    pub old_path: Option<String>,
    /// How it changed.
    pub kind: ChangeKind,
    /// git considers it binary.
    pub is_binary: bool,
    /// Added lines at head and removed lines at base ([`FileChange::added`],
    /// [`FileChange::removed`]).
    hunks: Hunks,
    /// Every line counts as added (new files and `--all`).
    pub is_all_added: bool,
    /// Text at head.
    pub head: LazyText,
    /// Text at base. Shared: every file of an audit has the same absent base (a `LazyText` is
    /// 104 bytes, and `check --all` holds one change per tracked file, #19).
    pub base: Arc<LazyText>,
}

impl FileChange {
    /// True when 1-based head line `line` was added.
    pub fn is_line_added(&self, line: usize) -> bool {
        self.is_all_added || self.added().iter().any(|r| r.contains(&line))
    }

    /// True when the file exists at head.
    pub fn exists_at_head(&self) -> bool {
        self.kind != ChangeKind::Deleted
    }
}

/// Everything the change touches, sorted by path.
#[derive(Debug)]
pub struct ChangeSet {
    /// Changed files, sorted by path.
    pub files: Vec<FileChange>,
    /// Human description of what was compared ("HEAD against merge base 1a2b3c4 of main").
    pub description: String,
    /// The mode.
    pub mode: DiffMode,
    /// Commit messages in the compared range, oldest first (for PR-less runs).
    pub commit_messages: Vec<String>,
}

impl ChangeSet {
    /// The change for `path`, if touched.
    pub fn file(&self, path: &str) -> Option<&FileChange> {
        self.files
            .binary_search_by(|f| f.path.as_ref().cmp(path))
            .ok()
            .map(|i| &self.files[i])
    }

    /// Content moved into a path that the policy classifies differently from where it came from
    /// counts as added there, whatever the similarity: a rename from an unchecked path
    /// (`tools/sse.ts`), a test directory, docs or a check's `exclude` into a checked one must not
    /// carry code past the checks that read added lines. `crosses(old, new)` says whether two paths fall under
    /// different policy entries; a move within the same entries keeps its real hunks (moving
    /// an existing file inside `apps/` adds nothing).
    pub fn mark_moves(&mut self, crosses: impl Fn(&str, &str) -> bool) {
        for f in &mut self.files {
            if f.kind == ChangeKind::Renamed {
                if let Some(old) = &f.old_path {
                    if crosses(old, &f.path) {
                        f.is_all_added = true;
                    }
                }
            }
        }
    }

    /// Builds the audit change set: every file of the index, all lines added, read lazily from
    /// disk.
    pub fn audit(root: &Path, index: &crate::engine::walk::RepoIndex, max_size: u64) -> ChangeSet {
        let root: Arc<Path> = Arc::from(root);
        let absent = Arc::new(LazyText::absent(""));
        let files = index
            .files
            .iter()
            .map(|p| {
                let name: Arc<str> = Arc::from(p.as_str());
                let raw = index.raw_names.get(p).map(|r| r.clone().into_boxed_path());
                FileChange {
                    path: name.clone(),
                    old_path: None,
                    kind: ChangeKind::Added,
                    is_binary: false,
                    hunks: Hunks::known(Vec::new(), Vec::new()),
                    is_all_added: true,
                    head: LazyText::lazy(name, Some((root.clone(), raw)), max_size),
                    base: absent.clone(),
                }
            })
            .collect();
        ChangeSet {
            files,
            description: "the whole work tree (audit: every file counts as added)".into(),
            mode: DiffMode::All,
            commit_messages: Vec::new(),
        }
    }
}

/// Opens the repository at or above `dir` and returns it with its work-tree root.
pub fn open(dir: &Path) -> Result<(Repository, PathBuf), Error> {
    // Read objects as git does: without re-hashing each one on read (libgit2's default, unlike
    // git's, is to SHA-1 every inflated object; that was a fifth of `check --staged` on a
    // 100k-file tree). Integrity checking is `git fsck`'s job; invlint only reads.
    git2::opts::strict_hash_verification(false);
    let repo = Repository::discover(dir).map_err(|e| Error::OpenRepo {
        path: dir.display().to_string(),
        message: e.message().to_string(),
    })?;
    if repo.is_bare() {
        return Err(Error::BareRepo {
            path: dir.display().to_string(),
        });
    }
    let root = repo
        .workdir()
        .map(Path::to_path_buf)
        .ok_or_else(|| Error::BareRepo {
            path: dir.display().to_string(),
        })?;
    Ok((repo, root))
}

/// A diff, what it compares (for output), and the commit messages it spans.
type Compared<'r> = (git2::Diff<'r>, String, Vec<String>, Sides<'r>);

/// The old and new side a diff compared, for each delta's raw file modes ([`Side::is_gitlink`]).
type Sides<'r> = (Side<'r>, Side<'r>);

/// One side of a diff: a tree, an index, or nothing (the root commit's parent, an unborn HEAD).
pub(crate) enum Side<'r> {
    Empty,
    Tree(git2::Tree<'r>),
    Index(git2::Index),
}

impl Side<'_> {
    /// True when `path` is a gitlink (mode 160000, a submodule's commit) on this side, read
    /// from the raw mode: git2's `DiffFile::mode()` panics on a mode outside its enum, and a
    /// change may commit any mode (`git fsck` only warns about 100600 or 140000). A lookup
    /// per delta: printing the diff's raw format to read the modes generated every patch a
    /// second time (a sixth of `check --base` on an 11,629-file tree, #19).
    fn is_gitlink(&self, path: Option<&Path>) -> bool {
        const GITLINK: u32 = 0o160000;
        let Some(path) = path else {
            return false;
        };
        match self {
            Side::Empty => false,
            Side::Tree(t) => t
                .get_path(path)
                .is_ok_and(|e| u32::try_from(e.filemode_raw()) == Ok(GITLINK)),
            Side::Index(i) => i.get_path(path, 0).is_some_and(|e| e.mode == GITLINK),
        }
    }
}

/// Computes the change set for `mode` (not `All`; see `ChangeSet::audit`): diff the two sides
/// (one function per mode), find renames, read each delta and its hunks ([`read_deltas`]), then
/// load both sides' text ([`load_sides`]).
pub fn collect(repo: &Repository, mode: &DiffMode, max_size: u64) -> Result<ChangeSet, Error> {
    let mut opts = diff_options(max_size);

    if *mode != DiffMode::Staged {
        // libgit2 reads the index for attribute lookups while diffing trees. Attributes decide
        // nothing here (`force_text`, no filters on blobs), so it gets an empty index: reading
        // the real one was a tenth of `check --base` on an 11,629-file tree (#19), and one it
        // cannot read (split, sparse) must not fail a diff that does not use it. In memory only.
        let mut empty = git2::Index::new().map_err(|e| Error::git("preparing the diff", &e))?;
        repo.set_index(&mut empty)
            .map_err(|e| Error::git("preparing the diff", &e))?;
    }
    let (mut diff, description, commits, sides) = match mode {
        DiffMode::All => unreachable!("audit mode does not diff; see ChangeSet::audit"),
        DiffMode::Staged => diff_staged(repo, &mut opts)?,
        DiffMode::Base(base) => diff_base(repo, base.as_deref(), &mut opts)?,
        DiffMode::Range(spec) => diff_range(repo, spec, &mut opts)?,
        DiffMode::Commit(rev) => diff_commit(repo, rev, &mut opts)?,
    };
    let mut find = git2::DiffFindOptions::new();
    find.renames(true).copies(false).rename_threshold(50);
    diff.find_similar(Some(&mut find))
        .map_err(|e| Error::git("detecting renames", &e))?;
    let mut files = load_sides(repo, &diff, read_deltas(&diff, &sides)?, max_size)?;
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(ChangeSet {
        files,
        description,
        mode: mode.clone(),
        commit_messages: commits,
    })
}

/// The diff options every mode shares.
fn diff_options(max_size: u64) -> DiffOptions {
    let mut opts = DiffOptions::new();
    opts.context_lines(0)
        .interhunk_lines(0)
        .ignore_submodules(true)
        .include_typechange(true)
        // Text is text: the change's own `.gitattributes` (`* -diff`, `* binary`) and libgit2's
        // control-byte heuristic never decide what is checked. invlint decides binary content
        // itself, as git does by default (a NUL byte in the first 8000 bytes; see `decode`).
        .force_text(true)
        // Blobs over the limit are not loaded to be diffed (libgit2 reads only their header and
        // treats them as binary); `load_blob` below reports them as too large.
        .max_size(i64::try_from(max_size).unwrap_or(i64::MAX));
    opts
}

/// `--staged`: the index against HEAD.
fn diff_staged<'r>(repo: &'r Repository, opts: &mut DiffOptions) -> Result<Compared<'r>, Error> {
    let head_tree = match repo.head() {
        Ok(h) => Some(
            h.peel_to_tree()
                .map_err(|e| Error::git("reading HEAD's tree", &e))?,
        ),
        Err(e) if e.code() == git2::ErrorCode::UnbornBranch => None,
        Err(e) => return Err(Error::git("reading HEAD", &e)),
    };
    let index_file = crate::engine::staged::index_path(repo);
    let is_own_index = index_file == repo.path().join("index");
    if !is_own_index && !index_file.is_file() {
        return Err(Error::Usage {
            message: format!(
                "GIT_INDEX_FILE names `{}`, which is not a file",
                index_file.display()
            ),
            hint: "unset GIT_INDEX_FILE to check the repository's own index".into(),
        });
    }
    // Fast path: read the index as git does and diff only the changed entries
    // (engine::staged); anything it does not handle goes through libgit2's full diff.
    let fast = head_tree
        .as_ref()
        .and_then(|t| crate::engine::staged::staged_indexes(repo, t, &index_file));
    let (diff, sides) = match fast {
        Some((old, mut new)) => {
            // libgit2 looks up diff attributes (`.gitattributes`) in the work tree, then
            // in the repository's index, which it would read whole for that: give it
            // the small index instead (in memory; nothing is written).
            repo.set_index(&mut new)
                .map_err(|e| Error::git("preparing the staged diff", &e))?;
            let diff = repo
                .diff_index_to_index(&old, &new, Some(opts))
                .map_err(|e| Error::git("diffing the index against HEAD", &e))?;
            (diff, (Side::Index(old), Side::Index(new)))
        }
        None => {
            let index = if is_own_index {
                repo.index()
            } else {
                git2::Index::open(&index_file)
            }
            .map_err(|e| {
                match crate::engine::staged::unsupported_feature(&index_file) {
                    Some((feature, fix)) => Error::Usage {
                        message: format!(
                            "`--staged` cannot read this index: it is {feature}, which \
                         neither invlint nor libgit2 reads"
                        ),
                        hint: format!("{fix}; `--base` and `--range` work as they are"),
                    },
                    None => Error::git("reading the index", &e),
                }
            })?;
            let diff = repo
                .diff_tree_to_index(head_tree.as_ref(), Some(&index), Some(opts))
                .map_err(|e| Error::git("diffing the index against HEAD", &e))?;
            let old = head_tree.map_or(Side::Empty, Side::Tree);
            (diff, (old, Side::Index(index)))
        }
    };
    Ok((
        diff,
        "staged changes (index against HEAD)".to_string(),
        Vec::new(),
        sides,
    ))
}

/// Every path the staged change touches (both sides of a rename; deletions too), for
/// `check --staged FILES…`: the pre-commit framework passes the staged files to a hook, and every
/// tracked file under `pre-commit run --all-files`, so a file named there that is not a staged
/// change says the framework asked for more than the staged change.
pub fn staged_paths(dir: &Path) -> Result<std::collections::BTreeSet<String>, Error> {
    let (repo, _) = open(dir)?;
    let mut opts = diff_options(u64::MAX);
    let (diff, _, _, _) = diff_staged(&repo, &mut opts)?;
    let mut out = std::collections::BTreeSet::new();
    for delta in diff.deltas() {
        for side in [delta.old_file(), delta.new_file()] {
            if let Some(p) = side.path_bytes() {
                out.insert(String::from_utf8_lossy(p).into_owned());
            }
        }
    }
    Ok(out)
}

/// `--base`: HEAD against its merge base with `base` (else the default branch).
fn diff_base<'r>(
    repo: &'r Repository,
    base: Option<&str>,
    opts: &mut DiffOptions,
) -> Result<Compared<'r>, Error> {
    let head = head_commit(repo)?;
    let (base_commit, label) = resolve_merge_base(repo, &head, base)?;
    let old = tree_of(repo, base_commit)?;
    let new = head
        .tree()
        .map_err(|e| Error::git("reading HEAD's tree", &e))?;
    let diff = tree_walk::diff_trees(repo, Some(&old), Some(&new), opts)
        .map_err(|e| Error::git("diffing HEAD against the merge base", &e))?;
    let commits = messages_between(repo, base_commit, head.id());
    Ok((
        diff,
        format!("HEAD against merge base {} of {label}", short(base_commit)),
        commits,
        (Side::Tree(old), Side::Tree(new)),
    ))
}

/// `--range A..B` / `A...B`.
fn diff_range<'r>(
    repo: &'r Repository,
    spec: &str,
    opts: &mut DiffOptions,
) -> Result<Compared<'r>, Error> {
    let revspec = repo.revparse(spec).map_err(|e| Error::Revision {
        rev: spec.to_string(),
        message: e.message().to_string(),
        hint:
            "write the range as A..B (tree of A against tree of B) or A...B (from their merge base)"
                .into(),
    })?;
    let (Some(from), Some(to)) = (revspec.from(), revspec.to()) else {
        return Err(Error::Usage {
            message: format!("`{spec}` is a single revision, not a range"),
            hint: format!("use `--range {spec}~1..{spec}` for one commit, or `--base {spec}`"),
        });
    };
    let from = peel_commit(from, spec)?;
    let to = peel_commit(to, spec)?;
    let from_id = if revspec.mode().contains(git2::RevparseMode::MERGE_BASE) {
        repo.merge_base(from, to)
            .map_err(|e| no_merge_base(repo, spec, &e))?
    } else {
        from
    };
    let (old, new) = (tree_of(repo, from_id)?, tree_of(repo, to)?);
    let diff = tree_walk::diff_trees(repo, Some(&old), Some(&new), opts)
        .map_err(|e| Error::git(format!("diffing {spec}"), &e))?;
    let commits = messages_between(repo, from_id, to);
    Ok((
        diff,
        format!("{} against {}", short(to), short(from_id)),
        commits,
        (Side::Tree(old), Side::Tree(new)),
    ))
}

/// `--commit REV`: a commit against its first parent.
fn diff_commit<'r>(
    repo: &'r Repository,
    rev: &str,
    opts: &mut DiffOptions,
) -> Result<Compared<'r>, Error> {
    let obj = repo.revparse_single(rev).map_err(|e| Error::Revision {
        rev: rev.to_string(),
        message: e.message().to_string(),
        hint: "name a commit, branch or tag".into(),
    })?;
    let commit = obj.peel_to_commit().map_err(|e| Error::Revision {
        rev: rev.to_string(),
        message: e.message().to_string(),
        hint: "name a commit, branch or tag".into(),
    })?;
    let tree = tree_of(repo, commit.id())?;
    let (parent_tree, against) = match commit.parent_ids().next() {
        Some(p) => (
            Some(tree_of(repo, p)?),
            format!("its first parent {}", short(p)),
        ),
        None => (None, "the empty tree (root commit)".to_string()),
    };
    let diff = tree_walk::diff_trees(repo, parent_tree.as_ref(), Some(&tree), opts)
        .map_err(|e| Error::git(format!("diffing {}", short(commit.id())), &e))?;
    Ok((
        diff,
        format!("{} against {against}", short(commit.id())),
        vec![String::from_utf8_lossy(commit.message_bytes()).into_owned()],
        (
            parent_tree.map_or(Side::Empty, Side::Tree),
            Side::Tree(tree),
        ),
    ))
}

/// A file of the diff before its text is loaded.
struct Pending {
    change: FileChange,
    head_oid: Option<Oid>,
    base_oid: Option<Oid>,
    /// The delta's index in the diff (for its patch).
    index: usize,
}

/// Each delta of `diff` as a pending file change, with its hunks' line ranges.
fn read_deltas(
    diff: &git2::Diff<'_>,
    (old_side, new_side): &Sides<'_>,
) -> Result<Vec<Pending>, Error> {
    let mut pending = Vec::new();
    for (index, delta) in diff.deltas().enumerate() {
        let kind = match delta.status() {
            Delta::Added | Delta::Untracked => ChangeKind::Added,
            Delta::Deleted => ChangeKind::Deleted,
            Delta::Renamed => ChangeKind::Renamed,
            Delta::Copied => ChangeKind::Copied,
            Delta::Typechange => ChangeKind::TypeChanged,
            _ => ChangeKind::Modified,
        };
        let new_path = path_str(delta.new_file().path());
        let old_path = path_str(delta.old_file().path());
        let path = if kind == ChangeKind::Deleted {
            old_path.clone()
        } else {
            new_path.clone()
        };
        // Never `DiffFile::mode()`: it panics on modes git writes but does not name (100600,
        // 140000, ...); the sides give the raw modes.
        let old_link =
            !delta.old_file().id().is_zero() && old_side.is_gitlink(delta.old_file().path());
        let new_link =
            !delta.new_file().id().is_zero() && new_side.is_gitlink(delta.new_file().path());
        let is_submodule = old_link || new_link;
        let oid =
            |f: git2::DiffFile<'_>, is_link: bool| (!f.id().is_zero() && !is_link).then(|| f.id());
        // Copies count as added; renames are decided by `ChangeSet::moves_across` once the
        // policy is known.
        let is_all_added = matches!(kind, ChangeKind::Added | ChangeKind::Copied);
        let mut change = FileChange {
            old_path: matches!(kind, ChangeKind::Renamed | ChangeKind::Copied)
                .then(|| old_path.clone()),
            is_binary: is_submodule,
            hunks: Hunks::default(),
            is_all_added,
            head: LazyText::absent(path.as_str()),
            base: Arc::new(LazyText::absent(path.as_str())),
            path: path.into(),
            kind,
        };
        // A file that is all added needs no hunks (every line is new, as in an audit, which has
        // none either); making its patch loaded and split the blob once more, and most files of
        // a change are added ones (49 of 58 in HEAD~20 of the 11,629-file tree, #19). The others
        // get theirs in `collect` (a side that is not text) or on first use.
        if is_all_added || is_submodule {
            change.hunks = Hunks::known(Vec::new(), Vec::new());
        }
        pending.push(Pending {
            change,
            head_oid: oid(delta.new_file(), new_link),
            base_oid: oid(delta.old_file(), old_link),
            index,
        });
    }
    Ok(pending)
}

/// Loads both sides' text of each pending change (or marks it binary, absent or too large).
fn load_sides(
    repo: &Repository,
    diff: &git2::Diff<'_>,
    pending: Vec<Pending>,
    max_size: u64,
) -> Result<Vec<FileChange>, Error> {
    let mut files = Vec::new();
    for mut p in pending {
        let c = &mut p.change;
        // A file skipped for its size is reported as such (a run note), not silently as binary.
        let too_large = |oid: Option<Oid>| blob_size(repo, oid).is_some_and(|n| n > max_size);
        if too_large(p.head_oid) || too_large(p.base_oid) {
            c.is_binary = false;
        }
        if !c.is_binary {
            let head_name = c.path.clone();
            let base_name = c.old_path.clone().unwrap_or_else(|| c.path.to_string());
            c.head = LazyText::loaded(
                &head_name,
                load_blob(repo, p.head_oid, &head_name, max_size),
            );
            c.base = Arc::new(LazyText::loaded(
                &base_name,
                load_blob(repo, p.base_oid, &base_name, max_size),
            ));
            if matches!(c.head.peek(), Some(TextState::Binary))
                || matches!(c.base.peek(), Some(TextState::Binary))
            {
                c.is_binary = true;
            }
        } else {
            c.head = LazyText::loaded(
                &c.path,
                if p.head_oid.is_some() {
                    TextState::Binary
                } else {
                    TextState::Absent
                },
            );
            c.base = Arc::new(LazyText::loaded(
                &c.path,
                if p.base_oid.is_some() {
                    TextState::Binary
                } else {
                    TextState::Absent
                },
            ));
        }
        // Hunks on first use need both texts; a side that is not text (binary content, not
        // UTF-8, an LFS pointer) gets libgit2's patch now, as every file did before (#19).
        let is_text =
            |t: &LazyText| matches!(t.peek(), Some(TextState::Text(_) | TextState::Absent));
        let unreadable = |t: &LazyText| matches!(t.peek(), Some(TextState::Unreadable(_)));
        let unknown = !c.hunks.is_known();
        if unknown && (unreadable(&c.base) || unreadable(&c.head)) {
            // A blob the object store lacks (a partial clone, a damaged store): libgit2's patch
            // would fail the whole run on it, naming only the object. The side is noted with
            // its path instead (VER-01: the run is incomplete where a check needed it), and the
            // other files are checked. A readable head counts as all added: more to check,
            // never less.
            let added = match c.head.peek() {
                Some(TextState::Text(src)) if src.line_count() > 0 => {
                    std::iter::once(1..src.line_count() + 1).collect()
                }
                _ => Vec::new(),
            };
            c.hunks = Hunks::known(added, Vec::new());
        } else if unknown && !(is_text(&c.base) && is_text(&c.head)) {
            let patch = git2::Patch::from_diff(diff, p.index)
                .map_err(|e| Error::git("reading the diff", &e))?;
            let (added, removed) = match patch {
                Some(patch) => {
                    line_ranges(&patch).map_err(|e| Error::git("reading the diff", &e))?
                }
                None => LineRanges::default(),
            };
            c.hunks = Hunks::known(added, removed);
        }
        files.push(p.change);
    }
    Ok(files)
}
