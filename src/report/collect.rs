//! Reading the window's history and evaluating each commit, in parallel, with a cache.
//!
//! The history is the branch's first-parent chain (the commits that landed on it: merge commits
//! of pull requests, or squashed commits), filtered to committer dates in the window. Each commit
//! is evaluated as the dry run does ([`crate::dryrun`]): against its first parent, with its own
//! message as the pull-request description, under one policy; "today" for inline suppressions'
//! `until` is the commit's own committer day, so a result depends only on the commit and the
//! policy.
//!
//! The cache keeps one JSON file per commit under `$XDG_CACHE_HOME/invlint/report-v1/` (else
//! `~/.cache/invlint/report-v1/`), named by a SHA-1 of the commit ID, the policy text, the
//! invlint version and the options that change results. A file is used only when it parses and
//! names the same key and commit; anything else (truncated, edited, foreign) is ignored and
//! rewritten. Files are written to a temporary name and renamed, so readers never see half a
//! file. A cache inside the checked repository is refused.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use git2::{Delta, ObjectType, Oid, Repository};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{
    CommitEval, CommitInfo, Day, FindingRec, LegacyDeletion, Mitigation, ReportOptions,
    SuppressionRec,
};
use crate::engine::config::Config;
use crate::engine::diff::DiffMode;
use crate::engine::error::Error;
use crate::engine::render::repo_path;
use crate::{CheckOptions, Gate};

/// The first-parent commits of `branch` whose committer day is in `since..=until`, oldest
/// first.
pub fn history(
    repo: &Repository,
    branch: &str,
    since: Day,
    until: Option<Day>,
) -> Result<Vec<CommitInfo>, Error> {
    let bad = |e: git2::Error| Error::Revision {
        rev: branch.to_string(),
        message: e.message().to_string(),
        hint: "name the branch whose history to report on (`--branch main`)".into(),
    };
    let mut commit = repo
        .revparse_single(branch)
        .and_then(|o| o.peel_to_commit())
        .map_err(bad)?;
    let mut out = Vec::new();
    loop {
        let time = commit.committer().when().seconds();
        let day = Day::of_unix(time);
        if day >= since && until.is_none_or(|u| day <= u) {
            let message = String::from_utf8_lossy(commit.message_bytes()).into_owned();
            let subject = message
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .unwrap_or("(no message)")
                .to_string();
            let id = commit.id().to_string();
            out.push(CommitInfo {
                short: id[..9].to_string(),
                id,
                subject,
                message,
                time,
            });
        }
        // First-parent history is read whole: committer dates are not monotonic (rebases,
        // clock skew), and the chain is cheap to walk.
        match commit.parent(0) {
            Ok(p) => commit = p,
            Err(_) => break,
        }
    }
    out.reverse();
    Ok(out)
}

/// The default cache directory: `$XDG_CACHE_HOME/invlint`, else `$HOME/.cache/invlint`.
pub fn default_cache_dir() -> Option<PathBuf> {
    let non_empty = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    non_empty("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| non_empty("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .map(|d| d.join("invlint"))
}

/// Evaluates every commit of `infos` (in parallel, `opts.threads` at once), in order.
pub fn evaluate(
    opts: &ReportOptions,
    root: &Path,
    config: &Arc<Config>,
    infos: &[CommitInfo],
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Vec<CommitEval>, Error> {
    let threads = if opts.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        opts.threads
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .stack_size(crate::WORKER_STACK)
        .build()
        .map_err(|e| Error::Usage {
            message: format!("cannot start {threads} worker threads: {e}"),
            hint: "pass a smaller -j/--threads".into(),
        })?;
    let cache = opts.cache.as_deref().and_then(|c| Cache::open(c, root));
    // Each worker keeps its repository open from one commit to the next (`check_with_repo`
    // hands it back): neighbouring commits share most trees and blobs, and a repository
    // opened per commit would inflate each of them, and the delta chains under them, again.
    // libgit2 caches commits and trees up to 4 KiB and no blobs by default; the files one
    // commit changes are the next one's base side, so keep those too (process-wide, set
    // before any worker reads; each repository's cache stays within libgit2's 256 MiB).
    static CACHE_LIMITS: std::sync::Once = std::sync::Once::new();
    CACHE_LIMITS.call_once(|| {
        for kind in [ObjectType::Tree, ObjectType::Blob] {
            // SAFETY: libgit2 stores the limit in a global size table that it only reads when
            // it caches an object; a reader racing this store sees the old or the new limit.
            let _ = unsafe { git2::opts::set_cache_object_limit(kind, CACHED_OBJECT_MAX) };
        }
    });
    let policy_hash = Oid::hash_object(ObjectType::Blob, config.source.text().as_bytes())
        .map(|o| o.to_string())
        .unwrap_or_default();
    let done = AtomicUsize::new(0);
    let total = infos.len();
    let evals = pool.install(|| {
        infos
            .par_iter()
            // One repository per worker's run of neighbouring commits (rayon hands each worker
            // contiguous slices), reused while it lasts.
            .map_init(
                || None::<Repository>,
                |repo, info| {
                    let key = cache_key(&info.id, &policy_hash, opts.pr_checks);
                    let eval = match cache.as_ref().and_then(|c| c.get(&key, &info.id)) {
                        Some(hit) => hit,
                        None => {
                            let eval = evaluate_one(root, repo, config, info, opts.pr_checks);
                            if let (Some(c), None) = (&cache, &eval.error) {
                                c.put(&key, &eval);
                            }
                            eval
                        }
                    };
                    progress(done.fetch_add(1, Ordering::Relaxed) + 1, total);
                    eval
                },
            )
            .collect::<Vec<_>>()
    });
    Ok(evals)
}

/// Objects up to this size stay in libgit2's cache during a report.
const CACHED_OBJECT_MAX: usize = 1 << 20;

/// Evaluates one commit in the repository `repo` holds (opened at `root` when empty, and left
/// there for the next commit); a failure is kept in [`CommitEval::error`], never dropped.
pub fn evaluate_one(
    root: &Path,
    repo: &mut Option<Repository>,
    config: &Arc<Config>,
    info: &CommitInfo,
    pr_checks: bool,
) -> CommitEval {
    let mut eval = CommitEval {
        commit: info.id.clone(),
        findings: Vec::new(),
        suppressions: Vec::new(),
        legacy: None,
        incomplete: Vec::new(),
        error: None,
    };
    let result = (|| -> Result<(), Error> {
        let check = CheckOptions {
            dir: root.to_path_buf(),
            mode: DiffMode::Commit(info.id.clone()),
            config: None,
            pr: None,
            threads: 1,
            gate: Gate::Merge,
            coverage: false,
            audit_window: 0,
            today: Some(info.day().date()),
        };
        let (git, root) = match repo.take() {
            Some(git) => (git, root.to_path_buf()),
            None => crate::engine::diff::open(root)?,
        };
        // Read before the check takes the repository; its error, if any, comes second.
        let legacy = legacy_deletion(&git, config, info);
        let (mut report, kept) = crate::check_with_repo(&check, git, root, Arc::clone(config))?;
        *repo = kept;
        if !pr_checks {
            report.drop_description_checks(config);
        }
        for f in &report.findings {
            if let Some(s) = added_suppression(f) {
                eval.suppressions.push(s);
            }
            eval.findings.push(FindingRec {
                code: f.code.clone(),
                blocking: f.is_blocking,
                severity: f.severity.as_str().to_string(),
                mitigation: f.mitigation.as_deref().and_then(parse_mitigation),
                suppressed: f.suppression.is_some(),
                message: f.message.clone(),
                path: repo_path(f).map(str::to_string),
                line: repo_path(f).and(f.region()).map(|r| r.0),
            });
        }
        eval.incomplete = report
            .notes
            .iter()
            .filter(|n| n.is_incomplete)
            .map(|n| format!("{}: {}", n.path, n.message))
            .collect();
        eval.legacy = legacy?;
        Ok(())
    })();
    if let Err(e) = result {
        eval = CommitEval {
            error: Some(error_text(&e)),
            ..CommitEval {
                commit: info.id.clone(),
                findings: Vec::new(),
                suppressions: Vec::new(),
                legacy: None,
                incomplete: Vec::new(),
                error: None,
            }
        };
    }
    eval
}

/// One line for an error: its message and help.
fn error_text(e: &Error) -> String {
    use miette::Diagnostic;
    let mut s = e.to_string();
    if let Some(h) = e.help() {
        s.push_str(&format!(" ({h})"));
    }
    s.replace(['\n', '\r'], " ")
}

/// `mitigated: approved by @lead, follow-up #42` (the engine's wording, see `lib.rs`).
fn parse_mitigation(s: &str) -> Option<Mitigation> {
    let rest = s.strip_prefix("mitigated: approved by ")?;
    let (approver, follow_up) = rest.split_once(", follow-up ")?;
    Some(Mitigation {
        approver: approver.trim().to_string(),
        follow_up: follow_up.trim().to_string(),
    })
}

/// The note SUP-01 makes when a change adds a suppression that silences a finding
/// (`engine::suppress`): "this change adds a suppression of INV-07 on line 12", its help the
/// evidence, "... (issue #1, owner @a, until 2026-03-01)".
fn added_suppression(f: &crate::engine::finding::Finding) -> Option<SuppressionRec> {
    if f.check != crate::engine::suppress::META.name
        || f.level != crate::engine::finding::Severity::Note
    {
        return None;
    }
    let rest = f
        .message
        .strip_prefix("this change adds a suppression of ")?;
    let (code, line) = rest.split_once(" on line ")?;
    let evidence = f.help.clone().unwrap_or_default();
    let until = evidence
        .rsplit_once(", until ")
        .map(|(_, u)| u.trim_end_matches(')').trim().to_string())
        .filter(|u| super::Day::parse(u).is_some());
    Some(SuppressionRec {
        code: code.to_string(),
        path: repo_path(f)?.to_string(),
        line: line.trim().parse().ok()?,
        until,
        evidence,
    })
}

/// Legacy files the commit deletes (or moves out of every legacy surface) under the active
/// invariant running `legacy-deleted-without-parity`, and the gates its message cites.
fn legacy_deletion(
    repo: &Repository,
    config: &Config,
    info: &CommitInfo,
) -> Result<Option<LegacyDeletion>, Error> {
    let Some((inv, settings)) = config.invariants.iter().find_map(|i| {
        i.settings_of::<crate::rules::inv10_legacy_deleted_without_parity::Settings>()
            .filter(|_| i.status.is_active())
            .map(|s| (i, s))
    }) else {
        return Ok(None);
    };
    let git = |e: git2::Error| Error::git(format!("diffing commit {}", info.id), &e);
    let oid = Oid::from_str(&info.id).map_err(git)?;
    let commit = repo.find_commit(oid).map_err(git)?;
    let tree = commit.tree().map_err(git)?;
    let parent_tree = match commit.parent(0) {
        Ok(p) => Some(p.tree().map_err(git)?),
        Err(_) => None,
    };
    let diff = repo
        .diff_tree_to_tree(parent_tree.as_ref(), Some(&tree), None)
        .map_err(git)?;
    let mut deleted: Vec<(String, Oid)> = Vec::new();
    let mut added: Vec<Oid> = Vec::new();
    for d in diff.deltas() {
        match d.status() {
            Delta::Deleted => {
                if let Some(p) = d.old_file().path().and_then(|p| p.to_str()) {
                    if settings.is_legacy(p) {
                        deleted.push((p.to_string(), d.old_file().id()));
                    }
                }
            }
            Delta::Added => {
                if let Some(p) = d.new_file().path().and_then(|p| p.to_str()) {
                    if settings.is_legacy(p) {
                        added.push(d.new_file().id());
                    }
                }
            }
            _ => {}
        }
    }
    // A file moved from one legacy path to another, unchanged, was not deleted.
    let files: Vec<String> = deleted
        .into_iter()
        .filter(|(_, id)| !added.contains(id))
        .map(|(p, _)| p)
        .collect();
    if files.is_empty() {
        return Ok(None);
    }
    Ok(Some(LegacyDeletion {
        files,
        gates_cited: settings.cited_gates(&info.message),
        code: inv.id.clone(),
    }))
}

fn cache_key(commit: &str, policy_hash: &str, pr_checks: bool) -> String {
    let material = format!(
        "invlint report cache\0{}\0{commit}\0{policy_hash}\0pr-checks={pr_checks}\0gate=merge",
        env!("CARGO_PKG_VERSION")
    );
    Oid::hash_object(ObjectType::Blob, material.as_bytes())
        .map(|o| o.to_string())
        .unwrap_or_else(|_| commit.to_string())
}

#[derive(Serialize, Deserialize)]
struct Entry {
    key: String,
    eval: CommitEval,
}

/// The per-commit result cache.
struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// Opens (creating) the cache under `base`, unless that is inside the checked repository.
    fn open(base: &Path, root: &Path) -> Option<Cache> {
        let dir = base.join("report-v1");
        std::fs::create_dir_all(&dir).ok()?;
        let canon = dir.canonicalize().ok()?;
        let root = root.canonicalize().ok()?;
        if canon.starts_with(&root) {
            eprintln!(
                "invlint report: not caching: the cache directory {} is inside the checked repository",
                dir.display()
            );
            return None;
        }
        Some(Cache { dir: canon })
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(format!("{key}.json"))
    }

    fn get(&self, key: &str, commit: &str) -> Option<CommitEval> {
        let bytes = crate::engine::bounded::read(&self.path(key), 64 << 20, None).ok()?;
        let entry: Entry = serde_json::from_slice(&bytes).ok()?;
        (entry.key == key && entry.eval.commit == commit && entry.eval.error.is_none())
            .then_some(entry.eval)
    }

    fn put(&self, key: &str, eval: &CommitEval) {
        let entry = Entry {
            key: key.to_string(),
            eval: eval.clone(),
        };
        let Ok(bytes) = serde_json::to_vec(&entry) else {
            return;
        };
        // Best effort: a cache that cannot be written only costs time.
        let _ = crate::engine::bounded::write(&self.path(key), &bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mitigation_wording() {
        assert_eq!(
            parse_mitigation("mitigated: approved by @lead, follow-up #42"),
            Some(Mitigation {
                approver: "@lead".into(),
                follow_up: "#42".into()
            })
        );
        assert_eq!(parse_mitigation("approved by @lead"), None);
    }

    #[test]
    fn cache_keys_depend_on_every_input() {
        let a = cache_key("c1", "p1", true);
        assert_ne!(a, cache_key("c2", "p1", true));
        assert_ne!(a, cache_key("c1", "p2", true));
        assert_ne!(a, cache_key("c1", "p1", false));
        assert_eq!(a, cache_key("c1", "p1", true));
    }

    #[test]
    fn a_corrupt_or_foreign_cache_file_is_ignored() {
        let tmp = tempfile::tempdir().unwrap();
        let repo = tempfile::tempdir().unwrap();
        let cache = Cache::open(tmp.path(), repo.path()).unwrap();
        let eval = CommitEval {
            commit: "abc".into(),
            findings: Vec::new(),
            suppressions: Vec::new(),
            legacy: None,
            incomplete: Vec::new(),
            error: None,
        };
        cache.put("k1", &eval);
        assert_eq!(cache.get("k1", "abc"), Some(eval.clone()));
        assert_eq!(cache.get("k1", "other"), None, "another commit's entry");
        std::fs::write(cache.path("k1"), b"{\"key\":\"k1\",\"eval\":{\"comm").unwrap();
        assert_eq!(cache.get("k1", "abc"), None, "truncated");
        std::fs::copy(cache.path("k1"), cache.path("k2")).unwrap();
        cache.put("k2", &eval);
        std::fs::rename(cache.path("k2"), cache.path("k3")).unwrap();
        assert_eq!(
            cache.get("k3", "abc"),
            None,
            "an entry under the wrong name"
        );
        assert!(
            Cache::open(&repo.path().join("cache"), repo.path()).is_none(),
            "never inside the checked repository"
        );
    }
}
