//! Where a Rust file's fn bodies at item level are, found with rustc's own lexer
//! (`ra-ap-rustc_lexer`) before proc-macro2 tokenizes anything (#19).
//!
//! proc-macro2 builds a token tree for every token of the file (24 MB/s on the 2,506-file tree),
//! and most of those tokens are in fn bodies no check reads. rustc's lexer only classifies and
//! measures tokens, without allocating (150 MB/s on the same files), and it is the lexer the
//! compiler uses, so strings, raw strings, char literals against lifetimes and nested block
//! comments are read as rustc reads them. [`items`] runs a state machine over those tokens and returns each body's braces as byte offsets; the caller
//! blanks the bodies out of the text it gives proc-macro2, and syn's parse of that text checks
//! every guess (each blanked body must come back as the empty block of a fn at item level).

use std::ops::Range;

use ra_ap_rustc_lexer::{Cursor, FrontmatterAllowed, LiteralKind, TokenKind};

/// A token the scan reads (whitespace and comments are skipped): its kind and byte range.
#[derive(Clone, Copy)]
struct Tok {
    kind: TokenKind,
    start: usize,
    end: usize,
}

/// The significant tokens of `text`; `Err` at an unterminated literal or block comment.
struct Tokens<'a> {
    text: &'a str,
    pos: usize,
    cursor: Cursor<'a>,
    /// What is recorded of every token, when asked ([`Wanted::words`]).
    words: Option<Words>,
    /// The previous token was the keyword `enum`.
    after_enum: bool,
}

/// Keywords [`items`] records wherever they are (fn bodies, macros, every group), when
/// [`Wanted::words`] asks: a caller can tell from them, before syn parses anything, that a file
/// holds nothing it reads (#19: INV-02's gate).
#[derive(Default)]
pub(super) struct Words {
    /// Where each `match` token starts, in text order.
    pub(super) matches: Vec<usize>,
    /// The name after each `enum` token (an identifier or raw identifier), in text order.
    pub(super) enum_names: Vec<Range<usize>>,
}

/// The lexer could not read the text as Rust tokens (an unterminated string or comment).
struct Unreadable;

impl<'a> Tokens<'a> {
    fn new(text: &'a str, words: bool) -> Self {
        Tokens {
            text,
            pos: 0,
            cursor: Cursor::new(text, FrontmatterAllowed::No),
            words: words.then(Words::default),
            after_enum: false,
        }
    }

    /// Records `tok` in [`Tokens::words`] when asked.
    fn record(&mut self, tok: Tok) -> Tok {
        if let Some(words) = &mut self.words {
            let ident = matches!(tok.kind, TokenKind::Ident | TokenKind::RawIdent);
            if self.after_enum && ident {
                words.enum_names.push(tok.start..tok.end);
            }
            let text = &self.text[tok.start..tok.end];
            self.after_enum = tok.kind == TokenKind::Ident && text == "enum";
            if tok.kind == TokenKind::Ident && text == "match" {
                words.matches.push(tok.start);
            }
        }
        tok
    }

    fn next(&mut self) -> Result<Option<Tok>, Unreadable> {
        loop {
            let start = self.pos;
            let token = self.cursor.advance_token();
            self.pos += token.len as usize;
            let kind = token.kind;
            match kind {
                TokenKind::Eof => return Ok(None),
                TokenKind::Whitespace | TokenKind::LineComment { .. } => continue,
                TokenKind::BlockComment { terminated, .. } => {
                    if terminated {
                        continue;
                    }
                    return Err(Unreadable);
                }
                // `#"` or `##`, reserved for guarded strings in edition 2024: to every earlier
                // edition (and to proc-macro2) a `#` and then whatever follows it, which may
                // be a string. Lex on from the character after the `#`.
                TokenKind::GuardedStrPrefix => {
                    self.pos = start + 1;
                    self.cursor = Cursor::new(&self.text[self.pos..], FrontmatterAllowed::No);
                    return Ok(Some(self.record(Tok {
                        kind: TokenKind::Pound,
                        start,
                        end: self.pos,
                    })));
                }
                TokenKind::Literal { kind: lit, .. } if !terminated(lit) => return Err(Unreadable),
                _ => {
                    return Ok(Some(self.record(Tok {
                        kind,
                        start,
                        end: self.pos,
                    })))
                }
            }
        }
    }

    fn ident(&self, tok: &Tok) -> &'a str {
        &self.text[tok.start..tok.end]
    }
}

fn terminated(lit: LiteralKind) -> bool {
    match lit {
        LiteralKind::Char { terminated }
        | LiteralKind::Byte { terminated }
        | LiteralKind::Str { terminated }
        | LiteralKind::ByteStr { terminated }
        | LiteralKind::CStr { terminated } => terminated,
        LiteralKind::RawStr { n_hashes }
        | LiteralKind::RawByteStr { n_hashes }
        | LiteralKind::RawCStr { n_hashes } => n_hashes.is_some(),
        LiteralKind::Int { .. } | LiteralKind::Float { .. } => true,
    }
}

fn opens(kind: TokenKind) -> bool {
    matches!(
        kind,
        TokenKind::OpenParen | TokenKind::OpenBrace | TokenKind::OpenBracket
    )
}

fn closes(kind: TokenKind) -> bool {
    matches!(
        kind,
        TokenKind::CloseParen | TokenKind::CloseBrace | TokenKind::CloseBracket
    )
}

fn closer(open: TokenKind) -> TokenKind {
    match open {
        TokenKind::OpenParen => TokenKind::CloseParen,
        TokenKind::OpenBracket => TokenKind::CloseBracket,
        _ => TokenKind::CloseBrace,
    }
}

/// What [`items`] finds.
#[derive(Default)]
pub(super) struct Found {
    /// The fns at item level, in text order: where each `fn` keyword starts, and its body,
    /// `{` to `}` inclusive.
    pub(super) fns: Vec<(usize, Range<usize>)>,
    /// The keywords [`Wanted::words`] asks for.
    pub(super) words: Option<Words>,
    /// The `{ .. }` field lists of structs at item level (top level and inline `mod`s), when
    /// asked for.
    pub(super) struct_fields: Vec<Range<usize>>,
    /// The `{ .. }` variant lists of the enums at item level that the caller's test leaves out.
    pub(super) enum_variants: Vec<Range<usize>>,
}

/// What [`items`] is to find besides the fn bodies: named struct field lists, and the variant
/// lists of the enums whose name `keep_enum` does not keep.
#[derive(Clone, Copy)]
pub(super) struct Wanted<'a> {
    pub(super) struct_fields: bool,
    pub(super) keep_enum: Option<&'a dyn Fn(&str) -> bool>,
    /// Record [`Words`] of every token.
    pub(super) words: bool,
}

/// The byte ranges, `{` to `}` inclusive and in text order, of the fn bodies at item level in
/// `text` (top level, inline `mod`s, `impl` and `trait` blocks), and the struct field and
/// enum variant lists `wanted` names. A token scan, not a parser: `fn` followed by a name
/// starts a fn, whose body is the first brace group after its parameters outside `<..>`;
/// `impl`, `trait` and `mod` take the next brace group outside `<..>`. A `;` (or, for a fn, an
/// `=`) at that level ends the item without a group. A wrong guess is caught by syn's parse.
/// `None` when the text does not lex (an unterminated literal or block comment) or its
/// delimiters do not balance: the caller then tokenizes the whole text, and proc-macro2
/// reports the error.
pub(super) fn items(text: &str, wanted: Wanted<'_>) -> Option<Found> {
    let mut tokens = Tokens::new(text, wanted.words);
    let mut found = Found::default();
    match level(&mut tokens, None, wanted, &mut found) {
        Ok(true) => {
            found.words = tokens.words.take();
            Some(found)
        }
        _ => None,
    }
}

/// Skips the rest of a group opened by `open` (already read): Ok(false) when its delimiters do
/// not balance.
fn skip_group(tokens: &mut Tokens<'_>, open: TokenKind) -> Result<bool, Unreadable> {
    // The open delimiters, innermost last. Depth is bounded by `too_deep`, checked first.
    let mut stack = vec![open];
    while let Some(tok) = tokens.next()? {
        if opens(tok.kind) {
            stack.push(tok.kind);
        } else if closes(tok.kind) {
            if stack.pop().map(closer) != Some(tok.kind) {
                return Ok(false);
            }
            if stack.is_empty() {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// Reads a sequence of items up to the `}` closing the container (or the end of the text when
/// `close` is `None`), recording fn bodies. Ok(false) when the delimiters do not balance.
fn level(
    tokens: &mut Tokens<'_>,
    close: Option<TokenKind>,
    wanted: Wanted<'_>,
    found: &mut Found,
) -> Result<bool, Unreadable> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        Idle,
        FnKeyword,
        Fn {
            params: bool,
        },
        Container,
        /// After `struct` (when field lists are wanted): the first brace group outside `<..>`
        /// is the field list; a `;` (unit or tuple struct) ends the item.
        Struct,
        /// After `enum` whose variants are not kept: the name, then the variant list.
        EnumKeyword,
        Enum,
    }
    let mut state = State::Idle;
    let mut angle = 0usize;
    // Where the current fn's `fn` keyword starts.
    let mut fn_at = 0usize;
    // The previous token was a `-` touching this one: `->` is no closing angle.
    let mut prev: Option<Tok> = None;
    while let Some(tok) = tokens.next()? {
        let arrow = prev.is_some_and(|p| p.kind == TokenKind::Minus && p.end == tok.start);
        prev = Some(tok);
        if state == State::EnumKeyword {
            let keep = wanted.keep_enum.is_none_or(|keep| {
                !matches!(tok.kind, TokenKind::Ident | TokenKind::RawIdent)
                    || keep(crate::rules::util::unraw(tokens.ident(&tok)))
            });
            state = if keep { State::Idle } else { State::Enum };
        }
        if state == State::FnKeyword {
            state = if matches!(tok.kind, TokenKind::Ident | TokenKind::RawIdent) {
                State::Fn { params: false }
            } else {
                State::Idle
            };
        }
        match tok.kind {
            TokenKind::Ident if state == State::Idle => match tokens.ident(&tok) {
                "fn" => {
                    state = State::FnKeyword;
                    angle = 0;
                    fn_at = tok.start;
                }
                "impl" | "trait" | "mod" => {
                    state = State::Container;
                    angle = 0;
                }
                "struct" if wanted.struct_fields => {
                    state = State::Struct;
                    angle = 0;
                }
                "enum" if wanted.keep_enum.is_some() => {
                    state = State::EnumKeyword;
                    angle = 0;
                }
                _ => {}
            },
            TokenKind::Lt if state != State::Idle => angle += 1,
            TokenKind::Gt if state != State::Idle && !arrow => angle = angle.saturating_sub(1),
            TokenKind::Semi if state != State::Idle && angle == 0 => state = State::Idle,
            TokenKind::Eq if angle == 0 && matches!(state, State::Fn { .. }) => {
                state = State::Idle;
            }
            TokenKind::OpenBrace if angle == 0 && matches!(state, State::Fn { params: true }) => {
                if !skip_group(tokens, tok.kind)? {
                    return Ok(false);
                }
                found.fns.push((fn_at, tok.start..tokens.pos));
                state = State::Idle;
            }
            TokenKind::OpenBrace if angle == 0 && state == State::Struct => {
                if !skip_group(tokens, tok.kind)? {
                    return Ok(false);
                }
                found.struct_fields.push(tok.start..tokens.pos);
                state = State::Idle;
            }
            TokenKind::OpenBrace if angle == 0 && state == State::Enum => {
                if !skip_group(tokens, tok.kind)? {
                    return Ok(false);
                }
                found.enum_variants.push(tok.start..tokens.pos);
                state = State::Idle;
            }
            TokenKind::OpenBrace if angle == 0 && state == State::Container => {
                if !level(tokens, Some(TokenKind::CloseBrace), wanted, found)? {
                    return Ok(false);
                }
                state = State::Idle;
            }
            kind if opens(kind) => {
                if state == (State::Fn { params: false }) && kind == TokenKind::OpenParen {
                    state = State::Fn { params: true };
                }
                if !skip_group(tokens, kind)? {
                    return Ok(false);
                }
            }
            kind if closes(kind) => return Ok(close == Some(kind)),
            _ => {}
        }
    }
    Ok(close.is_none())
}
