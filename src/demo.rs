//! `invlint demo`: builds a throwaway git repository from a small embedded monorepo shaped like
//! the reference layout (`demo/base`, `demo/head`), commits the base on `main` and a pull request
//! that breaks INV-03 on `pr`, runs the real check on it with `demo/pr.md` as the PR description,
//! prints the real diagnostics, and removes the repository.

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
        "apps/runtime/src/fanout.rs",
        include_str!("../demo/head/apps/runtime/src/fanout.rs"),
    ),
    (
        "apps/runtime/src/server.rs",
        include_str!("../demo/head/apps/runtime/src/server.rs"),
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
        today: None,
    };
    let report = crate::check(&opts);
    drop(dir);
    report
}
