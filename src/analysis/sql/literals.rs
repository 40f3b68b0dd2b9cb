//! Literals: a small per-language lexer (Rust, PHP, TypeScript/JavaScript, Elixir) that finds
//! string literals and the call each is passed to; comments never yield a literal.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    Rust,
    Php,
    Js,
    Elixir,
}

/// A string literal: where its opening quote is and its content span. [`Lit::clean`] gives its
/// content as the program holds it (escapes blanked in place, numeric escapes decoded, with a
/// map back to the content's offsets when any was); it is made only for the few literals that
/// may read as SQL or name a table, not for every literal of a file (#19).
#[derive(Debug)]
pub(crate) struct Lit {
    pub(crate) open: usize,
    pub(crate) content: Range<usize>,
    /// Escapes are read in [`Lit::clean`] (false for raw strings).
    pub(crate) escapes: bool,
}

impl Lit {
    /// The content with each escape blanked, byte for byte (`\n`, `\t`, `\r` a space, any
    /// other escape a space and the escaped character, an escaped newline kept), and with
    /// `numeric`, each escape that spells a printable ASCII character by its code (`\x2e`,
    /// `\u{2e}`, `\u002e`, `\056`) decoded: the SQL is what the program holds at run time
    /// (`runtime\x2eruns` names `runtime.runs`, `\x53ELECT` is a SELECT). The map gives, for
    /// each byte of the result and its end, the offset in the content it comes from; `None`
    /// when offsets map one to one. Without escapes, the content as is.
    pub(crate) fn clean<'t>(
        &self,
        text: &'t str,
        numeric: bool,
    ) -> (std::borrow::Cow<'t, str>, Option<Vec<usize>>) {
        let raw = &text[self.content.clone()];
        if !self.escapes || !raw.contains('\\') {
            return (std::borrow::Cow::Borrowed(raw), None);
        }
        let b = raw.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut map = Vec::with_capacity(b.len() + 1);
        let mut decoded = false;
        let mut i = 0;
        while i < b.len() {
            if b[i] != b'\\' {
                out.push(b[i]);
                map.push(i);
                i += 1;
                continue;
            }
            if let Some((c, len)) = numeric.then(|| numeric_escape(&b[i..])).flatten() {
                out.push(c);
                map.push(i);
                decoded = true;
                i += len;
                continue;
            }
            out.push(b' ');
            map.push(i);
            match b.get(i + 1) {
                Some(b'n' | b't' | b'r') => out.push(b' '),
                // Any other byte as it is: the rest of a multi-byte character follows it.
                Some(&c) => out.push(c),
                None => {
                    i += 1;
                    continue;
                }
            }
            map.push(i + 1);
            i += 2;
        }
        map.push(b.len());
        // Only ASCII bytes were replaced, by ASCII bytes: still UTF-8.
        let Ok(s) = String::from_utf8(out) else {
            return (std::borrow::Cow::Owned(" ".repeat(raw.len())), None);
        };
        (std::borrow::Cow::Owned(s), decoded.then_some(map))
    }

    /// Whether the numeric escapes of this literal are decoded by `lang`: not in a PHP
    /// single-quoted string, which keeps `\x2e` as text.
    pub(crate) fn decodes_numeric(&self, text: &str, lang: Lang) -> bool {
        !(lang == Lang::Php && text.as_bytes().get(self.open) == Some(&b'\''))
    }

    /// The content as the program holds it ([`Lit::clean`]): what a builder reads as a
    /// table name (`knex('runtime\x2eruns')` names `runtime.runs`).
    pub(crate) fn value<'t>(&self, text: &'t str, lang: Lang) -> std::borrow::Cow<'t, str> {
        self.clean(text, self.decodes_numeric(text, lang)).0
    }
}

/// A numeric escape at the start of `b` (`\\` first) that spells a printable ASCII character:
/// the character and the escape's length. `\x` with one or two hex digits (PHP takes one),
/// `\u{..}`, `\u` with four hex digits (JavaScript, Elixir), and one to three octal digits
/// (PHP, legacy JavaScript). A superset of what each language decodes: reading an escape that
/// a language keeps as text can add a table, never hide one.
pub(crate) fn numeric_escape(b: &[u8]) -> Option<(u8, usize)> {
    let hex = |from: usize, max: usize| {
        let digits = b
            .get(from..)?
            .iter()
            .take(max)
            .take_while(|c| c.is_ascii_hexdigit())
            .count();
        let s = std::str::from_utf8(&b[from..from + digits]).ok()?;
        (digits > 0).then(|| u32::from_str_radix(s, 16).ok().map(|v| (v, digits)))?
    };
    let (value, len) = match *b.get(1)? {
        b'x' => hex(2, 2).map(|(v, d)| (v, 2 + d))?,
        b'u' if b.get(2) == Some(&b'{') => {
            let (v, d) = hex(3, 6)?;
            (b.get(3 + d) == Some(&b'}')).then_some((v, 4 + d))?
        }
        b'u' => hex(2, 4)
            .filter(|&(_, d)| d == 4)
            .map(|(v, d)| (v, 2 + d))?,
        b'0'..=b'7' => {
            let digits = b[1..]
                .iter()
                .take(3)
                .take_while(|c| (b'0'..=b'7').contains(c))
                .count();
            let s = std::str::from_utf8(&b[1..1 + digits]).ok()?;
            (u32::from_str_radix(s, 8).ok()?, 1 + digits)
        }
        _ => return None,
    };
    (0x20..0x7f).contains(&value).then_some((value as u8, len))
}

/// True when `text` holds a numeric escape ([`numeric_escape`]) that spells a printable ASCII
/// character: SQL in a literal may then read otherwise than its bytes do (`\x53ELECT`).
pub(crate) fn has_numeric_escape(text: &str) -> bool {
    let b = text.as_bytes();
    memchr::memchr_iter(b'\\', b).any(|i| numeric_escape(&b[i..]).is_some())
}

/// Bytes at which [`literals`] may do something other than step over the byte, by language:
/// comment starts (`/`, `#`), quotes, Rust's `r` (raw strings) and PHP's `<` (heredocs). Every
/// other byte is skipped in one tight loop instead of the per-byte comment and quote tests (#19).
const fn interesting(bytes: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < bytes.len() {
        t[bytes[i] as usize] = true;
        i += 1;
    }
    t
}
static RUST_BYTES: [bool; 256] = interesting(b"/r'\"");
static PHP_BYTES: [bool; 256] = interesting(b"/#<'\"");
static JS_BYTES: [bool; 256] = interesting(b"/'\"`");
static ELIXIR_BYTES: [bool; 256] = interesting(b"#'\"");

pub(crate) fn literals(text: &str, lang: Lang) -> Vec<Lit> {
    let b = text.as_bytes();
    let n = b.len();
    let mut out = Vec::new();
    let mut i = 0;
    let line_comment: &[&str] = match lang {
        Lang::Rust | Lang::Js => &["//"],
        Lang::Php => &["//", "#"],
        Lang::Elixir => &["#"],
    };
    let stop = match lang {
        Lang::Rust => &RUST_BYTES,
        Lang::Php => &PHP_BYTES,
        Lang::Js => &JS_BYTES,
        Lang::Elixir => &ELIXIR_BYTES,
    };
    while i < n {
        if !stop[b[i] as usize] {
            i += 1;
            continue;
        }
        let rest = &b[i..];
        if line_comment.iter().any(|m| rest.starts_with(m.as_bytes()))
            && !(lang == Lang::Php && rest.starts_with(b"#["))
        {
            i = memchr::memchr(b'\n', &b[i..]).map_or(n, |p| i + p);
            continue;
        }
        if lang != Lang::Elixir && rest.starts_with(b"/*") {
            i = find(b, i + 2, b"*/").map(|e| e + 2).unwrap_or(n);
            continue;
        }
        match (lang, b[i]) {
            (Lang::Rust, b'r') if is_raw_start(b, i) && (i == 0 || !is_word(b[i - 1])) => {
                let mut j = i + 1;
                while j < n && b[j] == b'#' {
                    j += 1;
                }
                let hashes = j - i - 1;
                let mut close = vec![b'"'];
                close.extend(std::iter::repeat_n(b'#', hashes));
                let start = j + 1;
                let end = find(b, start, &close).unwrap_or(n);
                push_lit(text, &mut out, i, start, end, false);
                i = (end + close.len()).min(n);
                continue;
            }
            (Lang::Rust, b'\'') => {
                // A char literal ('a', '\n') or a lifetime: skip without treating as a string.
                if b.get(i + 1) == Some(&b'\\') {
                    i = find(b, i + 2, b"'").map(|e| e + 1).unwrap_or(n);
                } else if b.get(i + 2) == Some(&b'\'') {
                    i += 3;
                } else {
                    i += 1;
                }
                continue;
            }
            (Lang::Elixir, b'"') if rest.starts_with(b"\"\"\"") => {
                let start = i + 3;
                let end = find(b, start, b"\"\"\"").unwrap_or(n);
                push_lit(text, &mut out, i, start, end, true);
                i = (end + 3).min(n);
                continue;
            }
            (Lang::Php, b'<') if rest.starts_with(b"<<<") => {
                // Heredoc / nowdoc: <<<SQL ... SQL
                let mut j = i + 3;
                while j < n && matches!(b[j], b' ' | b'\'' | b'"') {
                    j += 1;
                }
                let id_start = j;
                while j < n && is_word(b[j]) {
                    j += 1;
                }
                let id = &text[id_start..j];
                let start = find(b, j, b"\n").map(|e| e + 1).unwrap_or(n);
                let mut end = n;
                let mut k = start;
                while k < n {
                    let line_end = find(b, k, b"\n").unwrap_or(n);
                    if !id.is_empty() && text[k..line_end].trim_start().starts_with(id) {
                        end = k;
                        break;
                    }
                    k = line_end + 1;
                }
                push_lit(text, &mut out, i, start, end, true);
                i = (end + id.len()).min(n).max(i + 3);
                continue;
            }
            (_, q @ (b'"' | b'\'')) | (Lang::Js, q @ b'`') => {
                if lang == Lang::Elixir && q == b'\'' {
                    // charlist: skip like a string
                }
                let start = i + 1;
                let mut j = start;
                // To the closing quote, stepping over each escaped byte.
                while j < n {
                    match memchr::memchr2(q, b'\\', &b[j..]) {
                        Some(p) if b[j + p] == q => {
                            j += p;
                            break;
                        }
                        Some(p) => j += p + 2,
                        None => j = n,
                    }
                }
                let end = j.min(n);
                push_lit(text, &mut out, i, start, end, true);
                i = (end + 1).min(n);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

pub(crate) fn is_raw_start(b: &[u8], i: usize) -> bool {
    let mut j = i + 1;
    while j < b.len() && b[j] == b'#' {
        j += 1;
    }
    b.get(j) == Some(&b'"')
}

pub(crate) fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

pub(crate) fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    if from > b.len() {
        return None;
    }
    b[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

pub(crate) fn push_lit(
    text: &str,
    out: &mut Vec<Lit>,
    open: usize,
    start: usize,
    end: usize,
    escapes: bool,
) {
    if start > end || !text.is_char_boundary(start) || !text.is_char_boundary(end) {
        return;
    }
    out.push(Lit {
        open,
        content: start..end,
        escapes,
    });
}

/// True when the literal at `open` is bound to a name: `= "..."`, `=> "..."`, `: "..."`.
pub(crate) fn bound_to_name(text: &str, open: usize) -> bool {
    let before = text[..open].trim_end();
    let before = before
        .strip_suffix("r#")
        .or_else(|| before.strip_suffix('r'))
        .unwrap_or(before)
        .trim_end();
    before.ends_with('=') && !before.ends_with("==") && !before.ends_with("!=")
}

/// The callee of the call whose arguments contain `pos`: walks back to the innermost unclosed
/// `(` and reads the path before it. Also accepts an identifier right before the literal
/// (tagged templates, paren-less Elixir calls). Returns the callee and the `(` offset.
pub(crate) fn callee_before(text: &str, pos: usize, lang: Lang) -> Option<(String, Option<usize>)> {
    let b = text.as_bytes();
    // An identifier directly before the literal: `sql`...``, `execute "..."`.
    let mut j = pos;
    let ws_end = j;
    while j > 0 && (b[j - 1] == b' ' || b[j - 1] == b'\t') {
        j -= 1;
    }
    if (lang == Lang::Js && j == ws_end && j > 0 && is_word(b[j - 1]))
        || (lang == Lang::Elixir && j < ws_end && j > 0 && is_word(b[j - 1]))
    {
        let p = path_before(text, j);
        if !p.is_empty() {
            return Some((p, None));
        }
    }
    // Innermost unclosed paren.
    let lo = pos.saturating_sub(600);
    let mut depth = 0i32;
    let mut k = pos;
    while k > lo {
        k -= 1;
        match b[k] {
            b')' | b']' => depth += 1,
            b'(' | b'[' if depth > 0 => depth -= 1,
            b'[' => return None,
            b'(' => {
                let mut e = k;
                while e > 0 && b[e - 1] == b' ' {
                    e -= 1;
                }
                let p = path_before(text, e);
                return if p.is_empty() {
                    None
                } else {
                    Some((p, Some(k)))
                };
            }
            b';' | b'{' | b'}' if depth == 0 => return None,
            _ => {}
        }
    }
    None
}

/// The call path ending at `end`: `sqlx::query_as!`, `$this->db->select`, `client.query`.
pub(crate) fn path_before(text: &str, end: usize) -> String {
    let b = text.as_bytes();
    let mut s = end;
    while s > 0 {
        let c = b[s - 1];
        if is_word(c) || matches!(c, b':' | b'.' | b'!' | b'$') {
            s -= 1;
        } else if c == b'>' && s >= 2 && b[s - 2] == b'-' {
            s -= 2;
        } else {
            break;
        }
    }
    text[s..end].trim_start_matches(['.', ':']).to_string()
}
