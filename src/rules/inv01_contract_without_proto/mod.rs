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
    ServiceDescriptorProto,
};
use quote::ToTokens;
use rayon::prelude::*;

use crate::rules::prelude::*;

mod breaking;
mod generated;
#[cfg(test)]
mod tests;
mod wire_types;

use crate::analysis::proto::*;
use breaking::*;
use generated::*;
use wire_types::*;

/// Check metadata.
pub static META: Meta = Meta {
    explain: include_str!("../../../rules/INV-01.md"),
    keys: KEYS,
    ..Meta::spec(
        "INV-01",
        "contract-without-proto",
        "change adds or breaks a cross-process contract outside proto-first governance",
        Escalation::BlockMerge,
    )
};

/// The keys of `[invariant.<ID>.contract-without-proto]`, for the policy's schema and `invlint init`.
const KEYS: &[Key] = &[
    opt(
        "proto-paths",
        Ty::Globs,
        "The proto sources (contract source of truth).",
    ),
    opt(
        "rust-paths",
        Ty::Globs,
        "Rust API, handler and client modules whose serde types cross a process boundary.",
    ),
    opt(
        "client-paths",
        Ty::Globs,
        "TypeScript and PHP client API paths.",
    ),
    opt(
        "exclude",
        Ty::Globs,
        "Out of scope everywhere (tests, vendored code).",
    ),
    opt(
        "serde-derives",
        Ty::Strings,
        "Derive names that make a Rust type a serde type.",
    ),
    opt(
        "wire-type-names",
        Ty::Patterns,
        "A serde type in `rust-paths` is a wire type when its name matches one of these.",
    ),
    opt(
        "client-type-patterns",
        Ty::Patterns,
        "Declarations of wire types in client files; capture group `name` is the type name.",
    ),
    opt(
        "route-patterns",
        Ty::Patterns,
        "Added lines in `rust-paths` that add an HTTP contract route.",
    ),
    opt(
        "generator",
        Ty::Path,
        "The build script or generator that compiles the proto tree (empty: not checked).",
    ),
    opt(
        "package-root",
        Ty::Path,
        "Directory whose child directories are proto packages.",
    ),
    opt("proto-root", Ty::Path, "Proto include root."),
    opt(
        "breaking",
        Ty::Bool,
        "Check wire-breaking proto changes against the base (default true).",
    ),
    opt(
        "generated",
        Ty::Tables(schema::GENERATED),
        "Committed generated outputs, each paired with the proto sources it is generated from.",
    ),
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
