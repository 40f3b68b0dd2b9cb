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
