//! Reads and writes that stay inside their bounds (#15). Everything invlint reads whole goes
//! through [`read`] (a size cap, and no symbolic link out of the work tree), and every file it
//! writes for the user goes through [`write`] (never through a symbolic link).
//!
//! The work tree is the change's: a committed `inv-rules.toml`, `pr.md` or `invlint.sarif` may
//! be a link to a credentials file, `/proc/self/environ` or a file the CI job later trusts.
//! Paths outside the work tree (`--config`, `$RUNNER_TEMP/pr.md`, `GITHUB_EVENT_PATH`) come from
//! whoever runs invlint and are read as given, still with a cap.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

/// Largest policy file read (the default policy is ~40 KiB).
pub const MAX_POLICY_BYTES: u64 = 4 << 20;

fn denied(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::PermissionDenied, message)
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// `Err` when `path` lies in the work tree `root` but resolves (through a link, itself or a
/// parent directory) to somewhere outside it.
pub fn check_stays_inside(path: &Path, root: &Path) -> std::io::Result<()> {
    let root_real = root.canonicalize().unwrap_or_else(|_| absolute(root));
    let abs = absolute(path);
    if !(abs.starts_with(root) || abs.starts_with(&root_real)) {
        return Ok(()); // not the change's: the caller named it
    }
    match path.canonicalize() {
        Ok(real) if real.starts_with(&root_real) => Ok(()),
        Ok(_) => Err(denied(
            "it is a symbolic link that leads out of the work tree; invlint does not follow it"
                .into(),
        )),
        // A dangling link or a loop: refuse rather than guess.
        Err(e) if path.symlink_metadata().is_ok() => Err(denied(format!(
            "it is a symbolic link that does not resolve ({e})"
        ))),
        Err(e) => Err(e),
    }
}

/// Reads a whole file of at most `max` bytes. With `root`, a path in that work tree must
/// resolve inside it ([`check_stays_inside`]). Never reads more than `max + 1` bytes, whatever
/// the file claims its size is (`/proc` files say 0).
pub fn read(path: &Path, max: u64, root: Option<&Path>) -> std::io::Result<Vec<u8>> {
    if let Some(root) = root {
        check_stays_inside(path, root)?;
    }
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    if meta.len() > max {
        return Err(std::io::Error::other(format!(
            "{} bytes, larger than the {max}-byte limit",
            meta.len()
        )));
    }
    // Sized from the file's length, one byte over so that the read which sees the end needs
    // no growth: no copy while reading (#19). The length is a hint only.
    let mut bytes = Vec::with_capacity(meta.len().min(max) as usize + 1);
    file.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(std::io::Error::other(format!(
            "larger than the {max}-byte limit"
        )));
    }
    Ok(bytes)
}

/// Writes `bytes` to `path`, replacing a regular file, refusing a symbolic link (a committed
/// `invlint.sarif -> ~/.bashrc` must not be overwritten). The text goes to a new file in the same
/// directory that is then renamed over `path`, so a link created in between is replaced, not
/// followed.
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if path
        .symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink())
    {
        return Err(denied(
            "it is a symbolic link; invlint does not write through links (remove it, or choose \
             another path)"
                .into(),
        ));
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all().ok();
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn links_out_of_the_tree_are_refused() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("work");
        std::fs::create_dir(&root).unwrap();
        let outside = tmp.path().join("secret");
        std::fs::write(&outside, "token").unwrap();
        std::fs::write(root.join("ok.toml"), "a = 1").unwrap();
        std::os::unix::fs::symlink(&outside, root.join("link.toml")).unwrap();
        std::os::unix::fs::symlink("ok.toml", root.join("inner.toml")).unwrap();
        assert!(read(&root.join("ok.toml"), 100, Some(&root)).is_ok());
        assert!(read(&root.join("inner.toml"), 100, Some(&root)).is_ok());
        let e = read(&root.join("link.toml"), 100, Some(&root)).unwrap_err();
        assert!(e.to_string().contains("out of the work tree"), "{e}");
        // Outside the tree, the caller's path is read as given; the cap still holds.
        assert!(read(&outside, 100, Some(&root)).is_ok());
        assert!(read(&outside, 3, None).is_err());
        assert!(read(Path::new("/proc/self/environ"), 16, None).is_err());
    }

    #[test]
    fn writes_never_follow_a_link() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("target");
        std::fs::write(&target, "keep").unwrap();
        let link = tmp.path().join("out.sarif");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        assert!(write(&link, b"x").is_err());
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
        let plain = tmp.path().join("plain.sarif");
        write(&plain, b"one").unwrap();
        write(&plain, b"two").unwrap();
        assert_eq!(std::fs::read_to_string(&plain).unwrap(), "two");
    }
}
