use super::*;

fn lines(p: &Prefilter, text: &str) -> Vec<usize> {
    let src = Source::new("a.rs", text);
    let mut out = Vec::new();
    p.for_each_line(&src, 0..text.len(), |l| out.push(l));
    out
}

#[test]
fn prefilter_keeps_every_line_an_exact_pattern_matches() {
    let pats = [
        r"(?i)\bauth0\b",
        r"^\s*fn\s+(?P<name>\w+)",
        r"\bws\b|socket",
    ];
    let p = Prefilter::new(pats.iter().map(|s| s.to_string()).collect());
    let text = "é auth0 x\nfoo\n  fn main() {}\r\nxauth0x\n\nweb ws\nnothing\nsocket";
    let src = Source::new("a.rs", text);
    let picked = lines(&p, text);
    for n in 1..=src.line_count() {
        let line = src.line(n).unwrap();
        if pats
            .iter()
            .any(|r| regex::Regex::new(r).unwrap().is_match(line))
        {
            assert!(picked.contains(&n), "line {n} `{line}` dropped");
        }
    }
    // `xauth0x` has no word boundary, and the ASCII `\b` next to `a` and `0` turns it
    // away; `foo` is not picked, though `\s*fn` can start at its line break: the patterns
    // run on one line at a time; `nothing` matches nothing at all.
    assert_eq!(picked, vec![1, 3, 6, 8]);
    assert_eq!(p.lines(&src), picked);
    // A region of whole lines: only lines 3..=4.
    let r = src.line_range(3).unwrap().start..src.line_range(4).unwrap().end;
    let mut sub = Vec::new();
    p.for_each_line(&src, r, |l| sub.push(l));
    assert_eq!(sub, vec![3]);
    // A region starting mid-text still sees the character before it: `xws` is no
    // `\bws`, even in a region that starts at its `w`.
    let ws = Prefilter::new(vec![r"\bws".to_string()]);
    let text = "xws\nws";
    let src = Source::new("a.rs", text);
    let mut got = Vec::new();
    ws.for_each_line(&src, 1..text.len(), |l| got.push(l));
    assert_eq!(got, vec![2]);
}

/// Lines are for patterns run on one line at a time: a match that needs a line break picks
/// no line, a match within a line still does, with or without the literal gate.
#[test]
fn prefilter_lines_are_for_matches_within_a_line() {
    for pats in [
        vec![r"\bencode\s*\(\s*&Header"],
        vec![r"encode\s*\(", r"x[^y]*z"],
    ] {
        let p = Prefilter::new(pats.iter().map(|s| s.to_string()).collect());
        let text = "encode(\n&Header)\nencode\n(&Header)\n  encode ( &Header\r\nx\nz";
        let picked = lines(&p, text);
        let src = Source::new("a.rs", text);
        let exact: Vec<regex::Regex> = pats.iter().map(|r| regex::Regex::new(r).unwrap()).collect();
        let on_lines: Vec<usize> = (1..=src.line_count())
            .filter(|&n| exact.iter().any(|r| r.is_match(src.line(n).unwrap())))
            .collect();
        // Lines 1 (`encode(` before `&Header`), 3 (`encode` before `(`) and 6 (`x` before
        // `z`) start matches across lines only.
        assert_eq!(picked, on_lines, "{pats:?}");
        assert_eq!(picked, if pats.len() == 1 { vec![5] } else { vec![1, 5] });
        // The whole-text questions still see the match across lines.
        assert!(p.may_match("encode\n(&Header"));
    }
}

#[test]
fn prefilter_whole_text_match_equals_exact() {
    let cases = [
        (r"(?i)websocket|\bws\b|socket", true),
        (r"\bws\b", true),
        (r"a\s+b", false),
        (r"^use", false),
    ];
    let texts = [
        "é ws é",
        "news",
        "a\nb",
        "x\nuse y",
        "use y",
        "naïve wsé",
        "é\r\nws",
    ];
    for (pat, line_local) in cases {
        let p = Prefilter::new(vec![pat.to_string()]);
        assert_eq!(p.compiled().is_line_local, line_local, "{pat}");
        let exact = regex::Regex::new(pat).unwrap();
        for t in texts {
            assert_eq!(p.is_match(t, &exact), exact.is_match(t), "{pat} on {t:?}");
            assert!(p.may_match(t) || !exact.is_match(t), "{pat} on {t:?}");
        }
    }
}

/// Unicode classes are relaxed to bytes (ASCII part, or a run of non-ASCII bytes): every
/// line a Unicode-aware pattern matches is still picked, whatever the characters.
#[test]
fn prefilter_with_byte_classes_keeps_non_ascii_matches() {
    let pats = [
        r"(?i)\bokta\b",
        r"caf\w\b",
        r"\w+_user\b",
        r"x.y",
        r"[^a-z]{2}z",
        r"(?i)straße",
        r"\p{Greek}+λ",
        r"\d{2}",
        r"\bws\b",
        r"\b(issue|mint)_token\b",
        r"(?i)\bcognito",
        r"(?i)\bselect\b",
        r"\b\w+_user\b",
        r"\bx\b",
    ];
    let lines = [
        "éws",
        "—ws—",
        "wsé",
        "x_ws ws",
        "мint_token mint_token",
        "ſelect",
        "«COGNITO»",
        "é_user",
        "éxé",
        "a—x—b",
        "o\u{212A}ta",
        "OKTA",
        "café",
        "naïve_user",
        "x\u{1F600}y",
        "éé z",
        "ééz",
        "STRASSE",
        "straſſe",
        "αβλ",
        "١٢",
        "plain ascii",
    ];
    // Each pattern alone: in a list, another pattern's relaxed class could pick the line.
    let mut matched = 0;
    for pat in pats {
        let p = Prefilter::new(vec![pat.to_string()]);
        let exact = regex::Regex::new(pat).unwrap();
        for line in lines {
            if exact.is_match(line) {
                matched += 1;
                assert!(p.may_match(line), "{pat} on {line:?} dropped");
                let src = Source::new("a.rs", line);
                assert_eq!(p.lines(&src), vec![1], "{pat} on {line:?} dropped by lines");
            }
        }
    }
    assert!(matched > 15, "{matched}");
    let all = Prefilter::new(pats.iter().map(|s| s.to_string()).collect());
    assert!(!all.may_match("plain ascii"));
}

/// The literal gate hands over to the DFA on dense literals and on a folded character, and
/// skips the lines without a literal: every line an exact pattern matches is still picked.
#[test]
fn prefilter_gate_keeps_every_matching_line_on_every_path() {
    let pats = [r"(?i)\bsocket\b", r"\buser_\w+", r"(?i)token"];
    let p = Prefilter::new(pats.iter().map(|s| s.to_string()).collect());
    assert!(p.compiled().gate.is_some());
    let exact: Vec<regex::Regex> = pats.iter().map(|r| regex::Regex::new(r).unwrap()).collect();
    let sparse = "a\nb SOCKET c\nnothing\nuser_id\n";
    let dense = "token ".repeat(200) + "\nx\nSocket\n";
    let folded = "ſocket\nplain\nTOKEN here\n";
    let late_fold = "x\n".repeat(50) + "user_a\nſOCKET\ntoKen\n";
    // Dense lines at the top, then the gate again past the DFA's stretch.
    let dense_top = "token = 1;\n".repeat(100) + &"filler\n".repeat(1000) + "a socket\nsockets\n";
    for text in [sparse, &dense, folded, &late_fold, &dense_top] {
        let src = Source::new("a.rs", text);
        let picked = lines(&p, text);
        for n in 1..=src.line_count() {
            let line = src.line(n).unwrap();
            if exact.iter().any(|r| r.is_match(line)) {
                assert!(picked.contains(&n), "line {n} `{line}` dropped in {text:?}");
            }
        }
        let any = exact.iter().any(|r| r.is_match(text));
        assert!(p.may_match(text) || !any, "{text:?}");
        for r in &exact {
            assert_eq!(p.is_match(text, r), r.is_match(text), "{r} on {text:?}");
        }
    }
    // Lines without a literal are not even tried.
    assert_eq!(lines(&p, sparse), vec![2, 4]);
    assert!(!p.may_match("nothing here\nat all"));
    let picked = lines(&p, &dense_top);
    assert_eq!(picked.len(), 101, "{picked:?}");
    assert_eq!(picked.last(), Some(&1101));
}

/// Where the regex crate finds the relaxed patterns' literals itself, there is no gate.
#[test]
fn no_gate_where_the_regex_crate_prefilters() {
    let gate = |pats: &[&str]| {
        let p = Prefilter::new(pats.iter().map(|s| s.to_string()).collect());
        p.compiled().gate.is_some()
    };
    assert!(!gate(&[r"\bEventSource\b", r"\bsetInterval\s*\("]));
    assert!(gate(&[r"(?i)\bsocket\b", r"(?i)websocket"]));
}

/// Random texts over a small alphabet (with `ſ`, the Kelvin sign, `é`, `\r`), random
/// pattern lists over the same letters: the gate never drops a line an exact pattern
/// matches, and `is_match` agrees with the exact regex.
#[test]
fn prefilter_gate_agrees_with_exact_patterns_on_random_texts() {
    let mut rng = crate::test_rng::XorShift(0x9e37_79b9_7f4a_7c15);
    let mut next = |n: usize| rng.below(n);
    let chars = [
        "s", "k", "o", "e", "t", "S", "K", "O", "E", "T", "_", " ", "\n", "\r\n", "ſ", "\u{212A}",
        "é", "(",
    ];
    let words = ["sok", "ket", "ok", "tose", "s_k", "eto", "kk"];
    let forms = [
        "(?i){w}",
        "\\b{w}\\b",
        "{w}\\w*",
        "(?i)\\b{w}_{v}",
        "({w}|{v})_t",
        "(?i)({w}|{v})\\(",
        "{w}(_{v})?o",
        // A match of these can run across lines; on one line it still counts.
        "{w}\\s*{v}",
        "(?i){w}[^(]*{v}",
    ];
    let mut checked = 0;
    for _ in 0..300 {
        let pats: Vec<String> = (0..1 + next(3))
            .map(|_| {
                forms[next(forms.len())]
                    .replace("{w}", words[next(words.len())])
                    .replace("{v}", words[next(words.len())])
            })
            .collect();
        let p = Prefilter::new(pats.clone());
        let exact: Vec<regex::Regex> = pats.iter().map(|r| regex::Regex::new(r).unwrap()).collect();
        for _ in 0..20 {
            let text: String = (0..next(120)).map(|_| chars[next(chars.len())]).collect();
            let src = Source::new("a.rs", &text);
            let picked = lines(&p, &text);
            for n in 1..=src.line_count() {
                let line = src.line(n).unwrap();
                if exact.iter().any(|r| r.is_match(line)) {
                    checked += 1;
                    assert!(
                        picked.contains(&n),
                        "{pats:?}: line {n} {line:?} of {text:?}"
                    );
                }
            }
            for r in &exact {
                assert_eq!(p.is_match(&text, r), r.is_match(&text), "{r} on {text:?}");
                assert!(p.may_match(&text) || !r.is_match(&text), "{r} on {text:?}");
            }
        }
    }
    assert!(checked > 500, "{checked}");
}

#[test]
fn prefilter_that_cannot_build_keeps_every_line() {
    let p = Prefilter::new(vec!["(unclosed".to_string()]);
    assert_eq!(lines(&p, "a\nb\n"), vec![1, 2]);
    assert!(p.may_match("anything"));
}
