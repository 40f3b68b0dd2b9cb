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
    let bytes = read_capped(file, meta.len(), max)?;
    if bytes.len() as u64 > max {
        return Err(std::io::Error::other(format!(
            "larger than the {max}-byte limit"
        )));
    }
    Ok(bytes)
}

/// Why [`read_tracked`] read nothing.
#[derive(Debug)]
pub enum Refused {
    /// A symbolic link is in the file's place; it was not followed.
    Link,
    /// The file is this many bytes, over the limit.
    TooLarge(u64),
    /// Anything else (not a regular file, an I/O error).
    Io(std::io::Error),
}

/// Reads a work-tree file of at most `max` bytes that must be a regular file, never following a
/// link in its place. One path lookup: `open` with `O_NOFOLLOW` refuses the link, where an
/// `lstat` then an `open` looked the path up twice (#19: ~10k files in a `check --all` of the
/// real monorepo). `O_NONBLOCK` keeps a FIFO in the file's place from blocking the open; it then
/// fails the regular-file test.
pub fn read_tracked(path: &Path, max: u64) -> Result<Vec<u8>, Refused> {
    let file = open_no_follow(path).map_err(|e| {
        if is_link_refusal(path, &e) {
            Refused::Link
        } else {
            Refused::Io(e)
        }
    })?;
    let meta = file.metadata().map_err(Refused::Io)?;
    if meta.file_type().is_symlink() {
        return Err(Refused::Link);
    }
    if meta.len() > max {
        return Err(Refused::TooLarge(meta.len()));
    }
    if !meta.is_file() {
        return Err(Refused::Io(std::io::Error::other("not a regular file")));
    }
    let bytes = read_capped(file, meta.len(), max).map_err(Refused::Io)?;
    if bytes.len() as u64 > max {
        return Err(Refused::TooLarge(bytes.len() as u64));
    }
    Ok(bytes)
}

/// The whole of `file`, but never more than `max + 1` bytes, whatever its `len` claims: the
/// caller tells a file over `max` by the one byte more. Sized from `len`, one byte over, so the
/// read that sees the end needs no growth: no copy while reading (#19). `len` is a hint only.
fn read_capped(file: std::fs::File, len: u64, max: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(len.min(max) as usize + 1);
    file.take(max + 1).read_to_end(&mut bytes)?;
    Ok(bytes)
}

#[cfg(unix)]
fn open_no_follow(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_no_follow(path: &Path) -> std::io::Result<std::fs::File> {
    if path.symlink_metadata()?.file_type().is_symlink() {
        return Err(std::io::Error::other("a symbolic link; not followed"));
    }
    std::fs::File::open(path)
}

/// True when `open_no_follow` failed because the path is a link: `ELOOP` for `O_NOFOLLOW`,
/// confirmed with an `lstat` (a rare path).
fn is_link_refusal(path: &Path, e: &std::io::Error) -> bool {
    #[cfg(unix)]
    if e.raw_os_error() != Some(libc::ELOOP) {
        return false;
    }
    let _ = e;
    path.symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink())
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
    fn a_tracked_read_refuses_links_fifos_and_large_files() {
        let tmp = tempfile::tempdir().unwrap();
        let secret = tmp.path().join("secret");
        std::fs::write(&secret, "token").unwrap();
        let plain = tmp.path().join("a.ts");
        std::fs::write(&plain, "let a = 1;").unwrap();
        assert_eq!(read_tracked(&plain, 100).unwrap(), b"let a = 1;");
        // A link in a tracked file's place, to a file or to nothing, is never followed.
        let link = tmp.path().join("b.ts");
        std::os::unix::fs::symlink(&secret, &link).unwrap();
        assert!(matches!(read_tracked(&link, 100), Err(Refused::Link)));
        let dangling = tmp.path().join("c.ts");
        std::os::unix::fs::symlink("nowhere", &dangling).unwrap();
        assert!(matches!(read_tracked(&dangling, 100), Err(Refused::Link)));
        // Too large, by its size or by what a read finds.
        assert!(matches!(
            read_tracked(&plain, 3),
            Err(Refused::TooLarge(10))
        ));
        // A FIFO neither blocks the open nor is read.
        let fifo = tmp.path().join("d.ts");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(matches!(read_tracked(&fifo, 100), Err(Refused::Io(_))));
        // A directory, and a missing file.
        assert!(matches!(
            read_tracked(tmp.path(), 1 << 20),
            Err(Refused::Io(_))
        ));
        assert!(matches!(
            read_tracked(&tmp.path().join("missing"), 100),
            Err(Refused::Io(_))
        ));
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
