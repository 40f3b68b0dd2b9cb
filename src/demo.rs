//! `invlint demo`: builds a throwaway git repository from a small embedded monorepo shaped like
//! the reference layout (`demo/base`, `demo/head`), commits the base on `main` and a pull request
//! on `pr` (a Khala WebSocket fallback that adds SSE/long-poll lanes (INV-03), a route without
//! proto (INV-01), a runtime write to `control.users` (INV-04), a runtime -> control service
//! dependency (INV-05), a hotfix deploy without the migrate job (INV-09, a release-gate warning)),
//! runs the real check on it with `demo/pr.md` as the PR description (which wrongly marks INV-03
//! N/A and carries a partial checklist), prints the real diagnostics, and removes the repository.

use crate::engine::error::Error;
use crate::engine::scratch::{self, HeadAs, TreeFile};
use crate::{CheckOptions, Gate, Report};

/// The merge base.
pub static BASE: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("../demo/base/Cargo.toml")),
    (
        "apps/openagents.com/resources/js/sync/khalaClient.ts",
        include_str!("../demo/base/apps/openagents.com/resources/js/sync/khalaClient.ts"),
    ),
    (
        "apps/openagents.com/service/Cargo.toml",
        include_str!("../demo/base/apps/openagents.com/service/Cargo.toml"),
    ),
    (
        "apps/openagents.com/service/src/lib.rs",
        include_str!("../demo/base/apps/openagents.com/service/src/lib.rs"),
    ),
    (
        "apps/openagents.com/web-shell/src/lib.rs",
        include_str!("../demo/base/apps/openagents.com/web-shell/src/lib.rs"),
    ),
    (
        "apps/runtime/Cargo.toml",
        include_str!("../demo/base/apps/runtime/Cargo.toml"),
    ),
    (
        "apps/runtime/deploy/cloudrun/deploy-runtime-and-migrate.sh",
        include_str!("../demo/base/apps/runtime/deploy/cloudrun/deploy-runtime-and-migrate.sh"),
    ),
    (
        "apps/runtime/src/fanout.rs",
        include_str!("../demo/base/apps/runtime/src/fanout.rs"),
    ),
    (
        "apps/runtime/src/server.rs",
        include_str!("../demo/base/apps/runtime/src/server.rs"),
    ),
    (
        "docs/sync/README.md",
        include_str!("../demo/base/docs/sync/README.md"),
    ),
    (
        "proto/openagents/sync/v1/sync.proto",
        include_str!("../demo/base/proto/openagents/sync/v1/sync.proto"),
    ),
];

/// The pull request head.
pub static HEAD: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("../demo/head/Cargo.toml")),
    (
        "apps/openagents.com/resources/js/sync/khalaClient.ts",
        include_str!("../demo/head/apps/openagents.com/resources/js/sync/khalaClient.ts"),
    ),
    (
        "apps/openagents.com/service/Cargo.toml",
        include_str!("../demo/head/apps/openagents.com/service/Cargo.toml"),
    ),
    (
        "apps/openagents.com/service/src/lib.rs",
        include_str!("../demo/head/apps/openagents.com/service/src/lib.rs"),
    ),
    (
        "apps/openagents.com/web-shell/src/lib.rs",
        include_str!("../demo/head/apps/openagents.com/web-shell/src/lib.rs"),
    ),
    (
        "apps/runtime/Cargo.toml",
        include_str!("../demo/head/apps/runtime/Cargo.toml"),
    ),
    (
        "apps/runtime/deploy/cloudrun/deploy-runtime-and-migrate.sh",
        include_str!("../demo/head/apps/runtime/deploy/cloudrun/deploy-runtime-and-migrate.sh"),
    ),
    (
        "apps/runtime/deploy/cloudrun/hotfix-deploy.sh",
        include_str!("../demo/head/apps/runtime/deploy/cloudrun/hotfix-deploy.sh"),
    ),
    (
        "apps/runtime/src/fanout.rs",
        include_str!("../demo/head/apps/runtime/src/fanout.rs"),
    ),
    (
        "apps/runtime/src/server.rs",
        include_str!("../demo/head/apps/runtime/src/server.rs"),
    ),
    (
        "apps/runtime/src/ws_fallback.rs",
        include_str!("../demo/head/apps/runtime/src/ws_fallback.rs"),
    ),
    (
        "docs/sync/README.md",
        include_str!("../demo/head/docs/sync/README.md"),
    ),
    (
        "proto/openagents/sync/v1/sync.proto",
        include_str!("../demo/head/proto/openagents/sync/v1/sync.proto"),
    ),
];

/// The pull request description.
pub static PR: &str = include_str!("../demo/pr.md");

fn owned(files: &[(&str, &str)]) -> Vec<TreeFile> {
    files
        .iter()
        .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
        .collect()
}

/// Builds the demo repository in `dir` (which must not exist or be empty): a git repository with
/// the base on `main` and the pull request checked out on `pr`. Returns the repository path; the
/// PR description is [`PR`].
pub fn build_at(dir: &std::path::Path) -> Result<std::path::PathBuf, Error> {
    if dir.exists()
        && std::fs::read_dir(dir)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        return Err(Error::Usage {
            message: format!("{} exists and is not empty", dir.display()),
            hint: "pass a new directory to `invlint demo --keep DIR`".into(),
        });
    }
    std::fs::create_dir_all(dir).map_err(|e| Error::Io {
        context: format!("creating {}", dir.display()),
        source: e,
    })?;
    scratch::build(
        dir,
        &owned(BASE),
        &owned(HEAD),
        HeadAs::Commit,
        "khala: fall back to SSE and long-poll when WebSockets are blocked",
    )
}

/// Builds the demo repository, runs the check, returns the report. The repository is removed
/// before this returns.
pub fn run(threads: usize) -> Result<Report, Error> {
    let dir = tempfile::Builder::new()
        .prefix("invlint-demo-")
        .tempdir()
        .map_err(|e| Error::Io {
            context: "creating a temporary directory for the demo".into(),
            source: e,
        })?;
    let workdir = scratch::build(
        dir.path(),
        &owned(BASE),
        &owned(HEAD),
        HeadAs::Commit,
        "khala: fall back to SSE and long-poll when WebSockets are blocked",
    )?;
    let opts = CheckOptions {
        dir: workdir,
        mode: crate::engine::diff::DiffMode::Base(Some("main".into())),
        config: None,
        pr: Some(crate::engine::pr::from_text(PR)),
        threads,
        gate: Gate::Merge,
        coverage: true,
        audit_window: 0,
        today: None,
    };
    let report = crate::check(&opts);
    drop(dir);
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn on_disk(tree: &str) -> BTreeSet<String> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("demo")
            .join(tree);
        let mut out = BTreeSet::new();
        let mut stack = vec![root.clone()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let rel = path.strip_prefix(&root).unwrap();
                    out.insert(rel.to_string_lossy().replace('\\', "/"));
                }
            }
        }
        out
    }

    fn listed(files: &[(&str, &str)]) -> BTreeSet<String> {
        files.iter().map(|(p, _)| p.to_string()).collect()
    }

    #[test]
    fn every_demo_file_is_embedded() {
        assert_eq!(listed(BASE), on_disk("base"));
        assert_eq!(listed(HEAD), on_disk("head"));
    }

    /// The README promises these; keep the demo showing them (and readable).
    #[test]
    fn demo_shows_the_advertised_findings() {
        let report = run(1).unwrap();
        let codes: BTreeSet<&str> = report.findings.iter().map(|f| f.code.as_str()).collect();
        for code in [
            "INV-01", "INV-03", "INV-04", "INV-05", "INV-07", "INV-09", "PR-02", "PR-04",
        ] {
            assert!(codes.contains(code), "the demo lost its {code} finding");
        }
        assert!(report.findings.len() <= 15, "the demo output got long");
        assert_eq!(report.exit_code(), 1);
        let sql = report
            .findings
            .iter()
            .find(|f| f.code == "INV-04")
            .and_then(|f| f.primary.as_ref())
            .unwrap();
        assert_eq!(&sql.source.text()[sql.span.clone()], "control.users");
    }
}
