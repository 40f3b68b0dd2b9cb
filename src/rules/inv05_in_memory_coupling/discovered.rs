//! Services the policy does not list (#18): a directory under `discover-services` (`apps/*`) whose
//! Cargo manifest builds a binary (a `[[bin]]` table, or `src/main.rs`) is a service. A new Cargo
//! path dependency from one such service to another is an in-memory edge, as between listed
//! services. The policy's lists refine discovery: an endpoint under a listed unit (service or
//! shared library) is judged by the listed unit, not here.

use super::*;

/// Findings for new path dependencies between discovered services.
pub(super) fn edges(cx: &Context<'_>, inv: &Invariant, cfg: &Settings, out: &mut Findings) {
    if cfg.discover.is_empty() {
        return;
    }
    let manifests = cx.changes().files.iter().filter(|f| {
        is_manifest(&f.path)
            && f.exists_at_head()
            && cfg.paths.is_match(&f.path)
            && !cfg.exclude.is_match(&f.path)
    });
    for file in manifests {
        let from_root = parent(&file.path);
        if !cfg.discover.is_match(from_root) || !builds_binary(cx, from_root) {
            continue;
        }
        // A listed shared library is the policy's word: it is not a service.
        if cfg
            .unit_of(from_root)
            .is_some_and(|(u, _)| !cfg.units[u].is_service)
        {
            continue;
        }
        let Some(head) = file.head.source() else {
            continue;
        };
        let base_targets: BTreeSet<String> = match (file.is_all_added, file.base.source()) {
            (false, Some(base)) => manifest_deps(base.text(), cfg.include_dev)
                .iter()
                .filter_map(|d| {
                    resolve(
                        parent(file.old_path.as_deref().unwrap_or(&file.path)),
                        d.path.as_deref()?,
                    )
                })
                .collect(),
            _ => BTreeSet::new(),
        };
        let mut seen = BTreeSet::new();
        for dep in manifest_deps(head.text(), cfg.include_dev) {
            let Some(target) = dep.path.as_deref().and_then(|p| resolve(from_root, p)) else {
                continue;
            };
            if target == from_root
                || !cfg.discover.is_match(&target)
                || base_targets.contains(&target)
                || !seen.insert(target.clone())
            {
                continue;
            }
            // Listed units (services or shared libraries) are the main check's business.
            if cfg.unit_of(&target).is_some() || !builds_binary(cx, &target) {
                continue;
            }
            out.push(
                Finding::new(
                    inv,
                    META.name,
                    format!(
                        "{from_root} now depends on {target} (a service: it builds a binary) through the Cargo dependency `{}`{}",
                        dep.key,
                        dep.table_note()
                    ),
                )
                .at(head, dep.span.clone(), format!("`{}` links the service at {target} into this build", dep.key))
                .help(format!(
                    "call {target} over its network/proto contract instead of linking it; code both sides need belongs in a library (list it in a `[[invariant.{}.in-memory-coupling.shared]]` table)",
                    inv.id
                ))
                .cite(cx.policy(), cfg.discover_span.clone(), "services discovered by their binary target"),
            );
        }
    }
}

/// True when the crate at `root` builds a binary: its manifest has a `[[bin]]` table, or it has
/// `src/main.rs` (Cargo's default binary target).
fn builds_binary(cx: &Context<'_>, root: &str) -> bool {
    let Some(manifest) = cx.head_file(&format!("{root}/Cargo.toml")) else {
        return false;
    };
    let Ok(doc) = toml::from_str::<toml::Table>(manifest.text()) else {
        return false;
    };
    if !doc.contains_key("package") {
        return false;
    }
    let autobins = doc
        .get("package")
        .and_then(|p| p.get("autobins"))
        .and_then(|v| v.as_bool())
        .unwrap_or(true);
    doc.get("bin")
        .and_then(|b| b.as_array())
        .is_some_and(|b| !b.is_empty())
        || (autobins && cx.head_file(&format!("{root}/src/main.rs")).is_some())
}
