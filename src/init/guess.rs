//! What each path-valued setting of the policy can be guessed from in the tree.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Guess {
    /// Nothing: a TODO comment if the default does not fit.
    None,
    /// `<tree>/**/*.proto` for each proto tree.
    ProtoFiles,
    /// `<app>/**` for each app root and `<tree>/**` for each proto tree, plus root manifests.
    Code,
    /// `<app>/**` for each app root, plus root manifests.
    Apps,
    /// `<dir>/**` for each migration directory.
    Migrations,
    /// `<dir>/**` for each deploy directory and the workflows.
    Deploy,
    /// Deploy and migrations together (INV-09's surfaces).
    DeployAndMigrations,
    /// The legacy inventory document(s).
    Inventory,
    /// A single path: the proto generator script.
    Generator,
    /// A single path: the proto include root.
    ProtoRoot,
    /// A single path: the directory whose children are proto packages.
    PackageRoot,
}

impl Guess {
    pub(crate) fn what(self) -> &'static str {
        match self {
            Guess::None => "matching path",
            Guess::ProtoFiles => "proto tree",
            Guess::Code => "app, service or proto tree",
            Guess::Apps => "app or service root",
            Guess::Migrations => "migrations directory",
            Guess::Deploy => "deploy directory or workflow",
            Guess::DeployAndMigrations => "deploy or migrations directory",
            Guess::Inventory => "legacy inventory document (docs/**/*legacy*inventory*.md)",
            Guess::Generator => "build.rs that compiles the proto tree",
            Guess::ProtoRoot => "proto tree",
            Guess::PackageRoot => "proto tree",
        }
    }

    pub(crate) fn values(self, f: &Found) -> Vec<String> {
        let all = |dirs: &[String]| dirs.iter().map(|d| format!("{d}/**")).collect::<Vec<_>>();
        match self {
            Guess::None => Vec::new(),
            Guess::ProtoFiles => f
                .proto_trees
                .iter()
                .map(|d| format!("{d}/**/*.proto"))
                .collect(),
            Guess::Code => {
                let mut v = f.root_manifests.clone();
                v.extend(all(&outermost(
                    f.apps.iter().chain(&f.proto_trees).cloned().collect(),
                )));
                v
            }
            Guess::Apps => {
                let mut v = f.root_manifests.clone();
                v.extend(all(&f.apps));
                v
            }
            Guess::Migrations => all(&f.migrations),
            Guess::Deploy | Guess::DeployAndMigrations => {
                let mut v = all(&f.deploy);
                if f.workflows {
                    v.push(".github/workflows/*.yml".into());
                    v.push(".github/workflows/*.yaml".into());
                }
                if self == Guess::DeployAndMigrations {
                    v.extend(all(&f.migrations));
                }
                v
            }
            Guess::Inventory => f.inventories.clone(),
            Guess::Generator => f.proto_generators.first().cloned().into_iter().collect(),
            Guess::ProtoRoot => match f.proto_trees.as_slice() {
                [one] => vec![one.clone()],
                _ => Vec::new(),
            },
            Guess::PackageRoot => match f.proto_trees.as_slice() {
                [one] => vec![one.clone()],
                _ => Vec::new(),
            },
        }
    }

    pub(crate) fn hint(self) -> &'static str {
        match self {
            Guess::ProtoFiles => "the globs of your .proto sources, e.g. [\"proto/**/*.proto\"]",
            Guess::Code | Guess::Apps => {
                "the globs of your apps and services, e.g. [\"apps/**\", \"services/**\"]"
            }
            Guess::Migrations => "the globs of your migration directories, e.g. [\"db/migrations/**\"]",
            Guess::Deploy | Guess::DeployAndMigrations => {
                "the globs of your deploy scripts and manifests, e.g. [\"deploy/**\"]"
            }
            Guess::Inventory => "the path of your legacy inventory document, or \"\" to use the `surface` map below",
            Guess::Generator => "the build script that compiles your proto tree, or \"\" to skip the generator check",
            Guess::ProtoRoot => "your protoc include root, e.g. \"proto\"",
            Guess::PackageRoot => "the directory whose child directories are proto packages",
            Guess::None => "the globs of the matching paths in this repository",
        }
    }
}

/// Path-valued keys of each check's settings table, and what can stand in for them.
pub(crate) const SETTINGS: &[(&str, &str, Guess)] = &[
    ("contract-without-proto", "proto-paths", Guess::ProtoFiles),
    ("contract-without-proto", "rust-paths", Guess::None),
    ("contract-without-proto", "client-paths", Guess::None),
    ("contract-without-proto", "exclude", Guess::None),
    ("contract-without-proto", "generator", Guess::Generator),
    ("contract-without-proto", "package-root", Guess::PackageRoot),
    ("contract-without-proto", "proto-root", Guess::ProtoRoot),
    ("ws-command-rpc", "paths", Guess::Code),
    ("ws-command-rpc", "exclude", Guess::None),
    ("ws-command-rpc", "proto-paths", Guess::None),
    ("sse-poll-lane", "paths", Guess::Code),
    ("sse-poll-lane", "exclude", Guess::None),
    ("sse-poll-lane", "warn-paths", Guess::None),
    ("cross-plane-sql", "exempt", Guess::None),
    ("in-memory-coupling", "paths", Guess::Apps),
    ("in-memory-coupling", "exclude", Guess::None),
    ("khala-authority-write", "exempt", Guess::None),
    ("unordered-apply", "paths", Guess::None),
    ("unordered-apply", "exclude", Guess::None),
    ("unordered-apply", "ordering-paths", Guess::None),
    ("unordered-apply", "ordering-tests", Guess::None),
    ("identity-outside-control", "paths", Guess::Apps),
    ("identity-outside-control", "exclude", Guess::None),
    ("identity-outside-control", "control-paths", Guess::None),
    ("identity-outside-control", "verify-paths", Guess::None),
    ("deploy-without-migrate", "paths", Guess::Deploy),
    ("deploy-without-migrate", "exclude", Guess::None),
    ("deploy-without-migrate", "wrapper", Guess::None),
    ("deploy-without-migrate", "migrations", Guess::Migrations),
    ("legacy-deleted-without-parity", "legacy", Guess::None),
    ("legacy-deleted-without-parity", "exclude", Guess::None),
    (
        "legacy-deleted-without-parity",
        "inventory",
        Guess::Inventory,
    ),
    (
        "legacy-deleted-without-parity",
        "backup-surfaces",
        Guess::None,
    ),
    ("missing-inv-mapping", "surfaces", Guess::Code),
    ("checklist-item-missing", "surfaces", Guess::Code),
    ("checklist-item-missing", "docs", Guess::None),
    ("na-without-reason", "docs", Guess::None),
];

/// Arrays of tables in a settings table whose entries carry paths: (check, array, key).
pub(crate) const TABLE_ARRAYS: &[(&str, &str, &str)] = &[
    ("contract-without-proto", "generated", "sources"),
    ("contract-without-proto", "generated", "outputs"),
    ("sse-poll-lane", "allow", "path"),
    ("cross-plane-sql", "planes", "paths"),
    ("in-memory-coupling", "services", "roots"),
    ("in-memory-coupling", "shared", "roots"),
    ("legacy-deleted-without-parity", "surface", "root"),
];

/// What an invariant's own `surfaces` can be guessed from, by check.
pub(crate) fn surfaces_guess(check: &str) -> Guess {
    match check {
        "contract-without-proto" => Guess::ProtoFiles,
        "cross-plane-sql" => Guess::Migrations,
        "deploy-without-migrate" => Guess::DeployAndMigrations,
        "legacy-deleted-without-parity" => Guess::Inventory,
        _ => Guess::None,
    }
}
