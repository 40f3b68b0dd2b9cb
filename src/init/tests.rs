//! Unit tests of the module.

use super::*;

fn index(files: &[&str]) -> RepoIndex {
    let mut files: Vec<String> = files.iter().map(|s| s.to_string()).collect();
    files.sort();
    RepoIndex {
        files,
        errors: Vec::new(),
        raw_names: Default::default(),
    }
}

fn no_read(_: &str) -> Option<String> {
    None
}

#[test]
fn discovers_trees_apps_migrations_deploy_and_inventory() {
    let idx = index(&[
        "Cargo.toml",
        "api/proto/acme/billing/v1/billing.proto",
        "services/billing/src/main.rs",
        "services/billing/Cargo.toml",
        "services/billing/db/migrations/0001_init.sql",
        "web/package.json",
        "web/node_modules/x/package.json",
        "ops/deploy/billing.sh",
        ".github/workflows/ci.yml",
        "docs/plans/legacy-surface-inventory.md",
        "crates/util/tests/fixtures/x.proto",
    ]);
    let f = discover(&idx, &no_read);
    assert_eq!(f.proto_trees, ["api/proto"]);
    assert_eq!(f.apps, ["services/billing", "web"]);
    assert_eq!(f.root_manifests, ["Cargo.toml"]);
    assert_eq!(f.migrations, ["services/billing/db/migrations"]);
    assert_eq!(f.deploy, ["ops/deploy"]);
    assert!(f.workflows);
    assert_eq!(f.inventories, ["docs/plans/legacy-surface-inventory.md"]);
}

#[test]
fn starter_for_an_unrelated_layout_parses_and_guesses() {
    let idx = index(&[
        "Cargo.toml",
        "api/proto/acme/billing/v1/billing.proto",
        "services/billing/Cargo.toml",
        "services/billing/src/main.rs",
        "services/billing/db/migrations/0001_init.sql",
        "ops/deploy/billing.sh",
    ]);
    let s = starter(&idx, &no_read);
    crate::parse_policy("inv-rules.toml", &s.text).unwrap_or_else(|e| panic!("{e:?}\n{}", s.text));
    assert!(
        s.text.contains("proto-paths = [\"api/proto/**/*.proto\"]"),
        "{}",
        s.text
    );
    assert!(s
        .text
        .contains("migrations = [\"services/billing/db/migrations/**\"]"));
    assert!(s.text.contains("# TODO(invlint init): no "));
    assert!(s
        .todo
        .iter()
        .any(|t| t == "INV-01.contract-without-proto.rust-paths"));
    assert!(s
        .guessed
        .iter()
        .any(|t| t == "INV-01.contract-without-proto.proto-paths"));
    // Generic entries survive a guess.
    assert!(s.text.contains("\"**/*.sh\""));
    // Comments of the default survive.
    assert!(s.text.contains("# The contract source of truth"));
}

#[test]
fn empty_tree_keeps_defaults_with_todos_and_parses() {
    let s = starter(&index(&[]), &no_read);
    crate::parse_policy("inv-rules.toml", &s.text).unwrap_or_else(|e| panic!("{e:?}\n{}", s.text));
    assert!(s.guessed.is_empty(), "{:?}", s.guessed);
    assert!(s.todo.len() > 10, "{:?}", s.todo);
}

#[test]
fn reference_layout_is_left_alone() {
    let idx = index(&[
        "proto/openagents/sync/v1/sync.proto",
        "apps/runtime/src/server.rs",
        "apps/runtime/src/types.rs",
        "crates/openagents-proto/build.rs",
    ]);
    let s = starter(&idx, &no_read);
    crate::parse_policy("inv-rules.toml", &s.text).unwrap_or_else(|e| panic!("{e:?}\n{}", s.text));
    assert!(s.text.contains("proto-paths = [\"proto/**/*.proto\"]"));
    assert!(s
        .text
        .contains("generator = \"crates/openagents-proto/build.rs\""));
    assert!(!s.guessed.iter().any(|g| g.contains("proto-paths")));
}

/// Which settings hold paths comes from the registry (`Meta::keys`), not from a table here: every
/// `Ty::Globs`/`Ty::Path` key of every check is rewritten, each guess names a path key of a
/// registered check, and a single path still typed `Ty::Str` is listed until it is typed.
#[test]
fn path_keys_come_from_the_registry() {
    use crate::engine::schema::Ty;
    let registry = crate::REGISTRY;
    let mut keys_seen = 0;
    for c in registry.all() {
        let meta = c.meta();
        let derived: Vec<&str> = path_keys(meta.name, meta.keys)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        for k in meta.keys {
            if matches!(k.ty, Ty::Globs | Ty::Path) {
                keys_seen += 1;
                assert!(derived.contains(&k.name), "{}.{}", meta.name, k.name);
            }
        }
    }
    assert!(keys_seen > 30, "{keys_seen} path keys");
    for (check, key, _) in GUESSES {
        let c = registry
            .find(check)
            .unwrap_or_else(|| panic!("{check}: no such check"));
        assert!(
            path_keys(check, c.meta().keys)
                .iter()
                .any(|(k, _)| k == key),
            "{check}.{key} is not a path key"
        );
    }
    let inv05 = registry.find("in-memory-coupling").unwrap().meta().keys;
    assert!(table_path_keys(inv05).contains(&("services", "roots")));
    let inv03 = registry.find("sse-poll-lane").unwrap().meta().keys;
    assert!(table_path_keys(inv03).contains(&("allow", "path")));
}
