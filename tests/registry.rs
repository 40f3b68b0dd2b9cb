//! Our tidy (like rustc's): codes, pages, fixtures, snapshots and the default policy agree.

use std::path::Path;

use invlint::engine::config::{Config, Status, DEFAULT_POLICY};
use invlint::rules::{self, PAGES, PLANNED_CHECKS, RULES};

const HEADINGS: [&str; 6] = [
    "## Why",
    "## Flagged",
    "## Accepted",
    "## How to fix",
    "## Configuration",
    "## Limits",
];

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn is_code(c: &str) -> bool {
    let digits = |s: &str| s.len() == 2 && s.chars().all(|d| d.is_ascii_digit());
    c.strip_prefix("INV-").is_some_and(digits)
        || c.strip_prefix("PR-").is_some_and(digits)
        || c.strip_prefix("SUP-").is_some_and(digits)
}

fn is_kebab(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(|c| c.is_ascii_lowercase() || c == '-')
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.starts_with("no-")
        && !s.starts_with("check-")
}

#[test]
fn codes_are_unique_sorted_and_well_formed() {
    let codes: Vec<&str> = RULES.iter().map(|r| r.meta().default_code).collect();
    let mut sorted = codes.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        codes, sorted,
        "RULES must be in code order without duplicates"
    );
    for r in RULES {
        let m = r.meta();
        assert!(is_code(m.default_code), "{}", m.default_code);
        assert!(
            is_kebab(m.name),
            "slug {} must be kebab-case and name what is flagged",
            m.name
        );
        assert!(
            !m.summary.ends_with('.'),
            "{}: summary without trailing period",
            m.name
        );
        assert!(
            !PLANNED_CHECKS.iter().any(|(n, _)| *n == m.name),
            "{} is implemented; remove it from PLANNED_CHECKS",
            m.name
        );
    }
    for (name, code) in PLANNED_CHECKS {
        assert!(is_kebab(name) && is_code(code));
    }
}

#[test]
fn every_check_has_a_page_fixtures_and_snapshots() {
    for r in RULES
        .iter()
        .chain(rules::PR_RULES)
        .chain(rules::ENGINE_RULES)
        .chain(rules::GATE_RULES)
    {
        let m = r.meta();
        let page =
            rules::page(m.default_code).unwrap_or_else(|| panic!("no page for {}", m.default_code));
        assert_eq!(
            page, m.explain,
            "{}: META.explain is the page in PAGES",
            m.name
        );
        assert!(
            page.starts_with(&format!("# {}: ", m.default_code))
                && page
                    .lines()
                    .next()
                    .unwrap()
                    .contains(&format!("(`{}`)", m.name)),
            "{}: page title is `# CODE: title (`slug`)`",
            m.name
        );
        if m.status == Status::Stable {
            for h in HEADINGS {
                assert!(page.contains(h), "{}: page lacks {h}", m.default_code);
            }
        }
        let dir = root().join("fixtures").join(m.default_code);
        let cases: Vec<String> = std::fs::read_dir(&dir)
            .unwrap_or_else(|_| panic!("no fixtures/{}", m.default_code))
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert!(
            cases.iter().any(|c| c.starts_with("fail-")),
            "{}: needs fail-* fixtures",
            m.default_code
        );
        assert!(
            cases.iter().any(|c| c.starts_with("pass-")),
            "{}: needs pass-* fixtures",
            m.default_code
        );
        for c in &cases {
            let snap = dir.join(c).join("expected.snap");
            assert!(
                snap.is_file(),
                "{}/{c} has no expected.snap",
                m.default_code
            );
            assert!(
                !dir.join(c).join("expected.snap.new").exists(),
                "leftover .snap.new in {c}"
            );
        }
        if m.status == Status::Stable {
            let shown = cases.iter().any(|c| {
                std::fs::read_to_string(dir.join(c).join("expected.snap"))
                    .unwrap_or_default()
                    .contains(&format!("{}({})", m.default_code, m.name))
            });
            assert!(shown, "{}: no snapshot shows a finding", m.default_code);
        }
    }
}

#[test]
fn generic_checks_have_pages_and_fixtures() {
    for r in rules::GENERIC {
        let m = r.meta();
        assert!(
            m.default_code.is_empty(),
            "{}: generic checks have no spec code",
            m.name
        );
        assert!(is_kebab(m.name));
        let page =
            std::fs::read_to_string(root().join("rules/generic").join(format!("{}.md", m.name)))
                .unwrap_or_else(|_| panic!("rules/generic/{}.md", m.name));
        assert_eq!(page, m.explain);
        for h in HEADINGS {
            assert!(page.contains(h), "{}: page lacks {h}", m.name);
        }
        let shown = std::fs::read_dir(root().join("fixtures"))
            .unwrap()
            .flatten()
            .flat_map(|d| std::fs::read_dir(d.path()).into_iter().flatten().flatten())
            .any(|c| {
                std::fs::read_to_string(c.path().join("expected.snap"))
                    .unwrap_or_default()
                    .contains(&format!("({})", m.name))
            });
        assert!(shown, "{}: no fixture snapshot shows a finding", m.name);
    }
}

#[test]
fn every_page_belongs_to_a_known_code() {
    let known: Vec<&str> = RULES
        .iter()
        .chain(rules::PR_RULES)
        .chain(rules::ENGINE_RULES)
        .chain(rules::GATE_RULES)
        .map(|r| r.meta().default_code)
        .chain(PLANNED_CHECKS.iter().map(|(_, c)| *c))
        .collect();
    for (code, _) in PAGES {
        assert!(known.contains(code), "page {code} has no check");
    }
    for entry in std::fs::read_dir(root().join("rules")).unwrap().flatten() {
        if entry.path().is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let code = name.trim_end_matches(".md");
        assert!(
            PAGES.iter().any(|(c, _)| *c == code),
            "rules/{name} is not embedded in PAGES"
        );
    }
}

#[test]
fn default_policy_binds_the_spec() {
    let config =
        Config::parse("inv-rules.toml", DEFAULT_POLICY).expect("the default policy is valid");
    let ids: Vec<&str> = config.invariants.iter().map(|i| i.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "INV-01", "INV-02", "INV-03", "INV-04", "INV-05", "INV-06", "INV-07", "INV-08",
            "INV-09", "INV-10", "PR-01", "PR-02", "PR-03", "PR-04", "PR-05", "PR-06", "SUP-01"
        ]
    );
    for inv in &config.invariants {
        assert_eq!(
            rules::code_of_check(&inv.check),
            Some(inv.id.as_str()),
            "{} is bound to the spec's check",
            inv.id
        );
        if let Some(r) = rules::find(&inv.check) {
            assert_eq!(
                inv.escalation,
                r.meta().escalation,
                "{}: escalation from the spec",
                inv.id
            );
            assert_eq!(
                inv.status,
                r.meta().status,
                "{}: status matches the check",
                inv.id
            );
        } else {
            assert_eq!(
                inv.status,
                Status::Planned,
                "{}: a check that has not landed is planned",
                inv.id
            );
        }
    }
    // Every config section names a known code.
    for section in DEFAULT_POLICY
        .lines()
        .filter(|l| l.starts_with("[invariant."))
    {
        let id = section
            .trim_start_matches("[invariant.")
            .split(['.', ']'])
            .next()
            .unwrap();
        assert!(config.invariant(id).is_some(), "{section}");
    }
}
