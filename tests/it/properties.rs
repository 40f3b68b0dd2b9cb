//! Property tests of the parsers that read untrusted text: the policy, the PR description, SQL
//! in source files, and the byte <-> line/column mapping every span goes through.
//!
//! Case counts are small so `cargo test` stays fast; run longer with
//! `PROPTEST_CASES=10000 cargo test --test it properties::`.

use std::sync::Arc;

use invlint::analysis::sql::{split_path, Extractor};
use invlint::engine::config::DEFAULT_POLICY;
use invlint::engine::pr::{from_text, PrDescription};
use invlint::engine::source::Source;
use proptest::prelude::*;

/// `cases` unless PROPTEST_CASES says otherwise.
fn config(cases: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(cases);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn on_boundary(text: &str, span: &std::ops::Range<usize>) -> bool {
    span.start <= span.end
        && span.end <= text.len()
        && text.is_char_boundary(span.start)
        && text.is_char_boundary(span.end)
}

/// Text made of pieces that matter to line handling: CR, LF, CRLF, multibyte characters.
fn texty() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            Just("\n".to_string()),
            Just("\r\n".to_string()),
            Just("\r".to_string()),
            Just("é".to_string()),
            Just("日本".to_string()),
            Just("🦀".to_string()),
            Just("\u{200d}".to_string()),
            "[a-z ]{0,6}",
            any::<char>().prop_map(|c| c.to_string()),
        ],
        0..40,
    )
    .prop_map(|v| v.concat())
}

/// One edit to a policy text.
#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, String),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    Truncate(usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let fragment = prop_oneof![
        Just("[".to_string()),
        Just("]]".to_string()),
        Just("\"".to_string()),
        Just("'''".to_string()),
        Just("= ".to_string()),
        Just("\n[invariant.INV-03]\n".to_string()),
        Just("{ id = \"x\", regex = '(' }".to_string()),
        Just("@tests".to_string()),
        Just("\u{0}".to_string()),
        Just("é".to_string()),
        "[a-z\\-_.=\\[\\]\"' \n]{0,12}",
    ];
    prop_oneof![
        (any::<usize>(), 0usize..64).prop_map(|(a, n)| Edit::Delete(a, n)),
        (any::<usize>(), fragment).prop_map(|(a, s)| Edit::Insert(a, s)),
        any::<usize>().prop_map(Edit::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::SwapLines(a, b)),
        any::<usize>().prop_map(Edit::Truncate),
    ]
}

fn floor(text: &str, i: usize) -> usize {
    let mut i = i % (text.len() + 1);
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(text: &mut String, e: &Edit) {
    match e {
        Edit::Delete(a, n) => {
            let start = floor(text, *a);
            let end = floor(text, (start + n).min(text.len()));
            text.replace_range(start..end.max(start), "");
        }
        Edit::Insert(a, s) => {
            let at = floor(text, *a);
            text.insert_str(at, s);
        }
        Edit::DuplicateLine(a) | Edit::SwapLines(a, _) if text.is_empty() => {
            let _ = a;
        }
        Edit::DuplicateLine(a) => {
            let mut lines: Vec<&str> = text.split('\n').collect();
            let i = a % lines.len();
            lines.insert(i, lines[i]);
            *text = lines.join("\n");
        }
        Edit::SwapLines(a, b) => {
            let mut lines: Vec<String> = text.split('\n').map(str::to_string).collect();
            let n = lines.len();
            lines.swap(a % n, b % n);
            *text = lines.join("\n");
        }
        Edit::Truncate(a) => {
            let at = floor(text, *a);
            text.truncate(at);
        }
    }
}

proptest! {
    #![proptest_config(config(64))]

    /// The policy parser never panics on a mutated default policy: it accepts it or reports
    /// problems, each span inside the text.
    #[test]
    fn policy_parser_never_panics_on_mutations(edits in prop::collection::vec(edit(), 1..6)) {
        let mut text = DEFAULT_POLICY.to_string();
        for e in &edits {
            apply(&mut text, e);
        }
        match invlint::parse_policy("inv-rules.toml", &text) {
            Ok(_) => {}
            Err(invlint::engine::error::Error::ConfigParse { at, .. }) => {
                if let Some(at) = at {
                    prop_assert!(at.offset() + at.len() <= text.len() + 1);
                }
            }
            Err(invlint::engine::error::Error::ConfigInvalid { problems, .. }) => {
                prop_assert!(!problems.is_empty());
                for p in problems {
                    if let Some(at) = p.at {
                        prop_assert!(at.offset() + at.len() <= text.len() + 1, "{:?}", p.message);
                    }
                }
            }
            Err(e) => prop_assert!(false, "unexpected error kind: {e}"),
        }
    }
}

proptest! {
    #![proptest_config(config(256))]

    /// Arbitrary short TOML-ish text: never panics.
    #[test]
    fn policy_parser_never_panics_on_arbitrary_text(
        text in "(version = [0-9]\n|\\[invariant\\.[A-Za-z0-9\\-]{0,8}\\]\n|\\[invariant\\.INV-0[0-9]\\.[a-z\\-]{0,16}\\]\n|title = \"[a-z]*\"\n|check = \"(sse-poll-lane|cross-plane-sql|x)\"\n|escalation = \"block-(merge|release)\"\n|status = \"(stable|planned)\"\n|paths = \\[\"[a-z*/\\[\\]{}]*\"\\]\n|exclude = \\[\"@[a-z]*\"\\]\n|patterns = \\[\\{ id = \"p\", regex = '[a-z()\\[\\]\\\\*+?|]*', what = \"w\" \\}\\]\n|\\[vocabulary\\]\n|tests = \\[\"[a-z*/]*\"\\]\n|\\[limits\\]\n|max-file-size = -?[0-9]{0,20}\n|.{0,3}\n)*"
    ) {
        let _ = invlint::parse_policy("inv-rules.toml", &text);
    }

    /// Source: line ranges tile the text, and line/column <-> offset round-trips on every char
    /// boundary inside a line, with CR, LF, CRLF and multibyte characters.
    #[test]
    fn source_line_col_round_trips(text in texty()) {
        let s = Source::new("t", text.clone());
        let n = s.line_count();
        prop_assert!(n >= 1);
        let mut prev_end = 0;
        for line in 1..=n {
            let r = s.line_range(line).expect("every counted line has a range");
            prop_assert!(on_boundary(&text, &r));
            prop_assert!(r.start >= prev_end);
            prop_assert!(!text[r.clone()].contains('\n'));
            prop_assert_eq!(s.line_of(r.start), line);
            prev_end = r.end;
            // Every char boundary inside the line (and its end) maps back to itself.
            for (i, _) in text[r.clone()].char_indices().chain(std::iter::once((r.len(), ' '))) {
                let off = r.start + i;
                let (l, c) = s.line_col(off);
                prop_assert_eq!(l, line);
                prop_assert!(c >= 1);
                prop_assert_eq!(s.offset(l, c - 1), off);
            }
        }
        prop_assert_eq!(s.line_range(0), None);
        prop_assert_eq!(s.line_range(n + 1), None);
        // Any offset at all (inside a character, past the end) is safe.
        for off in 0..=text.len() + 2 {
            let (l, c) = s.line_col(off);
            prop_assert!(l >= 1 && c >= 1 && l <= n + 1);
            let back = s.offset(l, c - 1);
            prop_assert!(back <= text.len() && text.is_char_boundary(back));
            let _ = s.is_showable(&(off..text.len() + 3));
        }
        prop_assert_eq!(s.offset(n + 5, 0), text.len());
    }

    /// The PR-description parser never panics, and every span it returns lies within the text,
    /// on character boundaries; each mention's span is the ID it names.
    #[test]
    fn pr_description_spans_are_in_bounds(
        parts in prop::collection::vec(prop_oneof![
            Just("INV-03".to_string()),
            Just("inv-10".to_string()),
            Just("INV-0".to_string()),
            Just(": N/A".to_string()),
            Just(" none ".to_string()),
            Just(" mitigation approved by @lead follow-up #42".to_string()),
            Just("- [x] ".to_string()),
            Just("* [ ] ".to_string()),
            Just("1) [X] ".to_string()),
            Just("```".to_string()),
            Just("````".to_string()),
            Just("~~~".to_string()),
            Just("<!--".to_string()),
            Just("-->".to_string()),
            Just("<details>".to_string()),
            Just("> ".to_string()),
            Just("\n".to_string()),
            Just("\r\n".to_string()),
            Just("é".to_string()),
            Just("İ".to_string()),
            Just("🦀".to_string()),
            "[ -~]{0,5}",
            any::<char>().prop_map(|c| c.to_string()),
        ], 0..60)
    ) {
        let text = parts.concat();
        let ids: Vec<String> = (1..=10).map(|n| format!("INV-{n:02}")).collect();
        let pr = PrDescription::parse(from_text(&text), &ids);
        for m in &pr.mentions {
            prop_assert!(on_boundary(&text, &m.span));
            prop_assert!(ids.iter().any(|i| i.eq_ignore_ascii_case(&text[m.span.clone()])));
            prop_assert_eq!(pr.source.line_of(m.span.start), m.line);
        }
        for t in &pr.tasks {
            prop_assert!(on_boundary(&text, &t.span));
        }
        for m in &pr.mitigations {
            prop_assert!(on_boundary(&text, &m.span));
        }
        // The same text with no IDs configured: no mentions, no panic.
        let pr = PrDescription::parse(Arc::new(Source::new("PR description", text.clone())), &[]);
        prop_assert!(pr.mentions.is_empty());
    }

    /// SQL extraction never panics on source-like text in any language it reads, and every
    /// table span lies within the text, on character boundaries.
    #[test]
    fn sql_extraction_spans_are_in_bounds(
        ext in prop_oneof![Just("sql"), Just("rs"), Just("php"), Just("ts"), Just("ex")],
        parts in prop::collection::vec(prop_oneof![
            Just("query(".to_string()),
            Just("sqlx::query!(".to_string()),
            Just("DB::table('runs')->insert(".to_string()),
            Just("knex('jobs').join('x')".to_string()),
            Just("sql`".to_string()),
            Just("SQL.query(Repo, ".to_string()),
            Just("schema \"users\" do".to_string()),
            Just("from(r in \"runs\")".to_string()),
            Just("const Q: &str = ".to_string()),
            Just("\"SELECT * FROM runtime.runs r JOIN jobs j ON r.id = j.id WHERE a = $1\"".to_string()),
            Just("'INSERT INTO khala.events (a) VALUES (?)'".to_string()),
            Just("r#\"UPDATE t SET a = 1\"#".to_string()),
            Just("\"DELETE FROM ".to_string()),
            Just("CREATE TABLE x (id int);".to_string()),
            Just("WITH a AS (SELECT 1) SELECT * FROM a;".to_string()),
            Just("\"".to_string()),
            Just("'".to_string()),
            Just("`".to_string()),
            Just("\\".to_string()),
            Just("${x}".to_string()),
            Just("#{x}".to_string()),
            Just("/*".to_string()),
            Just("*/".to_string()),
            Just("//".to_string()),
            Just("--".to_string()),
            Just("#".to_string()),
            Just("(".to_string()),
            Just(")".to_string()),
            Just(";".to_string()),
            Just("\n".to_string()),
            Just("\r\n".to_string()),
            Just("é".to_string()),
            Just("表".to_string()),
            "[ -~]{0,6}",
            any::<char>().prop_map(|c| c.to_string()),
        ], 0..40)
    ) {
        let text = parts.concat();
        let ex = Extractor {
            sql_calls: ["query", "query_as", "execute", "DB::select", "sql", "SQL.query"]
                .iter()
                .map(|c| split_path(c))
                .collect(),
            builders: vec!["knex".into(), "db".into()],
        };
        let path = format!("src/x.{ext}");
        let all = ex.extract(&path, &text);
        for st in &all {
            for u in &st.uses {
                prop_assert!(on_boundary(&text, &u.span), "{:?} in {:?}", u, text);
            }
        }
        // Leaving out the statements that name no schema (#19) leaves out exactly the SQL
        // statements without a `.`, and each of those has only unqualified tables.
        let (dropped, kept): (Vec<_>, Vec<_>) = all
            .iter()
            .partition(|st| st.sql.as_ref().is_some_and(|q| !q.contains('.')));
        for st in &dropped {
            prop_assert!(st.uses.iter().all(|u| u.schema.is_none()), "{:?} in {:?}", st, text);
        }
        let skipping = ex.extract_in(&path, &text, true);
        prop_assert_eq!(format!("{kept:?}"), format!("{:?}", skipping.iter().collect::<Vec<_>>()));
    }
}
