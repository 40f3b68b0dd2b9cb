//! The one sanitizing layer every renderer goes through: text that came from the checked change
//! (file names, source lines, PR text, policy values, messages quoting them) must not be able to
//! drive a terminal or a CI log.
//!
//! - [`line`]: a value that must stay on one line (a path, a message, a label): every control
//!   character, newline included, and every bidirectional-override or line-separator character
//!   is shown as `\u{..}`.
//! - [`terminal`]: rendered human output: the same, except newlines (and, in colour, the SGR
//!   colour sequences our own renderer writes).
//! - [`log_line`]: one line of a GitHub Actions log that is not a workflow command of ours:
//!   [`line`], and a leading `::` or `##[` (after any whitespace, which the runner skips) is
//!   prefixed with a backslash, so the runner never reads it as a command.
//! - [`md_text`] and [`md_code`]: Markdown text and code spans inside a table cell.
//!
//! Modelled on GitHub's hardening guidance for workflows on untrusted pull requests (no injected
//! workflow commands) and on the Trojan Source advisory (CVE-2021-42574) for bidi controls.

use std::borrow::Cow;

/// True for a character that changes how a terminal or log reads the text around it.
pub fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || matches!(
            c,
            '\u{061C}'
                | '\u{200E}'
                | '\u{200F}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2066}'..='\u{2069}'
        )
}

fn escape_into(out: &mut String, c: char) {
    out.push_str(&format!("\\u{{{:x}}}", c as u32));
}

/// A value shown on one line: newlines, tabs and every [`is_unsafe`] character escaped.
pub fn line(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| is_unsafe(c) || c == '\n' || c == '\t') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if is_unsafe(c) || c == '\n' || c == '\t' {
            escape_into(&mut out, c);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// Rendered terminal output: every [`is_unsafe`] character escaped, newlines kept (a `\r` only
/// before `\n`). With `keep_colour`, SGR sequences (`ESC [ digits ; .. m`) are kept, except
/// conceal (`8`), which would hide the text after it; nothing else (cursor movement, erase,
/// OSC titles or links) survives.
pub fn terminal(s: &str, keep_colour: bool) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if c == '\x1b' && keep_colour {
            if let Some(len) = sgr_len(rest) {
                out.push_str(&rest[..len]);
                rest = &rest[len..];
                continue;
            }
        }
        if c == '\r' && rest[1..].starts_with('\n') {
            out.push('\r');
        } else if is_unsafe(c) {
            escape_into(&mut out, c);
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    Cow::Owned(out)
}

/// Length of an SGR sequence at the start of `s`, if it is one we keep.
fn sgr_len(s: &str) -> Option<usize> {
    let body = s.strip_prefix("\x1b[")?;
    let end = body.find(|c: char| !(c.is_ascii_digit() || c == ';'))?;
    if body.as_bytes()[end] != b'm' || body[..end].split(';').any(|p| p == "8") {
        return None;
    }
    Some(2 + end + 1)
}

/// One GitHub Actions log line that must not be read as a workflow command.
pub fn log_line(s: &str) -> String {
    let s = line(s);
    let t = s.trim_start();
    if t.starts_with("::") || t.starts_with("##[") {
        format!("\\{t}")
    } else {
        s.into_owned()
    }
}

/// Markdown text in a table cell: [`line`], then every character Markdown or HTML could read
/// as markup backslash-escaped (or as an entity), so a file name cannot become a link, an image,
/// a code span or a new cell.
pub fn md_text(s: &str) -> String {
    let s = line(s);
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '(' | ')' | '#' | '+' | '!' | '|'
            | '~' | '"' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// A Markdown code span in a table cell holding `s` verbatim: a backtick fence longer than any
/// run of backticks in it, `|` escaped (GitHub's tables split cells on it even in code), and
/// [`line`] applied.
pub fn md_code(s: &str) -> String {
    let s = line(s);
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    let pad = if s.starts_with('`') || s.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{}{pad}{fence}", s.replace('|', "\\|"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_values() {
        assert_eq!(line("a/b.rs"), "a/b.rs");
        assert_eq!(
            line("x\n::error::y\x1b[2J\r\u{202E}"),
            "x\\u{a}::error::y\\u{1b}[2J\\u{d}\\u{202e}"
        );
    }

    #[test]
    fn terminal_keeps_lines_and_our_colours() {
        assert_eq!(terminal("a\r\nb\n", false), "a\r\nb\n");
        assert_eq!(terminal("a\rb", false), "a\\u{d}b");
        assert_eq!(
            terminal("\x1b[31mred\x1b[0m\x1b[2K\x1b[8m", true),
            "\x1b[31mred\x1b[0m\\u{1b}[2K\\u{1b}[8m"
        );
        assert_eq!(terminal("\x1b[31m", false), "\\u{1b}[31m");
    }

    #[test]
    fn log_lines_never_start_a_command() {
        assert_eq!(log_line("::error::x"), "\\::error::x");
        assert_eq!(log_line(" \u{2003}##[error]x"), "\\##[error]x");
        assert_eq!(log_line("a\n::error::x"), "a\\u{a}::error::x");
        assert_eq!(log_line("src/a.rs:1: x"), "src/a.rs:1: x");
    }

    #[test]
    fn markdown_cells() {
        assert_eq!(
            md_text("[x](http://e)|<b>"),
            "\\[x\\]\\(http://e\\)\\|&lt;b&gt;"
        );
        assert_eq!(md_code("a`b|c"), "``a`b\\|c``");
        assert_eq!(md_code("`a"), "`` `a ``");
    }
}
