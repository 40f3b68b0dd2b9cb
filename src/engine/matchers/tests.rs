//! Tests of [`super`]: glob anchors and roots, lazy regexes and glob sets.

use super::*;

#[test]
fn only_word_boundaries_admits_b_and_nothing_else() {
    let default = r#"(?i)websocket|\bws\b|\bws_|_ws\b|socket|Message::Text|"sync:"#;
    assert!(LazyRegex::new(default).only_word_boundaries());
    assert!(LazyRegex::new("socket").only_word_boundaries());
    for anchored in [
        "^fn ws",
        "ws$",
        r"\Bws",
        r"(?m)^ws",
        r"\Aws",
        r"\b{start}ws",
        "(",
    ] {
        assert!(
            !LazyRegex::new(anchored).only_word_boundaries(),
            "{anchored}"
        );
    }
}

fn list(globs: &[&str]) -> GlobList {
    let mut l = GlobList::default();
    for g in globs {
        let glob = globset::GlobBuilder::new(g)
            .literal_separator(true)
            .backslash_escape(true)
            .build()
            .unwrap();
        l.include(
            glob,
            GlobEntry {
                text: g.to_string(),
                span: 0..0,
            },
        );
    }
    l
}

/// Every path a list matches starts with one of its roots (is one, for a plain path).
#[test]
fn glob_roots_hold_every_match() {
    let globs = [
        "apps/**",
        "Cargo.toml",
        "apps/runtime/src/khala*.rs",
        "apps/*/deploy/**/*.yaml",
        "x/{a,b}/**",
        "proto/**/*.proto",
        r"esc/\*x",
    ];
    assert_eq!(
        list(&globs).roots(),
        Some(
            [
                "apps/",
                "Cargo.toml",
                "apps/runtime/src/",
                "apps/",
                "x/",
                "proto/",
                "esc/"
            ]
            .map(String::from)
            .to_vec()
        )
    );
    for anywhere in ["**/*.sh", "{a,b}/x", "*.toml", "[ab]/x"] {
        assert_eq!(list(&["apps/**", anywhere]).roots(), None, "{anywhere}");
    }
    let paths = [
        "apps/runtime/src/khala_sync.rs",
        "apps/web/deploy/k8s/a.yaml",
        "apps/x",
        "Cargo.toml",
        "x/a/y",
        "x/b/",
        "proto/a/b.proto",
        "proto/b.proto",
        "esc/*x",
        "a/x",
        "b.sh",
    ];
    for g in globs {
        let l = list(&[g]);
        let roots = l.roots().unwrap();
        for p in paths.iter().filter(|p| l.is_match(p)) {
            assert!(
                roots.iter().any(|r| if r.ends_with('/') {
                    p.starts_with(r.as_str())
                } else {
                    *p == r
                }),
                "{g} matches {p} outside {roots:?}"
            );
        }
    }
}

#[test]
fn capture_names_are_read_without_compiling() {
    assert!(LazyRegex::new(r#"\.send\(\s*"(?P<name>[^"]+)""#).has_capture("name"));
    assert!(LazyRegex::new(r"(?:a|b(?P<name>\w+))*").has_capture("name"));
    assert!(!LazyRegex::new(r"\.send\(([^)]+)\)").has_capture("name"));
    assert!(!LazyRegex::new(r"(?P<other>x)").has_capture("name"));
    assert!(!LazyRegex::new(r"(unclosed").has_capture("name"));
    for re in [
        r"x",
        r"(a)(?:b)(?P<c>c)",
        r"((a)|(b))*",
        r"(?i)--image[= ](\S+)",
    ] {
        let lazy = LazyRegex::new(re);
        assert_eq!(
            lazy.group_count(),
            Regex::new(re).unwrap().captures_len(),
            "{re}"
        );
    }
    assert_eq!(LazyRegex::new(r"(unclosed").group_count(), 0);
}

#[test]
fn a_regex_that_does_not_build_is_recorded_and_matches_nothing() {
    // Only a load that trusted a wrong validated-policy cache entry can get here.
    let bad = LazyRegex::new("(unclosed by a forged cache entry");
    assert!(!bad.is_match("(unclosed by a forged cache entry"));
    assert!(compile_failures()
        .iter()
        .any(|m| m.contains("(unclosed by a forged cache entry")));
}

/// Every glob of up to three tokens against every path of up to five characters over
/// `a`, `b`, `/`, `.`, with and without `literal_separator`: an anchor never turns away a
/// path its glob matches.
#[test]
fn an_anchor_admits_every_path_its_glob_matches() {
    use crate::engine::glob_interp::{built_both_ways, strings_of};
    let tokens = [
        "a", "b", "/", ".", "*", "**", "?", "[ab]", "[!a]", "{a,/b}", "{,a}", "\\*", "/**/", "**/",
        "/**",
    ];
    let paths = strings_of(&["a", "b", "/", "."], 5);
    let globs = strings_of(&tokens, 3);
    let mut checked = 0;
    for (glob, _, g) in built_both_ways(&globs) {
        let m = g.compile_matcher();
        let anchor = Anchor::of(glob);
        for path in &paths {
            if m.is_match(path.as_str()) {
                checked += 1;
                assert!(anchor.admits(path), "`{glob}` matches `{path}`: {anchor:?}");
            }
        }
    }
    assert!(checked > 10_000, "too few matching pairs: {checked}");
}

#[test]
fn anchors_turn_away_other_trees() {
    assert!(!Anchor::of("apps/runtime/src/**/ws*.rs").admits("crates/x/ws.rs"));
    assert!(!Anchor::of("**/*.proto").admits("a/b.ts"));
    assert!(Anchor::of("**/*.proto").admits("x.proto"));
    assert!(Anchor::of("apps/**/b").admits("apps/b"));
    assert!(!Anchor::of("README.md").admits("README.mdx"));
    // Prefixes and suffixes of every length `same` tells apart.
    assert!(Anchor::of("README.md").admits("README.md"));
    assert!(!Anchor::of("apps/ru*").admits("apps"));
    assert!(Anchor::of("ab*").admits("ab"));
    assert!(Anchor::of("a/**").admits("a"));
    assert!(!Anchor::of("apps/runtime/**").admits("apps/runtimX/a"));
    assert!(!Anchor::of("apps/runtime/**").admits("Apps/runtime/a"));
    assert!(Anchor::of("apps/runtime/**").admits("apps/runtime/a"));
    assert!(
        !Anchor::of("apps/openagents.com/web-shell/**").admits("apps/openagents.com/web-shelf/a")
    );
    assert!(
        !Anchor::of("apps/openagents.com/web-shell/**").admits("bpps/openagents.com/web-shell/a")
    );
    assert!(Anchor::of("**/*.generated.ts").admits("a/b.generated.ts"));
    assert!(!Anchor::of("**/*.generated.ts").admits("a/b.generatee.ts"));
}

#[test]
fn a_lazy_glob_too_big_to_build_is_recorded_and_matches_nothing() {
    let huge = format!("runtime.{}", "?".repeat(400_000));
    let glob = globset::GlobBuilder::new(&huge)
        .literal_separator(false)
        .build()
        .unwrap();
    let lazy = LazyGlob::new(glob);
    assert!(!lazy.is_match("runtime.x"));
    assert!(compile_failures()
        .iter()
        .any(|m| m.contains("does not build") && m.contains("runtime.???")));
    let ok = LazyGlob::new(globset::Glob::new("runtime.sync_*").unwrap());
    assert!(ok.is_match("runtime.sync_events"));
}

#[test]
fn glob_sets_build_on_first_match() {
    let mut list = LazyGlobSet::default();
    list.push(globset::Glob::new("apps/**").unwrap());
    list.push(globset::Glob::new("**/*.rs").unwrap());
    assert!(list.cell.get().is_none());
    assert!(!list.is_match("crates/x/src/lib.ts"));
    assert!(
        list.cell.get().is_none(),
        "no anchor admits it: nothing built"
    );
    // The first paths are answered by interpreting the globs; then the set is built.
    for _ in 0..INTERPRET_FIRST / 2 {
        assert!(list.is_match("apps/runtime/src/lib.ts"));
        assert_eq!(list.matches("apps/runtime/src/lib.rs"), vec![0, 1]);
        assert!(!list.is_match("crates/x/src/lib.r"));
    }
    assert!(list.cell.get().is_none());
    assert!(list.is_match("apps/runtime/src/lib.ts"));
    assert!(list.cell.get().is_some());
    assert_eq!(list.matches("apps/runtime/src/lib.rs"), vec![0, 1]);
    assert!(list.clone().is_match("crates/x/src/lib.rs"));
    assert!(!LazyGlobSet::default().is_match("x"));
}
