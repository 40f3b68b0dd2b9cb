//! Unit tests of the module.

use super::*;

#[test]
fn gates_and_ranges() {
    assert_eq!(
        GateIds::new("OA-RUST-").parse("054..058, 106", false),
        [54, 55, 56, 57, 58, 106]
    );
    assert_eq!(
        GateIds::new("OA-RUST-").parse("`OA-RUST-033`–`OA-RUST-035`", false),
        [33, 34, 35]
    );
    assert_eq!(
        GateIds::new("OA-RUST-").parse("OA-RUST-033–035", false),
        [33, 34, 35]
    );
    assert_eq!(
        GateIds::new("OA-RUST-").parse("see OA-RUST-054, oa-rust-106 and #1234", true),
        [54, 106]
    );
    assert_eq!(
        GateIds::new("OA-RUST-").parse("OA-RUST-054..056", true),
        [54, 55, 56]
    );
    assert!(GateIds::new("OA-RUST-")
        .parse("#1234 and 106", true)
        .is_empty());
    assert_eq!(
        gate_list("OA-RUST-", &[33, 34, 35, 97, 99, 100]),
        "OA-RUST-033..035, OA-RUST-097, OA-RUST-099..100"
    );
}

#[test]
fn surface_cells() {
    assert_eq!(surface_paths("`apps/mobile`"), ["apps/mobile"]);
    assert_eq!(
        surface_paths("`apps/openagents-runtime`, later `apps/runtime/{lib,priv,test}` (Elixir)"),
        ["apps/openagents-runtime", "apps/runtime/{lib,priv,test}"]
    );
    assert_eq!(surface_paths("packages/* (JS)"), ["packages/*"]);
    let g = surface_globs(&["apps/runtime/{lib,priv,test}".into(), "packages/*".into()]);
    assert!(g.is_match("apps/runtime/lib/openagents_runtime/sync.ex"));
    assert!(!g.is_match("apps/runtime/src/main.rs"));
    assert!(g.is_match("packages/ui/src/index.ts"));
}
