//! Unit tests of INV-09's line-oriented unit splitting.
use super::*;

fn src(t: &str) -> Source {
    Source::new("x", t.to_string())
}

#[test]
fn yaml_jobs_by_indentation() {
    let s = src("name: d\non:\n  push:\njobs:\n  deploy:\n    runs-on: x\n    steps:\n      - run: a\n  # note\n  migrate:\n    steps:\n      - run: b\nenv:\n  A: 1\n");
    let u = yaml_jobs(&s).unwrap();
    assert_eq!(u.len(), 2);
    assert_eq!(u[0].key, "deploy");
    assert_eq!(u[0].lines, 5..10);
    assert_eq!(u[1].key, "migrate");
    assert_eq!(u[1].lines, 10..13);
    assert!(yaml_jobs(&src("steps:\n  - name: x\n")).is_none());
}

#[test]
fn make_targets_and_assignments() {
    assert_eq!(make_target_name("deploy: build").as_deref(), Some("deploy"));
    assert_eq!(make_target_name("X := 1"), None);
    assert_eq!(make_target_name("X ?= a:b"), None);
    assert_eq!(make_target_name("\tgcloud run deploy"), None);
    let s = src("IMG = x\n\ndeploy:\n\tgcloud\nmigrate:\n\tjob\n");
    let u = make_targets(&s);
    assert_eq!(
        u.iter().map(|u| u.key.as_str()).collect::<Vec<_>>(),
        ["", "deploy", "migrate"]
    );
    assert_eq!(u[1].lines, 3..5);
}

#[test]
fn image_normalisation() {
    assert_eq!(normalize_image("\"${IMAGE}\""), "$IMAGE");
    assert_eq!(
        normalize_image("gcr.io/p/runtime:${TAG}"),
        "gcr.io/p/runtime:$TAG"
    );
    assert_eq!(normalize_image("${IMAGE:-x}"), "${IMAGE:-x}");
}

#[test]
fn trailing_comment() {
    assert!(is_commented("  # gcloud run deploy runtime", 4, &["#"]));
    assert!(is_commented(
        "echo ok # gcloud run deploy runtime",
        10,
        &["#"]
    ));
    assert!(!is_commented("gcloud run deploy runtime # go", 0, &["#"]));
}
