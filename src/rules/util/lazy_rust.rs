//! Rust files parsed item by item, fn bodies on demand (#19).
//!
//! Most of syn's time on a real file goes to fn bodies (statements and expressions), and most
//! checks never look inside most of them: INV-01 reads serde structs and enums, INV-07 reads
//! fn names, INV-02 reads the bodies of WebSocket handlers only. [`LazyFile::parse`] finds each
//! fn body at item level (top level, inline `mod`s, `impl` and `trait` blocks) with rustc's
//! lexer ([`scan`]) and hands proc-macro2 and syn the text with each body's inside blanked, so
//! a body is an empty block that keeps its braces' positions. syn then parses the items, the
//! signatures, structs, enums and everything else as usual, and [`LazyFile::fill`] tokenizes
//! and parses the bodies a check asks for, exactly as syn would have inside the item (inner
//! attributes, then statements).
//!
//! Which brace group is a body is decided by a token scan, then checked against syn's own
//! parse: every blanked body must come back as the (empty) block of a fn at item level. When
//! one does not (an unusual signature such as `-> m! { u8 }` the scan misreads, a file starting
//! with a shebang), the file is parsed whole, as before, and nothing is deferred. So the tree
//! always has the structure a whole-file parse gives.
//!
//! What differs from a whole-file parse: a syntax error inside a body that is never filled goes
//! unseen. A whole-file parse fails on it, and each check then gives up on the file (no
//! findings from it). The lazy parse instead reads the rest of the file, so a check finds what
//! it would find if that body were valid: more findings, never fewer. Where a failed parse
//! would mean more findings (the base side of a diff: "the base had nothing"), checks fill
//! every body, which fails exactly when the whole-file parse fails.
//!
//! The depth guard ([`super::too_deep`]) is applied to the whole text first, as before.

use std::collections::HashMap;
use std::ops::Range;
use std::str::FromStr as _;

use proc_macro2::{Delimiter, Group, TokenStream, TokenTree};

mod scan;

/// A parsed Rust file whose fn bodies at item level may still be unparsed.
pub struct LazyFile<'t> {
    /// The file. A deferred body is an empty block whose braces carry the body's spans.
    pub file: syn::File,
    /// Deferred bodies by the position of their braces: where each is in the text, `{` to `}`
    /// (found by [`scan::items`], not tokenized yet).
    bodies: HashMap<Key, Range<usize>>,
    /// The text parsed (after a byte order mark).
    text: &'t str,
    /// [`Unread::gate`] turned the file away: nothing was parsed and `file` is empty.
    gated: bool,
}

/// What an [`Unread::gate`] sees of a file before syn parses anything: rustc's lexer's view.
pub struct Outline<'a> {
    /// The text (after a byte order mark); the ranges below are in it.
    pub text: &'a str,
    /// Each fn body at item level (top level, inline `mod`s, `impl` and `trait` blocks), `{`
    /// to `}`, with where the fn's `fn` keyword starts: in text order, none inside another.
    pub fns: &'a [(usize, Range<usize>)],
    /// Where each `match` token starts, wherever it is (bodies, macros, every group).
    pub matches: &'a [usize],
    /// The name after each `enum` token, wherever it is.
    pub enum_names: &'a [Range<usize>],
}

/// Key of a body: where its braces start and end (line, column) in the parsed text.
/// (Cheaper than `byte_range`, which proc-macro2 converts from char offsets.)
type Key = (usize, usize, usize, usize);

fn key(span: proc_macro2::Span) -> Key {
    let (s, e) = (span.start(), span.end());
    (s.line, s.column, e.line, e.column)
}

impl<'t> LazyFile<'t> {
    /// Parses `text` with fn bodies deferred. A file [`super::too_deep`] to parse safely is an
    /// error without parsing (see [`super::parse_rust_bounded`]); so is a syntax error outside
    /// the deferred bodies.
    pub fn parse(text: &'t str) -> syn::Result<LazyFile<'t>> {
        LazyFile::parse_guarded(text, super::too_deep(text).as_deref(), Unread::NOTHING)
    }

    /// [`LazyFile::parse`] given what [`super::too_deep`] says of `text` (`Source::too_deep`
    /// keeps it for the file's other parses), leaving out what the caller never reads.
    pub fn parse_guarded(
        text: &'t str,
        too_deep: Option<&str>,
        unread: Unread<'_>,
    ) -> syn::Result<LazyFile<'t>> {
        if let Some(why) = too_deep {
            return Err(syn::Error::new(proc_macro2::Span::call_site(), why));
        }
        // syn::parse_file strips a byte order mark, and a first line starting with `#!` that
        // is not an inner attribute (a shebang); that is rare enough to leave to syn whole. An
        // inner attribute (`#![allow(..)]`, the first line of many crate roots) is tokens like
        // any other: those files were all parsed whole, two fifths of the syn time on the
        // 2,506-file tree (#19). Only `#![` exactly is taken for one; `#! [`, or `#!` and a
        // comment before the `[`, still go to syn whole, which decides.
        let content = text.strip_prefix('\u{feff}').unwrap_or(text);
        if content.starts_with("#!") && !content.starts_with("#![") {
            return syn::parse_file(text).map(|file| LazyFile::whole(file, content));
        }
        if let Some(lazy) = LazyFile::parse_blanked(content, unread) {
            return Ok(lazy);
        }
        // The scan could not read the text (the gate, if any, was not asked): parsed whole.
        let tokens = TokenStream::from_str(content)?;
        syn::parse2::<syn::File>(tokens).map(|file| LazyFile::whole(file, content))
    }

    /// The fast path: [`scan::items`] finds the bodies (and the struct field lists `unread`
    /// names), proc-macro2 and syn read the text with the inside of each blanked (newlines
    /// kept, so every position after it is where it was). `None` when the scan finds no body,
    /// or its guess does not survive syn's parse (then the whole text is tokenized, as before,
    /// and a syntax error reported).
    fn parse_blanked(content: &'t str, unread: Unread<'_>) -> Option<LazyFile<'t>> {
        let mut found = scan::items(content, unread.wanted())?;
        if let (Some(gate), Some(words)) = (unread.gate, found.words.take()) {
            let outline = Outline {
                text: content,
                fns: &found.fns,
                matches: &words.matches,
                enum_names: &words.enum_names,
            };
            if !gate(&outline) {
                let empty = syn::File {
                    shebang: None,
                    attrs: Vec::new(),
                    items: Vec::new(),
                };
                return Some(LazyFile {
                    gated: true,
                    ..LazyFile::whole(empty, content)
                });
            }
        }
        if found.fns.is_empty() {
            return None;
        }
        let mut blanked: Vec<(Range<usize>, bool)> = found
            .fns
            .into_iter()
            .map(|(_, body)| (body, true))
            .chain(found.struct_fields.into_iter().map(|r| (r, false)))
            .chain(found.enum_variants.into_iter().map(|r| (r, false)))
            .collect();
        blanked.sort_by_key(|(r, _)| r.start);
        let ranges: Vec<Range<usize>> = blanked.iter().map(|(r, _)| r.clone()).collect();
        let keys = positions(content, &ranges);
        let tokens = TokenStream::from_str(&blank(content, &ranges)).ok()?;
        let file = syn::parse2::<syn::File>(tokens).ok()?;
        let mut bodies: HashMap<Key, Range<usize>> = HashMap::new();
        let mut fields: std::collections::HashSet<Key> = std::collections::HashSet::new();
        for (k, (r, is_body)) in keys.into_iter().zip(blanked) {
            if is_body {
                bodies.insert(k, r);
            } else {
                fields.insert(k);
            }
        }
        (every_stub_seen(&file, &bodies) && every_field_list_seen(&file.items, &fields)).then_some(
            LazyFile {
                file,
                bodies,
                text: content,
                gated: false,
            },
        )
    }

    fn whole(file: syn::File, text: &'t str) -> LazyFile<'t> {
        LazyFile {
            file,
            bodies: HashMap::new(),
            text,
            gated: false,
        }
    }

    /// [`Unread::gate`] turned the file away unparsed: it comes back with no items.
    pub fn is_gated(&self) -> bool {
        self.gated
    }

    /// Bodies not parsed yet.
    pub fn deferred(&self) -> usize {
        self.bodies.len()
    }

    /// Parses the deferred bodies of the fns `want` picks (given the fn's signature and its
    /// still empty block, whose brace spans are the body's) and puts them in place, inner
    /// attributes appended to the fn's attributes as syn does. Returns how many it parsed. An
    /// error is the first body that does not parse; the file is then half filled and should
    /// be dropped, as a whole-file parse error would be.
    pub fn fill(
        &mut self,
        mut want: impl FnMut(&syn::Signature, &syn::Block) -> bool,
    ) -> syn::Result<usize> {
        if self.bodies.is_empty() {
            return Ok(0);
        }
        let mut wanted = Vec::new();
        for_each_fn(&self.file.items, &mut |sig, block| {
            if is_stub(block, &self.bodies) && want(sig, block) {
                wanted.push(key(block.brace_token.span.join()));
            }
        });
        if wanted.is_empty() {
            return Ok(0);
        }
        let mut groups = self.tokenize(&wanted)?;
        let mut filled = 0;
        fill_items(&mut self.file.items, &mut groups, &mut filled)?;
        for k in &wanted {
            self.bodies.remove(k);
        }
        Ok(filled)
    }

    /// Parses every deferred body: the file is then what a whole-file parse gives, and this
    /// fails exactly when that parse would.
    pub fn fill_all(&mut self) -> syn::Result<usize> {
        self.fill(|_, _| true)
    }

    /// Whether every deferred body parses, for a caller that reads none of them: the answer of
    /// [`LazyFile::fill_all`], with the bodies parsed on the rayon pool, each on its own, and
    /// left out of the tree. INV-01 parses a base file's bodies only to know that the file
    /// parses; one 22,868-line base was most of `check --base` on the 2,506-file tree (#19).
    /// A body whose text alone does not tokenize as one brace group (it cannot, short of a
    /// lexer difference) has the question answered by [`LazyFile::fill_all`].
    pub fn check_all(&mut self) -> syn::Result<usize> {
        use rayon::prelude::*;
        let mut ranges = Vec::new();
        for_each_fn(&self.file.items, &mut |_, block| {
            if is_stub(block, &self.bodies) {
                ranges.push(self.bodies[&key(block.brace_token.span.join())].clone());
            }
        });
        let text = self.text;
        let verdicts: Vec<Option<syn::Result<()>>> = ranges
            .par_iter()
            .with_min_len(32)
            .map(|r| body_parses(&text[r.clone()]))
            .collect();
        if verdicts.iter().any(Option::is_none) {
            return self.fill_all();
        }
        for verdict in verdicts.into_iter().flatten() {
            verdict?;
        }
        Ok(ranges.len())
    }

    /// The token groups of the `wanted` bodies, tokenized in one go: a text with each of them
    /// at its own line and column, blank elsewhere, so their spans are those of the file.
    /// Should that disagree with the scan (it cannot, short of a lexer difference), the whole
    /// text is tokenized and the bodies taken from it by position.
    fn tokenize(&self, wanted: &[Key]) -> syn::Result<HashMap<Key, Group>> {
        let mut in_text: Vec<(Key, Range<usize>)> = wanted
            .iter()
            .filter_map(|k| self.bodies.get(k).map(|r| (*k, r.clone())))
            .collect();
        in_text.sort_by_key(|(_, r)| r.start);
        let mut text = String::new();
        let (mut line, mut column) = (1, 0);
        for ((open_line, open_column, close_line, close_column), r) in &in_text {
            if *open_line > line {
                text.extend(std::iter::repeat_n('\n', open_line - line));
                column = 0;
            }
            text.extend(std::iter::repeat_n(' ', open_column.saturating_sub(column)));
            text.push_str(&self.text[r.clone()]);
            (line, column) = (*close_line, *close_column);
        }
        let mut pending: std::collections::HashSet<Key> = in_text.iter().map(|(k, _)| *k).collect();
        let mut groups = HashMap::with_capacity(in_text.len());
        if let Ok(tokens) = TokenStream::from_str(&text) {
            for tt in tokens {
                let TokenTree::Group(g) = tt else { break };
                if g.delimiter() != Delimiter::Brace || !pending.remove(&key(g.span())) {
                    break;
                }
                groups.insert(key(g.span()), g);
            }
        }
        if !pending.is_empty() {
            groups.clear();
            pending = in_text.iter().map(|(k, _)| *k).collect();
            take_groups(TokenStream::from_str(self.text)?, &mut pending, &mut groups);
            if !pending.is_empty() {
                let why = "fn body not found";
                return Err(syn::Error::new(proc_macro2::Span::call_site(), why));
            }
        }
        Ok(groups)
    }
}

/// Moves the brace groups of `tokens` (at any depth) whose key is in `pending` into `groups`.
fn take_groups(
    tokens: TokenStream,
    pending: &mut std::collections::HashSet<Key>,
    groups: &mut HashMap<Key, Group>,
) {
    for tt in tokens {
        if let TokenTree::Group(g) = tt {
            if g.delimiter() == Delimiter::Brace && pending.remove(&key(g.span())) {
                groups.insert(key(g.span()), g);
            } else {
                take_groups(g.stream(), pending, groups);
            }
        }
    }
}

/// What a caller of [`LazyFile::parse_guarded`] never reads, left out of the parse as unread
/// fn bodies are. Checked like the bodies: each blanked list must come back as the empty field
/// or variant list of a struct or enum at item level (top level and inline `mod`s), or the file
/// is parsed without this.
#[derive(Clone, Copy)]
pub struct Unread<'a> {
    /// The named fields of structs at item level: such a struct comes back with no fields.
    pub struct_fields: bool,
    /// When set, the enums at item level whose name this does not keep come back with no
    /// variants.
    pub keep_enum: Option<&'a dyn Fn(&str) -> bool>,
    /// When set, asked once rustc's lexer has read the file and before syn parses anything:
    /// `false` means the file holds nothing the caller reads, and it comes back with no items,
    /// unparsed ([`LazyFile::is_gated`]). The answer must be "may hold something" whenever the
    /// outline cannot rule it out. A file the lexer cannot read is parsed, gate unasked.
    pub gate: Option<&'a dyn Fn(&Outline<'_>) -> bool>,
}

impl<'a> Unread<'a> {
    /// Only fns read: structs without fields, enums without variants.
    pub const FNS_ONLY: Unread<'static> = Unread {
        struct_fields: true,
        keep_enum: Some(&|_| false),
        gate: None,
    };

    /// What [`scan::items`] is to find for this.
    fn wanted(self) -> scan::Wanted<'a> {
        scan::Wanted {
            struct_fields: self.struct_fields,
            keep_enum: self.keep_enum,
            words: self.gate.is_some(),
        }
    }

    /// Everything read.
    pub const NOTHING: Unread<'static> = Unread {
        struct_fields: false,
        keep_enum: None,
        gate: None,
    };
}

/// True when the `fields` keys are exactly the (empty) named field lists of structs at item
/// level in `items`, each once.
fn every_field_list_seen(items: &[syn::Item], fields: &std::collections::HashSet<Key>) -> bool {
    fn walk(items: &[syn::Item], fields: &std::collections::HashSet<Key>, seen: &mut usize) {
        for item in items {
            match item {
                syn::Item::Struct(s) => {
                    if let syn::Fields::Named(n) = &s.fields {
                        if n.named.is_empty() && fields.contains(&key(n.brace_token.span.join())) {
                            *seen += 1;
                        }
                    }
                }
                syn::Item::Enum(e)
                    if e.variants.is_empty()
                        && fields.contains(&key(e.brace_token.span.join())) =>
                {
                    *seen += 1;
                }
                syn::Item::Mod(m) => {
                    if let Some((_, inner)) = &m.content {
                        walk(inner, fields, seen);
                    }
                }
                _ => {}
            }
        }
    }
    if fields.is_empty() {
        return true;
    }
    let mut seen = 0;
    walk(items, fields, &mut seen);
    seen == fields.len()
}

/// True when every stub in `bodies` is the (empty) block of a fn at item level in `file`.
fn every_stub_seen(file: &syn::File, bodies: &HashMap<Key, Range<usize>>) -> bool {
    let mut seen = 0;
    for_each_fn(&file.items, &mut |_, block| {
        if is_stub(block, bodies) {
            seen += 1;
        }
    });
    seen == bodies.len()
}

/// Where each range starts and ends, as (line, column) pairs: the [`Key`] of its braces.
/// Lines are 1-based and columns count chars, as proc-macro2's spans do.
fn positions(text: &str, ranges: &[Range<usize>]) -> Vec<Key> {
    let (mut line, mut column, mut at) = (1usize, 0usize, 0usize);
    let mut advance = |to: usize| {
        let seg = &text[at..to];
        match memchr::memrchr(b'\n', seg.as_bytes()) {
            Some(nl) => {
                line += memchr::memchr_iter(b'\n', seg.as_bytes()).count();
                column = seg[nl + 1..].chars().count();
            }
            None => column += seg.chars().count(),
        }
        at = to;
        (line, column)
    };
    ranges
        .iter()
        .map(|r| {
            let (l0, c0) = advance(r.start);
            let (l1, c1) = advance(r.end);
            (l0, c0, l1, c1)
        })
        .collect()
}

/// `text` with the inside of each range (a `{ .. }` body) blanked: its newlines, then a space
/// for each char of its last line, so every position after it stays where it was.
fn blank(text: &str, ranges: &[Range<usize>]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for r in ranges {
        out.push_str(&text[last..=r.start]);
        let inside = &text[r.start + 1..r.end - 1];
        let tail = match memchr::memrchr(b'\n', inside.as_bytes()) {
            Some(nl) => {
                let lines = memchr::memchr_iter(b'\n', inside.as_bytes()).count();
                out.extend(std::iter::repeat_n('\n', lines));
                &inside[nl + 1..]
            }
            None => inside,
        };
        out.extend(std::iter::repeat_n(' ', tail.chars().count()));
        out.push('}');
        last = r.end;
    }
    out.push_str(&text[last..]);
    out
}

fn is_stub(block: &syn::Block, bodies: &HashMap<Key, Range<usize>>) -> bool {
    block.stmts.is_empty() && bodies.contains_key(&key(block.brace_token.span.join()))
}

/// Calls `f` with the signature and block of every fn with a body at item level: top level,
/// inline modules, impl and trait blocks (where [`scan::items`] finds bodies).
fn for_each_fn(items: &[syn::Item], f: &mut impl FnMut(&syn::Signature, &syn::Block)) {
    for item in items {
        match item {
            syn::Item::Fn(x) => f(&x.sig, &x.block),
            syn::Item::Impl(x) => {
                for i in &x.items {
                    if let syn::ImplItem::Fn(x) = i {
                        f(&x.sig, &x.block);
                    }
                }
            }
            syn::Item::Trait(x) => {
                for i in &x.items {
                    if let syn::TraitItem::Fn(syn::TraitItemFn {
                        sig,
                        default: Some(b),
                        ..
                    }) = i
                    {
                        f(sig, b);
                    }
                }
            }
            syn::Item::Mod(x) => {
                if let Some((_, items)) = &x.content {
                    for_each_fn(items, f);
                }
            }
            _ => {}
        }
    }
}

/// Parses the bodies in `groups` into their (empty) blocks, in item order; the first that
/// does not parse is the error.
fn fill_items(
    items: &mut [syn::Item],
    groups: &mut HashMap<Key, Group>,
    filled: &mut usize,
) -> syn::Result<()> {
    for item in items {
        match item {
            syn::Item::Fn(x) => fill_one(&mut x.block, &mut x.attrs, groups, filled)?,
            syn::Item::Impl(x) => {
                for i in &mut x.items {
                    if let syn::ImplItem::Fn(x) = i {
                        fill_one(&mut x.block, &mut x.attrs, groups, filled)?;
                    }
                }
            }
            syn::Item::Trait(x) => {
                for i in &mut x.items {
                    if let syn::TraitItem::Fn(x) = i {
                        if let Some(b) = &mut x.default {
                            fill_one(b, &mut x.attrs, groups, filled)?;
                        }
                    }
                }
            }
            syn::Item::Mod(x) => {
                if let Some((_, items)) = &mut x.content {
                    fill_items(items, groups, filled)?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Whether `body` (a fn body's text, braces included) parses as [`fill_one`] parses it; `None`
/// when it does not tokenize as one brace group.
fn body_parses(body: &str) -> Option<syn::Result<()>> {
    let mut tokens = TokenStream::from_str(body).ok()?.into_iter();
    let (Some(TokenTree::Group(group)), None) = (tokens.next(), tokens.next()) else {
        return None;
    };
    if group.delimiter() != Delimiter::Brace {
        return None;
    }
    Some(parse_body(group.stream()).map(|_| ()))
}

/// What syn does inside `fn .. { }`: inner attributes, then the statements. [`fill_one`] and
/// [`body_parses`] both parse a body so, and must agree.
fn parse_body(stream: TokenStream) -> syn::Result<(Vec<syn::Attribute>, Vec<syn::Stmt>)> {
    syn::parse::Parser::parse2(
        |input: syn::parse::ParseStream<'_>| {
            let inner = input.call(syn::Attribute::parse_inner)?;
            let stmts = input.call(syn::Block::parse_within)?;
            Ok((inner, stmts))
        },
        stream,
    )
}

fn fill_one(
    block: &mut syn::Block,
    attrs: &mut Vec<syn::Attribute>,
    groups: &mut HashMap<Key, Group>,
    filled: &mut usize,
) -> syn::Result<()> {
    if !block.stmts.is_empty() {
        return Ok(());
    }
    let Some(group) = groups.remove(&key(block.brace_token.span.join())) else {
        return Ok(());
    };
    let (inner, stmts) = parse_body(group.stream())?;
    attrs.extend(inner);
    block.stmts = stmts;
    *filled += 1;
    Ok(())
}

#[cfg(test)]
mod tests;
