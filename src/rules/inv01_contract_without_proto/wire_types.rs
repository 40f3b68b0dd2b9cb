//! Sub-check 1: hand-written wire types (Rust serde types, TypeScript/PHP client types) and
//! contract routes added outside proto-first governance.

use super::*;

/// A hand-written wire type declared in a changed file.
pub(crate) struct WireType {
    pub(crate) name: String,
    pub(crate) span: Range<usize>,
    /// Rust: it derives serde; the `wire-type-names` pattern that its name matched, if any.
    pub(crate) name_pattern: Option<usize>,
    /// Client: the `client-type-patterns` entry that found it.
    pub(crate) client_pattern: Option<usize>,
    /// "adds" or "modifies".
    pub(crate) verb: &'static str,
}

pub(crate) fn wire_types(
    cx: &Context<'_>,
    inv: &Invariant,
    cfg: &Settings,
    proto_changed: bool,
    parsed: &[ChangedProto<'_>],
    out: &mut Findings,
) {
    let rust: Vec<&FileChange> = cx.files_in(&cfg.rust_paths, &cfg.exclude).collect();
    let client: Vec<&FileChange> = if cfg.client_type_patterns.is_empty() {
        Vec::new()
    } else {
        cx.files_in(&cfg.client_paths, &cfg.exclude).collect()
    };
    let mut found: Vec<(&FileChange, Arc<Source>, Vec<WireType>)> = rust
        .par_iter()
        .filter_map(|f| {
            let src = f.head.source()?;
            let types = rust_wire_types(cx, f, src, cfg);
            (!types.is_empty()).then(|| (*f, src.clone(), types))
        })
        .collect();
    found.extend(client.iter().filter_map(|f| {
        let src = f.head.source()?;
        let types = client_wire_types(f, src, cfg);
        (!types.is_empty()).then(|| (*f, src.clone(), types))
    }));

    // Routes: only when no proto changed.
    let mut routes = Vec::new();
    if !proto_changed && !cfg.route_patterns.is_empty() {
        for f in &rust {
            if let Some(src) = f.head.source() {
                for hit in util::added_hits(f, src, &cfg.route_patterns, true) {
                    routes.push((src.clone(), hit));
                }
            }
        }
    }
    if found.is_empty() && routes.is_empty() {
        return;
    }

    // Messages at head: changed protos first (exact head text), then the rest of the tree.
    let index = if found.is_empty() {
        HeadMessages::default()
    } else {
        head_messages(cx, cfg, parsed)
    };

    for (file, src, types) in &found {
        for t in types {
            if let Some((proto, span, full)) = index.by_name.get(&t.name) {
                let proto = &index.files[*proto];
                out.push(
                    Finding::new(
                        inv,
                        META.name,
                        format!(
                            "hand-written wire type `{}` duplicates proto message `{full}`",
                            t.name
                        ),
                    )
                    .at(
                        src,
                        t.span.clone(),
                        format!("`{}` is a hand-written copy of a proto message", t.name),
                    )
                    .related(
                        proto,
                        span.clone(),
                        format!("proto message `{full}` is the contract"),
                    )
                    .cite(
                        cx.policy(),
                        first_span(&cfg.proto_paths, proto.name()),
                        "proto sources are the contract",
                    )
                    .help(format!(
                        "use the type generated from `{}` (for Rust, through the proto crate's build) instead of a hand-written copy; if it must differ, give it a name that is not a proto message and map it explicitly",
                        proto.name()
                    )),
                );
                continue;
            }
            if proto_changed {
                continue;
            }
            let (cite_span, cite_label, what) = match (t.name_pattern, t.client_pattern) {
                (Some(i), _) => {
                    let p = &cfg.wire_type_names.items[i];
                    (
                        p.span.clone(),
                        format!("wire type name `{}`", p.id),
                        "derives serde in a contract module",
                    )
                }
                (_, Some(i)) => {
                    let p = &cfg.client_type_patterns.items[i];
                    (
                        p.span.clone(),
                        format!("client wire type `{}`", p.id),
                        "is declared in a client API path",
                    )
                }
                _ => continue,
            };
            out.push(
                Finding::new(
                    inv,
                    META.name,
                    format!(
                        "this change {} hand-written wire type `{}` without a proto change",
                        t.verb, t.name
                    ),
                )
                .at(src, t.span.clone(), format!("`{}` {what}", t.name))
                .cite(cx.policy(), cite_span, cite_label)
                .help(format!(
                    "change the contract in `proto/` first (a message under proto/openagents/<package>/v1/) in this same change, and derive `{}` from the generated type; a type that never leaves the process belongs outside the contract paths of [invariant.{}.contract-without-proto] (`{}` matched)",
                    t.name,
                    inv.id,
                    cfg.rust_paths
                        .matching_entry(&file.path)
                        .or_else(|| cfg.client_paths.matching_entry(&file.path))
                        .map(|e| e.text.as_str())
                        .unwrap_or("")
                )),
            );
        }
    }
    for (src, hit) in routes {
        let p = &cfg.route_patterns.items[hit.pattern];
        out.push(
            Finding::new(
                inv,
                META.name,
                format!("this change adds {} without a proto change", p.what),
            )
            .at(
                &src,
                hit.span.clone(),
                format!("`{}` adds a contract route", hit.text),
            )
            .cite(cx.policy(), p.span.clone(), format!("route pattern `{}`", p.id))
            .help(
                "define the request and response messages in `proto/` in the same change, and map the route's JSON to the generated types",
            ),
        );
    }
}

/// Serde types in a Rust file that the change adds or changes.
pub(crate) fn rust_wire_types(
    cx: &Context<'_>,
    file: &FileChange,
    src: &Source,
    cfg: &Settings,
) -> Vec<WireType> {
    // Cheap prefilter before syn.
    if !cfg
        .serde_derives
        .iter()
        .any(|d| src.text().contains(d.as_str()))
    {
        return Vec::new();
    }
    // Head: serde items never live in fn bodies, so none is parsed. A syntax error in one goes
    // unseen where a whole-file parse would drop the file: more findings, never fewer.
    let head = rust_serde_items(cx, src, &cfg.serde_derives, false);
    if head.is_empty() {
        return Vec::new();
    }
    let base: HashMap<String, String> = if file.is_all_added {
        HashMap::new()
    } else {
        file.base
            .source()
            .map(|b| {
                // Base: every body, so a base that does not parse is "nothing there" (every
                // head item is added), as with a whole-file parse.
                rust_serde_items(cx, b, &cfg.serde_derives, true)
                    .into_iter()
                    .map(|i| (i.name, i.tokens))
                    .collect()
            })
            .unwrap_or_default()
    };
    head.into_iter()
        .filter_map(|item| {
            let verb = match base.get(&item.name) {
                None => "adds",
                Some(t) if *t != item.tokens => "modifies",
                Some(_) => return None,
            };
            let (sl, sc) = item.start;
            let (el, ec) = item.end;
            Some(WireType {
                span: src.offset(sl, sc)..src.offset(el, ec),
                name_pattern: cfg
                    .wire_type_names
                    .items
                    .iter()
                    .position(|p| p.regex.is_match(&item.name)),
                client_pattern: None,
                name: item.name,
                verb,
            })
        })
        .collect()
}

/// A serde item as plain data (syn trees are not `Send`).
pub(crate) struct SerdeItem {
    pub(crate) name: String,
    /// 1-based line, 0-based char column of the identifier.
    pub(crate) start: (usize, usize),
    pub(crate) end: (usize, usize),
    /// Token text without doc comments: equal tokens mean no contract change.
    pub(crate) tokens: String,
}

/// The serde items of `text` ([`collect_items`]); none when it does not parse. Fn bodies are
/// parsed only with `all_bodies`, where a syntax error in one must fail the file as a
/// whole-file parse would (see `util::lazy_rust`).
pub(crate) fn rust_serde_items(
    cx: &Context<'_>,
    src: &Source,
    derives: &[String],
    all_bodies: bool,
) -> Vec<SerdeItem> {
    let Ok(mut lazy) = util::parse_rust_lazy(cx, src, util::Unread::NOTHING) else {
        return Vec::new();
    };
    let parses = if all_bodies {
        util::check_bodies(cx, &mut lazy)
    } else {
        util::fill_bodies(cx, &mut lazy, |_, _| false)
    };
    if parses.is_err() {
        return Vec::new();
    }
    let mut out = Vec::new();
    collect_items(&lazy.file.items, derives, &mut out);
    out
}

pub(crate) fn collect_items(items: &[syn::Item], derives: &[String], out: &mut Vec<SerdeItem>) {
    for item in items {
        let (attrs, ident) = match item {
            syn::Item::Struct(s) => (&s.attrs, &s.ident),
            syn::Item::Enum(e) => (&e.attrs, &e.ident),
            syn::Item::Mod(m) => {
                if !is_cfg_test(&m.attrs) {
                    if let Some((_, inner)) = &m.content {
                        collect_items(inner, derives, out);
                    }
                }
                continue;
            }
            _ => continue,
        };
        if is_cfg_test(attrs) || !derives_serde(attrs, derives) {
            continue;
        }
        let mut bare = item.clone();
        if let syn::Item::Struct(s) = &mut bare {
            strip_docs(&mut s.attrs);
            for f in s.fields.iter_mut() {
                strip_docs(&mut f.attrs);
            }
        } else if let syn::Item::Enum(e) = &mut bare {
            strip_docs(&mut e.attrs);
            for v in e.variants.iter_mut() {
                strip_docs(&mut v.attrs);
                for f in v.fields.iter_mut() {
                    strip_docs(&mut f.attrs);
                }
            }
        }
        let span = ident.span();
        out.push(SerdeItem {
            name: util::ident_name(ident),
            start: (span.start().line, span.start().column),
            end: (span.end().line, span.end().column),
            tokens: bare.to_token_stream().to_string(),
        });
    }
}

pub(crate) fn strip_docs(attrs: &mut Vec<syn::Attribute>) {
    attrs.retain(|a| !a.path().is_ident("doc"));
}

pub(crate) fn words(tokens: &str) -> impl Iterator<Item = &str> {
    tokens
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
}

pub(crate) fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && matches!(&a.meta, syn::Meta::List(l) if words(&l.tokens.to_string()).any(|w| w == "test"))
    })
}

pub(crate) fn derives_serde(attrs: &[syn::Attribute], derives: &[String]) -> bool {
    attrs.iter().any(|a| {
        (a.path().is_ident("derive") || a.path().is_ident("cfg_attr"))
            && matches!(&a.meta, syn::Meta::List(l) if {
                let t = l.tokens.to_string();
                let found = words(&t).any(|w| derives.iter().any(|d| d == w));
                found
            })
    })
}

/// Client DTO declarations (TypeScript/PHP) that the change adds or changes.
pub(crate) fn client_wire_types(file: &FileChange, src: &Source, cfg: &Settings) -> Vec<WireType> {
    let head = client_decls(src.text(), &cfg.client_type_patterns);
    if head.is_empty() {
        return Vec::new();
    }
    let base: HashMap<String, String> = if file.is_all_added {
        HashMap::new()
    } else {
        file.base
            .source()
            .map(|b| {
                client_decls(b.text(), &cfg.client_type_patterns)
                    .into_iter()
                    .map(|d| (d.name, d.body))
                    .collect()
            })
            .unwrap_or_default()
    };
    head.into_iter()
        .filter_map(|d| {
            let verb = match base.get(&d.name) {
                None => "adds",
                Some(b) if *b != d.body => "modifies",
                Some(_) => return None,
            };
            Some(WireType {
                name: d.name,
                span: d.span,
                name_pattern: None,
                client_pattern: Some(d.pattern),
                verb,
            })
        })
        .collect()
}

pub(crate) struct ClientDecl {
    pub(crate) name: String,
    pub(crate) span: Range<usize>,
    /// The declaration's text with all whitespace removed.
    pub(crate) body: String,
    pub(crate) pattern: usize,
}

pub(crate) fn client_decls(text: &str, patterns: &PatternList) -> Vec<ClientDecl> {
    let mut out: Vec<ClientDecl> = Vec::new();
    if !patterns.prefilter.may_match(text) || !patterns.set.is_match(text) {
        return out;
    }
    for (pi, p) in patterns.items.iter().enumerate() {
        for caps in p.regex.captures_iter(text) {
            let Some(whole) = caps.get(0) else { continue };
            let name = caps.name("name").unwrap_or(whole);
            if name.as_str().is_empty() || out.iter().any(|d| d.name == name.as_str()) {
                continue;
            }
            let end = decl_end(text, whole.end());
            out.push(ClientDecl {
                name: name.as_str().to_string(),
                span: name.start()..name.end(),
                body: text[whole.start()..end]
                    .chars()
                    .filter(|c| !c.is_whitespace())
                    .collect(),
                pattern: pi,
            });
        }
    }
    out.sort_by_key(|d| d.span.start);
    out
}

/// End of a declaration starting at `from`: the brace that closes its first `{`, or a `;` at
/// depth 0, or the end of the text.
pub(crate) fn decl_end(text: &str, from: usize) -> usize {
    let mut depth = 0usize;
    let mut opened = false;
    for (i, c) in text[from..].char_indices() {
        match c {
            '{' => {
                depth += 1;
                opened = true;
            }
            '}' => {
                depth = depth.saturating_sub(1);
                if opened && depth == 0 {
                    return from + i + 1;
                }
            }
            ';' if depth == 0 => return from + i + 1,
            _ => {}
        }
    }
    text.len()
}

#[derive(Default)]
pub(crate) struct HeadMessages {
    pub(crate) files: Vec<Arc<Source>>,
    /// Simple name -> (file index, span of the name, full name); first file in path order wins.
    pub(crate) by_name: BTreeMap<String, (usize, Range<usize>, String)>,
}

pub(crate) fn head_messages(
    cx: &Context<'_>,
    cfg: &Settings,
    parsed: &[ChangedProto<'_>],
) -> HeadMessages {
    let mut paths: BTreeSet<&str> = cx
        .tree()
        .files
        .iter()
        .map(String::as_str)
        .filter(|p| cfg.proto_paths.is_match(p) && !cfg.exclude.is_match(p))
        .collect();
    let changed: BTreeMap<&str, &ProtoFile> = parsed
        .iter()
        .filter_map(|p| match &p.head {
            Some(Ok(pf)) => Some((p.file.path.as_ref(), pf)),
            _ => None,
        })
        .collect();
    paths.extend(changed.keys());
    for p in parsed.iter().filter(|p| !p.file.exists_at_head()) {
        paths.remove(p.file.path.as_ref());
    }
    let paths: Vec<&str> = paths.into_iter().collect();
    let others: Vec<Option<ProtoFile>> = paths
        .par_iter()
        .map(|p| {
            if changed.contains_key(p) {
                return None;
            }
            cx.head_file(p).and_then(|s| parse_proto(&s).ok())
        })
        .collect();
    let mut index = HeadMessages::default();
    for (p, other) in paths.iter().zip(&others) {
        let Some(pf) = changed.get(p).copied().or(other.as_ref()) else {
            continue;
        };
        let idx = index.files.len();
        index.files.push(pf.src.clone());
        let mut defs = Defs::default();
        defs.add_file(0, &pf.fd, pf.package());
        for (full, (loc, m)) in &defs.messages {
            index
                .by_name
                .entry(m.name().to_string())
                .or_insert_with(|| (idx, pf.span(&loc.path, Some(1)), full.clone()));
        }
    }
    index
}
