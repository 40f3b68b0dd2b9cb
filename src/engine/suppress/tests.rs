//! Unit tests of the module.

use super::*;

fn dirs(text: &str) -> Vec<Directive> {
    directives(&Source::new("f.rs", text))
}

#[test]
fn dates() {
    assert_eq!(Date::from_unix_days(0).to_string(), "1970-01-01");
    assert_eq!(Date::from_unix_days(19_723).to_string(), "2024-01-01");
    assert_eq!(Date::from_unix_days(19_782).to_string(), "2024-02-29");
    assert_eq!(Date::from_unix_days(-1).to_string(), "1969-12-31");
    assert!(Date::parse("2024-02-29").is_some());
    assert!(Date::parse("2023-02-29").is_none());
    assert!(Date::parse("2027-13-01").is_none());
    assert!(Date::parse("2027-1-31").is_none());
    assert!(Date::parse("+027-01-31").is_none());
    assert!(Date::parse("2027-01-31").unwrap() < Date::parse("2027-02-01").unwrap());
}

#[test]
fn comment_syntaxes_and_targets() {
    let text = "\
// invlint: allow(INV-07) reason=\"a b\" issue=#1 owner=@o

fn f() {}
x(); # invlint: allow(INV-08) reason=r issue=#2 owner=@o
-- invlint: allow(INV-09) reason=r issue=#3 owner=@o
/* invlint: allow(INV-10) reason=r issue=#4 owner=@o */
<!-- invlint: allow(INV-07) reason=r issue=#5 owner=@o until=2027-01-31 -->
y
let s = \"invlint: not a comment\";
";
    let d = dirs(text);
    assert_eq!(d.len(), 5);
    assert!(d.iter().all(|d| d.problems.is_empty()), "{d:?}");
    assert_eq!(d[0].target, Some(3));
    assert_eq!(d[0].fields["reason"].0, "a b");
    assert_eq!(d[1].target, Some(4), "trailing comment covers its own line");
    // Stacked suppressions cover the same next line.
    assert_eq!(d[2].target, Some(8));
    assert_eq!(d[3].target, Some(8));
    assert_eq!(d[4].target, Some(8));
    assert_eq!(d[4].fields["until"].0, "2027-01-31");
}

#[test]
fn malformed() {
    let d = dirs("# invlint: allow(INV-07) reason=\"x\" issue=#1\n");
    assert!(d[0].problems[0].message.contains("lacks `owner`"));
    let d = dirs("# invlint: allow(INV-07) reason=x issue=#1 owner=@o until=2027-02-30\n");
    assert!(d[0].problems[0].message.contains("invalid `until`"));
    let d = dirs("# invlint: ignore INV-07\n");
    assert!(d[0].id.is_none() && d[0].problems.len() == 1);
    let d = dirs("# invlint: allow(INV-07, INV-08) reason=x issue=#1 owner=@o\n");
    assert!(d[0].problems[0].message.contains("not one invariant"));
    let d = dirs("# invlint: allow(INV-07) reason=x issue=#1 owner=@o reviewer=@r\n");
    assert!(d[0].problems[0]
        .message
        .contains("unknown field `reviewer`"));
    let d = dirs("# invlint: allow(INV-07) reason=\"x issue=#1\n");
    assert!(d[0]
        .problems
        .iter()
        .any(|p| p.message.contains("closing quote")));
}
