//! Throwaway git repositories for the demo and the fixture tests: commit a base tree on `main`,
//! then a head tree on `pr` (or only stage it), with a fixed author, committer and date, and
//! without reading the user's git configuration.

use std::path::{Path, PathBuf};

use git2::{IndexAddOption, Repository, RepositoryInitOptions, Signature, Time};

use crate::engine::error::Error;

/// A file to write: repository-relative path and bytes.
pub type TreeFile = (String, Vec<u8>);

/// What to do with the head tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadAs {
    /// Commit it on branch `pr` (HEAD), leaving `main` at the base.
    Commit,
    /// Write and stage it on `main`, uncommitted (pre-commit).
    Stage,
}

/// Reads every file under `dir` (recursively), sorted by path.
pub fn read_tree(dir: &Path) -> Result<Vec<TreeFile>, Error> {
    let mut out = Vec::new();
    if dir.is_dir() {
        collect(dir, dir, &mut out)?;
    }
    out.sort();
    Ok(out)
}

fn collect(root: &Path, dir: &Path, out: &mut Vec<TreeFile>) -> Result<(), Error> {
    let io = |e| Error::Io {
        context: format!("reading fixture tree {}", dir.display()),
        source: e,
    };
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let path = entry.path();
        if path.is_dir() {
            collect(root, &path, out)?;
        } else {
            let rel = path
                .strip_prefix(root)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            let bytes = std::fs::read(&path).map_err(|e| Error::Io {
                context: format!("reading {}", path.display()),
                source: e,
            })?;
            out.push((rel, bytes));
        }
    }
    Ok(())
}

fn signature() -> Signature<'static> {
    Signature::new(
        "invlint fixtures",
        "fixtures@invlint.invalid",
        &Time::new(1_767_225_600, 0),
    )
    .expect("a fixed ASCII name and email are a valid signature")
}

fn git(context: &str) -> impl Fn(git2::Error) -> Error + '_ {
    move |e| Error::git(context, &e)
}

fn write_files(workdir: &Path, files: &[TreeFile]) -> Result<(), Error> {
    for (rel, bytes) in files {
        let path = workdir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::Io {
                context: format!("creating {}", parent.display()),
                source: e,
            })?;
        }
        std::fs::write(&path, bytes).map_err(|e| Error::Io {
            context: format!("writing {}", path.display()),
            source: e,
        })?;
    }
    Ok(())
}

fn clear_workdir(workdir: &Path) -> Result<(), Error> {
    let entries = std::fs::read_dir(workdir).map_err(|e| Error::Io {
        context: format!("listing {}", workdir.display()),
        source: e,
    })?;
    for entry in entries.flatten() {
        if entry.file_name() == ".git" {
            continue;
        }
        let p = entry.path();
        let r = if p.is_dir() {
            std::fs::remove_dir_all(&p)
        } else {
            std::fs::remove_file(&p)
        };
        r.map_err(|e| Error::Io {
            context: format!("removing {}", p.display()),
            source: e,
        })?;
    }
    Ok(())
}

fn stage_all(repo: &Repository) -> Result<git2::Oid, Error> {
    let mut index = repo.index().map_err(git("opening the index"))?;
    index.clear().map_err(git("clearing the index"))?;
    index
        .add_all(["*"], IndexAddOption::DEFAULT | IndexAddOption::FORCE, None)
        .map_err(git("staging files"))?;
    index.write().map_err(git("writing the index"))?;
    index.write_tree().map_err(git("writing a tree"))
}

/// Creates a repository in `dir` with `base` committed on `main` and `head` committed on `pr`
/// (HEAD) or staged, according to `head_as`. Returns the work-tree path.
pub fn build(
    dir: &Path,
    base: &[TreeFile],
    head: &[TreeFile],
    head_as: HeadAs,
    head_message: &str,
) -> Result<PathBuf, Error> {
    let mut init = RepositoryInitOptions::new();
    init.initial_head("main").no_reinit(true);
    let repo = Repository::init_opts(dir, &init).map_err(git("creating a scratch repository"))?;
    let workdir = dir.to_path_buf();
    let sig = signature();

    write_files(&workdir, base)?;
    let tree_id = stage_all(&repo)?;
    let tree = repo
        .find_tree(tree_id)
        .map_err(git("reading the base tree"))?;
    let base_commit = repo
        .commit(
            Some("HEAD"),
            &sig,
            &sig,
            "base: merge base of the change",
            &tree,
            &[],
        )
        .map_err(git("committing the base"))?;

    clear_workdir(&workdir)?;
    write_files(&workdir, head)?;
    let head_tree_id = stage_all(&repo)?;
    if head_as == HeadAs::Commit {
        let parent = repo
            .find_commit(base_commit)
            .map_err(git("reading the base"))?;
        let head_tree = repo
            .find_tree(head_tree_id)
            .map_err(git("reading the head tree"))?;
        repo.commit(
            Some("refs/heads/pr"),
            &sig,
            &sig,
            head_message,
            &head_tree,
            &[&parent],
        )
        .map_err(git("committing the head"))?;
        repo.set_head("refs/heads/pr")
            .map_err(git("switching to pr"))?;
    }
    Ok(workdir)
}

/// Creates a repository in `dir` and commits each `(message, tree)` in turn on `main`, the first
/// as the root commit, each tree replacing the previous one whole. Returns the work-tree path and
/// the commit IDs, oldest first. Same author, committer and date as `build`, so the IDs are
/// stable.
pub fn build_history(
    dir: &Path,
    commits: &[(&str, Vec<TreeFile>)],
) -> Result<(PathBuf, Vec<git2::Oid>), Error> {
    let mut init = RepositoryInitOptions::new();
    init.initial_head("main").no_reinit(true);
    let repo = Repository::init_opts(dir, &init).map_err(git("creating a scratch repository"))?;
    let workdir = dir.to_path_buf();
    let sig = signature();
    let mut ids = Vec::new();
    for (message, files) in commits {
        clear_workdir(&workdir)?;
        write_files(&workdir, files)?;
        let tree_id = stage_all(&repo)?;
        let tree = repo.find_tree(tree_id).map_err(git("reading a tree"))?;
        let parent = match ids.last() {
            Some(&id) => Some(repo.find_commit(id).map_err(git("reading the parent"))?),
            None => None,
        };
        let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
        let id = repo
            .commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
            .map_err(git("committing"))?;
        ids.push(id);
    }
    Ok((workdir, ids))
}
