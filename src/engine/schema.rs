//! The JSON Schema (draft-07) of `inv-rules.toml`, for editors: Taplo / Even Better TOML complete
//! and validate a policy file with it (`#:schema ./inv-rules.schema.json` on the first line).
//!
//! The settings types (`RawSettings` in each `src/rules/*.rs`) hold `toml::Spanned` values, which
//! schema derives cannot see through, so each check describes its keys next to them
//! (`Meta::keys`, with the [`Key`] and [`Ty`] types here) and the schema is generated from the
//! registry the pipeline hands in. Tests keep the two in step: the default policy must
//! validate against the schema (every key it uses is described, with the right type), and a
//! policy that sets every described key must get past the Rust deserializer (every described key
//! exists). `inv-rules.schema.json` at the repository root is this module's output, committed.

use serde_json::{json, Map, Value};

use crate::engine::check::Registry;

/// The type of a policy value.
#[derive(Debug, Clone, Copy)]
pub enum Ty {
    /// A string.
    Str,
    /// One repository path or glob, a string (`invlint init` checks it against the tree).
    Path,
    /// A boolean.
    Bool,
    /// A non-negative integer.
    Int,
    /// A number.
    Float,
    /// One of these strings.
    Enum(&'static [&'static str]),
    /// A Rust regex.
    Regex,
    /// Strings (names, words).
    Strings,
    /// Rust regexes.
    Regexes,
    /// Path globs: `glob`, `!glob`, `@vocabulary`.
    Globs,
    /// Named patterns: `{ id, regex, what, near?, within? }`.
    Patterns,
    /// An array of tables with these keys (`[[...]]`), unknown keys rejected.
    Tables(&'static [Key]),
}

/// One key of a table.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    /// The key as written (kebab-case).
    pub name: &'static str,
    /// Its value's type.
    pub ty: Ty,
    /// Whether the key must be present.
    pub required: bool,
    /// What it means (shown by editors on hover).
    pub doc: &'static str,
}

/// An optional key.
pub const fn opt(name: &'static str, ty: Ty, doc: &'static str) -> Key {
    Key {
        name,
        ty,
        required: false,
        doc,
    }
}

/// A required key.
pub const fn req(name: &'static str, ty: Ty, doc: &'static str) -> Key {
    Key {
        name,
        ty,
        required: true,
        doc,
    }
}

/// Keys shared by checks' settings (see the checks that use it).
pub const SEVERITY: &[&str] = &["warning", "error"];

/// Keys shared by checks' settings (see the checks that use it).
pub const GENERATED: &[Key] = &[
    req("sources", Ty::Globs, "Proto sources."),
    req(
        "outputs",
        Ty::Globs,
        "Committed outputs generated from them.",
    ),
];

/// Keys shared by checks' settings (see the checks that use it).
pub const ALLOW: &[Key] = &[
    req("path", Ty::Path, "Glob of the allowed file(s)."),
    opt(
        "patterns",
        Ty::Strings,
        "Pattern ids allowed there (empty: all).",
    ),
    req(
        "reference",
        Ty::Str,
        "The decision that allows it (an ADR path or issue).",
    ),
];

/// Keys shared by checks' settings (see the checks that use it).
pub const PLANE: &[Key] = &[
    req(
        "name",
        Ty::Str,
        "Plane name (`control`, `runtime`, `khala`); several entries may share one.",
    ),
    opt(
        "paths",
        Ty::Globs,
        "Code and migration paths of this plane.",
    ),
    req(
        "default-schema",
        Ty::Str,
        "Schema an unqualified table name means in these paths.",
    ),
    opt(
        "tables",
        Ty::Strings,
        "`schema.table` globs this plane owns.",
    ),
    opt(
        "ddl-for",
        Ty::Strings,
        "Planes whose tables these paths may create/alter/drop (a shared migration directory).",
    ),
    opt(
        "seed-for",
        Ty::Strings,
        "Planes whose tables these migration paths may seed: an INSERT that never overwrites a row, and a DELETE (with WHERE) of rows the same file seeds.",
    ),
];

/// Keys shared by checks' settings (see the checks that use it).
pub const UNIT: &[Key] = &[
    req("name", Ty::Str, "Plane or library name, shown in findings."),
    opt(
        "roots",
        Ty::Globs,
        "Globs of the unit's root directories (or single files); the longest match wins.",
    ),
    opt("crates", Ty::Strings, "Exact Cargo package names."),
    opt(
        "packages",
        Ty::Strings,
        "npm/composer package names (an import of `name` or `name/...`).",
    ),
];

/// Keys shared by checks' settings (see the checks that use it).
pub const SYMBOL: &[Key] = &[
    req("id", Ty::Str, "Stable id, shown in findings."),
    req("regex", Ty::Regex, "Rust regex matched against one line."),
    req("what", Ty::Str, "What a match means."),
    opt(
        "owner",
        Ty::Str,
        "The service that owns the symbol; without one, any new match in a service is reported.",
    ),
];

/// Keys shared by checks' settings (see the checks that use it).
pub const SURFACE: &[Key] = &[
    req("root", Ty::Globs, "Globs of the surface."),
    req(
        "gates",
        Ty::Strings,
        "Gate IDs or ranges (`OA-RUST-054..058`).",
    ),
];

/// Keys shared by checks' settings (see the checks that use it).
pub const ITEM: &[Key] = &[
    req("title", Ty::Str, "Short title (\"transport impact\")."),
    req(
        "keywords",
        Ty::Strings,
        "Case-insensitive words that identify the item in a list item, heading or table row.",
    ),
    opt(
        "template",
        Ty::Str,
        "The template's text of the item (after its title): an item still reading so is not addressed.",
    ),
];

/// Keys shared by checks' settings (see the checks that use it).
pub const EVIDENCE: &[Key] = &[
    req("invariant", Ty::Str, "The invariant it applies to."),
    req(
        "regex",
        Ty::Regex,
        "What must appear in the description, as a positive statement; a group named `owner` must hold one of the invariant's owners.",
    ),
    req("what", Ty::Str, "What it is, for the message."),
];

/// Keys shared by checks' settings (see the checks that use it).
pub const PR_CHECKLIST: &[Key] = &[
    opt(
        "surfaces",
        Ty::Globs,
        "Migration surfaces (PR-01, PR-02): a change touching none of them needs no mapping.",
    ),
    opt(
        "docs",
        Ty::Globs,
        "Documentation globs (PR-03): a change touching only these is docs-only.",
    ),
    opt("items", Ty::Tables(ITEM), "Checklist items (PR-02)."),
    opt(
        "min-reason",
        Ty::Int,
        "Shortest acceptable N/A reason, in characters (PR-03).",
    ),
    opt(
        "evidence",
        Ty::Tables(EVIDENCE),
        "Evidence required at the release gate (PR-06).",
    ),
    opt(
        "negations",
        Ty::Regexes,
        "Regexes that negate a clause: evidence or an approval in such a clause does not count.",
    ),
];

fn with_doc(mut v: Value, doc: &str) -> Value {
    if let Value::Object(m) = &mut v {
        m.insert("description".into(), Value::String(doc.into()));
    }
    v
}

fn ty_schema(ty: Ty) -> Value {
    match ty {
        Ty::Str | Ty::Path => json!({ "type": "string" }),
        Ty::Bool => json!({ "type": "boolean" }),
        Ty::Int => json!({ "type": "integer", "minimum": 0 }),
        Ty::Float => json!({ "type": "number" }),
        Ty::Enum(values) => json!({ "type": "string", "enum": values }),
        Ty::Regex => json!({ "$ref": "#/definitions/regex" }),
        Ty::Strings => json!({ "type": "array", "items": { "type": "string" } }),
        Ty::Regexes => json!({ "type": "array", "items": { "$ref": "#/definitions/regex" } }),
        Ty::Globs => json!({ "$ref": "#/definitions/globs" }),
        Ty::Patterns => {
            json!({ "type": "array", "maxItems": crate::engine::config::MAX_PATTERNS, "items": { "$ref": "#/definitions/pattern" } })
        }
        Ty::Tables(keys) => json!({ "type": "array", "items": table_schema(keys) }),
    }
}

fn table_schema(keys: &[Key]) -> Value {
    let mut props = Map::new();
    for k in keys {
        props.insert(k.name.into(), with_doc(ty_schema(k.ty), k.doc));
    }
    let required: Vec<&str> = keys.iter().filter(|k| k.required).map(|k| k.name).collect();
    let mut m = Map::new();
    m.insert("type".into(), json!("object"));
    m.insert("additionalProperties".into(), json!(false));
    m.insert("properties".into(), Value::Object(props));
    if !required.is_empty() {
        m.insert("required".into(), json!(required));
    }
    Value::Object(m)
}

/// Every check name a policy may bind (implemented and planned).
pub fn check_names(registry: Registry) -> Vec<&'static str> {
    registry.bindable_names().collect()
}

/// Every check's settings table, `[invariant.<ID>.<check>]`: (check name, its keys), for the
/// checks that have settings.
pub fn settings_tables(registry: Registry) -> Vec<(&'static str, &'static [Key])> {
    registry
        .all()
        .filter(|c| c.meta().kind.is_bindable() && !c.meta().keys.is_empty())
        .map(|c| (c.meta().name, c.meta().keys))
        .collect()
}

/// The schema of a policy for the checks of `registry`, as a JSON value.
pub fn schema(registry: Registry) -> Value {
    let mut invariant_props = Map::new();
    invariant_props.insert(
        "title".into(),
        json!({ "type": "string", "description": "The spec's wording of the invariant." }),
    );
    invariant_props.insert(
        "check".into(),
        json!({
            "type": "string",
            "enum": check_names(registry),
            "description": "The built-in check that enforces it; its settings go in [invariant.<ID>.<check>]."
        }),
    );
    invariant_props.insert(
        "escalation".into(),
        json!({
            "type": "string",
            "enum": ["block-merge", "block-merge-unless-mitigated", "block-release"],
            "description": "How a violation is escalated (OA-RUST-003, Escalation Rules)."
        }),
    );
    invariant_props.insert(
        "status".into(),
        json!({
            "type": "string",
            "enum": ["stable", "preview", "planned", "retired"],
            "default": "stable",
            "description": "stable: checked; preview: findings only warn; planned: declared, check not landed; retired: no longer checked."
        }),
    );
    invariant_props.insert(
        "owners".into(),
        json!({
            "type": "array",
            "items": { "type": "string" },
            "description": "Owners whose approval in the PR description mitigates a finding (`@name`)."
        }),
    );
    invariant_props.insert(
        "surfaces".into(),
        with_doc(
            json!({ "$ref": "#/definitions/globs" }),
            "Paths this invariant is about: a change touching them must map its ID in the PR description.",
        ),
    );
    invariant_props.insert(
        "related".into(),
        with_doc(
            json!({ "$ref": "#/definitions/globs" }),
            "Paths whose change supports claiming this invariant in the PR description (PR-05) without requiring the claim (PR-04).",
        ),
    );
    invariant_props.insert(
        "suppressible".into(),
        json!({
            "type": "boolean",
            "default": false,
            "description": "Whether an inline `invlint: allow(<ID>)` with reason, issue and owner may suppress its findings."
        }),
    );
    invariant_props.insert(
        "not-applicable".into(),
        json!({
            "type": "string",
            "description": "Why this invariant does not apply to this repository: its check may then see no file without blocking the release gate (coverage)."
        }),
    );
    for (check, keys) in settings_tables(registry) {
        invariant_props.insert(
            check.into(),
            with_doc(
                table_schema(keys),
                &format!("Settings of the `{check}` check (when `check = \"{check}\"`)."),
            ),
        );
    }

    let mut schema = json!({
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "invlint policy (inv-rules.toml)",
        "description": "Architecture invariants bound to invlint checks. Generated by `invlint schema`.",
        "type": "object",
        "additionalProperties": false,
        "properties": {
            "version": {
                "type": "integer",
                "enum": [1],
                "description": "Policy format version."
            },
            "vocabulary": {
                "type": "object",
                "description": "Named glob sets that path settings refer to as `@name`.",
                "additionalProperties": { "type": "array", "items": { "type": "string" } }
            },
            "limits": {
                "type": "object",
                "additionalProperties": false,
                "properties": {
                    "max-file-size": {
                        "type": "integer",
                        "minimum": 0,
                        "description": "Files larger than this many bytes are not read (default 8388608)."
                    }
                }
            },
            "bots": {
                "type": "object",
                "additionalProperties": false,
                "description": "Pull-request authors (bots) whose PR-description findings (PR-01..PR-06) do not block at the merge gate. The author comes from the CI platform's event (or --pr-author), never from the change; the release gate never exempts them.",
                "properties": {
                    "authors": {
                        "type": "array",
                        "items": { "type": "string", "minLength": 1 },
                        "description": "Logins, e.g. dependabot[bot], renovate[bot] (case-insensitive)."
                    },
                    "pr-checks": {
                        "type": "string",
                        "enum": ["warn", "skip"],
                        "description": "warn (default): reported as warnings; skip: not reported (counted in the summary)."
                    }
                }
            },
            "invariant": {
                "type": "object",
                "description": "The invariants, by ID (PREFIX-NN, e.g. INV-03).",
                "propertyNames": { "pattern": "^[A-Za-z0-9_-]+-[0-9]+$" },
                "additionalProperties": { "$ref": "#/definitions/invariant" }
            }
        },
        "definitions": {
            "invariant": {
                "type": "object",
                "additionalProperties": false,
                "required": ["title", "check", "escalation"],
                "properties": Value::Object(invariant_props)
            },
            "globs": {
                "type": "array",
                "description": "Repository-relative globs: `*` within a segment, `**` across segments, `!glob` excludes, `@name` names a [vocabulary] set. Each glob at most 1024 bytes and 1 MiB compiled.",
                "items": { "type": "string", "maxLength": crate::engine::config::MAX_GLOB_LEN }
            },
            "regex": {
                "type": "string",
                "maxLength": crate::engine::config::MAX_REGEX_LEN,
                "description": "A Rust regex (write it in '...' literal strings). At most 4096 bytes and 1 MiB compiled; a pattern list at most 8 MiB compiled as one set."
            },
            "pattern": {
                "type": "object",
                "additionalProperties": false,
                "required": ["id", "regex", "what"],
                "properties": {
                    "id": { "type": "string", "description": "Stable id, shown in findings." },
                    "regex": { "$ref": "#/definitions/regex" },
                    "what": { "type": "string", "description": "What a match means, for the label." },
                    "near": { "$ref": "#/definitions/regex" },
                    "within": {
                        "type": "integer",
                        "minimum": 0,
                        "description": "Window for `near`, in lines either side (default 5)."
                    }
                }
            }
        }
    });
    // The registry's top-level tables (`[report]`): each owner describes its own.
    if let Some(props) = schema["properties"].as_object_mut() {
        for t in registry.tables() {
            props.insert(t.name().into(), t.schema());
        }
    }
    schema
}

/// The schema as committed in `inv-rules.schema.json`: pretty JSON with a final newline.
pub fn render(registry: Registry) -> String {
    let mut s = serde_json::to_string_pretty(&schema(registry)).expect("a JSON value serializes");
    s.push('\n');
    s
}
