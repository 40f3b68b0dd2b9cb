//! Our tidy (like rustc's): codes, pages, fixtures, snapshots and the default policy agree.

use std::path::Path;

use invlint::engine::check::{DynCheck, Kind, Meta};
use invlint::engine::config::{Status, DEFAULT_POLICY};
use invlint::REGISTRY;

const HEADINGS: [&str; 6] = [
    "## Why",
    "## Flagged",
    "## Accepted",
    "## How to fix",
    "## Configuration",
    "## Limits",
];

/// The registry's checks of some kinds, in registry order.
fn checks(kinds: &[Kind]) -> Vec<&'static dyn DynCheck> {
    REGISTRY
        .all()
        .filter(|c| kinds.contains(&c.meta().kind))
        .collect()
}

/// Every check that has a spec code and its own page: all but the generic ones.
fn coded() -> Vec<&'static Meta> {
    checks(&[
        Kind::Spec,
        Kind::Pr,
        Kind::Suppress,
        Kind::Gate,
        Kind::Planned,
    ])
    .into_iter()
    .map(|c| c.meta())
    .collect()
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn is_code(c: &str) -> bool {
    let digits = |s: &str| s.len() == 2 && s.chars().all(|d| d.is_ascii_digit());
    c.strip_prefix("INV-").is_some_and(digits)
        || c.strip_prefix("PR-").is_some_and(digits)
        || c.strip_prefix("SUP-").is_some_and(digits)
        || c.strip_prefix("POL-").is_some_and(digits)
        || c.strip_prefix("VER-").is_some_and(digits)
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
    for kind in [Kind::Spec, Kind::Pr] {
        let codes: Vec<&str> = checks(&[kind])
            .iter()
            .map(|c| c.meta().default_code)
            .collect();
        let mut sorted = codes.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(
            codes, sorted,
            "{kind:?} checks must be in code order without duplicates"
        );
    }
    let mut names: Vec<&str> = REGISTRY.all().map(|c| c.meta().name).collect();
    let all = names.len();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), all, "check names are unique");
    let mut codes: Vec<&str> = coded().iter().map(|m| m.default_code).collect();
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), coded().len(), "codes are unique");
    for m in coded() {
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
    }
}

#[test]
fn every_check_has_a_page_fixtures_and_snapshots() {
    for m in coded() {
        let page = REGISTRY
            .page(m.default_code)
            .unwrap_or_else(|| panic!("no page for {}", m.default_code));
        assert_eq!(
            page,
            std::fs::read_to_string(root().join(format!("rules/{}.md", m.default_code))).unwrap(),
            "{}: META.explain is rules/{}.md",
            m.name,
            m.default_code
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
    for c in checks(&[Kind::Generic]) {
        let m = c.meta();
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
    for entry in std::fs::read_dir(root().join("rules")).unwrap().flatten() {
        if entry.path().is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        let code = name.trim_end_matches(".md");
        assert!(
            coded().iter().any(|m| m.default_code == code),
            "rules/{name} belongs to no check of the registry"
        );
    }
    for entry in std::fs::read_dir(root().join("rules/generic"))
        .unwrap()
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        assert!(
            checks(&[Kind::Generic])
                .iter()
                .any(|c| format!("{}.md", c.meta().name) == name),
            "rules/generic/{name} belongs to no generic check"
        );
    }
}

#[test]
fn default_policy_binds_the_spec() {
    let config = invlint::parse_policy("inv-rules.toml", DEFAULT_POLICY)
        .expect("the default policy is valid");
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
            REGISTRY.code_of_check(&inv.check),
            Some(inv.id.as_str()),
            "{} is bound to the spec's check",
            inv.id
        );
        if let Some(r) = REGISTRY.implemented(&inv.check) {
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

/// Cohesion (#16): no source file is over 800 lines. A file that grows past it holds more than
/// one thing: split it (a library goes under `src/analysis/`, a check's sub-checks into a folder,
/// unit tests into the module's `tests.rs`).
#[test]
fn no_source_file_is_over_800_lines() {
    const MAX_LINES: usize = 800;
    fn walk(dir: &Path, out: &mut Vec<(String, usize)>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let n = std::fs::read_to_string(&p).unwrap().lines().count();
                out.push((p.strip_prefix(root()).unwrap().display().to_string(), n));
            }
        }
    }
    // Files over the limit that are allowed until split (none today): each may shrink, never
    // grow; one that drops under the limit must leave this list.
    const NOT_SPLIT_YET: [(&str, usize); 0] = [];
    let mut files = Vec::new();
    walk(&root().join("src"), &mut files);
    assert!(files.len() > 20, "src/ holds {} files", files.len());
    let mut problems: Vec<String> = Vec::new();
    for (path, n) in &files {
        let ceiling = NOT_SPLIT_YET
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, c)| *c);
        match ceiling {
            None if *n > MAX_LINES => problems.push(format!("{path}: {n} lines")),
            Some(c) if *n > c => problems.push(format!("{path}: {n} lines, grew past {c}")),
            Some(_) if *n <= MAX_LINES => {
                problems.push(format!("{path}: {n} lines: take it off NOT_SPLIT_YET"))
            }
            _ => {}
        }
    }
    for (p, _) in NOT_SPLIT_YET {
        if !files.iter().any(|(f, _)| f == p) {
            problems.push(format!("{p} is gone: take it off NOT_SPLIT_YET"));
        }
    }
    problems.sort();
    assert!(
        problems.is_empty(),
        "source files over {MAX_LINES} lines:\n{}",
        problems.join("\n")
    );
}

/// The `## Flagged` section of a page: each fenced example in it.
fn flagged_examples(page: &str) -> Vec<Vec<String>> {
    let Some(start) = page.find("\n## Flagged") else {
        return Vec::new();
    };
    let rest = &page[start + 1..];
    let section = match rest[3..].find("\n## ") {
        Some(end) => &rest[..end + 3],
        None => rest,
    };
    let mut out = Vec::new();
    let mut block: Option<(bool, Vec<String>)> = None;
    for line in section.lines() {
        let t = line.trim();
        if let Some(lang) = t.strip_prefix("```") {
            match block.take() {
                Some((_, lines)) => out.push(lines),
                None => block = Some((lang.trim() == "diff", Vec::new())),
            }
            continue;
        }
        if let Some((is_diff, lines)) = &mut block {
            // A diff's added lines are what the change brings; its context and removed lines
            // may be anywhere.
            let kept = if *is_diff {
                t.strip_prefix('+').map(str::trim)
            } else {
                Some(t)
            };
            if let Some(k) = kept.filter(|k| !k.is_empty() && *k != "...") {
                lines.push(k.to_string());
            }
        }
    }
    out
}

/// Every file of a case a change's text comes from: head tree, PR description, case.toml.
fn case_text(case: &Path) -> String {
    fn walk(dir: &Path, out: &mut String) {
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if let Ok(t) = std::fs::read_to_string(&p) {
                out.push_str(&t);
                out.push('\n');
            }
        }
    }
    let mut out = String::new();
    walk(&case.join("head"), &mut out);
    for f in ["pr.md", "case.toml"] {
        out.push_str(&std::fs::read_to_string(case.join(f)).unwrap_or_default());
    }
    out
}

/// A page's "Flagged" examples are what the check flags: each one's lines (a diff's added
/// lines) all occur in one fail-* fixture of the page's code (any code's, for a generic
/// check's page), so an example cannot drift from what the tests show.
#[test]
fn every_flagged_example_is_a_fail_fixture() {
    let fail_cases = |code: Option<&str>| -> Vec<std::path::PathBuf> {
        let mut out = Vec::new();
        for d in std::fs::read_dir(root().join("fixtures"))
            .unwrap()
            .flatten()
        {
            if code.is_some_and(|c| d.file_name().to_string_lossy() != c) {
                continue;
            }
            for c in std::fs::read_dir(d.path()).into_iter().flatten().flatten() {
                if c.file_name().to_string_lossy().starts_with("fail-") {
                    out.push(c.path());
                }
            }
        }
        out
    };
    let mut pages = Vec::new();
    for (dir, generic) in [("rules", false), ("rules/generic", true)] {
        for e in std::fs::read_dir(root().join(dir)).unwrap().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(code) = name.strip_suffix(".md") {
                pages.push((e.path(), (!generic).then(|| code.to_string())));
            }
        }
    }
    assert!(pages.len() > 15, "{} pages", pages.len());
    let mut problems = Vec::new();
    let mut examples = 0;
    for (page, code) in pages {
        let text = std::fs::read_to_string(&page).unwrap();
        let cases: Vec<String> = fail_cases(code.as_deref())
            .iter()
            .map(|c| case_text(c))
            .collect();
        for example in flagged_examples(&text) {
            examples += 1;
            let missing = |t: &String| example.iter().filter(|l| !t.contains(l.as_str())).count();
            let best = cases.iter().min_by_key(|t| missing(t));
            if best.is_none_or(|t| missing(t) > 0) {
                let first = best
                    .and_then(|t| example.iter().find(|l| !t.contains(l.as_str())))
                    .or(example.first());
                problems.push(format!(
                    "{}: no fail-* fixture holds the example with `{}`",
                    page.strip_prefix(root()).unwrap().display(),
                    first.map(String::as_str).unwrap_or("")
                ));
            }
        }
    }
    assert!(examples > 15, "{examples} examples");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Explain pages take the policy's values from the live policy (`--explain` appends them), not
/// from lists copied by hand, which drift (INV-03's page once listed four paths, the policy
/// five): a page's `## Configuration` section names keys and what they mean, no default values.
#[test]
fn pages_copy_no_policy_defaults() {
    let mut problems = Vec::new();
    let mut sections = 0;
    for dir in ["rules", "rules/generic"] {
        for e in std::fs::read_dir(root().join(dir)).unwrap().flatten() {
            let Ok(page) = std::fs::read_to_string(e.path()) else {
                continue;
            };
            let Some(start) = page.find("\n## Configuration\n") else {
                continue;
            };
            sections += 1;
            let rest = &page[start + 1..];
            let section = rest[3..].find("\n## ").map_or(rest, |end| &rest[..end + 3]);
            for line in section.lines() {
                if [
                    "Default:",
                    "Defaults:",
                    "(default `[",
                    "(default: `",
                    "default `@",
                ]
                .iter()
                .any(|m| line.contains(m))
                {
                    problems.push(format!("{}: {}", e.path().display(), line.trim()));
                }
            }
        }
    }
    assert!(sections > 15, "{sections} configuration sections");
    assert!(
        problems.is_empty(),
        "defaults copied into pages (refer to the live policy instead):\n{}",
        problems.join("\n")
    );
}

/// The layering (STYLE.md §1): the engine names no check and imports nothing from `rules`, nor
/// from `report` (whose `[report]` table it compiles through the registry's `PolicyTable`), so
/// no import cycle joins them; `lib.rs` hands it the registry. A grep, like rustc's tidy.
#[test]
fn the_engine_names_no_check() {
    let mut names: Vec<String> = REGISTRY
        .all()
        .filter(|c| c.meta().kind != Kind::Gate && c.meta().kind != Kind::Suppress)
        .map(|c| format!("\"{}\"", c.meta().name))
        .collect();
    // Check modules and their settings types, by the names rules use.
    for entry in std::fs::read_dir(root().join("src/rules"))
        .unwrap()
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if let Some(module) = name.strip_suffix(".rs").filter(|m| *m != "mod") {
            names.push(format!("{module}::"));
        }
    }
    let mut stack = vec![root().join("src/engine")];
    let mut seen = 0;
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            seen += 1;
            let text = std::fs::read_to_string(&path).unwrap();
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                for above in ["rules", "report"] {
                    let names = |prefix: &str| {
                        let needle = format!("{prefix}::{above}");
                        code.match_indices(&needle).any(|(at, _)| {
                            !code[at + needle.len()..]
                                .starts_with(|c: char| c.is_alphanumeric() || c == '_')
                        })
                    };
                    assert!(
                        !names("crate") && !names("invlint") && !names("super::super"),
                        "{}:{}: the engine imports `{above}`, a module above it: {line}",
                        path.display(),
                        n + 1
                    );
                }
                for name in &names {
                    assert!(
                        !code.contains(name.as_str()),
                        "{}:{}: the engine names the check `{name}`: {line}",
                        path.display(),
                        n + 1
                    );
                }
            }
        }
    }
    assert!(seen > 10, "src/engine read ({seen} files)");
}

/// Every check a policy may bind has its settings keys in the schema, and every check with
/// settings gets its table there: the schema is generated from the registry.
#[test]
fn schema_tables_come_from_the_registry() {
    let tables = invlint::engine::schema::settings_tables(REGISTRY);
    let schema = invlint::engine::schema::schema(REGISTRY);
    let props = &schema["definitions"]["invariant"]["properties"];
    for (check, keys) in tables {
        for k in keys {
            assert!(
                props[check]["properties"][k.name].is_object(),
                "{check}.{} is not in the schema",
                k.name
            );
        }
    }
    let committed = std::fs::read_to_string(root().join("inv-rules.schema.json")).unwrap();
    assert_eq!(
        committed,
        invlint::engine::schema::render(REGISTRY),
        "inv-rules.schema.json is stale: run `invlint schema > inv-rules.schema.json`"
    );
}

/// Every check that binds to a spec, PR or generic invariant has a published help page (SARIF
/// `helpUri`).
#[test]
fn every_shipped_check_has_a_published_help_page() {
    use invlint::engine::render::sarif::{help_uri, HELP_BASE};
    for c in checks(&[Kind::Spec, Kind::Pr, Kind::Generic]) {
        let name = c.meta().name;
        let uri = help_uri(REGISTRY, name).unwrap_or_else(|| panic!("{name}: no help page"));
        let rel = uri.strip_prefix(HELP_BASE).unwrap();
        assert!(root().join(format!("rules{rel}")).is_file(), "{uri}");
    }
}
