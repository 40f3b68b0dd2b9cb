//! git2 helpers of the diff: blobs, sizes, gitlinks, revisions, merge bases and commit messages.

use super::*;

pub(crate) fn load_blob(
    repo: &Repository,
    oid: Option<Oid>,
    name: &str,
    max_size: u64,
) -> TextState {
    let Some(oid) = oid else {
        return TextState::Absent;
    };
    // The header gives the size without inflating the object: a 100 MB blob is never read.
    if let Some(size) = blob_size(repo, Some(oid)).filter(|&n| n > max_size) {
        return TextState::TooLarge(size);
    }
    match repo.find_blob(oid) {
        Ok(blob) => {
            if blob.size() as u64 > max_size {
                return TextState::TooLarge(blob.size() as u64);
            }
            decode(name, blob.content().to_vec(), max_size)
        }
        Err(e) => TextState::Unreadable(e.message().to_string()),
    }
}

/// What the base side of `mode` holds at `path`: the policy that judges a change is read from
/// there, never from the change itself.
#[derive(Debug)]
pub enum BaseFile {
    /// The mode has no base side (`--all`, or `--staged` before the first commit).
    NoBase,
    /// The base tree has no such file.
    Absent,
    /// The file's bytes, with the base commit's short id for citations.
    Bytes(Vec<u8>, String),
    /// The file is larger than the cap given.
    TooLarge(u64),
}

/// Reads `path` from the base side of `mode` (the merge base for `--base`, the range's start,
/// the commit's first parent, HEAD for `--staged`), refusing blobs over `max_size` by their
/// header. Errors resolving revisions are the same as [`collect`]'s.
pub fn base_blob(
    repo: &Repository,
    mode: &DiffMode,
    path: &str,
    max_size: u64,
) -> Result<BaseFile, Error> {
    let base: Option<Oid> = match mode {
        DiffMode::All => None,
        DiffMode::Staged => match repo.head() {
            Ok(h) => Some(
                h.peel_to_commit()
                    .map_err(|e| Error::git("reading HEAD's commit", &e))?
                    .id(),
            ),
            Err(e) if e.code() == git2::ErrorCode::UnbornBranch => None,
            Err(e) => return Err(Error::git("reading HEAD", &e)),
        },
        DiffMode::Base(b) => {
            let head = head_commit(repo)?;
            Some(resolve_merge_base(repo, &head, b.as_deref())?.0)
        }
        DiffMode::Range(spec) => {
            let Ok(revspec) = repo.revparse(spec) else {
                return Ok(BaseFile::NoBase);
            };
            match (revspec.from(), revspec.to()) {
                (Some(from), Some(to)) => {
                    let from = peel_commit(from, spec)?;
                    let to = peel_commit(to, spec)?;
                    Some(if revspec.mode().contains(git2::RevparseMode::MERGE_BASE) {
                        repo.merge_base(from, to)
                            .map_err(|e| no_merge_base(repo, spec, &e))?
                    } else {
                        from
                    })
                }
                _ => return Ok(BaseFile::NoBase),
            }
        }
        DiffMode::Commit(rev) => repo
            .revparse_single(rev)
            .ok()
            .and_then(|o| o.peel_to_commit().ok())
            .and_then(|c| c.parent_ids().next()),
    };
    let Some(base) = base else {
        return Ok(BaseFile::NoBase);
    };
    let tree = tree_of(repo, base)?;
    let Ok(entry) = tree.get_path(Path::new(path)) else {
        return Ok(BaseFile::Absent);
    };
    if entry.kind() != Some(git2::ObjectType::Blob) {
        return Ok(BaseFile::Absent);
    }
    if let Some(n) = blob_size(repo, Some(entry.id())).filter(|&n| n > max_size) {
        return Ok(BaseFile::TooLarge(n));
    }
    let blob = repo
        .find_blob(entry.id())
        .map_err(|e| Error::git(format!("reading {path} at {}", short(base)), &e))?;
    Ok(BaseFile::Bytes(blob.content().to_vec(), short(base)))
}

/// A blob's size from the object database header, without reading its content.
pub(crate) fn blob_size(repo: &Repository, oid: Option<Oid>) -> Option<u64> {
    let (size, _) = repo.odb().ok()?.read_header(oid?).ok()?;
    Some(size as u64)
}

pub(crate) fn path_str(p: Option<&Path>) -> String {
    p.map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_default()
}

pub(crate) fn short(oid: Oid) -> String {
    oid.to_string()[..7].to_string()
}

pub(crate) fn head_commit(repo: &Repository) -> Result<git2::Commit<'_>, Error> {
    let head = repo.head().map_err(|e| Error::Revision {
        rev: "HEAD".into(),
        message: e.message().to_string(),
        hint: "commit something first; for a first commit use `invlint check --staged` or `--all`"
            .into(),
    })?;
    head.peel_to_commit()
        .map_err(|e| Error::git("reading HEAD's commit", &e))
}

pub(crate) fn tree_of(repo: &Repository, commit: Oid) -> Result<git2::Tree<'_>, Error> {
    repo.find_commit(commit)
        .and_then(|c| c.tree())
        .map_err(|e| Error::git(format!("reading the tree of {}", short(commit)), &e))
}

pub(crate) fn peel_commit(obj: &git2::Object<'_>, spec: &str) -> Result<Oid, Error> {
    obj.peel_to_commit()
        .map(|c| c.id())
        .map_err(|e| Error::Revision {
            rev: spec.to_string(),
            message: e.message().to_string(),
            hint: "name commits, branches or tags".into(),
        })
}

pub(crate) fn resolve_merge_base(
    repo: &Repository,
    head: &git2::Commit<'_>,
    base: Option<&str>,
) -> Result<(Oid, String), Error> {
    let candidates: Vec<&str> = match base {
        Some(b) => vec![b],
        None => vec!["origin/HEAD", "main", "master"],
    };
    let mut resolved = None;
    for rev in &candidates {
        if let Ok(obj) = repo.revparse_single(rev) {
            if let Ok(c) = obj.peel_to_commit() {
                resolved = Some((c.id(), rev.to_string()));
                break;
            }
        }
    }
    let Some((base_id, label)) = resolved else {
        return Err(match base {
            Some(b) => Error::Revision {
                rev: b.to_string(),
                message: "no such branch, tag or commit".into(),
                hint: if repo.is_shallow() {
                    format!("this clone is shallow: fetch the base first (`git fetch --depth=1 origin {b}`), or use fetch-depth: 0 in actions/checkout")
                } else {
                    "check the name with `git rev-parse --verify <rev>`; remote branches are written origin/<name>".into()
                },
            },
            None => Error::Revision {
                rev: "origin/HEAD, main or master".into(),
                message: "none of the default base revisions exists".into(),
                hint: "name the base explicitly: `invlint check --base <rev>`; or use --staged, --range A..B or --all".into(),
            },
        });
    };
    let merge_base = repo
        .merge_base(head.id(), base_id)
        .map_err(|e| no_merge_base(repo, &label, &e))?;
    Ok((merge_base, label))
}

pub(crate) fn no_merge_base(repo: &Repository, base: &str, e: &git2::Error) -> Error {
    let shallow = repo.is_shallow();
    Error::NoMergeBase {
        base: base.to_string(),
        shallow: if shallow {
            " (this clone is shallow)".into()
        } else {
            String::new()
        },
        hint: if shallow {
            "the merge base is not in this shallow clone: deepen it (`git fetch --deepen=200` or `git fetch --unshallow`), or use `fetch-depth: 0` in actions/checkout".into()
        } else {
            format!("HEAD and `{base}` share no history ({}); pass a related base with --base, or use --range A..B", e.message())
        },
    }
}

/// Commit messages reachable from `to` and not from `from`, oldest first (capped at 500).
pub(crate) fn messages_between(repo: &Repository, from: Oid, to: Oid) -> Vec<String> {
    let Ok(mut walk) = repo.revwalk() else {
        return Vec::new();
    };
    if walk.push(to).is_err() || walk.hide(from).is_err() {
        return Vec::new();
    }
    let _ = walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::REVERSE);
    walk.filter_map(Result::ok)
        .take(500)
        .filter_map(|id| repo.find_commit(id).ok())
        .map(|c| String::from_utf8_lossy(c.message_bytes()).into_owned())
        .collect()
}
