//! The validated-policy cache (`engine::policy_cache`, #19): a second load of the same policy
//! skips the pattern proofs and gives the same result; a corrupt entry is ignored and
//! rewritten; no entry is ever written inside the checked repository.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use invlint::engine::scratch::{self, HeadAs, TreeFile};

const CLIENT: &str = "apps/openagents.com/resources/js/sync/khalaClient.ts";

fn repo() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let base: Vec<TreeFile> = vec![
        (CLIENT.into(), b"export const x = 1;\n".to_vec()),
        ("README.md".into(), b"# demo\n".to_vec()),
    ];
    let head: Vec<TreeFile> = vec![
        (
            CLIENT.into(),
            b"export const x = 1;\nexport const f = (u: string) => new EventSource(u);\n".to_vec(),
        ),
        ("README.md".into(), b"# demo\n".to_vec()),
    ];
    let work = scratch::build(tmp.path(), &base, &head, HeadAs::Commit, "pr: change").unwrap();
    (tmp, work)
}

fn invlint(dir: &Path, cache: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_invlint"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env("XDG_CACHE_HOME", cache)
        .env_remove("INVLINT_POLICY_CACHE")
        .env_remove("GITHUB_EVENT_PATH")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn entries(cache: &Path) -> Vec<PathBuf> {
    let dir = cache.join("invlint").join("policy-v1");
    let mut v: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|r| r.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn a_cached_policy_gives_the_same_report_and_a_corrupt_entry_is_rewritten() {
    let (_t, work) = repo();
    let cache = tempfile::tempdir().unwrap();
    let args = ["check", "--format", "json"];
    let cold = invlint(&work, cache.path(), &args);
    assert_eq!(
        cold.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&cold.stderr)
    );
    let written = entries(cache.path());
    assert_eq!(
        written.len(),
        1,
        "one entry for the one policy: {written:?}"
    );
    let entry = std::fs::read_to_string(&written[0]).unwrap();
    let key = written[0]
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(entry, format!("invlint validated policy v1\n{key}\n"));

    let warm = invlint(&work, cache.path(), &args);
    assert_eq!(warm.status.code(), cold.status.code());
    assert_eq!(warm.stdout, cold.stdout, "a cache hit changes no finding");

    // A corrupt entry is a miss: a full validating load, same report, entry rewritten.
    std::fs::write(&written[0], b"invlint validated policy v1\ngarbage\n").unwrap();
    let again = invlint(&work, cache.path(), &args);
    assert_eq!(again.stdout, cold.stdout);
    assert_eq!(std::fs::read_to_string(&written[0]).unwrap(), entry);

    // Off: nothing read or written.
    let off = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_invlint"))
        .current_dir(&work)
        .args(args)
        .env("NO_COLOR", "1")
        .env("XDG_CACHE_HOME", off.path())
        .env("INVLINT_POLICY_CACHE", "off")
        .env_remove("GITHUB_EVENT_PATH")
        .output()
        .unwrap();
    assert_eq!(out.stdout, cold.stdout);
    assert!(entries(off.path()).is_empty());
}

#[test]
fn no_cache_inside_the_checked_repository() {
    let (_t, work) = repo();
    // XDG_CACHE_HOME pointing into the work tree: the cache is off, the tree untouched.
    let inside = work.join("apps");
    let out = invlint(&work, &inside, &["check", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!inside.join("invlint").exists());
    let status = Command::new("git")
        .current_dir(&work)
        .args(["status", "--porcelain", "--untracked-files=all"])
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&status.stdout), "");
}

/// What a load that trusts the cache leaves for first use (INV-10's policy-map gates; the
/// negations of the release-evidence check; the plane map's globs) gives the findings a
/// validating load gives: one INV-10 release case, cold and warm (#19).
#[test]
fn parts_read_on_first_use_match_a_validating_load() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join("INV-10")
        .join("fail-no-inventory-policy-map");
    let tmp = tempfile::tempdir().unwrap();
    let base = scratch::read_tree(&case.join("base")).unwrap();
    let head = scratch::read_tree(&case.join("head")).unwrap();
    let work = scratch::build(tmp.path(), &base, &head, HeadAs::Commit, "pr: delete").unwrap();
    let body = case.join("pr.md");
    let body = body.to_str().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let args = [
        "check",
        "--base",
        "HEAD~1",
        "--gate",
        "release",
        "--pr-body",
        body,
        "--format",
        "json",
    ];
    let cold = invlint(&work, cache.path(), &args);
    assert_eq!(entries(cache.path()).len(), 1, "the cold load was recorded");
    let warm = invlint(&work, cache.path(), &args);
    let text = String::from_utf8_lossy(&cold.stdout);
    assert!(
        text.contains("OA-RUST-049"),
        "the policy map's gates are named: {text}"
    );
    assert_eq!(cold.status.code(), Some(1), "{text}");
    assert_eq!(warm.status.code(), cold.status.code());
    assert_eq!(warm.stdout, cold.stdout, "a cache hit changes no finding");
}
