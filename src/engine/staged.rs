//! `check --staged` without loading the whole index into libgit2.
//!
//! libgit2 reads every index entry into a hash map, verifies the SHA-1 of the whole index file and
//! walks the whole HEAD tree to diff it against the index: ~50 ms on a 20k-file repository, ~150
//! ms on 100k, for a pre-commit hook that usually stages one file. git answers the same question in
//! a few milliseconds because it trusts the index checksum and uses the index's cache-tree
//! extension (`TREE`: the tree id each directory would have) to skip every subtree whose id still
//! matches HEAD's.
//!
//! This module does what git does: it reads `.git/index` itself (versions 2 to 4, entries and the
//! `TREE` extension), walks HEAD's tree only into directories whose cache-tree entry is missing
//! or differs, and returns the changed entries on each side as two small in-memory indexes, which
//! libgit2 then diffs (`diff_index_to_index`), so hunks, binary detection and rename detection
//! are libgit2's as before. Anything unusual (conflicts, intent-to-add or skip-worktree entries,
//! an unknown version or extension layout, an unborn HEAD) returns `None` and the caller falls
//! back to libgit2's full diff. A split or sparse index, which libgit2 cannot read either, is an
//! error naming the git command that turns it into a plain one ([`unsupported_feature`]).
//! `INVLINT_FULL_INDEX=1` forces the fallback.
//!
//! The file is input like any other: every read is bounds-checked, the cache-tree is read to a
//! bounded depth, and entry modes are canonicalised as git does (a mode git does not name is a
//! regular file), so no index makes this reader or libgit2's diff panic.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use git2::{Index, IndexEntry, IndexTime, Oid, Repository, Tree};

/// One index or tree entry: path, mode and blob id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry<'a> {
    /// Repository-relative path, `/`-separated: borrowed from the index file where it is
    /// written whole (versions 2 and 3), so reading 20k entries allocates no path (#19).
    pub path: Cow<'a, [u8]>,
    /// Git file mode (0o100644, 0o100755, 0o120000, 0o160000).
    pub mode: u32,
    /// Blob (or commit, for a gitlink) id.
    pub oid: Oid,
}

/// The parsed index: entries in index order and the valid cache-tree ids by directory.
#[derive(Debug, Default)]
pub struct ParsedIndex<'a> {
    /// Stage-0 entries, sorted by path as git keeps them.
    pub entries: Vec<Entry<'a>>,
    /// Directory path (`""` for the root) -> the tree id the index would write for it, for the
    /// directories whose cache-tree entry is valid.
    pub trees: HashMap<Vec<u8>, Oid>,
}

/// The changed entries of the index against HEAD: HEAD's side (deleted or modified paths) and
/// the index's side (added or modified paths), as in-memory indexes for `diff_index_to_index`.
/// `index_file` is the index to compare (see [`index_path`]).
pub fn staged_indexes(
    repo: &Repository,
    head: &Tree<'_>,
    index_file: &std::path::Path,
) -> Option<(Index, Index)> {
    if std::env::var_os("INVLINT_FULL_INDEX").is_some() {
        return None;
    }
    let bytes = std::fs::read(index_file).ok()?;
    let parsed = parse(&bytes)?;
    let (old, new) = changes(repo, head, &parsed)?;
    Some((to_index(&old)?, to_index(&new)?))
}

/// The index file `check --staged` compares with HEAD: `$GIT_INDEX_FILE` when set (git sets it
/// for hooks: under `git commit -a` or `git commit <paths>` the hook must see the temporary
/// index that will be committed, not `.git/index`), else the repository's `index`. A relative
/// value is taken from the work tree root, where git runs hooks.
pub fn index_path(repo: &Repository) -> std::path::PathBuf {
    match std::env::var_os("GIT_INDEX_FILE").filter(|v| !v.is_empty()) {
        Some(v) => {
            let p = std::path::PathBuf::from(v);
            if p.is_absolute() {
                p
            } else {
                repo.workdir().unwrap_or_else(|| repo.path()).join(p)
            }
        }
        None => repo.path().join("index"),
    }
}

fn to_index(entries: &[Entry<'_>]) -> Option<Index> {
    let mut index = Index::new().ok()?;
    for e in entries {
        let t = IndexTime::new(0, 0);
        index
            .add(&IndexEntry {
                ctime: t,
                mtime: t,
                dev: 0,
                ino: 0,
                mode: e.mode,
                uid: 0,
                gid: 0,
                file_size: 0,
                id: e.oid,
                flags: 0,
                flags_extended: 0,
                path: e.path.to_vec(),
            })
            .ok()?;
    }
    Some(index)
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

/// git's offset varint (`decode_varint` in varint.c), used by index v4 path compression.
fn varint(b: &[u8], pos: &mut usize) -> Option<usize> {
    let mut c = *b.get(*pos)?;
    *pos += 1;
    let mut val = usize::from(c & 127);
    while c & 128 != 0 {
        val = val.checked_add(1)?;
        if val >> (usize::BITS - 7) != 0 {
            return None;
        }
        c = *b.get(*pos)?;
        *pos += 1;
        val = (val << 7) + usize::from(c & 127);
    }
    Some(val)
}

/// Deepest cache-tree nesting read. Deeper nesting cannot come from a real work tree (paths
/// are limited to 4096 bytes); past it the `TREE` extension is ignored (every directory is then
/// compared with HEAD, which is slower but exact) instead of recursing without bound.
const MAX_TREE_DEPTH: usize = 2048;

/// Longest cache-tree directory path read (git's own `PATH_MAX`), for the same reason.
const MAX_TREE_PATH: usize = 4096;

/// An index feature neither this reader nor libgit2 reads, with the command that removes it.
pub fn unsupported_feature(index_file: &std::path::Path) -> Option<(&'static str, &'static str)> {
    use std::io::Read;
    // An index is read whole by git too, but a hostile path could name anything: cap the read.
    let mut bytes = Vec::new();
    std::fs::File::open(index_file)
        .ok()?
        .take(1 << 30)
        .read_to_end(&mut bytes)
        .ok()?;
    let mut features = Vec::new();
    let _ = scan(&bytes, &mut features);
    if features.contains(&"link") {
        Some((
            "a split index (`core.splitIndex`)",
            "run `git update-index --no-split-index` (and `git config core.splitIndex false`)",
        ))
    } else if features.contains(&"sdir") {
        Some((
            "a sparse index (`index.sparse`)",
            "run `git sparse-checkout init --no-sparse-index` to write a full index",
        ))
    } else {
        None
    }
}

/// git's mode canonicalisation (`canon_mode`): any regular file is 100644 or 100755, and a type
/// git does not know is read as a regular file (libgit2's `normalize_filemode` does the same for
/// tree entries, so both sides compare equal).
fn canon_mode(mode: u32) -> u32 {
    match mode & 0o170000 {
        0o120000 => 0o120000,
        0o160000 => 0o160000,
        0o040000 => 0o040000,
        _ if mode & 0o111 != 0 => 0o100755,
        _ => 0o100644,
    }
}

/// Parses an index file (versions 2, 3 and 4). `None` for anything this fast path does not
/// handle: the caller then lets libgit2 read the index.
pub fn parse(b: &[u8]) -> Option<ParsedIndex<'_>> {
    scan(b, &mut Vec::new())
}

/// [`parse`], noting the extensions that made it give up (`link`, `sdir`) in `features`.
fn scan<'a>(b: &'a [u8], features: &mut Vec<&'static str>) -> Option<ParsedIndex<'a>> {
    if b.len() < 12 + 20 || &b[..4] != b"DIRC" {
        return None;
    }
    let version = be32(b, 4)?;
    if !(2..=4).contains(&version) {
        return None;
    }
    let count = be32(b, 8)? as usize;
    let end = b.len() - 20; // trailing checksum
    let mut pos = 12;
    let mut entries: Vec<Entry<'a>> = Vec::with_capacity(count.min(end / 62));
    // Entries this reader leaves to libgit2 are still stepped over, so the extensions after
    // them can say which feature the index uses (see `unsupported_feature`).
    let mut give_up = false;
    for _ in 0..count {
        let start = pos;
        let mode = be32(b, pos + 24)?;
        let oid = Oid::from_bytes(b.get(pos + 40..pos + 60)?).ok()?;
        let flags = be16(b, pos + 60)?;
        let header = if flags & 0x4000 != 0 && version >= 3 {
            // Extended flags: intent-to-add or skip-worktree. Let libgit2 handle those.
            give_up = true;
            64
        } else {
            62
        };
        let mut p = pos + header;
        if (flags >> 12) & 3 != 0 {
            give_up = true; // a conflict (stage 1-3)
        }
        let path = if version == 4 {
            let strip = varint(b, &mut p)?;
            let nul = p + memchr::memchr(0, b.get(p..end)?)?;
            let prev: &[u8] = entries.last().map_or(&[], |e| &e.path);
            let keep = prev.len().checked_sub(strip)?;
            let mut path = prev[..keep].to_vec();
            path.extend_from_slice(&b[p..nul]);
            pos = nul + 1;
            Cow::Owned(path)
        } else {
            let nul = p + memchr::memchr(0, b.get(p..end)?)?;
            let path = &b[p..nul];
            // Entries are padded with 1-8 NULs to a multiple of 8 bytes.
            pos = start + ((header + path.len() + 8) & !7);
            Cow::Borrowed(path)
        };
        if pos > end {
            return None; // truncated
        }
        if mode & 0o170000 == 0o040000 {
            features.push("sdir"); // a sparse-index directory entry
            give_up = true;
        }
        if entries.last().is_some_and(|e| e.path > path) || path.is_empty() {
            give_up = true; // not sorted, or a split index's replaced entry
        }
        entries.push(Entry {
            path,
            mode: canon_mode(mode),
            oid,
        });
    }
    // A file and a directory of one name (`a/b` and `a/b/c`) cannot come from git, and libgit2
    // may leave the cache-tree claiming the directory unchanged: refuse such an index. Sorted
    // order puts `a/b/...` after `a/b` and any `a/b<byte below '/'>...` names, so one short
    // forward look per entry finds it.
    for (i, e) in entries.iter().enumerate() {
        for next in &entries[i + 1..] {
            if !next.path.starts_with(&e.path) {
                break;
            }
            match next.path.get(e.path.len()) {
                Some(b'/') => return None,
                Some(&c) if c < b'/' => continue,
                _ => break,
            }
        }
    }
    let mut trees = HashMap::new();
    while pos + 8 <= end {
        let sig = &b[pos..pos + 4];
        let size = be32(b, pos + 4)? as usize;
        let stop = (pos + 8).checked_add(size).filter(|&e| e <= end)?;
        let data = &b[pos + 8..stop];
        match sig {
            b"TREE" => {
                let mut at = 0;
                while at < data.len() {
                    if tree_node(data, &mut at, &[], 0, &mut trees)?.is_err() {
                        // Too deep: not an index git wrote for a real tree. Without the
                        // cache-tree every directory is compared, which stays exact.
                        trees.clear();
                        break;
                    }
                }
            }
            // Split index (entries live in another file) and sparse index: not handled here.
            b"link" => {
                features.push("link");
                return None;
            }
            b"sdir" => {
                features.push("sdir");
                return None;
            }
            // Optional extensions start with an upper-case letter; a lower-case one we do not
            // know changes how the index must be read.
            s if !s[0].is_ascii_uppercase() => return None,
            _ => {}
        }
        pos += 8 + size;
    }
    if give_up {
        return None;
    }
    Some(ParsedIndex { entries, trees })
}

/// One cache-tree node and its subtrees (pre-order), recording valid ones under their full path.
/// `Some(Err(()))` when nested deeper than [`MAX_TREE_DEPTH`].
fn tree_node(
    d: &[u8],
    at: &mut usize,
    prefix: &[u8],
    depth: usize,
    out: &mut HashMap<Vec<u8>, Oid>,
) -> Option<Result<(), ()>> {
    if depth > MAX_TREE_DEPTH {
        return Some(Err(()));
    }
    let nul = *at + d.get(*at..)?.iter().position(|&c| c == 0)?;
    let name = &d[*at..nul];
    *at = nul + 1;
    let sp = *at + d.get(*at..)?.iter().position(|&c| c == b' ')?;
    let count: i64 = std::str::from_utf8(&d[*at..sp]).ok()?.parse().ok()?;
    *at = sp + 1;
    let lf = *at + d.get(*at..)?.iter().position(|&c| c == b'\n')?;
    let subtrees: usize = std::str::from_utf8(&d[*at..lf]).ok()?.parse().ok()?;
    *at = lf + 1;
    let mut path = prefix.to_vec();
    if !name.is_empty() {
        if !path.is_empty() {
            path.push(b'/');
        }
        path.extend_from_slice(name);
    }
    if path.len() > MAX_TREE_PATH {
        return Some(Err(())); // no real directory has such a path; stop copying it deeper
    }
    if count >= 0 {
        let oid = Oid::from_bytes(d.get(*at..*at + 20)?).ok()?;
        *at += 20;
        out.insert(path.clone(), oid);
    }
    for _ in 0..subtrees {
        if tree_node(d, at, &path, depth + 1, out)?.is_err() {
            return Some(Err(()));
        }
    }
    Some(Ok(()))
}

/// What a name in a directory is, on one side.
enum Side<'a, D> {
    File(Entry<'a>),
    /// A directory: on the index side, the range of entries under it; on HEAD's, its tree id.
    Dir(D),
}

/// Compares the index with HEAD's tree; returns (HEAD side, index side) of the changed paths.
pub fn changes<'a>(
    repo: &Repository,
    head: &Tree<'_>,
    idx: &ParsedIndex<'a>,
) -> Option<(Vec<Entry<'a>>, Vec<Entry<'a>>)> {
    let mut old = Vec::new();
    let mut new = Vec::new();
    walk(
        repo,
        &[],
        head,
        idx,
        0..idx.entries.len(),
        &mut old,
        &mut new,
    )?;
    Some((old, new))
}

fn join(dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut p = dir.to_vec();
    if !p.is_empty() {
        p.push(b'/');
    }
    p.extend_from_slice(name);
    p
}

#[allow(clippy::too_many_arguments)]
fn walk<'a>(
    repo: &Repository,
    dir: &[u8],
    tree: &Tree<'_>,
    idx: &ParsedIndex<'a>,
    range: std::ops::Range<usize>,
    old: &mut Vec<Entry<'a>>,
    new: &mut Vec<Entry<'a>>,
) -> Option<()> {
    if idx.trees.get(dir) == Some(&tree.id()) {
        return Some(()); // the cache-tree says this directory is unchanged
    }
    let skip = if dir.is_empty() { 0 } else { dir.len() + 1 };
    // The index side: names directly under `dir`, files or directory ranges (entries under one
    // directory are contiguous in the sorted index).
    let mut index_side: BTreeMap<&[u8], Side<std::ops::Range<usize>>> = BTreeMap::new();
    let mut i = range.start;
    while i < range.end {
        let rest = idx.entries[i].path.get(skip..)?;
        match rest.iter().position(|&c| c == b'/') {
            None => {
                if index_side
                    .insert(rest, Side::File(idx.entries[i].clone()))
                    .is_some()
                {
                    return None; // a file and a directory of one name: let libgit2 judge
                }
                i += 1;
            }
            Some(slash) => {
                let name = &rest[..slash];
                let mut j = i + 1;
                while j < range.end {
                    let r = idx.entries[j].path.get(skip..)?;
                    if r.len() > slash && &r[..slash] == name && r[slash] == b'/' {
                        j += 1;
                    } else {
                        break;
                    }
                }
                if index_side.insert(name, Side::Dir(i..j)).is_some() {
                    return None;
                }
                i = j;
            }
        }
    }
    let mut head_side: BTreeMap<Vec<u8>, Side<Oid>> = BTreeMap::new();
    for e in tree.iter() {
        let name = e.name_bytes().to_vec();
        if e.kind() == Some(git2::ObjectType::Tree) {
            head_side.insert(name, Side::Dir(e.id()));
        } else {
            head_side.insert(
                name.clone(),
                Side::File(Entry {
                    path: Cow::Owned(join(dir, &name)),
                    mode: u32::try_from(e.filemode()).ok()?,
                    oid: e.id(),
                }),
            );
        }
    }
    let mut names: Vec<Vec<u8>> = head_side.keys().cloned().collect();
    names.extend(index_side.keys().map(|k| k.to_vec()));
    names.sort();
    names.dedup();
    for name in names {
        let path = join(dir, &name);
        match (head_side.get(&name), index_side.get(name.as_slice())) {
            (Some(Side::File(h)), Some(Side::File(n))) => {
                if h.oid != n.oid || h.mode != n.mode {
                    old.push(h.clone());
                    new.push(n.clone());
                }
            }
            (Some(Side::File(h)), None) => old.push(h.clone()),
            (None, Some(Side::File(n))) => new.push(n.clone()),
            (Some(Side::Dir(id)), Some(Side::Dir(r))) => {
                let sub = repo.find_tree(*id).ok()?;
                walk(repo, &path, &sub, idx, r.clone(), old, new)?;
            }
            (Some(Side::Dir(id)), other) => {
                let sub = repo.find_tree(*id).ok()?;
                all_blobs(repo, &path, &sub, old)?;
                if let Some(Side::File(n)) = other {
                    new.push(n.clone());
                }
            }
            (other, Some(Side::Dir(r))) => {
                if let Some(Side::File(h)) = other {
                    old.push(h.clone());
                }
                new.extend(idx.entries[r.clone()].iter().cloned());
            }
            (None, None) => {}
        }
    }
    Some(())
}

/// Every blob under a HEAD tree (a directory the index no longer has).
fn all_blobs(
    repo: &Repository,
    dir: &[u8],
    tree: &Tree<'_>,
    out: &mut Vec<Entry<'_>>,
) -> Option<()> {
    for e in tree.iter() {
        let path = join(dir, e.name_bytes());
        if e.kind() == Some(git2::ObjectType::Tree) {
            let sub = repo.find_tree(e.id()).ok()?;
            all_blobs(repo, &path, &sub, out)?;
        } else {
            out.push(Entry {
                path: Cow::Owned(path),
                mode: u32::try_from(e.filemode()).ok()?,
                oid: e.id(),
            });
        }
    }
    Some(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn varints_decode_as_git_writes_them() {
        let mut p = 0;
        assert_eq!(varint(&[0x05], &mut p), Some(5));
        let mut p = 0;
        // 128 is written as 0x80 0x00 in git's offset encoding.
        assert_eq!(varint(&[0x80, 0x00], &mut p), Some(128));
        assert_eq!(p, 2);
        let mut p = 0;
        assert_eq!(varint(&[0x80], &mut p), None);
    }

    #[test]
    fn garbage_is_not_an_index() {
        assert!(parse(b"").is_none());
        assert!(parse(&[0u8; 64]).is_none());
        let mut b = b"DIRC".to_vec();
        b.extend_from_slice(&9u32.to_be_bytes());
        b.extend_from_slice(&0u32.to_be_bytes());
        b.extend_from_slice(&[0; 20]);
        assert!(parse(&b).is_none(), "version 9");
        let mut b = b"DIRC".to_vec();
        b.extend_from_slice(&2u32.to_be_bytes());
        b.extend_from_slice(&3u32.to_be_bytes()); // says 3 entries, has none
        b.extend_from_slice(&[0; 20]);
        assert!(parse(&b).is_none(), "truncated");
    }

    /// A small deterministic generator (no dependency, same cases on every machine).
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self, n: usize) -> usize {
            self.0 = self
                .0
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((self.0 >> 33) as usize) % n
        }
    }

    const DIRS: &[&str] = &["", "a", "a/b", "a/b/c", "a.b", "a-b", "d", "e/f", "e/f/g"];
    const NAMES: &[&str] = &["x.rs", "y.ts", "z.md", "b", "c", "w.sql"];

    fn path(rng: &mut Lcg) -> String {
        let dir = DIRS[rng.next(DIRS.len())];
        let name = NAMES[rng.next(NAMES.len())];
        if dir.is_empty() {
            name.to_string()
        } else {
            format!("{dir}/{name}")
        }
    }

    /// Commits `index`'s tree as HEAD's first commit, with a fixed author and date (a test's repository;
    /// shared with `head_tree`'s tests).
    pub(crate) fn commit_index(repo: &Repository, index: &mut Index, message: &str) {
        let tree_id = index.write_tree().unwrap();
        let sig = git2::Signature::new("t", "t@example.invalid", &git2::Time::new(0, 0)).unwrap();
        let tree = repo.find_tree(tree_id).unwrap();
        repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &[])
            .unwrap();
    }

    /// Adds `path` with `text` to `index` (a test's index; shared with `head_tree`'s tests).
    pub(crate) fn add(index: &mut Index, path: &str, mode: u32, text: &str) {
        let t = IndexTime::new(0, 0);
        let e = IndexEntry {
            ctime: t,
            mtime: t,
            dev: 0,
            ino: 0,
            mode,
            uid: 0,
            gid: 0,
            file_size: 0,
            id: Oid::zero(),
            flags: 0,
            flags_extended: 0,
            path: path.as_bytes().to_vec(),
        };
        // A path that is a file on one side and a directory on the other is refused by libgit2
        // (as by git): skip it, the other cases cover the typechange.
        let _ = index.add_frombuffer(&e, text.as_bytes());
    }

    /// (status, old path, new path, old id, new id) of every delta, renames detected.
    fn deltas(mut diff: git2::Diff<'_>) -> Vec<String> {
        let mut find = git2::DiffFindOptions::new();
        find.renames(true).rename_threshold(50);
        diff.find_similar(Some(&mut find)).unwrap();
        let mut out: Vec<String> = diff
            .deltas()
            .map(|d| {
                format!(
                    "{:?} {:?} {:?} {} {} {:o} {:o}",
                    d.status(),
                    d.old_file().path(),
                    d.new_file().path(),
                    d.old_file().id(),
                    d.new_file().id(),
                    u32::from(d.old_file().mode()),
                    u32::from(d.new_file().mode()),
                )
            })
            .collect();
        out.sort();
        out
    }

    /// The fast path and libgit2's full index diff agree on random staged changes: edits,
    /// deletions, additions in new and old directories, mode changes, whole directories added
    /// or removed, file <-> directory swaps, index versions 2 and 4, with and without a valid
    /// cache-tree.
    #[test]
    fn fast_staged_diff_equals_libgit2_full_diff() {
        let (mut pruned, mut refused) = (0, 0);
        for seed in 0..80u64 {
            let mut rng = Lcg(seed);
            let tmp = tempfile::tempdir().unwrap();
            let repo = Repository::init(tmp.path()).unwrap();
            let mut index = repo.index().unwrap();
            for i in 0..(5 + rng.next(25)) {
                let p = path(&mut rng);
                add(
                    &mut index,
                    &p,
                    0o100644,
                    &format!("base {i} of {p}\nline\n"),
                );
            }
            commit_index(&repo, &mut index, "base");
            if seed % 3 != 0 {
                index.write().unwrap(); // with a valid cache-tree
            }
            let existing: Vec<String> = index
                .iter()
                .map(|e| String::from_utf8(e.path).unwrap())
                .collect();
            for _ in 0..rng.next(6) {
                match rng.next(5) {
                    0 if !existing.is_empty() => {
                        let p = &existing[rng.next(existing.len())];
                        add(&mut index, p, 0o100644, &format!("edited {seed}\n"));
                    }
                    1 if !existing.is_empty() => {
                        let p = &existing[rng.next(existing.len())];
                        let _ = index.remove_path(std::path::Path::new(p));
                    }
                    2 if !existing.is_empty() => {
                        let p = &existing[rng.next(existing.len())];
                        add(&mut index, p, 0o100755, &format!("base of {p}\n"));
                    }
                    3 if !existing.is_empty() => {
                        let dir = DIRS[1 + rng.next(DIRS.len() - 1)];
                        let _ = index.remove_dir(std::path::Path::new(dir), 0);
                    }
                    _ => {
                        let p = format!("new{}/{}", rng.next(3), path(&mut rng));
                        add(&mut index, &p, 0o100644, "new file\n");
                    }
                }
            }
            if seed % 2 == 0 {
                index.set_version(4).unwrap();
            }
            index.write().unwrap();

            let head = repo.head().unwrap().peel_to_tree().unwrap();
            let bytes = std::fs::read(repo.path().join("index")).unwrap();
            let names: Vec<Vec<u8>> = index.iter().map(|e| e.path).collect();
            let file_and_dir = names.iter().any(|a| {
                names
                    .iter()
                    .any(|b| b.len() > a.len() && b.starts_with(a) && b[a.len()] == b'/')
            });
            let Some(parsed) = parse(&bytes) else {
                // Only an index holding a file and a directory of one name may be refused.
                assert!(
                    file_and_dir,
                    "seed {seed}: the parser refused a plain index"
                );
                refused += 1;
                continue;
            };
            assert!(!file_and_dir, "seed {seed}");
            assert_eq!(parsed.entries.len(), index.len(), "seed {seed}");
            if parsed.trees.contains_key(&b""[..]) || parsed.trees.len() > 1 {
                pruned += 1;
            }
            let (old, new) = staged_indexes(&repo, &head, &repo.path().join("index"))
                .expect("fast path applies");
            let fast = deltas(repo.diff_index_to_index(&old, &new, None).unwrap());
            let full_index = repo.index().unwrap();
            let full = deltas(
                repo.diff_tree_to_index(Some(&head), Some(&full_index), None)
                    .unwrap(),
            );
            assert_eq!(fast, full, "seed {seed}");
        }
        assert!(
            pruned > 10,
            "cache-tree pruning exercised in {pruned} cases"
        );
        assert!(refused < 20, "{refused} of 80 cases fell back");
    }

    #[test]
    fn conflicts_fall_back_to_libgit2() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = Repository::init(tmp.path()).unwrap();
        let mut index = repo.index().unwrap();
        add(&mut index, "a.rs", 0o100644, "x\n");
        commit_index(&repo, &mut index, "base");
        let blob = repo.blob(b"theirs\n").unwrap();
        let t = IndexTime::new(0, 0);
        let entry = |stage: u16| IndexEntry {
            ctime: t,
            mtime: t,
            dev: 0,
            ino: 0,
            mode: 0o100644,
            uid: 0,
            gid: 0,
            file_size: 0,
            id: blob,
            flags: stage << 12,
            flags_extended: 0,
            path: b"a.rs".to_vec(),
        };
        index.add(&entry(2)).unwrap();
        index.add(&entry(3)).unwrap();
        index.write().unwrap();
        let head = repo.head().unwrap().peel_to_tree().unwrap();
        assert!(staged_indexes(&repo, &head, &repo.path().join("index")).is_none());
    }
}
