//! Fuzz targets, one per parser of untrusted input: the index reader, the PR description, the
//! policy TOML, SQL extraction, proto and Rust (syn). cargo-fuzz needs a nightly toolchain that
//! CI does not have, so each target is a proptest property over mutations of real inputs: the
//! files under `fixtures/` and `demo/`, and index files git2 writes for fixture trees. The
//! mutations are byte edits, splices between seeds, truncations and repeats of a range up to
//! thousands of times (the shape of every nesting bug found so far, #15).
//!
//! Every target runs on a thread with invlint's worker stack, as the checks do. Case counts are
//! small so `cargo test` stays within seconds; run longer with
//! `PROPTEST_CASES=5000 cargo test --release --test it fuzz::`. A crash found here becomes a named
//! regression case in tests/it/bad_input.rs or a unit test beside the parser.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use invlint::analysis::sql::{split_path, Extractor};
use invlint::engine::pr::{from_text, PrDescription};
use invlint::engine::scratch::{self, HeadAs};
use invlint::rules::util::{parse_proto, parse_rust_bounded};
use proptest::prelude::*;

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

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Real files under fixtures/ and demo/ (and the default policy) whose name ends in one of
/// `suffixes`, sorted, so every machine mutates the same seeds.
fn seeds(suffixes: &[&str]) -> Vec<Vec<u8>> {
    let mut files = Vec::new();
    walk(&root().join("fixtures"), &mut files);
    walk(&root().join("demo"), &mut files);
    files.push(root().join("inv-rules.toml"));
    let mut out: Vec<Vec<u8>> = files
        .iter()
        .filter(|p| {
            let name = p.to_string_lossy();
            suffixes.iter().any(|s| name.ends_with(s))
        })
        .filter_map(|p| std::fs::read(p).ok())
        .collect();
    out.dedup();
    assert!(!out.is_empty(), "no seeds for {suffixes:?}");
    out
}

/// Index files git2 writes for a few fixture trees: version 2 and 4, with a cache-tree.
fn index_seeds() -> &'static Vec<Vec<u8>> {
    static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SEEDS.get_or_init(|| {
        let mut out = Vec::new();
        for case in [
            "fixtures/INV-03/fail-eventsource-in-client",
            "fixtures/INV-05/fail-control-uses-runtime-crate",
            "fixtures/INV-01/fail-field-removed-without-reserved",
        ] {
            let dir = root().join(case);
            let base = scratch::read_tree(&dir.join("base")).unwrap();
            let head = scratch::read_tree(&dir.join("head")).unwrap();
            for version in [2, 4] {
                let tmp = tempfile::tempdir().unwrap();
                scratch::build(tmp.path(), &base, &head, HeadAs::Stage, "fuzz").unwrap();
                let repo = git2::Repository::open(tmp.path()).unwrap();
                let mut index = repo.index().unwrap();
                index.set_version(version).unwrap();
                index.write_tree().unwrap(); // fills the cache-tree (`TREE`)
                index.write().unwrap();
                out.push(std::fs::read(tmp.path().join(".git/index")).unwrap());
            }
        }
        out
    })
}

/// One edit of a byte string.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Delete(usize, usize),
    Insert(usize, Vec<u8>),
    /// Repeat a range many times: nesting and long chains.
    Repeat(usize, usize, usize),
    /// Copy a range of another seed in.
    Splice(usize, usize, usize, usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let interesting = prop_oneof![
        Just(b"(".to_vec()),
        Just(b"[".to_vec()),
        Just(b"{".to_vec()),
        Just(b"}".to_vec()),
        Just(b"<".to_vec()),
        Just(b"\"".to_vec()),
        Just(b"'".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r".to_vec()),
        Just(b"\0".to_vec()),
        Just(b"\x1b[2K".to_vec()),
        Just(b"\xff\xfe".to_vec()),
        Just("é🦀".as_bytes().to_vec()),
        Just(b"```".to_vec()),
        Just(b"<!--".to_vec()),
        Just(b"INV-03".to_vec()),
        Just(b"ARRAY[".to_vec()),
        Just(b"NOT ".to_vec()),
        Just(b"return ".to_vec()),
        Just(b"message M { ".to_vec()),
        Just(b"[invariant.X]".to_vec()),
        Just(b"TREE".to_vec()),
        Just(b"link".to_vec()),
        Just(b"sdir".to_vec()),
        Just(vec![0xff, 0xff, 0xff, 0xff]),
        prop::collection::vec(any::<u8>(), 1..8),
    ];
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(p, b)| Mutation::Flip(p, b)),
        (any::<usize>(), 1usize..64).prop_map(|(p, n)| Mutation::Delete(p, n)),
        (any::<usize>(), interesting).prop_map(|(p, b)| Mutation::Insert(p, b)),
        (any::<usize>(), 1usize..16, 2usize..4_000).prop_map(|(p, n, k)| Mutation::Repeat(p, n, k)),
        (any::<usize>(), any::<usize>(), any::<usize>(), 1usize..256)
            .prop_map(|(s, from, to, n)| Mutation::Splice(s, from, to, n)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

/// Applies `edits` to a copy of one of `seeds`; positions before `keep` are never touched (an
/// index keeps its header so the mutations reach the entries and extensions).
fn mutate(seeds: &[Vec<u8>], pick: usize, edits: &[Mutation], keep: usize) -> Vec<u8> {
    let mut b = seeds[pick % seeds.len()].clone();
    for e in edits {
        let len = b.len();
        let at = |p: usize| {
            if len <= keep {
                len
            } else {
                keep + p % (len - keep + 1)
            }
        };
        match e {
            Mutation::Flip(p, x) if len > keep => {
                let i = at(*p).min(len - 1);
                b[i] ^= x | 1;
            }
            Mutation::Flip(..) => {}
            Mutation::Delete(p, n) => {
                let i = at(*p);
                let j = (i + n).min(len);
                b.drain(i..j);
            }
            Mutation::Insert(p, x) => {
                let i = at(*p);
                b.splice(i..i, x.iter().copied());
            }
            Mutation::Repeat(p, n, k) => {
                let i = at(*p);
                let j = (i + n).min(len);
                // Bounded: at most 256 KiB of repeats per edit.
                let k = (*k).min((256 << 10) / (j - i).max(1));
                let piece = b[i..j].to_vec();
                let rep: Vec<u8> = piece.repeat(k);
                b.splice(j..j, rep);
            }
            Mutation::Splice(s, from, to, n) => {
                let other = &seeds[s % seeds.len()];
                if !other.is_empty() {
                    let f = from % other.len();
                    let g = (f + n).min(other.len());
                    let i = at(*to);
                    b.splice(i..i, other[f..g].iter().copied());
                }
            }
            Mutation::Truncate(p) => {
                let i = at(*p);
                b.truncate(i);
            }
        }
    }
    b
}

/// Runs `f` on a thread with the stack invlint's workers have; a panic fails the property.
fn on_worker<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| {
        std::thread::Builder::new()
            .stack_size(invlint::WORKER_STACK)
            .spawn_scoped(s, f)
            .expect("spawn")
            .join()
            .expect("the parser panicked")
    })
}

fn on_boundary(text: &str, span: &std::ops::Range<usize>) -> bool {
    span.start <= span.end
        && span.end <= text.len()
        && text.is_char_boundary(span.start)
        && text.is_char_boundary(span.end)
}

proptest! {
    #![proptest_config(config(48))]

    /// The hand-written index reader (`check --staged`): any bytes, no panic, no unbounded
    /// recursion; what it returns is sorted by path as the walk assumes.
    #[test]
    fn fuzz_index_reader(pick in any::<usize>(), edits in prop::collection::vec(mutation(), 1..6)) {
        let bytes = mutate(index_seeds(), pick, &edits, 12);
        let parsed = on_worker(|| invlint::engine::staged::parse(&bytes));
        if let Some(p) = parsed {
            prop_assert!(p.entries.windows(2).all(|w| w[0].path <= w[1].path));
        }
    }

    /// The PR description: spans stay in the text, on character boundaries.
    #[test]
    fn fuzz_pr_markdown(pick in any::<usize>(), edits in prop::collection::vec(mutation(), 1..6)) {
        static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
        let seeds = SEEDS.get_or_init(|| seeds(&["pr.md", ".md"]));
        let text = String::from_utf8_lossy(&mutate(seeds, pick, &edits, 0)).into_owned();
        let ids: Vec<String> = (1..=13).map(|n| format!("INV-{n:02}")).collect();
        let pr = on_worker(|| PrDescription::parse(from_text(&text), &ids));
        for m in &pr.mentions {
            prop_assert!(on_boundary(&text, &m.span));
        }
        for t in &pr.tasks {
            prop_assert!(on_boundary(&text, &t.span));
        }
    }

    /// The policy: parsed or refused with a diagnostic that renders (its spans are valid).
    #[test]
    fn fuzz_policy_toml(pick in any::<usize>(), edits in prop::collection::vec(mutation(), 1..6)) {
        static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
        let seeds = SEEDS.get_or_init(|| seeds(&["inv-rules.toml", ".toml"]));
        let text = String::from_utf8_lossy(&mutate(seeds, pick, &edits, 0)).into_owned();
        on_worker(|| {
            if let Err(e) = invlint::parse_policy("inv-rules.toml", &text) {
                let mut out = String::new();
                let handler = miette::GraphicalReportHandler::new_themed(
                    miette::GraphicalTheme::unicode_nocolor(),
                );
                let _ = handler.render_report(&mut out, &e);
            }
        });
    }

    /// SQL extraction over SQL files and source files with SQL in them: spans in bounds, and
    /// no statement shape makes sqlparser backtrack without end (a hang fails by timeout).
    #[test]
    fn fuzz_sql_extraction(pick in any::<usize>(), edits in prop::collection::vec(mutation(), 1..6)) {
        static SEEDS: OnceLock<Vec<(String, Vec<u8>)>> = OnceLock::new();
        let seeds = SEEDS.get_or_init(|| {
            let mut v: Vec<(String, Vec<u8>)> =
                seeds(&[".sql"]).into_iter().map(|b| ("db/x.sql".to_string(), b)).collect();
            v.extend(seeds(&["store.rs", "_store.rs", ".php", ".ex"]).into_iter().map(|b| ("src/x.rs".to_string(), b)));
            v
        });
        let (name, _) = &seeds[pick % seeds.len()];
        let bytes: Vec<Vec<u8>> = seeds.iter().map(|(_, b)| b.clone()).collect();
        let text = String::from_utf8_lossy(&mutate(&bytes, pick, &edits, 0)).into_owned();
        let ex = Extractor {
            sql_calls: ["query", "query_as", "execute", "DB::select", "sql"]
                .iter()
                .map(|c| split_path(c))
                .collect(),
            builders: vec!["knex".into(), "db".into()],
        };
        let statements = on_worker(|| ex.extract(name, &text));
        for st in &statements {
            for u in &st.uses {
                prop_assert!(on_boundary(&text, &u.span));
            }
        }
    }

    /// Proto files (INV-01, INV-02): parsed or refused, never a stack overflow.
    #[test]
    fn fuzz_proto(pick in any::<usize>(), edits in prop::collection::vec(mutation(), 1..6)) {
        static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
        let seeds = SEEDS.get_or_init(|| seeds(&[".proto"]));
        let text = String::from_utf8_lossy(&mutate(seeds, pick, &edits, 0)).into_owned();
        let _ = on_worker(|| parse_proto("x.proto", &text).map(|_| ()));
    }

    /// Rust files (INV-01, INV-02, INV-07 parse them with syn): parsed or refused, never a
    /// stack overflow.
    #[test]
    fn fuzz_rust(pick in any::<usize>(), edits in prop::collection::vec(mutation(), 1..6)) {
        static SEEDS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
        let seeds = SEEDS.get_or_init(|| seeds(&[".rs"]));
        let text = String::from_utf8_lossy(&mutate(seeds, pick, &edits, 0)).into_owned();
        on_worker(|| {
            let _ = parse_rust_bounded(&text).map(|f| f.items.len());
        });
    }
}

#[test]
fn seeds_are_real_files() {
    // The targets above mutate what the repository holds; a seed set that vanished would make
    // them fuzz nothing.
    assert!(index_seeds().iter().all(|b| b.starts_with(b"DIRC")));
    assert!(index_seeds()
        .iter()
        .any(|b| b.windows(4).any(|w| w == b"TREE")));
    assert!(invlint::engine::staged::parse(&index_seeds()[0]).is_some());
    for s in [
        &[".proto"][..],
        &[".sql"],
        &["pr.md"],
        &[".rs"],
        &["inv-rules.toml"],
    ] {
        assert!(!seeds(s).is_empty());
    }
}
