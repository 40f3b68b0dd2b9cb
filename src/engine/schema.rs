//! The JSON Schema (draft-07) of `inv-rules.toml`, for editors: Taplo / Even Better TOML complete
//! and validate a policy file with it (`#:schema ./inv-rules.schema.json` on the first line).
//!
//! The settings types (`RawSettings` in each `src/rules/*.rs`) hold `toml::Spanned` values, which
//! schema derives cannot see through, so the schema is generated from the description table
//! below, kept next to the config code. Tests keep the two in step: the default policy must
//! validate against the schema (every key it uses is described, with the right type), and a
//! policy that sets every described key must get past the Rust deserializer (every described key
//! exists). `inv-rules.schema.json` at the repository root is this module's output, committed.

use serde_json::{json, Map, Value};

use crate::rules;

/// The type of a policy value.
#[derive(Debug, Clone, Copy)]
pub enum Ty {
    /// A string.
    Str,
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

const fn opt(name: &'static str, ty: Ty, doc: &'static str) -> Key {
    Key {
        name,
        ty,
        required: false,
        doc,
    }
}

const fn req(name: &'static str, ty: Ty, doc: &'static str) -> Key {
    Key {
        name,
        ty,
        required: true,
        doc,
    }
}

const SEVERITY: &[&str] = &["warning", "error"];

const GENERATED: &[Key] = &[
    req("sources", Ty::Globs, "Proto sources."),
    req(
        "outputs",
        Ty::Globs,
        "Committed outputs generated from them.",
    ),
];

const ALLOW: &[Key] = &[
    req("path", Ty::Str, "Glob of the allowed file(s)."),
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

const PLANE: &[Key] = &[
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
];

const UNIT: &[Key] = &[
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

const SYMBOL: &[Key] = &[
    req("id", Ty::Str, "Stable id, shown in findings."),
    req("regex", Ty::Regex, "Rust regex matched against one line."),
    req("what", Ty::Str, "What a match means."),
    opt(
        "owner",
        Ty::Str,
        "The service that owns the symbol; without one, any new match in a service is reported.",
    ),
];

const SURFACE: &[Key] = &[
    req("root", Ty::Globs, "Globs of the surface."),
    req(
        "gates",
        Ty::Strings,
        "Gate IDs or ranges (`OA-RUST-054..058`).",
    ),
];

const ITEM: &[Key] = &[
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

const EVIDENCE: &[Key] = &[
    req("invariant", Ty::Str, "The invariant it applies to."),
    req(
        "regex",
        Ty::Regex,
        "What must appear in the description, as a positive statement; a group named `owner` must hold one of the invariant's owners.",
    ),
    req("what", Ty::Str, "What it is, for the message."),
];

const PR_CHECKLIST: &[Key] = &[
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

/// Every check's settings table: `[invariant.<ID>.<check>]`.
pub const CHECKS: &[(&str, &[Key])] = &[
    (
        "bad-suppression",
        &[opt(
            "exclude",
            Ty::Globs,
            "Files whose `invlint: allow(...)` comments are not judged (docs that show the syntax).",
        )],
    ),
    (
        "contract-without-proto",
        &[
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
            opt("generated", Ty::Tables(GENERATED), "Committed generated outputs, each paired with the proto sources it is generated from."),
        ],
    ),
    (
        "ws-command-rpc",
        &[
            opt("paths", Ty::Globs, "Files to scan (Rust, proto and client code)."),
            opt("exclude", Ty::Globs, "Out of scope (tests, docs, vendored code)."),
            opt("ws-context", Ty::Regex, "A Rust file (prefilter) or function (context) that handles the WebSocket."),
            opt("inbound-types", Ty::Regex, "Enum names of inbound WebSocket message types."),
            opt("dispatch-fields", Ty::Strings, "Fields whose value a WS handler must not dispatch on."),
            opt("client-patterns", Ty::Patterns, "Client-side sends; each regex has a `name` capture group (the event name)."),
            opt("proto-paths", Ty::Globs, "The sync proto package(s)."),
            opt("proto-message-suffixes", Ty::Strings, "Proto message name suffixes that make a message a request or command."),
            opt("verbs", Ty::Strings, "Words that make a message name a command or mutation."),
            opt("allowed", Ty::Strings, "Delivery-control message names that are always allowed."),
        ],
    ),
    (
        "sse-poll-lane",
        &[
            opt("paths", Ty::Globs, "Where live-sync code lives."),
            opt("exclude", Ty::Globs, "Out of scope."),
            opt("warn-paths", Ty::Globs, "Paths whose hits are warnings (design docs)."),
            opt("patterns", Ty::Patterns, "What opens a lane."),
            opt("ignore-identifiers", Ty::Strings, "Identifiers that contain a pattern's text but are not lanes."),
            opt("allow", Ty::Tables(ALLOW), "Path-scoped exceptions, each citing its decision record."),
        ],
    ),
    (
        "cross-plane-sql",
        &[
            opt("exempt", Ty::Globs, "Paths never checked."),
            opt("sql-calls", Ty::Strings, "Calls whose string arguments are SQL (`query`, `DB::select`, `sql`)."),
            opt("builders", Ty::Strings, "knex-style builder functions called with a table name."),
            opt("planes", Ty::Tables(PLANE), "The plane map."),
        ],
    ),
    (
        "in-memory-coupling",
        &[
            opt("paths", Ty::Globs, "Files whose dependency edges are examined."),
            opt("exclude", Ty::Globs, "Out of scope."),
            opt("services", Ty::Tables(UNIT), "The services (planes) that must not couple in memory."),
            opt("shared", Ty::Tables(UNIT), "Libraries every service may use."),
            opt("not-services", Ty::Strings, "Crate names that look like a service but are not one."),
            opt("include-dev-dependencies", Ty::Bool, "Also read `[dev-dependencies]` (off by default)."),
            opt("symbols", Ty::Tables(SYMBOL), "In-process coupling symbols, for planes that share one crate."),
            opt("symbol-level", Ty::Enum(SEVERITY), "The level of symbol findings (default warning)."),
        ],
    ),
    (
        "khala-authority-write",
        &[
            opt("planes-from", Ty::Str, "The invariant whose `cross-plane-sql` settings hold the plane map (default INV-04)."),
            opt("khala-plane", Ty::Str, "The plane name of Khala code in that map (default khala)."),
            opt("sync-metadata", Ty::Strings, "`schema.table` globs Khala may write."),
            opt("authority-apis", Ty::Patterns, "Calls into the authority's write API."),
            opt("exempt", Ty::Globs, "Paths never checked."),
        ],
    ),
    (
        "unordered-apply",
        &[
            opt("paths", Ty::Globs, "Khala and client apply code."),
            opt("exclude", Ty::Globs, "Out of scope."),
            opt("guard-patterns", Ty::Patterns, "What a sequence guard or duplicate discard looks like."),
            opt("apply-functions", Ty::Regex, "Function names of functions that apply a frame or envelope."),
            opt("seq-mention", Ty::Regex, "A body that matches consults the sequence."),
            opt("function-decls", Ty::Patterns, "Function declarations in non-Rust files; each regex has a `name` group."),
            opt("max-body-lines", Ty::Int, "Longest non-Rust function body read, in lines."),
            opt("ordering-paths", Ty::Globs, "Ordering/apply code whose changes need a test change."),
            opt("ordering-tests", Ty::Globs, "The replay/ordering tests."),
            opt("inline-test-marker", Ty::Regex, "A line after which the rest of the file is test code."),
            opt("test-severity", Ty::Enum(SEVERITY), "Level of an ordering change without a test change (default warning)."),
        ],
    ),
    (
        "identity-outside-control",
        &[
            opt("paths", Ty::Globs, "Files checked (code and manifests)."),
            opt("exclude", Ty::Globs, "Out of scope."),
            opt("control-paths", Ty::Globs, "The control plane's auth code: it may issue, validate and revoke."),
            opt("verify-paths", Ty::Globs, "Outside the control plane, paths that may validate control-issued tokens."),
            opt("providers", Ty::Patterns, "Identity providers other than WorkOS."),
            opt("authority", Ty::Patterns, "Issuing or revoking sessions, tokens, devices."),
            opt("verify", Ty::Patterns, "Validating sessions or tokens."),
            opt("fallbacks", Ty::Patterns, "Mock/dev identity fallbacks."),
            opt("guards", Ty::Regexes, "Non-production guards that make a nearby fallback acceptable."),
            opt("guard-window", Ty::Int, "Lines either side of a fallback searched for a guard (default 3)."),
        ],
    ),
    (
        "deploy-without-migrate",
        &[
            opt("paths", Ty::Globs, "Deploy surfaces."),
            opt("exclude", Ty::Globs, "Out of scope."),
            opt("wrapper", Ty::Str, "The canonical deploy-then-migrate script, named in help."),
            opt("deploy", Ty::Patterns, "Commands that deploy the runtime service."),
            opt("migrate", Ty::Patterns, "Commands that run the migrate job."),
            opt("migrate-image", Ty::Patterns, "Commands that set the migrate job's image."),
            opt("image", Ty::Regexes, "Regexes whose group 1 is the image of a command (tried in order)."),
            opt("dry-run", Ty::Patterns, "Lines that mention a command without running it."),
            opt("migrations", Ty::Globs, "Runtime migrations: adding one needs deploy/migrate notes in the PR description."),
            opt("description-mentions", Ty::Regex, "What counts as the description saying something about deploy or the migrate job."),
        ],
    ),
    (
        "legacy-deleted-without-parity",
        &[
            opt("legacy", Ty::Globs, "Legacy surfaces."),
            opt("exclude", Ty::Globs, "Out of scope."),
            opt("inventory", Ty::Str, "The inventory document (markdown tables); empty: use `surface` only."),
            opt("surface-column", Ty::Regex, "Header of the inventory column naming the surface."),
            opt("gates-column", Ty::Regex, "Header of the inventory column naming the gates."),
            opt("status-column", Ty::Regex, "Header of the inventory status column."),
            opt("done-status", Ty::Regex, "A status that counts as done."),
            opt("gate-prefix", Ty::Str, "Gate ID prefix (`OA-RUST-`)."),
            opt("min-deleted-files", Ty::Int, "Fewest files of one surface that make a deletion."),
            opt("gut-ratio", Ty::Float, "Share of a file's lines whose removal counts as deleting it."),
            opt("gut-min-lines", Ty::Int, "Files shorter than this are never \"gutted\"."),
            opt("backup-surfaces", Ty::Globs, "Surfaces whose deletion needs database backup evidence."),
            opt("backup-evidence", Ty::Regex, "What counts as backup evidence in the description."),
            opt("surface", Ty::Tables(SURFACE), "The surface → gate map used when the inventory is absent."),
        ],
    ),
    (
        "added-pattern",
        &[
            opt("paths", Ty::Globs, "Files to scan."),
            opt("exclude", Ty::Globs, "Files out of scope."),
            opt("patterns", Ty::Patterns, "What must not be added."),
            opt("message", Ty::Str, "Finding message; `{what}` is replaced by the pattern's `what`."),
            opt("help", Ty::Str, "What to do instead."),
            opt("include-comments", Ty::Bool, "Also match comment lines."),
        ],
    ),
    (
        "forbidden-path",
        &[
            opt("paths", Ty::Globs, "Where new files are forbidden."),
            opt("exclude", Ty::Globs, "Exceptions."),
            opt("message", Ty::Str, "Finding message; `{path}` is replaced by the file's path."),
            opt("help", Ty::Str, "What to do instead."),
            opt("include-modified", Ty::Bool, "Flag modified files too, not only new ones."),
        ],
    ),
    (
        "co-change",
        &[
            opt("when", Ty::Globs, "Trigger: any changed file matching these."),
            opt("require", Ty::Globs, "Required companions: at least one changed file matching these."),
            opt("message", Ty::Str, "Finding message."),
            opt("help", Ty::Str, "What to do instead."),
        ],
    ),
    ("missing-inv-mapping", PR_CHECKLIST),
    ("checklist-item-missing", PR_CHECKLIST),
    ("na-without-reason", PR_CHECKLIST),
    ("release-evidence-missing", PR_CHECKLIST),
];

fn with_doc(mut v: Value, doc: &str) -> Value {
    if let Value::Object(m) = &mut v {
        m.insert("description".into(), Value::String(doc.into()));
    }
    v
}

fn ty_schema(ty: Ty) -> Value {
    match ty {
        Ty::Str => json!({ "type": "string" }),
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

/// Every check name a policy may bind (registered and planned).
pub fn check_names() -> Vec<&'static str> {
    rules::RULES
        .iter()
        .chain(rules::GENERIC)
        .chain(rules::PR_RULES)
        .chain(rules::ENGINE_RULES)
        .map(|r| r.meta().name)
        .chain(rules::PLANNED_CHECKS.iter().map(|(n, _)| *n))
        .collect()
}

/// The schema as a JSON value.
pub fn schema() -> Value {
    let mut invariant_props = Map::new();
    invariant_props.insert(
        "title".into(),
        json!({ "type": "string", "description": "The spec's wording of the invariant." }),
    );
    invariant_props.insert(
        "check".into(),
        json!({
            "type": "string",
            "enum": check_names(),
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
    for (check, keys) in CHECKS {
        invariant_props.insert(
            (*check).into(),
            with_doc(
                table_schema(keys),
                &format!("Settings of the `{check}` check (when `check = \"{check}\"`)."),
            ),
        );
    }

    json!({
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
            "report": crate::report::policy::schema(),
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
    })
}

/// The schema as committed in `inv-rules.schema.json`: pretty JSON with a final newline.
pub fn render() -> String {
    let mut s = serde_json::to_string_pretty(&schema()).expect("a JSON value serializes");
    s.push('\n');
    s
}
