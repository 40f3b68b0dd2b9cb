//! The lazy parse against syn's whole-file parse: tokens, spans, fallbacks, hostile input.

use super::*;
use quote::ToTokens as _;

/// The lazy parse, every body filled, prints as the whole-file parse does.
fn same_as_whole(text: &str) -> usize {
    let whole = syn::parse_file(text).expect("parses whole");
    let mut lazy = LazyFile::parse(text).expect("parses lazily");
    let deferred = lazy.deferred();
    assert_eq!(lazy.fill_all().expect("bodies parse"), deferred);
    assert_eq!(
        lazy.file.to_token_stream().to_string(),
        whole.to_token_stream().to_string(),
        "{text}"
    );
    assert_eq!(lazy.file.attrs.len(), whole.attrs.len());
    deferred
}

/// Every token of `tokens`, groups flattened, with the (line, column) of its start and end.
fn located(tokens: proc_macro2::TokenStream, out: &mut Vec<(String, Key)>) {
    for tt in tokens {
        out.push((
            match &tt {
                TokenTree::Group(g) => format!("{:?}", g.delimiter()),
                other => other.to_string(),
            },
            key(tt.span()),
        ));
        if let TokenTree::Group(g) = tt {
            located(g.stream(), out);
        }
    }
}

/// The lazy parse, every body filled, has the tokens and spans of the whole-file parse;
/// every body the scan found was deferred (the fast path was taken, not the whole parse).
fn same_tokens_and_spans(text: &str) -> usize {
    let whole = syn::parse_file(text).expect("parses whole");
    let mut lazy = LazyFile::parse(text).expect("parses lazily");
    let deferred = lazy.deferred();
    let content = text.strip_prefix('\u{feff}').unwrap_or(text);
    let scanned = scan::items(content, Unread::NOTHING.wanted()).map(|f| f.fns.len());
    assert_eq!(scanned, Some(deferred), "bodies found by the scan: {text}");
    assert_eq!(lazy.fill_all().expect("bodies parse"), deferred);
    let (mut a, mut b) = (Vec::new(), Vec::new());
    located(lazy.file.to_token_stream(), &mut a);
    located(whole.to_token_stream(), &mut b);
    assert_eq!(a, b, "{text}");
    deferred
}

#[test]
fn the_scan_reads_literals_and_comments_as_rustc_does() {
    // Braces, quotes and `fn` inside literals and comments are no tokens; lifetimes are no
    // char literals; `#"` is a `#` and a string.
    let text = r####"
fn a<'a>(x: &'a str) -> &'a str { let c = '{'; let d = '}'; let q = '\''; x }
fn b() { let s = "}{ fn f() {"; let r = r#"}"{"#; let rr = r##"}"#"##; }
fn c() { /* } /* nested { */ } */ let b = b'}'; let bs = b"{"; let cs = c"}"; }
/// docs with { and fn x() {
impl X { fn d(&self) -> i32 { 'outer: loop { break 'outer 1; } } }
fn e() { m!(#"{"); let r#fn = 1; }
mod m { fn f() -> Vec<Vec<u8>> { vec![] } }
fn g() -> impl Fn() -> u8 { || { 1 } }
"####;
    assert_eq!(same_tokens_and_spans(text), 7);
    // Multi-byte chars before and inside bodies: columns count chars, not bytes.
    let text = "fn h() { \"é€😀\" } fn i() { 'é' } /* ü */ fn j() {\n  \"ß\"\n}";
    assert_eq!(same_tokens_and_spans(text), 3);
    same_tokens_and_spans("\u{feff}fn k() { 1 }");
    same_tokens_and_spans("fn l() {}\r\nfn m() {\r\n  2\r\n}\r\n");
}

#[test]
fn struct_fields_are_left_out_when_unread() {
    let text = "/// doc\n#[derive(Debug)]\npub struct A<T: Into<u8>> where T: Clone {\n    /// f\n    #[serde(rename = \"b\")]\n    a: T,\n}\nstruct U;\nstruct P(u8, [u8; { 1 }]);\nmod m { struct B<const N: usize = { 3 }> { b: [u8; N] } }\nimpl A<u8> { fn f(&self) -> u8 { self.a } }\nfn g() { struct Inner { x: u8 } }\n";
    let unread = Unread {
        struct_fields: true,
        keep_enum: None,
        gate: None,
    };
    let mut lazy = LazyFile::parse_guarded(text, None, unread).expect("parses");
    assert_eq!(lazy.deferred(), 2);
    let named: Vec<usize> = lazy
        .file
        .items
        .iter()
        .filter_map(|i| match i {
            syn::Item::Struct(s) => Some(s.fields.len()),
            _ => None,
        })
        .collect();
    // A's fields are gone; the unit and tuple structs are as written.
    assert_eq!(named, [0, 0, 2]);
    let syn::Item::Mod(m) = &lazy.file.items[3] else {
        panic!()
    };
    let syn::Item::Struct(b) = &m.content.as_ref().unwrap().1[0] else {
        panic!()
    };
    assert!(b.fields.is_empty());
    // Bodies fill as before, and a struct inside one keeps its fields.
    assert_eq!(lazy.fill_all().unwrap(), 2);
    let syn::Item::Fn(g) = &lazy.file.items[5] else {
        panic!()
    };
    let syn::Stmt::Item(syn::Item::Struct(inner)) = &g.block.stmts[0] else {
        panic!()
    };
    assert_eq!(inner.fields.len(), 1);
    // Spans after a blanked list are those of the text.
    let syn::Item::Impl(imp) = &lazy.file.items[4] else {
        panic!()
    };
    assert_eq!(imp.impl_token.span.start().line, 11);
}

#[test]
fn enum_variants_are_left_out_unless_kept() {
    let text = "#[derive(Deserialize)]\nenum ClientMessage { Subscribe { topic: String }, #[serde(rename = \"x\")] Ping }\npub enum Other<T> where T: Clone { A(T), B = 3 }\nmod m { enum r#Inner { C } }\nfn f() { enum Local { D } }\n";
    let keep = |name: &str| name.starts_with("Client");
    let unread = Unread {
        struct_fields: false,
        keep_enum: Some(&keep),
        gate: None,
    };
    let mut lazy = LazyFile::parse_guarded(text, None, unread).expect("parses");
    let variants = |item: &syn::Item| match item {
        syn::Item::Enum(e) => e.variants.len(),
        _ => usize::MAX,
    };
    assert_eq!(variants(&lazy.file.items[0]), 2);
    assert_eq!(variants(&lazy.file.items[1]), 0);
    let syn::Item::Mod(m) = &lazy.file.items[2] else {
        panic!()
    };
    assert_eq!(variants(&m.content.as_ref().unwrap().1[0]), 0);
    // An enum inside a body is the body's, parsed whole when filled.
    lazy.fill_all().unwrap();
    let syn::Item::Fn(f) = &lazy.file.items[3] else {
        panic!()
    };
    let syn::Stmt::Item(local) = &f.block.stmts[0] else {
        panic!()
    };
    assert_eq!(variants(local), 1);
}

#[test]
fn unreadable_text_is_left_to_proc_macro2() {
    // Unterminated literals and comments: the scan gives up, and the whole-file
    // tokenization reports the error as before.
    for text in [
        "fn f() { \"",
        "fn f() { /* }",
        "fn f() { r#\"}\" }",
        "fn f() { '",
        "fn f() { ] }",
    ] {
        let wanted = scan::Wanted {
            struct_fields: true,
            keep_enum: Some(&|_| false),
            words: true,
        };
        assert!(scan::items(text, wanted).is_none(), "{text}");
        assert!(LazyFile::parse(text).is_err(), "{text}");
    }
}

/// `.rs` files under `dir`, recursively.
fn rust_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Differential check over real code: every `.rs` file of this crate (`src/`, `tests/`) and,
/// when `INVLINT_RUST_CORPUS` names a file listing `.rs` paths, those too (for instance the
/// 4,001 `.rs` blobs of the openagents trees the benchmarks use).
#[test]
fn corpus_agrees_with_whole_file_parse() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut paths = Vec::new();
    rust_files(&root.join("src"), &mut paths);
    rust_files(&root.join("tests"), &mut paths);
    if let Ok(list) = std::env::var("INVLINT_RUST_CORPUS") {
        paths.extend(
            std::fs::read_to_string(list)
                .unwrap()
                .lines()
                .map(Into::into),
        );
    }
    let (mut files, mut bodies) = (0, 0);
    for path in &paths {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        if syn::parse_file(&text).is_err() || crate::engine::depth::too_deep(&text).is_some() {
            continue;
        }
        bodies += same_tokens_and_spans(&text);
        files += 1;
        // Struct fields and enum variants left out: the scan's guesses survive syn's parse in
        // every file (all its bodies deferred, not a whole-file parse).
        let lazy = LazyFile::parse(&text).unwrap();
        let blanked = LazyFile::parse_guarded(&text, None, Unread::FNS_ONLY).unwrap();
        assert_eq!(blanked.deferred(), lazy.deferred(), "{}", path.display());
        // Every body checked on its own: the file parses, as the whole-file parse says.
        let mut checked = LazyFile::parse(&text).unwrap();
        assert_eq!(
            checked.check_all().ok(),
            Some(lazy.deferred()),
            "{}",
            path.display()
        );
    }
    assert!(
        files >= 100 && bodies >= 1_000,
        "{files} files, {bodies} bodies"
    );
    eprintln!("{files} files, {bodies} bodies: same tokens and spans");
}

#[test]
fn bodies_are_deferred_and_filled_back() {
    let text = r#"
//! docs
#![allow(dead_code)]
use std::{fmt, io};
const C: Foo = Foo { a: 1 };
static S: fn(u8) -> u8 = { fn h(x: u8) -> u8 { x } h };
type F = fn() -> u8;
fn a() { #![allow(unused)] let x = 1; match x { 1 => {} _ => {} } }
pub(crate) async unsafe extern "C" fn b<T: Into<u8>>(t: T) -> impl Fn() -> u8 where T: Clone { || 1 }
struct S { f: u8 }
enum E { A { x: u8 }, B }
impl<T> Tr for W<T> where T: Iterator<Item = u8> { fn c(&self) -> u8 { 1 } const K: u8 = 2; }
trait Tr { fn c(&self) -> u8; fn d(&self) { self.c(); } }
mod m { fn e() { fn nested() {} } #[cfg(test)] mod t { #[test] fn f() { assert!(true) } } }
extern "C" { fn g(x: u8); }
macro_rules! mac { ($x:ident) => { fn $x() {} }; }
mac!(zz);
"#;
    // a, b, c, d, e, f (nested() lives inside e's body).
    assert_eq!(same_as_whole(text), 6);
}

#[test]
fn misread_signatures_fall_back_to_the_whole_file() {
    // A brace-delimited type macro in the return type: the scan takes it for the body,
    // syn's parse disagrees, and the whole file is parsed as before (nothing deferred).
    let misread = "fn f() -> m! { u8 } { 0 } fn g() { let x = 1; }";
    assert_eq!(same_as_whole(misread), 0);
    // `<` .. `>` around a const block keeps the scan right.
    let text = "fn f<const N: usize>() -> Foo<{ N }> { 1 } fn g() -> Foo<{ 2 }> where [u8; { 1 }]: Sized { 2 }";
    assert_eq!(same_as_whole(text), 2);
    assert_eq!(same_as_whole("fn f() -> [u8; { 3 }] { [0; 3] }"), 1);
    let shebang = "#!/usr/bin/env rust-script\nfn main() { let x = 1; }";
    assert_eq!(same_as_whole(shebang), 0);
    // An inner attribute on the first line is no shebang: the bodies are deferred, and the
    // attribute is the file's, as syn's whole-file parse has it.
    let inner = "#![allow(dead_code)]\n#![cfg_attr(test, allow(x))]\nfn main() { let x = 1; }";
    assert_eq!(same_as_whole(inner), 1);
    assert_eq!(same_as_whole(&format!("\u{feff}{inner}")), 1);
    // `#!` then a space before the `[`: left to syn whole, which takes it for an attribute.
    assert_eq!(same_as_whole("#! [allow(x)]\nfn main() { let x = 1; }"), 0);
    let bom = "\u{feff}fn main() { let x = 1; }";
    assert_eq!(same_as_whole(bom), 1);
}

#[test]
fn spans_are_those_of_the_text() {
    let text = "mod m {\n    fn f() {\n        let x = \"ws\";\n    }\n}\n";
    let mut lazy = LazyFile::parse(text).unwrap();
    let mut names = Vec::new();
    lazy.fill(|sig, block| {
        names.push((
            sig.ident.to_string(),
            block.brace_token.span.open().start().line,
            block.brace_token.span.close().start().line,
        ));
        true
    })
    .unwrap();
    assert_eq!(names, [("f".to_string(), 2, 4)]);
    let syn::Item::Mod(m) = &lazy.file.items[0] else {
        panic!()
    };
    let syn::Item::Fn(f) = &m.content.as_ref().unwrap().1[0] else {
        panic!()
    };
    let syn::Stmt::Local(local) = &f.block.stmts[0] else {
        panic!()
    };
    let lc = local.let_token.span.start();
    assert_eq!((lc.line, lc.column), (3, 8));
}

#[test]
fn only_wanted_bodies_are_parsed() {
    let text = "fn a() { 1 + } fn b() { let y = 2; }";
    // A whole-file parse fails on `a`; lazily, `b` alone parses.
    assert!(syn::parse_file(text).is_err());
    let mut lazy = LazyFile::parse(text).unwrap();
    assert_eq!(lazy.deferred(), 2);
    assert_eq!(lazy.fill(|sig, _| sig.ident == "b").unwrap(), 1);
    assert_eq!(lazy.deferred(), 1);
    // Filling everything fails where the whole-file parse fails.
    assert!(lazy.fill_all().is_err());
}

/// `check_all` answers as `fill_all` (and so as the whole-file parse) does, without filling:
/// bodies that do not parse, inner attributes, bodies in impls, traits and modules, and a
/// body whose text the lexer and proc-macro2 could read differently.
#[test]
fn checking_every_body_answers_as_filling_them() {
    let cases = [
        "fn a() { 1 + } fn b() { let y = 2; }",
        "fn a() { #![allow(unused)] let x = 1; }",
        "fn a() { #![allow(unused)] let x = 1; #![late] }",
        "impl X { fn a(&self) { self.b() } } trait T { fn c() { let = 1; } }",
        "mod m { fn e() { fn nested() { 1 +* 2 } } }",
        "mod m { fn e() { fn nested() {} } }",
        "fn f() { m!(#\"{\"); } fn g() { 'a: loop { break 'a; } }",
        "fn f() { let s = \"}{\"; } fn g() { r#\"x\"# }",
        "fn f() {} struct S; fn g() { match x { 1 => {} _ => } }",
    ];
    for text in cases {
        let whole = syn::parse_file(text).is_ok();
        let mut lazy = LazyFile::parse(text).unwrap();
        let deferred = lazy.deferred();
        let checked = lazy.check_all();
        assert_eq!(checked.is_ok(), whole, "{text}");
        if let Ok(n) = checked {
            assert_eq!(n, deferred, "{text}");
        }
        // Nothing was filled: every body is still deferred.
        assert_eq!(lazy.deferred(), deferred, "{text}");
        assert_eq!(LazyFile::parse(text).unwrap().fill_all().is_ok(), whole);
    }
    let many = "fn f() { let v = vec![1, 2, 3]; }\n".repeat(500) + "fn g() { 1 + }\n";
    assert!(LazyFile::parse(&many).unwrap().check_all().is_err());
    let many = "fn f() { let v = vec![1, 2, 3]; }\n".repeat(500);
    assert_eq!(LazyFile::parse(&many).unwrap().check_all().unwrap(), 500);
}

#[test]
fn hostile_input() {
    // Unbalanced delimiters: a lexing error, as for a whole-file parse.
    for text in [
        "fn f() { (",
        "fn f() { ) }",
        "impl X { fn f() {",
        "}}}",
        "fn f() {\"}",
    ] {
        assert!(LazyFile::parse(text).is_err(), "{text}");
        assert!(syn::parse_file(text).is_err(), "{text}");
    }
    // Deep nesting is refused before tokenizing.
    let deep = format!("fn f() {{ {}1{} }}", "(".repeat(300), ")".repeat(300));
    assert!(LazyFile::parse(&deep).is_err());
    let mods = format!("{}{}", "mod m { ".repeat(300), "}".repeat(300));
    assert!(LazyFile::parse(&mods)
        .err()
        .is_some_and(|e| e.to_string().starts_with("not parsed: ")));
    // Nesting just under the guard, through impl and mod blocks, parses.
    let ok = format!(
        "{}impl X {{ fn f() {{ {}1{} }} }}{}",
        "mod m { ".repeat(60),
        "(".repeat(60),
        ")".repeat(60),
        "}".repeat(60)
    );
    assert_eq!(same_as_whole(&ok), 1);
    // Item keywords where no item starts.
    same_as_whole("fn f() -> impl Fn() -> u8 { || 1 } const X: fn() = { fn g() {} g };");
    same_as_whole("struct S where for<'a> fn(&'a u8): Copy; fn h() {}");
    // A huge file: many bodies, each deferred.
    let huge =
        "fn f() { let v = vec![1, 2, 3]; for x in v { println!(\"{x}\"); } }\n".repeat(20_000);
    let mut lazy = LazyFile::parse(&huge).unwrap();
    assert_eq!(lazy.deferred(), 20_000);
    // Filling them all is one tokenization and a lookup per body, not a scan of the wanted
    // list per body (20,000 squared).
    assert_eq!(lazy.fill_all().unwrap(), 20_000);
}

#[test]
fn the_gate_sees_every_match_and_enum_name_and_each_fn_start() {
    let text = "fn a(x: u8) -> u8 { match x { _ => 0 } }\nm! { match }\nimpl T { fn b() { let r#match = 1; enum r#Inner { C } } }\nenum Outer { D }\n";
    let seen = std::cell::RefCell::new(None);
    let gate = |o: &Outline<'_>| {
        let names: Vec<&str> = o.enum_names.iter().map(|r| &o.text[r.clone()]).collect();
        let fns: Vec<&str> = o.fns.iter().map(|(s, b)| &o.text[*s..b.end]).collect();
        *seen.borrow_mut() = Some((
            o.matches.to_vec(),
            names.iter().map(|n| n.to_string()).collect::<Vec<_>>(),
            fns.iter().map(|f| f.to_string()).collect::<Vec<_>>(),
        ));
        false
    };
    let unread = Unread {
        struct_fields: false,
        keep_enum: None,
        gate: Some(&gate),
    };
    let lazy = LazyFile::parse_guarded(text, None, unread).expect("gated, not an error");
    assert!(lazy.is_gated());
    assert!(lazy.file.items.is_empty());
    let (matches, names, fns) = seen.into_inner().expect("the gate was asked");
    // The `match` in a's body and the one in the macro; `r#match` is an identifier.
    assert_eq!(
        matches,
        [text.find("match x").unwrap(), text.find("match }").unwrap()]
    );
    assert_eq!(names, ["r#Inner", "Outer"]);
    assert_eq!(
        fns,
        [
            "fn a(x: u8) -> u8 { match x { _ => 0 } }",
            "fn b() { let r#match = 1; enum r#Inner { C } }"
        ]
    );
    // A gate that says yes leaves the parse as it was.
    let yes = |_: &Outline<'_>| true;
    let unread = Unread {
        struct_fields: false,
        keep_enum: None,
        gate: Some(&yes),
    };
    let lazy = LazyFile::parse_guarded(text, None, unread).expect("parses");
    assert!(!lazy.is_gated());
    assert_eq!(lazy.file.items.len(), 4);
}
