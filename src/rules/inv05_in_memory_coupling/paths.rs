//! Repository path helpers for INV-05 (manifests, parents, relative paths).

pub(super) fn is_manifest(path: &str) -> bool {
    path == "Cargo.toml" || path.ends_with("/Cargo.toml")
}

pub(super) fn ext(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.rsplit_once('.').map(|(_, e)| e).unwrap_or("")
}

pub(super) fn parent(path: &str) -> &str {
    path.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
}

/// Every prefix of `path` at a `/` boundary, and the path itself.
pub(super) fn ancestors(path: &str) -> Vec<&str> {
    let mut out: Vec<&str> = path.match_indices('/').map(|(i, _)| &path[..i]).collect();
    out.push(path);
    out
}

/// `rel` joined to `dir` and normalised; `None` when it climbs out of the repository.
pub(super) fn resolve(dir: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|s| !s.is_empty()).collect();
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}
