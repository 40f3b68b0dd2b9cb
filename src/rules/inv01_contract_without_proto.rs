//! INV-01 `contract-without-proto`: proto-first for cross-process and client-server contracts
//! (OA-RUST-003). Contract changes are made in `proto/` first; generated outputs follow.
//!
//! Looks at: the changed files. Rust files under `rust-paths` that mention a serde derive are
//! parsed with syn; TypeScript/PHP files under `client-paths` are matched with
//! `client-type-patterns`; changed `.proto` files are parsed at base and head with protox-parse;
//! the head tree's proto files are read (message names) when a wire type changed.
//! Flags:
//! - a hand-written wire type (serde type named like `wire-type-names`, or a client DTO) added
//!   or changed while no proto file changed, and an added `route-patterns` route likewise;
//! - a hand-written type named like a proto message at head (duplicate wire type), always;
//! - a `generated` pairing broken (proto changed without its committed outputs, or an output
//!   edited without a proto change);
//! - a proto package dir the `generator` script does not reference (when proto or the script
//!   changed);
//! - wire-breaking proto changes against the base: field removed without `reserved`, field
//!   number or type changed, message/enum/enum value/service/rpc removed, package renamed;
//! - a changed proto that does not parse (warning).
//!
//! Ignores: paths in `exclude` (`@tests`), items under `#[cfg(test)]`, serde types outside
//! contract paths, comment and formatting changes (syntax trees and descriptors are compared,
//! not text).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;

use prost_types::{
    field_descriptor_proto, DescriptorProto, EnumDescriptorProto, FieldDescriptorProto,
    FileDescriptorProto, ServiceDescriptorProto,
};
use quote::ToTokens;
use rayon::prelude::*;

use crate::rules::prelude::*;

/// Check metadata.
pub static META: Meta = Meta {
    explain: include_str!("../../rules/INV-01.md"),
    needs_tree: true,
    keys: KEYS,
    ..Meta::spec(
        "INV-01",
        "contract-without-proto",
        "change adds or breaks a cross-process contract outside proto-first governance",
        Escalation::BlockMerge,
    )
};

/// The keys of `[invariant.<ID>.contract-without-proto]`, for the policy's schema and `invlint init`.
#[rustfmt::skip]
const KEYS: &[Key] = &[
    opt("proto-paths", Ty::Globs, "The proto sources (contract source of truth)."),
    opt("rust-paths", Ty::Globs, "Rust API, handler and client modules whose serde types cross a process boundary."),
    opt("client-paths", Ty::Globs, "TypeScript and PHP client API paths."),
    opt("exclude", Ty::Globs, "Out of scope everywhere (tests, vendored code)."),
    opt("serde-derives", Ty::Strings, "Derive names that make a Rust type a serde type."),
    opt("wire-type-names", Ty::Patterns, "A serde type in `rust-paths` is a wire type when its name matches one of these."),
    opt("client-type-patterns", Ty::Patterns, "Declarations of wire types in client files; capture group `name` is the type name."),
    opt("route-patterns", Ty::Patterns, "Added lines in `rust-paths` that add an HTTP contract route."),
    opt("generator", Ty::Str, "The build script or generator that compiles the proto tree (empty: not checked)."),
    opt("package-root", Ty::Str, "Directory whose child directories are proto packages."),
    opt("proto-root", Ty::Str, "Proto include root."),
    opt("breaking", Ty::Bool, "Check wire-breaking proto changes against the base (default true)."),
    opt("generated", Ty::Tables(schema::GENERATED), "Committed generated outputs, each paired with the proto sources it is generated from."),
];

/// `[invariant.<ID>.contract-without-proto]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawSettings {
    /// The proto sources (contract source of truth).
    #[serde(default)]
    pub proto_paths: Vec<Spanned<String>>,
    /// Rust API, handler and client modules whose serde types cross a process boundary.
    #[serde(default)]
    pub rust_paths: Vec<Spanned<String>>,
    /// TypeScript and PHP client API paths.
    #[serde(default)]
    pub client_paths: Vec<Spanned<String>>,
    /// Out of scope everywhere (tests, vendored code).
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
    /// Derive names that make a Rust type a serde type.
    #[serde(default)]
    pub serde_derives: Vec<Spanned<String>>,
    /// A serde type in `rust-paths` is a wire type when its name matches one of these.
    #[serde(default)]
    pub wire_type_names: Vec<RawPattern>,
    /// Declarations of wire types in client files; capture group `name` is the type name.
    #[serde(default)]
    pub client_type_patterns: Vec<RawPattern>,
    /// Added lines in `rust-paths` that add an HTTP contract route.
    #[serde(default)]
    pub route_patterns: Vec<RawPattern>,
    /// The build script or generator that compiles the proto tree (empty: not checked).
    pub generator: Option<Spanned<String>>,
    /// Directory whose child directories are proto packages (`proto/openagents`).
    pub package_root: Option<Spanned<String>>,
    /// Proto include root, for resolving paths the generator names relative to it.
    pub proto_root: Option<Spanned<String>>,
    /// Check wire-breaking proto changes against the base (default true).
    pub breaking: Option<Spanned<bool>>,
    /// Committed generated outputs, each paired with the proto sources it is generated from.
    #[serde(default)]
    pub generated: Vec<RawGenerated>,
}

/// One `[[...generated]]` entry.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawGenerated {
    /// Proto sources.
    pub sources: Vec<Spanned<String>>,
    /// Committed outputs generated from them.
    pub outputs: Vec<Spanned<String>>,
}

/// Compiled settings.
#[derive(Debug)]
pub struct Settings {
    proto_paths: GlobList,
    rust_paths: GlobList,
    client_paths: GlobList,
    exclude: GlobList,
    serde_derives: Vec<String>,
    wire_type_names: PatternList,
    client_type_patterns: PatternList,
    route_patterns: PatternList,
    generator: Option<(String, Range<usize>)>,
    package_root: String,
    proto_root: String,
    breaking: bool,
    generated: Vec<Generated>,
}

impl Settings {
    /// The files this check reads, for coverage.
    fn scope(&self) -> Scope<'_> {
        Scope {
            key: "proto-paths`, `rust-paths` or `client-paths",
            include: vec![&self.proto_paths, &self.rust_paths, &self.client_paths],
            exclude: vec![&self.exclude],
        }
    }
}

#[derive(Debug)]
struct Generated {
    sources: GlobList,
    outputs: GlobList,
    sources_text: String,
    outputs_text: String,
    sources_span: Range<usize>,
    outputs_span: Range<usize>,
}

impl RawSettings {
    /// Validates and compiles; problems go to `v`.
    fn compile(&self, v: &mut Validator) -> Settings {
        v.non_empty(&self.proto_paths, "no proto file", "proto-paths");
        let client_type_patterns = v.patterns(&self.client_type_patterns);
        let generated = self
            .generated
            .iter()
            .map(|g| {
                for (list, key) in [(&g.sources, "sources"), (&g.outputs, "outputs")] {
                    if list.is_empty() {
                        v.require_non_empty(0..0, "no generated pairing", key);
                    }
                }
                let text = |l: &[Spanned<String>]| {
                    l.iter()
                        .map(|s| format!("`{}`", s.get_ref()))
                        .collect::<Vec<_>>()
                        .join(" or ")
                };
                Generated {
                    sources: v.glob_list(&g.sources),
                    outputs: v.glob_list(&g.outputs),
                    sources_text: text(&g.sources),
                    outputs_text: text(&g.outputs),
                    sources_span: g.sources.first().map(|s| s.span()).unwrap_or(0..0),
                    outputs_span: g.outputs.first().map(|s| s.span()).unwrap_or(0..0),
                }
            })
            .collect();
        let trimmed = |s: &Option<Spanned<String>>| {
            s.as_ref()
                .map(|s| s.get_ref().trim_matches('/').to_string())
                .unwrap_or_default()
        };
        Settings {
            proto_paths: v.glob_list(&self.proto_paths),
            rust_paths: v.glob_list(&self.rust_paths),
            client_paths: v.glob_list(&self.client_paths),
            exclude: v.glob_list(&self.exclude),
            serde_derives: self
                .serde_derives
                .iter()
                .map(|s| s.get_ref().clone())
                .collect(),
            wire_type_names: v.patterns(&self.wire_type_names),
            client_type_patterns,
            route_patterns: v.patterns(&self.route_patterns),
            generator: self
                .generator
                .as_ref()
                .filter(|g| !g.get_ref().trim().is_empty())
                .map(|g| (g.get_ref().trim().to_string(), g.span())),
            package_root: trimmed(&self.package_root),
            proto_root: trimmed(&self.proto_root),
            breaking: self.breaking.as_ref().is_none_or(|b| *b.get_ref()),
            generated,
        }
    }
}

/// The check.
pub struct ContractWithoutProto;

impl Check for ContractWithoutProto {
    type Raw = RawSettings;
    type Settings = Settings;

    fn meta(&self) -> &'static Meta {
        &META
    }

    fn compile(&self, raw: &RawSettings, v: &mut Validator) -> Settings {
        raw.compile(v)
    }

    fn scope<'a>(&self, settings: &'a Settings, _: &'a Config) -> Option<Scope<'a>> {
        Some(settings.scope())
    }

    fn check(&self, cx: &Context<'_>, inv: &Invariant, cfg: &Settings, out: &mut Findings) {
        let is_proto = |p: &str| cfg.proto_paths.is_match(p) && !cfg.exclude.is_match(p);
        let changed_protos: Vec<&FileChange> = cx
            .changes()
            .files
            .iter()
            .filter(|f| is_proto(&f.path) || f.old_path.as_deref().is_some_and(is_proto))
            .collect();
        let proto_changed = !changed_protos.is_empty();

        // Proto files at base and head, parsed once.
        let parsed: Vec<ChangedProto> = changed_protos
            .par_iter()
            .map(|f| ChangedProto {
                file: f,
                base: f.base.source().map(parse_proto),
                head: f
                    .exists_at_head()
                    .then(|| f.head.source().map(parse_proto))
                    .flatten(),
            })
            .collect();
        for p in &parsed {
            for (side, res) in [("base", &p.base), ("head", &p.head)] {
                if let Some(Err((src, msg, span))) = res {
                    out.push(
                        Finding::new(
                            inv,
                            META.name,
                            format!("`{}` does not parse as proto at {side}", src.name()),
                        )
                        .level(Severity::Warning)
                        .at(src, span.clone(), format!("parse error: {msg}"))
                        .cite(
                            cx.policy(),
                            first_span(&cfg.proto_paths, src.name()),
                            "proto sources",
                        )
                        .help(format!(
                            "fix the syntax (`buf lint`); {} could not compare this file's messages, fields and services with the {}",
                            inv.id,
                            if side == "head" { "base" } else { "head" }
                        )),
                    );
                }
            }
        }

        wire_types(cx, inv, cfg, proto_changed, &parsed, out);
        generated_outputs(cx, inv, cfg, out);
        generator_coverage(cx, inv, cfg, &parsed, out);
        if cfg.breaking {
            breaking_changes(cx, inv, cfg, &parsed, out);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Proto model.

struct ChangedProto<'a> {
    file: &'a FileChange,
    base: Option<ParsedProto>,
    head: Option<ParsedProto>,
}

type ParsedProto = Result<ProtoFile, (Arc<Source>, String, Range<usize>)>;

struct ProtoFile {
    src: Arc<Source>,
    fd: FileDescriptorProto,
    spans: HashMap<Vec<i32>, Range<usize>>,
}

impl ProtoFile {
    /// Span of the element at `path`, preferring its name (`name_field`), else the element.
    fn span(&self, path: &[i32], name_field: Option<i32>) -> Range<usize> {
        if let Some(n) = name_field {
            let mut p = path.to_vec();
            p.push(n);
            if let Some(s) = self.spans.get(&p) {
                return s.clone();
            }
        }
        self.spans
            .get(path)
            .cloned()
            .or_else(|| self.src.line_range(1))
            .unwrap_or(0..0)
    }

    fn package(&self) -> &str {
        self.fd.package.as_deref().unwrap_or("")
    }
}

fn parse_proto(src: &Arc<Source>) -> ParsedProto {
    match crate::rules::util::parse_proto(src.name(), src.text()) {
        Ok(fd) => {
            let mut spans = HashMap::new();
            if let Some(info) = &fd.source_code_info {
                for loc in &info.location {
                    if let Some(span) = proto_span(src, &loc.span) {
                        spans.entry(loc.path.clone()).or_insert(span);
                    }
                }
            }
            Ok(ProtoFile {
                src: src.clone(),
                fd,
                spans,
            })
        }
        Err((msg, span)) => {
            let span = span
                .filter(|s| s.end <= src.text().len())
                .or_else(|| src.line_range(1))
                .unwrap_or(0..0);
            Err((src.clone(), msg, span))
        }
    }
}

/// protoc's `[start line, start col, (end line,) end col]`, 0-based, columns in bytes.
fn proto_span(src: &Source, span: &[i32]) -> Option<Range<usize>> {
    let (sl, sc, el, ec) = match *span {
        [sl, sc, ec] => (sl, sc, sl, ec),
        [sl, sc, el, ec] => (sl, sc, el, ec),
        _ => return None,
    };
    let at = |l: i32, c: i32| -> Option<usize> {
        let line = src.line_range(usize::try_from(l).ok()? + 1)?;
        Some((line.start + usize::try_from(c).ok()?).min(src.text().len()))
    };
    let (s, e) = (at(sl, sc)?, at(el, ec)?);
    (s <= e).then_some(s..e)
}

/// Where a named element sits: its source file (index into a list) and descriptor path.
#[derive(Clone)]
struct Loc {
    file: usize,
    path: Vec<i32>,
}

/// Every message, enum and service of a set of files, by fully qualified name.
#[derive(Default)]
struct Defs<'a> {
    messages: BTreeMap<String, (Loc, &'a DescriptorProto)>,
    enums: BTreeMap<String, (Loc, &'a EnumDescriptorProto)>,
    services: BTreeMap<String, (Loc, &'a ServiceDescriptorProto)>,
}

impl<'a> Defs<'a> {
    fn add_file(&mut self, idx: usize, fd: &'a FileDescriptorProto, package: &str) {
        let prefix = if package.is_empty() {
            String::new()
        } else {
            format!("{package}.")
        };
        for (i, m) in fd.message_type.iter().enumerate() {
            self.add_message(idx, m, &prefix, vec![4, i as i32]);
        }
        for (i, e) in fd.enum_type.iter().enumerate() {
            let name = format!("{prefix}{}", e.name());
            self.enums.insert(
                name,
                (
                    Loc {
                        file: idx,
                        path: vec![5, i as i32],
                    },
                    e,
                ),
            );
        }
        for (i, s) in fd.service.iter().enumerate() {
            let name = format!("{prefix}{}", s.name());
            self.services.insert(
                name,
                (
                    Loc {
                        file: idx,
                        path: vec![6, i as i32],
                    },
                    s,
                ),
            );
        }
    }

    fn add_message(&mut self, idx: usize, m: &'a DescriptorProto, prefix: &str, path: Vec<i32>) {
        let name = format!("{prefix}{}", m.name());
        if m.options.as_ref().is_some_and(|o| o.map_entry()) {
            return;
        }
        for (j, n) in m.nested_type.iter().enumerate() {
            let mut p = path.clone();
            p.extend([3, j as i32]);
            self.add_message(idx, n, &format!("{name}."), p);
        }
        for (j, e) in m.enum_type.iter().enumerate() {
            let mut p = path.clone();
            p.extend([4, j as i32]);
            self.enums.insert(
                format!("{name}.{}", e.name()),
                (Loc { file: idx, path: p }, e),
            );
        }
        self.messages.insert(
            name,
            (
                Loc {
                    file: idx,
                    path: path.clone(),
                },
                m,
            ),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Hand-written wire types.

/// A hand-written wire type declared in a changed file.
struct WireType {
    name: String,
    span: Range<usize>,
    /// Rust: it derives serde; the `wire-type-names` pattern that its name matched, if any.
    name_pattern: Option<usize>,
    /// Client: the `client-type-patterns` entry that found it.
    client_pattern: Option<usize>,
    /// "adds" or "modifies".
    verb: &'static str,
}

fn wire_types(
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
fn rust_wire_types(
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
    let head = rust_serde_items(cx, src.text(), &cfg.serde_derives);
    if head.is_empty() {
        return Vec::new();
    }
    let base: HashMap<String, String> = if file.is_all_added {
        HashMap::new()
    } else {
        file.base
            .source()
            .map(|b| {
                rust_serde_items(cx, b.text(), &cfg.serde_derives)
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
struct SerdeItem {
    name: String,
    /// 1-based line, 0-based char column of the identifier.
    start: (usize, usize),
    end: (usize, usize),
    /// Token text without doc comments: equal tokens mean no contract change.
    tokens: String,
}

fn rust_serde_items(cx: &Context<'_>, text: &str, derives: &[String]) -> Vec<SerdeItem> {
    let Ok(file) = crate::rules::util::parse_rust(cx, text) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    collect_items(&file.items, derives, &mut out);
    out
}

fn collect_items(items: &[syn::Item], derives: &[String], out: &mut Vec<SerdeItem>) {
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
            name: ident.to_string(),
            start: (span.start().line, span.start().column),
            end: (span.end().line, span.end().column),
            tokens: bare.to_token_stream().to_string(),
        });
    }
}

fn strip_docs(attrs: &mut Vec<syn::Attribute>) {
    attrs.retain(|a| !a.path().is_ident("doc"));
}

fn words(tokens: &str) -> impl Iterator<Item = &str> {
    tokens
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .filter(|w| !w.is_empty())
}

fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg")
            && matches!(&a.meta, syn::Meta::List(l) if words(&l.tokens.to_string()).any(|w| w == "test"))
    })
}

fn derives_serde(attrs: &[syn::Attribute], derives: &[String]) -> bool {
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
fn client_wire_types(file: &FileChange, src: &Source, cfg: &Settings) -> Vec<WireType> {
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

struct ClientDecl {
    name: String,
    span: Range<usize>,
    /// The declaration's text with all whitespace removed.
    body: String,
    pattern: usize,
}

fn client_decls(text: &str, patterns: &PatternList) -> Vec<ClientDecl> {
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
fn decl_end(text: &str, from: usize) -> usize {
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
struct HeadMessages {
    files: Vec<Arc<Source>>,
    /// Simple name -> (file index, span of the name, full name); first file in path order wins.
    by_name: BTreeMap<String, (usize, Range<usize>, String)>,
}

fn head_messages(cx: &Context<'_>, cfg: &Settings, parsed: &[ChangedProto<'_>]) -> HeadMessages {
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
            Some(Ok(pf)) => Some((p.file.path.as_str(), pf)),
            _ => None,
        })
        .collect();
    paths.extend(changed.keys());
    for p in parsed.iter().filter(|p| !p.file.exists_at_head()) {
        paths.remove(p.file.path.as_str());
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

// ---------------------------------------------------------------------------------------------
// 2. Generated outputs and the generator.

fn generated_outputs(cx: &Context<'_>, inv: &Invariant, cfg: &Settings, out: &mut Findings) {
    let files = &cx.changes().files;
    let touched = |f: &FileChange, g: &GlobList| {
        g.is_match(&f.path) || f.old_path.as_deref().is_some_and(|p| g.is_match(p))
    };
    for g in &cfg.generated {
        let source = files.iter().find(|f| touched(f, &g.sources));
        let output = files.iter().find(|f| touched(f, &g.outputs));
        let (file, message, cite, label, help) = match (source, output) {
            (Some(s), None) => (
                s,
                format!(
                    "proto source `{}` changed without its committed generated outputs",
                    s.path
                ),
                g.outputs_span.clone(),
                "committed outputs of these sources",
                format!(
                    "regenerate ({}) and commit the result in this change",
                    g.outputs_text
                ),
            ),
            (None, Some(o)) => (
                o,
                format!(
                    "generated file `{}` edited without a change to its proto sources",
                    o.path
                ),
                g.sources_span.clone(),
                "sources these outputs are generated from",
                format!(
                    "change the proto ({}) and regenerate; never edit generated output by hand",
                    g.sources_text
                ),
            ),
            _ => continue,
        };
        let mut f = Finding::new(inv, META.name, message);
        f = match file.head.source().or(file.base.source()) {
            Some(src) => {
                let span = src.line_range(1).unwrap_or(0..0);
                f.at(src, span, format!("`{}` changed", file.path))
            }
            None => f.on_path(file.path.clone()),
        };
        out.push(f.cite(cx.policy(), cite, label).help(help));
    }
}

fn generator_coverage(
    cx: &Context<'_>,
    inv: &Invariant,
    cfg: &Settings,
    parsed: &[ChangedProto<'_>],
    out: &mut Findings,
) {
    let Some((script, script_cite)) = &cfg.generator else {
        return;
    };
    let script_changed = cx.changes().file(script).is_some();
    let protos_at_head: Vec<&ChangedProto<'_>> =
        parsed.iter().filter(|p| p.file.exists_at_head()).collect();
    if !script_changed && protos_at_head.is_empty() {
        return;
    }
    // The proto files to check: the changed ones, or the whole proto tree when the script changed.
    let mut targets: BTreeSet<String> =
        protos_at_head.iter().map(|p| p.file.path.clone()).collect();
    if script_changed {
        targets.extend(
            cx.tree()
                .files
                .iter()
                .filter(|p| cfg.proto_paths.is_match(p) && !cfg.exclude.is_match(p))
                .cloned(),
        );
    }
    if targets.is_empty() {
        return;
    }
    let Some(script_src) = cx.head_file(script) else {
        // A repository without this generator is not checked; one that deletes it while proto
        // files remain has nothing that compiles them.
        let deleted = cx
            .changes()
            .file(script)
            .is_some_and(|f| f.kind == ChangeKind::Deleted);
        let Some(first) = targets.iter().next().filter(|_| deleted) else {
            return;
        };
        let mut f = Finding::new(
            inv,
            META.name,
            format!("proto generator `{script}` is missing at head"),
        );
        f = match cx.head_file(first) {
            Some(src) => {
                let span = src.line_range(1).unwrap_or(0..0);
                f.at(&src, span, format!("`{first}` has no generator"))
            }
            None => f.on_path(first.clone()),
        };
        out.push(
            f.cite(cx.policy(), script_cite.clone(), "configured generator")
                .help("restore the generator, or point `generator` at the script that compiles the proto tree now"),
        );
        return;
    };
    let script_dir = script.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    let refs = path_literals(script_src.text());
    let resolved: Vec<(String, Range<usize>)> = refs
        .iter()
        .flat_map(|(lit, span)| {
            let mut r = Vec::new();
            r.push((join_norm(script_dir, lit), span.clone()));
            r.push((join_norm("", lit), span.clone()));
            if !cfg.proto_root.is_empty() {
                r.push((join_norm(&cfg.proto_root, lit), span.clone()));
            }
            r.into_iter()
                .filter_map(|(p, s)| p.filter(|p| !p.is_empty()).map(|p| (p, s)))
        })
        .collect();
    // A script that lists `.proto` files names the include root too (`&["../../proto"]`): then
    // only the listed files and directories below the root count, not the root itself.
    let lists_files = refs.iter().any(|(l, _)| l.ends_with(".proto"));
    let root = &cfg.proto_root;
    let covered = |p: &str| {
        resolved.iter().any(|(r, _)| {
            let under = |p: &str, r: &str| p.starts_with(r) && p[r.len()..].starts_with('/');
            if lists_files && (r == root || under(root, r)) {
                return false;
            }
            p == r || under(p, r)
        })
    };
    let mut reported = BTreeSet::new();
    for target in &targets {
        if covered(target) {
            continue;
        }
        let pkg_dir = package_dir(target, &cfg.package_root);
        if !reported.insert(pkg_dir.clone()) {
            continue;
        }
        let mut f = Finding::new(
            inv,
            META.name,
            format!("proto package `{pkg_dir}` is not referenced by the generator `{script}`"),
        );
        let changed = parsed.iter().find(|p| &p.file.path == target);
        let src = changed
            .and_then(|p| p.file.head.source().cloned())
            .or_else(|| cx.head_file(target));
        f = match &src {
            Some(src) => {
                let span = match changed.and_then(|p| p.head.as_ref()) {
                    Some(Ok(pf)) if pf.spans.contains_key(&vec![2]) => pf.span(&[2], None),
                    _ => src.line_range(1).unwrap_or(0..0),
                };
                f.at(
                    src,
                    span,
                    format!("`{target}` is never compiled by `{script}`"),
                )
            }
            None => f.on_path(target.clone()),
        };
        if let Some((lit, span)) = refs.first() {
            f = f.related(
                &script_src,
                span.clone(),
                format!("the generator names `{lit}` and no path covering `{pkg_dir}`"),
            );
        }
        out.push(
            f.cite(cx.policy(), script_cite.clone(), "configured generator")
                .help(format!(
                    "add `{pkg_dir}` (or a directory above it) to the proto paths `{script}` compiles, so the generated types exist for every package"
                )),
        );
    }
}

/// String literals in a script that look like paths: they contain `/` or end in `.proto`.
fn path_literals(text: &str) -> Vec<(String, Range<usize>)> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'/') {
            // Line comment.
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if bytes[i] == b'"' {
            let start = i + 1;
            let mut j = start;
            while j < bytes.len() && bytes[j] != b'"' && bytes[j] != b'\n' {
                if bytes[j] == b'\\' {
                    j += 1;
                }
                j += 1;
            }
            if j >= bytes.len() || bytes[j] != b'"' {
                i = j + 1;
                continue;
            }
            let lit = &text[start..j];
            let is_path = (lit.contains('/') || lit.ends_with(".proto"))
                && !lit.contains(['{', ' ', ':', '\\', '*']);
            if is_path {
                out.push((lit.to_string(), start - 1..j + 1));
            }
            i = j + 1;
            continue;
        }
        i += 1;
    }
    out
}

/// `base/rel`, normalised (`.`/`..` resolved); `None` when it climbs above the root.
fn join_norm(base: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = if rel.starts_with('/') {
        Vec::new()
    } else {
        base.split('/').filter(|s| !s.is_empty()).collect()
    };
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

/// `proto/openagents/<pkg>` for a file under `package_root`, else the file's directory.
fn package_dir(path: &str, package_root: &str) -> String {
    if !package_root.is_empty() {
        if let Some(rest) = path
            .strip_prefix(package_root)
            .and_then(|r| r.strip_prefix('/'))
        {
            if let Some((pkg, _)) = rest.split_once('/') {
                return format!("{package_root}/{pkg}");
            }
        }
    }
    path.rsplit_once('/')
        .map(|(d, _)| d.to_string())
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// 3. Breaking changes against the base.

fn breaking_changes(
    cx: &Context<'_>,
    inv: &Invariant,
    cfg: &Settings,
    parsed: &[ChangedProto<'_>],
    out: &mut Findings,
) {
    let mut base_files: Vec<&ProtoFile> = Vec::new();
    let mut head_files: Vec<&ProtoFile> = Vec::new();
    let mut base_defs = Defs::default();
    let mut head_defs = Defs::default();
    let mut deleted_files: BTreeSet<usize> = BTreeSet::new();
    for p in parsed {
        let base = match &p.base {
            Some(Ok(b)) => Some(b),
            _ => None,
        };
        let head = match &p.head {
            Some(Ok(h)) => Some(h),
            _ => None,
        };
        // A side that does not parse is reported above; comparing the other side alone would
        // call everything removed or added.
        if matches!(p.base, Some(Err(_))) || matches!(p.head, Some(Err(_))) {
            continue;
        }
        // Base names are keyed by the head package so that a package rename is one finding.
        let mut base_pkg = base.map(|b| b.package().to_string());
        if let (Some(b), Some(h)) = (base, head) {
            if b.package() != h.package() {
                out.push(
                    Finding::new(
                        inv,
                        META.name,
                        format!(
                            "breaking proto change: package `{}` renamed to `{}`",
                            b.package(),
                            h.package()
                        ),
                    )
                    .at(
                        &h.src,
                        h.span(&[2], None),
                        format!("was `package {};` at base", b.package()),
                    )
                    .cite(cx.policy(), cite_breaking(cfg, &h.src), "proto sources")
                    .help("a package rename changes every fully qualified name on the wire (Any, gRPC paths): add the new package beside the old one and migrate consumers, then retire the old package"),
                );
                base_pkg = Some(h.package().to_string());
            }
        }
        if let (Some(b), Some(pkg)) = (base, &base_pkg) {
            let idx = base_files.len();
            base_files.push(b);
            base_defs.add_file(idx, &b.fd, pkg);
            if head.is_none() {
                deleted_files.insert(idx);
            }
        }
        if let Some(h) = head {
            let idx = head_files.len();
            head_files.push(h);
            head_defs.add_file(idx, &h.fd, h.package());
        }
    }

    let mut removed_in_deleted: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let mut removed = |kind: &str, full: &str, loc: &Loc, out: &mut Findings, help: &str| {
        if deleted_files.contains(&loc.file) {
            removed_in_deleted
                .entry(loc.file)
                .or_default()
                .push(format!("{kind} `{full}`"));
            return;
        }
        let b = base_files[loc.file];
        out.push(
            Finding::new(
                inv,
                META.name,
                format!("breaking proto change: {kind} `{full}` removed"),
            )
            .at(
                &b.src,
                b.span(&loc.path, Some(1)),
                format!("{kind} `{full}` existed at base"),
            )
            .cite(cx.policy(), cite_breaking(cfg, &b.src), "proto sources")
            .help(help.to_string()),
        );
    };

    for (full, (loc, bm)) in &base_defs.messages {
        match head_defs.messages.get(full) {
            None => removed(
                "message",
                full,
                loc,
                out,
                "deprecate the message (`option deprecated = true;`) and keep it until every consumer has moved; removing it breaks peers that still send or expect it",
            ),
            Some((hloc, hm)) => compare_fields(
                cx,
                inv,
                cfg,
                full,
                (base_files[loc.file], loc, bm),
                (head_files[hloc.file], hloc, hm),
                out,
            ),
        }
    }
    for (full, (loc, be)) in &base_defs.enums {
        match head_defs.enums.get(full) {
            None => removed(
                "enum",
                full,
                loc,
                out,
                "keep the enum (deprecate it) until no consumer sends or reads it",
            ),
            Some((hloc, he)) => compare_enum(
                cx,
                inv,
                cfg,
                full,
                (base_files[loc.file], loc, be),
                (head_files[hloc.file], hloc, he),
                out,
            ),
        }
    }
    for (full, (loc, bs)) in &base_defs.services {
        match head_defs.services.get(full) {
            None => removed(
                "service",
                full,
                loc,
                out,
                "keep the service (deprecate it) until no client calls it",
            ),
            Some((hloc, hs)) => compare_service(
                cx,
                inv,
                cfg,
                full,
                (base_files[loc.file], loc, bs),
                (head_files[hloc.file], hloc, hs),
                out,
            ),
        }
    }
    for (idx, names) in removed_in_deleted {
        let b = base_files[idx];
        let span = if b.spans.contains_key(&vec![2]) {
            b.span(&[2], None)
        } else {
            b.src.line_range(1).unwrap_or(0..0)
        };
        let shown: Vec<&str> = names.iter().take(5).map(String::as_str).collect();
        let more = if names.len() > shown.len() {
            format!(" and {} more", names.len() - shown.len())
        } else {
            String::new()
        };
        out.push(
            Finding::new(
                inv,
                META.name,
                format!(
                    "breaking proto change: `{}` is deleted with {} definition{} still on the wire",
                    b.src.name(),
                    names.len(),
                    if names.len() == 1 { "" } else { "s" }
                ),
            )
            .at(
                &b.src,
                span,
                format!("removes {}{more}", shown.join(", ")),
            )
            .cite(cx.policy(), cite_breaking(cfg, &b.src), "proto sources")
            .help("move the definitions to another file of the same package in this change, or deprecate them and delete only after every consumer has moved"),
        );
    }
}

fn cite_breaking(cfg: &Settings, src: &Source) -> Range<usize> {
    first_span(&cfg.proto_paths, src.name())
}

fn first_span(list: &GlobList, path: &str) -> Range<usize> {
    list.matching_entry(path)
        .or_else(|| list.entries().next())
        .map(|e| e.span.clone())
        .unwrap_or(0..0)
}

fn type_text(f: &FieldDescriptorProto) -> String {
    let base = match f.type_name.as_deref() {
        Some(t) if !t.is_empty() => t.rsplit('.').next().unwrap_or(t).to_string(),
        _ => f
            .r#type()
            .as_str_name()
            .trim_start_matches("TYPE_")
            .to_ascii_lowercase(),
    };
    if f.label() == field_descriptor_proto::Label::Repeated {
        format!("repeated {base}")
    } else {
        base
    }
}

type Side<'a, T> = (&'a ProtoFile, &'a Loc, &'a T);

fn compare_fields(
    cx: &Context<'_>,
    inv: &Invariant,
    cfg: &Settings,
    msg: &str,
    (bf, bloc, bm): Side<'_, DescriptorProto>,
    (hf, hloc, hm): Side<'_, DescriptorProto>,
    out: &mut Findings,
) {
    let field_path = |loc: &Loc, i: usize| {
        let mut p = loc.path.clone();
        p.extend([2, i as i32]);
        p
    };
    for (bi, b) in bm.field.iter().enumerate() {
        let by_name = hm.field.iter().position(|h| h.name() == b.name());
        let by_number = hm.field.iter().position(|h| h.number() == b.number());
        let finding = |message: String, src: &ProtoFile, span: Range<usize>, label: String| {
            Finding::new(inv, META.name, message)
                .at(&src.src, span, label)
                .cite(cx.policy(), cite_breaking(cfg, &src.src), "proto sources")
        };
        if let Some(hi) = by_name {
            let h = &hm.field[hi];
            let hp = field_path(hloc, hi);
            if h.number() != b.number() {
                out.push(
                    finding(
                        format!(
                            "breaking proto change: field `{}` of `{msg}` changed number {} → {}",
                            b.name(),
                            b.number(),
                            h.number()
                        ),
                        hf,
                        hf.span(&hp, Some(3)),
                        format!("was `{} = {}` at base", b.name(), b.number()),
                    )
                    .help(format!(
                        "field numbers are the wire identity: keep `{} = {}`; to replace a field, add a new one with a fresh number and `reserved {};` the old one",
                        b.name(),
                        b.number(),
                        b.number()
                    )),
                );
                continue;
            }
        }
        if let Some(hi) = by_number {
            let h = &hm.field[hi];
            let (bt, ht) = (type_text(b), type_text(h));
            if bt != ht {
                let hp = field_path(hloc, hi);
                let span = if hf.spans.contains_key(&[hp.clone(), vec![6]].concat()) {
                    hf.span(&hp, Some(6))
                } else if hf.spans.contains_key(&[hp.clone(), vec![5]].concat()) {
                    hf.span(&hp, Some(5))
                } else {
                    hf.span(&hp, None)
                };
                out.push(
                    finding(
                        format!(
                            "breaking proto change: field {} of `{msg}` changed type `{bt}` → `{ht}`",
                            b.number(),
                            ),
                        hf,
                        span,
                        format!("was `{bt} {}` at base", b.name()),
                    )
                    .help(format!(
                        "add a new field with a fresh number for the new type and `reserved {};` the old one; peers decode number {} as `{bt}`",
                        b.number(),
                        b.number()
                    )),
                );
            }
            continue;
        }
        if by_name.is_some() {
            continue;
        }
        let reserved = hm
            .reserved_range
            .iter()
            .any(|r| r.start() <= b.number() && b.number() < r.end());
        if reserved {
            continue;
        }
        let bp = field_path(bloc, bi);
        out.push(
            finding(
                format!(
                    "breaking proto change: field `{}` (number {}) removed from `{msg}` without `reserved`",
                    b.name(),
                    b.number()
                ),
                bf,
                bf.span(&bp, None),
                format!("field `{}` was removed", b.name()),
            )
            .related(
                &hf.src,
                hf.span(&hloc.path, Some(1)),
                format!("`{msg}` reserves no number {}", b.number()),
            )
            .help(format!(
                "add `reserved {}; reserved \"{}\";` to `{}` so the number is never reused with another meaning",
                b.number(),
                b.name(),
                hm.name()
            )),
        );
    }
}

fn compare_enum(
    cx: &Context<'_>,
    inv: &Invariant,
    cfg: &Settings,
    full: &str,
    (bf, bloc, be): Side<'_, EnumDescriptorProto>,
    (hf, hloc, he): Side<'_, EnumDescriptorProto>,
    out: &mut Findings,
) {
    for (bi, b) in be.value.iter().enumerate() {
        if he.value.iter().any(|h| h.number() == b.number()) {
            continue;
        }
        if let Some(hi) = he.value.iter().position(|h| h.name() == b.name()) {
            let mut hp = hloc.path.clone();
            hp.extend([2, hi as i32]);
            out.push(
                Finding::new(
                    inv,
                    META.name,
                    format!(
                        "breaking proto change: enum value `{}` of `{full}` changed number {} → {}",
                        b.name(),
                        b.number(),
                        he.value[hi].number()
                    ),
                )
                .at(
                    &hf.src,
                    hf.span(&hp, Some(2)),
                    format!("was `{} = {}` at base", b.name(), b.number()),
                )
                .cite(cx.policy(), cite_breaking(cfg, &hf.src), "proto sources")
                .help("enum numbers are what the wire carries: keep the number, add a new value for a new meaning"),
            );
            continue;
        }
        let reserved = he
            .reserved_range
            .iter()
            .any(|r| r.start() <= b.number() && b.number() <= r.end());
        if reserved {
            continue;
        }
        let mut bp = bloc.path.clone();
        bp.extend([2, bi as i32]);
        out.push(
            Finding::new(
                inv,
                META.name,
                format!(
                    "breaking proto change: enum value `{}` ({}) removed from `{full}` without `reserved`",
                    b.name(),
                    b.number()
                ),
            )
            .at(&bf.src, bf.span(&bp, None), format!("enum value `{}` was removed", b.name()))
            .cite(cx.policy(), cite_breaking(cfg, &bf.src), "proto sources")
            .help(format!(
                "keep the value (mark it `[deprecated = true]`), or add `reserved {};` to `{}`",
                b.number(),
                be.name()
            )),
        );
    }
}

fn compare_service(
    cx: &Context<'_>,
    inv: &Invariant,
    cfg: &Settings,
    full: &str,
    (bf, bloc, bs): Side<'_, ServiceDescriptorProto>,
    (hf, hloc, hs): Side<'_, ServiceDescriptorProto>,
    out: &mut Findings,
) {
    let short = |t: &str| t.rsplit('.').next().unwrap_or(t).to_string();
    for (bi, b) in bs.method.iter().enumerate() {
        let Some(hi) = hs.method.iter().position(|h| h.name() == b.name()) else {
            let mut bp = bloc.path.clone();
            bp.extend([2, bi as i32]);
            out.push(
                Finding::new(
                    inv,
                    META.name,
                    format!(
                        "breaking proto change: rpc `{}` removed from `{full}`",
                        b.name()
                    ),
                )
                .at(
                    &bf.src,
                    bf.span(&bp, Some(1)),
                    format!("rpc `{}` existed at base", b.name()),
                )
                .cite(cx.policy(), cite_breaking(cfg, &bf.src), "proto sources")
                .help(
                    "keep the rpc (mark it `option deprecated = true;`) until no client calls it",
                ),
            );
            continue;
        };
        let h = &hs.method[hi];
        let sig = |m: &prost_types::MethodDescriptorProto| {
            format!(
                "({}{}) returns ({}{})",
                if m.client_streaming() { "stream " } else { "" },
                short(m.input_type()),
                if m.server_streaming() { "stream " } else { "" },
                short(m.output_type())
            )
        };
        let (bsig, hsig) = (sig(b), sig(h));
        if bsig != hsig {
            let mut hp = hloc.path.clone();
            hp.extend([2, hi as i32]);
            out.push(
                Finding::new(
                    inv,
                    META.name,
                    format!(
                        "breaking proto change: rpc `{}` of `{full}` changed signature",
                        b.name()
                    ),
                )
                .at(&hf.src, hf.span(&hp, None), format!("was `{bsig}` at base"))
                .cite(cx.policy(), cite_breaking(cfg, &hf.src), "proto sources")
                .help("add a new rpc with the new signature and deprecate the old one"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_and_normalises() {
        assert_eq!(
            join_norm("crates/openagents-proto", "../../proto").as_deref(),
            Some("proto")
        );
        assert_eq!(join_norm("", "../x"), None);
        assert_eq!(join_norm("a", "./b/c").as_deref(), Some("a/b/c"));
    }

    #[test]
    fn finds_path_literals_only() {
        let lits = path_literals(
            r#"let a = "../../proto"; // "commented/out"
config.btree_map(["."]); println!("cargo:rerun-if-changed={}", x); let f = "codex.proto";"#,
        );
        let names: Vec<&str> = lits.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(names, ["../../proto", "codex.proto"]);
    }

    #[test]
    fn package_dirs() {
        assert_eq!(
            package_dir("proto/openagents/sync/v1/sync.proto", "proto/openagents"),
            "proto/openagents/sync"
        );
        assert_eq!(package_dir("other/x.proto", "proto/openagents"), "other");
    }

    #[test]
    fn serde_items_skip_tests_and_docs() {
        let text = r#"
#[derive(Serialize)]
/// doc
pub struct RunRequestV1 { pub id: String }
#[cfg(test)]
mod tests { #[derive(Serialize)] struct FakeRequest; }
#[derive(Debug)]
struct Internal;
"#;
        let serde_items = |text: &str, derives: &[String]| {
            let mut out = Vec::new();
            collect_items(&syn::parse_file(text).unwrap().items, derives, &mut out);
            out
        };
        let items = serde_items(text, &["Serialize".into(), "Deserialize".into()]);
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].name, "RunRequestV1");
        let other = serde_items(
            &text.replace("/// doc", "/// other doc"),
            &["Serialize".into()],
        );
        assert_eq!(items[0].tokens, other[0].tokens);
    }

    #[test]
    fn declaration_ends() {
        let t = "export interface A { b: { c: string } }\nexport type B = string;\n";
        assert_eq!(
            &t[..decl_end(t, 0)],
            "export interface A { b: { c: string } }"
        );
        let from = t.find("export type").unwrap_or(0);
        assert_eq!(&t[from..decl_end(t, from)], "export type B = string;");
    }
}
