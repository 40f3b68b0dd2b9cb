//! The Rust side of INV-02: a file's WebSocket-surface candidates (inbound enum variants, match
//! arms and dispatches inside functions), read with syn, fn bodies only where they matter
//! (`util::lazy_rust`).

use std::collections::HashMap;
use std::ops::Range;

use syn::spanned::Spanned as _;
use syn::visit::Visit;

use super::{Candidate, CandidateKind, Settings};
use crate::rules::prelude::*;

/// Parses `src` and lists its WebSocket-surface candidates; `None` when it does not parse.
/// With `all_bodies` (the base side) every fn body is parsed, so a syntax error anywhere fails
/// the file as a whole-file parse would, and every candidate is listed. Without it (head), a
/// body is parsed only when it can yield a candidate that matters at head: a WebSocket fn
/// ([`is_ws_fn`]; arms elsewhere are never flagged) whose text has a `match`, or a body that
/// may declare an enum or a fn of its own. A syntax error in another body goes unseen where a
/// whole-file parse would drop the file: more findings, never fewer.
pub(super) fn rust_candidates(
    cx: &Context<'_>,
    src: &Source,
    cfg: &Settings,
    all_bodies: bool,
) -> Option<Vec<Candidate>> {
    // Struct fields and the variants of enums that are not inbound messages hold no candidate
    // (an arm counts only inside a WebSocket fn).
    let inbound = |name: &str| {
        cfg.inbound_types
            .as_ref()
            .is_some_and(|re| re.is_match(name))
    };
    let may_flag = |outline: &util::Outline<'_>| may_flag(outline, cfg, &inbound);
    let unread = util::Unread {
        struct_fields: true,
        keep_enum: Some(&inbound),
        // The base side lists every candidate; the head only those that may be flagged.
        gate: (!all_bodies && cfg.ws_gate())
            .then_some(&may_flag as &dyn Fn(&util::Outline<'_>) -> bool),
    };
    let mut lazy = util::parse_rust_lazy(cx, src, unread).ok()?;
    let offset = |at: proc_macro2::LineColumn| src.offset(at.line, at.column);
    // [`is_ws_fn`] of the fns the fill saw, for the collector: (start, end) -> is WS.
    let mut known = HashMap::new();
    util::fill_bodies(cx, &mut lazy, |sig, block| {
        if all_bodies {
            return true;
        }
        let braces = block.brace_token.span;
        let (start, end) = (sig.fn_token.span, braces.close());
        let is_ws = is_ws_fn(src, cfg, &util::ident_name(&sig.ident), start, end);
        known.insert((offset(start.start()), offset(end.end())), is_ws);
        // A body yields a candidate through a `match` (arms, dispatches; flagged only in a
        // WebSocket fn) or through an item of its own (an enum, a fn). syn reads no macro's
        // tokens, so a body without those words has nothing the collector would list.
        let body = src
            .text()
            .get(offset(braces.open().start())..offset(end.end()))
            .unwrap_or("");
        (is_ws && util::has_word(body, "match"))
            || util::has_word(body, "fn")
            || util::has_word(body, "enum")
    })
    .ok()?;
    let mut v = Collector {
        src,
        cfg,
        known,
        fns: Vec::new(),
        out: Vec::new(),
    };
    v.visit_file(&lazy.file);
    Some(v.out)
}

/// Whether a head file may hold a candidate [`super::check_rust`] flags, from rustc's lexer's
/// view of it, before syn parses anything (#19: most files that pass the `ws-context`
/// prefilter mention a socket without handling one). A flagged candidate is one of:
/// - a variant of an enum whose name matches `inbound-types`: the file has `enum` followed by
///   such a name (anywhere: the lexer sees every token);
/// - an arm or a dispatch of a `match` in a WebSocket fn ([`is_ws_fn`]): the file has a
///   `match` token inside the text of a fn at item level that matches `ws-context`, or
///   outside every fn body at item level (then this cannot tell, and says yes).
///
/// The second needs only the fn at item level around the `match`: a WebSocket fn nested in
/// its body has a text (`fn` to `}`) inside the outer fn's, and a name inside its own text.
/// `ws-context` asserts nothing but `\b` ([`Settings::ws_gate`]), and such a slice starts with
/// a word (`fn`, the name) that a non-word character precedes in the outer text and ends with
/// `}` or before a non-word character, so every `\b` test the slice's match passes holds in
/// the outer text too: the nested fn matching means the outer one matches. `not-ws-functions`
/// is left out, which can only say yes more often. The scan's guess of the bodies is not
/// checked by syn here; a guess that a valid file could make wrong only puts a `match` outside
/// every guessed body (a fn whose body the scan took for a group of its signature), and that
/// says yes.
fn may_flag(outline: &util::Outline<'_>, cfg: &Settings, inbound: &dyn Fn(&str) -> bool) -> bool {
    let Some((ws_re, _)) = cfg.ws_context.as_ref() else {
        return false;
    };
    let text = outline.text;
    if outline.enum_names.iter().any(|r| {
        text.get(r.clone())
            .is_some_and(|name| inbound(util::unraw(name)))
    }) {
        return true;
    }
    // `matches` and `fns` are both in text order: one walk, each fn's text matched once.
    let mut fns = outline.fns.iter().peekable();
    let mut last: Option<(usize, bool)> = None;
    for &at in outline.matches {
        while fns.next_if(|(_, body)| body.end <= at).is_some() {}
        let Some((i, (start, body))) = fns.peek().map(|f| (f.1.start, f)) else {
            return true;
        };
        if body.start > at {
            return true;
        }
        let is_ws = match last {
            Some((j, is_ws)) if j == i => is_ws,
            _ => {
                let is_ws = text.get(*start..body.end).is_none_or(|t| ws_re.is_match(t));
                last = Some((i, is_ws));
                is_ws
            }
        };
        if is_ws {
            return true;
        }
    }
    false
}

/// True for a fn whose text (from `fn` to its closing brace) or name matches `ws-context`,
/// and whose name does not match `not-ws-functions`: its arms are WebSocket handlers.
fn is_ws_fn(
    src: &Source,
    cfg: &Settings,
    name: &str,
    start: proc_macro2::Span,
    end: proc_macro2::Span,
) -> bool {
    let Some((re, _)) = cfg.ws_context.as_ref() else {
        return false;
    };
    // The cheap tests on the name first; the text is a whole fn.
    if cfg
        .not_ws_functions
        .as_ref()
        .is_some_and(|re| re.is_match(name))
    {
        return false;
    }
    let offset = |at: proc_macro2::LineColumn| src.offset(at.line, at.column);
    src.text()
        .get(offset(start.start())..offset(end.end()))
        .is_some_and(|t| re.is_match(name) || re.is_match(t))
}

struct Collector<'s> {
    src: &'s Source,
    cfg: &'s Settings,
    /// [`is_ws_fn`] already known, by the fn's (start, end) offsets.
    known: HashMap<(usize, usize), bool>,
    /// Enclosing functions: (name, text matches ws-context).
    fns: Vec<(String, bool)>,
    out: Vec<Candidate>,
}

impl Collector<'_> {
    fn offset(&self, at: proc_macro2::LineColumn) -> usize {
        self.src.offset(at.line, at.column)
    }

    fn span_of(&self, span: proc_macro2::Span) -> Range<usize> {
        self.offset(span.start())..self.offset(span.end())
    }

    fn enter_fn(&mut self, name: String, start: proc_macro2::Span, end: proc_macro2::Span) {
        let key = (self.offset(start.start()), self.offset(end.end()));
        let is_ws = match self.known.get(&key) {
            Some(known) => *known,
            None => is_ws_fn(self.src, self.cfg, &name, start, end),
        };
        self.fns.push((name, is_ws));
    }

    fn is_inbound(&self, name: &str) -> bool {
        self.cfg
            .inbound_types
            .as_ref()
            .is_some_and(|re| re.is_match(name))
    }

    fn arm_pattern(&mut self, pat: &syn::Pat) {
        let Some((item, in_ws_fn)) = self.fns.last().cloned() else {
            return;
        };
        match pat {
            syn::Pat::Or(or) => {
                for case in &or.cases {
                    self.arm_pattern(case);
                }
            }
            syn::Pat::Lit(lit) => {
                if let syn::Lit::Str(s) = &lit.lit {
                    self.out.push(Candidate {
                        item,
                        name: s.value(),
                        kind: CandidateKind::StringArm,
                        span: self.span_of(s.span()),
                        in_ws_fn,
                    });
                }
            }
            syn::Pat::Path(p) => self.variant_arm(&p.path, item, in_ws_fn),
            syn::Pat::TupleStruct(p) => self.variant_arm(&p.path, item, in_ws_fn),
            syn::Pat::Struct(p) => self.variant_arm(&p.path, item, in_ws_fn),
            syn::Pat::Reference(r) => self.arm_pattern(&r.pat),
            syn::Pat::Paren(p) => self.arm_pattern(&p.pat),
            _ => {}
        }
    }

    fn variant_arm(&mut self, path: &syn::Path, item: String, in_ws_fn: bool) {
        let n = path.segments.len();
        if n < 2 {
            return;
        }
        let ty = util::ident_name(&path.segments[n - 2].ident);
        if !self.is_inbound(&ty) {
            return;
        }
        let variant = &path.segments[n - 1].ident;
        self.out.push(Candidate {
            item,
            name: util::ident_name(variant),
            kind: CandidateKind::VariantArm,
            span: self.span_of(variant.span()),
            in_ws_fn,
        });
    }
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_item_fn(&mut self, f: &'ast syn::ItemFn) {
        self.enter_fn(
            util::ident_name(&f.sig.ident),
            f.sig.fn_token.span,
            f.block.brace_token.span.close(),
        );
        syn::visit::visit_item_fn(self, f);
        self.fns.pop();
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        self.enter_fn(
            util::ident_name(&f.sig.ident),
            f.sig.fn_token.span,
            f.block.brace_token.span.close(),
        );
        syn::visit::visit_impl_item_fn(self, f);
        self.fns.pop();
    }

    fn visit_item_enum(&mut self, e: &'ast syn::ItemEnum) {
        let name = util::ident_name(&e.ident);
        if self.is_inbound(&name) {
            for variant in &e.variants {
                let mut names = vec![util::ident_name(&variant.ident)];
                names.extend(serde_rename(&variant.attrs));
                // The rename is the wire name; report it when it is the command-like one.
                let wire = names
                    .iter()
                    .find(|n| self.cfg.command_verb(n).is_some())
                    .cloned()
                    .unwrap_or_else(|| names[0].clone());
                self.out.push(Candidate {
                    item: name.clone(),
                    name: wire,
                    kind: CandidateKind::Variant,
                    span: self.span_of(variant.ident.span()),
                    in_ws_fn: false,
                });
            }
        }
        syn::visit::visit_item_enum(self, e);
    }

    fn visit_expr_match(&mut self, m: &'ast syn::ExprMatch) {
        if let (Some((item, in_ws_fn)), Some(re)) =
            (self.fns.last().cloned(), self.cfg.dispatch_re.as_ref())
        {
            let span = self.span_of(m.expr.span());
            if let Some(text) = self.src.text().get(span.clone()) {
                let field = re
                    .captures_iter(text)
                    .find(|c| c.name("call").is_none())
                    .and_then(|c| c.name("field"));
                if let Some(field) = field {
                    self.out.push(Candidate {
                        item,
                        name: format!(
                            "dispatch:{}#{}",
                            text.split_whitespace().collect::<String>(),
                            field.as_str()
                        ),
                        kind: CandidateKind::Dispatch,
                        span,
                        in_ws_fn,
                    });
                }
            }
        }
        for arm in &m.arms {
            self.arm_pattern(&arm.pat);
        }
        syn::visit::visit_expr_match(self, m);
    }
}

/// `#[serde(rename = "...")]` values on a variant.
fn serde_rename(attrs: &[syn::Attribute]) -> Vec<String> {
    let mut out = Vec::new();
    for attr in attrs.iter().filter(|a| a.path().is_ident("serde")) {
        let _ = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") || meta.path.is_ident("alias") {
                if let Ok(value) = meta.value() {
                    if let Ok(s) = value.parse::<syn::LitStr>() {
                        out.push(s.value());
                    }
                }
            } else if meta.input.peek(syn::Token![=]) {
                // Skip `key = value` pairs we do not read.
                let _ = meta.value().and_then(|v| v.parse::<syn::Expr>());
            } else if meta.input.peek(syn::token::Paren) {
                let _ = meta.parse_nested_meta(|inner| {
                    if inner.input.peek(syn::Token![=]) {
                        let _ = inner.value().and_then(|v| v.parse::<syn::Expr>());
                    }
                    Ok(())
                });
            }
            Ok(())
        });
    }
    out
}
