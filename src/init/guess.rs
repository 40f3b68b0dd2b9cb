//! What each path-valued setting of the policy can be guessed from in the tree.

use super::*;
use crate::engine::schema::{Key, Ty};

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

/// What can stand in for a path key whose default names nothing in the tree, by check and key.
/// Which keys hold paths is not listed here: it is read from each check's `Meta::keys`
/// ([`path_keys`]), so a new check needs no edit here; a path key not listed has
/// `Guess::None` (dead entries are dropped, or the key gets a TODO).
pub(crate) const GUESSES: &[(&str, &str, Guess)] = &[
    ("contract-without-proto", "proto-paths", Guess::ProtoFiles),
    ("contract-without-proto", "generator", Guess::Generator),
    ("contract-without-proto", "package-root", Guess::PackageRoot),
    ("contract-without-proto", "proto-root", Guess::ProtoRoot),
    ("ws-command-rpc", "paths", Guess::Code),
    ("sse-poll-lane", "paths", Guess::Code),
    ("in-memory-coupling", "paths", Guess::Apps),
    ("identity-outside-control", "paths", Guess::Apps),
    ("deploy-without-migrate", "paths", Guess::Deploy),
    ("deploy-without-migrate", "migrations", Guess::Migrations),
    (
        "legacy-deleted-without-parity",
        "inventory",
        Guess::Inventory,
    ),
    ("missing-inv-mapping", "surfaces", Guess::Code),
    ("checklist-item-missing", "surfaces", Guess::Code),
];

fn is_path(ty: Ty) -> bool {
    matches!(ty, Ty::Globs | Ty::Path)
}

/// The path-valued keys of `check`'s settings table (from its `Meta::keys`), each with what can
/// stand in for it.
pub(crate) fn path_keys(check: &str, keys: &[Key]) -> Vec<(&'static str, Guess)> {
    keys.iter()
        .filter(|k| is_path(k.ty))
        .map(|k| {
            let guess = GUESSES
                .iter()
                .find(|(c, key, _)| *c == check && *key == k.name)
                .map_or(Guess::None, |(.., g)| *g);
            (k.name, guess)
        })
        .collect()
}

/// The arrays of tables in a settings table whose entries carry paths, from `Meta::keys`:
/// (array, key).
pub(crate) fn table_path_keys(keys: &[Key]) -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    for k in keys {
        if let Ty::Tables(fields) = k.ty {
            out.extend(
                fields
                    .iter()
                    .filter(|f| is_path(f.ty))
                    .map(|f| (k.name, f.name)),
            );
        }
    }
    out
}

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
