//! The validated-policy cache: remembers that a policy text passed every load-time check, so
//! that the next load of the same text skips the expensive ones (#19: "policy load < 5 ms").
//!
//! What is expensive at load is not parsing the TOML but proving that each regex and glob is
//! well-formed and builds under the size caps (`engine::validator`: a regex parse and a Thompson
//! NFA build for each of ~300 patterns and globs, about three quarters of a load). The result of
//! those checks depends only on the policy text and on this build of invlint, so it is cached
//! under a key that hashes both: the policy's bytes, invlint's version, and the identity of the
//! running executable (its path, size and modification time), so that a rebuilt binary, whose
//! validation rules may differ, never trusts an entry an older build wrote.
//!
//! Where: `$XDG_CACHE_HOME/invlint/policy-v1/`, else `$HOME/.cache/invlint/policy-v1/`, never
//! inside the checked repository (the cache is not configured when it would be: see
//! [`configure`]). One small file per validated policy, named by its key and holding the key:
//! nothing in it is read back but the key. `INVLINT_POLICY_CACHE=off` disables it.
//!
//! Trust: an entry only lets a load skip checks whose failure the matchers also catch at first
//! use. A corrupt, truncated or foreign entry does not hold the key and is ignored (a normal,
//! validating load follows, and rewrites it). A forged entry (someone who can write the cache
//! directory marks an invalid policy as validated) cannot make a pattern silently match
//! nothing: a regex or set that then fails to build at first use is recorded
//! (`matchers::compile_failures`) and the run reports it as an incomplete-result note (exit 2).
//! The library never uses the cache unless the binary configures it, so library callers and
//! unit tests always validate.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();

/// Format of an entry; bump when the file's meaning changes.
const MAGIC: &str = "invlint validated policy v1";

/// Turns the cache on for this process (the binary calls this once, before loading a policy):
/// `base` is the cache root (`$XDG_CACHE_HOME/invlint`); `dir` the directory invlint was asked
/// to check. No cache is kept inside the repository around `dir` (the nearest ancestor holding
/// a `.git` entry, else `dir` itself). `INVLINT_POLICY_CACHE=off` leaves it off.
pub fn configure(base: Option<PathBuf>, dir: &Path) {
    let off = std::env::var("INVLINT_POLICY_CACHE").is_ok_and(|v| v == "off" || v == "0");
    // Compare canonical paths of the nearest existing ancestors (the cache directory may not
    // exist yet).
    let canon = |p: &Path| p.ancestors().find_map(|a| a.canonicalize().ok());
    let checked = canon(dir).map(|d| {
        d.ancestors()
            .find(|a| a.join(".git").symlink_metadata().is_ok())
            .map_or_else(|| d.clone(), Path::to_path_buf)
    });
    let cache = base
        .filter(|_| !off)
        .map(|b| b.join("policy-v1"))
        .filter(|cache| match (&checked, canon(cache)) {
            (Some(repo), Some(c)) => !c.starts_with(repo),
            _ => false,
        });
    let _ = DIR.set(cache);
}

/// The default cache root: `$XDG_CACHE_HOME/invlint`, else `$HOME/.cache/invlint`.
pub fn default_base() -> Option<PathBuf> {
    let non_empty = |k: &str| std::env::var_os(k).filter(|v| !v.is_empty());
    non_empty("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| non_empty("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .map(|d| d.join("invlint"))
}

fn dir() -> Option<&'static Path> {
    DIR.get().and_then(|d| d.as_deref())
}

/// Identity of the running build: the version and the executable's path, size and mtime.
fn build_identity() -> String {
    static ID: OnceLock<String> = OnceLock::new();
    ID.get_or_init(|| {
        let exe = std::env::current_exe().ok();
        let meta = exe.as_ref().and_then(|e| std::fs::metadata(e).ok());
        let mtime = meta
            .as_ref()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        format!(
            "{}\0{}\0{}\0{}",
            env!("CARGO_PKG_VERSION"),
            exe.map(|e| e.display().to_string()).unwrap_or_default(),
            meta.map_or(0, |m| m.len()),
            mtime
        )
    })
    .clone()
}

/// The cache key of policy `text` for this build: a hex SHA-1 (git's blob hash, with
/// collision detection) over the build identity and the text.
pub fn key(text: &str) -> Option<String> {
    let mut preimage = Vec::with_capacity(text.len() + 128);
    preimage.extend_from_slice(MAGIC.as_bytes());
    preimage.push(0);
    preimage.extend_from_slice(build_identity().as_bytes());
    preimage.push(0);
    preimage.extend_from_slice(text.as_bytes());
    git2::Oid::hash_object(git2::ObjectType::Blob, &preimage)
        .ok()
        .map(|o| o.to_string())
}

fn entry_text(key: &str) -> String {
    format!("{MAGIC}\n{key}\n")
}

/// True when the cache holds a validated entry for `key` (the file exists and holds exactly
/// the key; anything else is a miss).
pub fn is_validated(key: &str) -> bool {
    let Some(dir) = dir() else {
        return false;
    };
    let want = entry_text(key);
    crate::engine::bounded::read(&dir.join(key), 4096, None)
        .is_ok_and(|bytes| bytes == want.as_bytes())
}

/// Records that the policy with `key` validated (best effort: a cache that cannot be written
/// only costs time). Written to a temporary file and renamed, so a reader never sees half.
pub fn record(key: &str) {
    let Some(dir) = dir() else {
        return;
    };
    if std::fs::create_dir_all(dir).is_err() {
        return;
    }
    let Ok(mut tmp) = tempfile::NamedTempFile::new_in(dir) else {
        return;
    };
    use std::io::Write;
    if tmp.write_all(entry_text(key).as_bytes()).is_ok() {
        let _ = tmp.persist(dir.join(key));
    }
}

/// True when the cache is on for this process.
pub fn is_enabled() -> bool {
    dir().is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_depend_on_the_text() {
        let a = key("version = 1\n").unwrap();
        let b = key("version = 1 \n").unwrap();
        assert_ne!(a, b);
        assert_eq!(a, key("version = 1\n").unwrap());
        assert_eq!(a.len(), 40);
    }

    #[test]
    fn unconfigured_cache_is_a_miss_and_writes_nothing() {
        // The library (and so every unit test) never configures the cache.
        let k = key("x").unwrap();
        assert!(!is_validated(&k));
        record(&k);
        assert!(!is_validated(&k));
    }
}
