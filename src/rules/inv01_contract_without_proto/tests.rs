//! Unit tests of the module.

use super::*;

#[test]
fn joins_and_normalises() {
    assert_eq!(
        join_norm("crates/openagents-proto", "../../proto").as_deref(),
        Some("proto")
    );
    assert_eq!(join_norm("", "../x"), None);
    assert_eq!(join_norm("a", "./b/c").as_deref(), Some("a/b/c"));
}

#[test]
fn finds_path_literals_only() {
    let lits = path_literals(
        r#"let a = "../../proto"; // "commented/out"
config.btree_map(["."]); println!("cargo:rerun-if-changed={}", x); let f = "codex.proto";"#,
    );
    let names: Vec<&str> = lits.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(names, ["../../proto", "codex.proto"]);
}

#[test]
fn package_dirs() {
    assert_eq!(
        package_dir("proto/openagents/sync/v1/sync.proto", "proto/openagents"),
        "proto/openagents/sync"
    );
    assert_eq!(package_dir("other/x.proto", "proto/openagents"), "other");
}

#[test]
fn serde_items_skip_tests_and_docs() {
    let text = r#"
#[derive(Serialize)]
/// doc
pub struct RunRequestV1 { pub id: String }
#[cfg(test)]
mod tests { #[derive(Serialize)] struct FakeRequest; }
#[derive(Debug)]
struct Internal;
"#;
    let serde_items = |text: &str, derives: &[String]| {
        let mut out = Vec::new();
        collect_items(&syn::parse_file(text).unwrap().items, derives, &mut out);
        out
    };
    let items = serde_items(text, &["Serialize".into(), "Deserialize".into()]);
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].name, "RunRequestV1");
    let other = serde_items(
        &text.replace("/// doc", "/// other doc"),
        &["Serialize".into()],
    );
    assert_eq!(items[0].tokens, other[0].tokens);
}

#[test]
fn declaration_ends() {
    let t = "export interface A { b: { c: string } }\nexport type B = string;\n";
    assert_eq!(
        &t[..decl_end(t, 0)],
        "export interface A { b: { c: string } }"
    );
    let from = t.find("export type").unwrap_or(0);
    assert_eq!(&t[from..decl_end(t, from)], "export type B = string;");
}
