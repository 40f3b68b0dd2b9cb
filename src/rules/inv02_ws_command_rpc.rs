//! INV-02 `ws-command-rpc`: authority mutations go over HTTP APIs only; the Khala WebSocket
//! carries delivery, never command RPC (OA-RUST-003).
//!
//! Looks at: files matching `paths` and not `exclude`, by kind:
//! - Rust (`.rs`) files whose text matches `ws-context` (a cheap prefilter), parsed with syn:
//!   variants of inbound message enums (`inbound-types`, e.g. `enum ClientMessage`), match arms
//!   on string literals (`"sync:create_run" =>`) or inbound-enum variants inside functions whose
//!   text matches `ws-context`, and matches there that dispatch on a `dispatch-fields` field
//!   (`frame.method`).
//! - Proto files under `proto-paths` (the sync package): added `message` names ending in a
//!   `proto-message-suffixes` entry, and added `rpc`s.
//! - Every other file (TypeScript, PHP, Swift clients): added lines matching `client-patterns`,
//!   whose `name` capture is the event sent over the socket.
//!
//! Flags: names that are command-like (a word of the name is in `verbs`) and not listed in
//! `allowed` (delivery control: subscribe, ack, resume, heartbeat, ...), plus method dispatch.
//! Only what is new at head: a Rust candidate inside an item that exists at base is new when
//! the base item lacks it; otherwise when its line was added.
//! Ignores: removed code, comment lines, tests, docs, HTTP handlers (no `ws-context`).

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;

use regex::Regex;

use crate::rules::prelude::*;

mod rust;
use rust::rust_candidates;

/// Check metadata.
pub static META: Meta = Meta {
    explain: include_str!("../../rules/INV-02.md"),
    keys: KEYS,
    // Each file on its own (`Context::scan_files`/`files_in`): an audit runs it in windows.
    windowed: true,
    ..Meta::spec(
        "INV-02",
        "ws-command-rpc",
        "change adds a command or mutation message to the WebSocket sync surface",
        Escalation::BlockMerge,
    )
};

/// The keys of `[invariant.<ID>.ws-command-rpc]`, for the policy's schema and `invlint init`.
#[rustfmt::skip]
const KEYS: &[Key] = &[
    opt("paths", Ty::Globs, "Files to scan (Rust, proto and client code)."),
    opt("exclude", Ty::Globs, "Out of scope (tests, docs, vendored code)."),
    opt("ws-context", Ty::Regex, "A Rust file (prefilter) or function (context) that handles the WebSocket."),
    opt("not-ws-functions", Ty::Regex, "Function names that never handle the socket (OpenAPI example generators), whatever their text mentions."),
    opt("inbound-types", Ty::Regex, "Enum names of inbound WebSocket message types."),
    opt("dispatch-fields", Ty::Strings, "Fields whose value a WS handler must not dispatch on."),
    opt("client-patterns", Ty::Patterns, "Client-side sends; each regex has a `name` capture group (the event name)."),
    opt("proto-paths", Ty::Globs, "The sync proto package(s)."),
    opt("proto-message-suffixes", Ty::Strings, "Proto message name suffixes that make a message a request or command."),
    opt("verbs", Ty::Strings, "Words that make a message name a command or mutation."),
    opt("allowed", Ty::Strings, "Delivery-control message names that are always allowed."),
];

/// `[invariant.<ID>.ws-command-rpc]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawSettings {
    /// Files to scan (Rust, proto and client code).
    #[serde(default)]
    pub paths: Vec<Spanned<String>>,
    /// Out of scope (tests, docs, vendored code).
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
    /// Regex: a Rust file (prefilter) or function (context) that handles the WebSocket.
    pub ws_context: Option<Spanned<String>>,
    /// Regex on function names that never handle the socket, whatever their text mentions
    /// (OpenAPI example generators, schema builders): their match arms are not WS commands.
    pub not_ws_functions: Option<Spanned<String>>,
    /// Regex on enum names: inbound WebSocket message types.
    pub inbound_types: Option<Spanned<String>>,
    /// Fields whose value a WS handler must not dispatch on (`method`, `command`, `rpc`).
    #[serde(default)]
    pub dispatch_fields: Vec<Spanned<String>>,
    /// Client-side sends; each regex has a `name` capture group (the event name).
    #[serde(default)]
    pub client_patterns: Vec<RawPattern>,
    /// The sync proto package(s).
    #[serde(default)]
    pub proto_paths: Vec<Spanned<String>>,
    /// Proto message name suffixes that make a message a request or command.
    #[serde(default)]
    pub proto_message_suffixes: Vec<Spanned<String>>,
    /// Words that make a message name a command or mutation.
    #[serde(default)]
    pub verbs: Vec<Spanned<String>>,
    /// Delivery-control message names that are always allowed.
    #[serde(default)]
    pub allowed: Vec<Spanned<String>>,
}

/// Compiled settings.
#[derive(Debug)]
pub struct Settings {
    paths: GlobList,
    exclude: GlobList,
    ws_context: Option<(crate::engine::config::LazyRegex, Range<usize>)>,
    not_ws_functions: Option<crate::engine::config::LazyRegex>,
    /// `ws-context` without look-arounds: which files can match it, in one DFA pass (#19).
    ws_prefilter: util::Prefilter,
    inbound_types: Option<crate::engine::config::LazyRegex>,
    /// Regex over a scrutinee: group `field` names the field, group `call` marks a method call.
    dispatch_re: Option<crate::engine::config::LazyRegex>,
    /// (field, span in the policy).
    dispatch_fields: Vec<(String, Range<usize>)>,
    client_patterns: PatternList,
    proto_paths: GlobList,
    proto_suffixes: Vec<String>,
    /// (normalised verb, span in the policy).
    verbs: Vec<(String, Range<usize>)>,
    /// Normalised allowed names.
    allowed: BTreeSet<String>,
    /// [`Settings::ws_gate`], once known.
    ws_gate: std::sync::OnceLock<bool>,
}

impl Settings {
    /// Whether a head file may be turned away before syn ([`rust`]'s `may_flag`): only when
    /// `ws-context` asserts nothing but `\b`, so a fn nested in another matches it only if
    /// the outer one does.
    fn ws_gate(&self) -> bool {
        *self.ws_gate.get_or_init(|| {
            self.ws_context
                .as_ref()
                .is_some_and(|(re, _)| re.only_word_boundaries())
        })
    }

    /// The files this check reads, for coverage.
    fn scope(&self) -> Scope<'_> {
        Scope {
            key: "paths",
            include: vec![&self.paths],
            exclude: vec![&self.exclude],
        }
    }
}

impl RawSettings {
    /// Validates and compiles; problems go to `v`.
    fn compile(&self, v: &mut Validator) -> Settings {
        v.non_empty(&self.paths, "no file", "paths");
        v.non_empty(&self.verbs, "no command", "verbs");
        let client_patterns = v.patterns(&self.client_patterns);
        v.require_name_capture(
            &self.client_patterns,
            &client_patterns,
            "client pattern",
            "event name",
            r#"\.send\(\s*"(?P<name>[^"]+)""#,
        );
        let ws_context = self
            .ws_context
            .as_ref()
            .and_then(|r| v.regex(r).map(|re| (re, r.span())));
        let ws_prefilter = util::Prefilter::new(
            self.ws_context
                .iter()
                .map(|r| r.get_ref().clone())
                .collect(),
        );
        let inbound_types = self.inbound_types.as_ref().and_then(|r| v.regex(r));
        let not_ws_functions = self.not_ws_functions.as_ref().and_then(|r| v.regex(r));
        let dispatch_re = if self.dispatch_fields.is_empty() {
            None
        } else {
            let alts: Vec<String> = self
                .dispatch_fields
                .iter()
                .map(|f| regex::escape(f.get_ref()))
                .collect();
            // `.method`, `["method"]`, `("method")`; group 1 marks a call (`req.method()`).
            Some(crate::engine::config::LazyRegex::new(&format!(
                r#"(?:\.|\[\s*"|\(\s*")\s*(?P<field>{})\b(?P<call>\s*\()?"#,
                alts.join("|")
            )))
        };
        Settings {
            paths: v.glob_list(&self.paths),
            exclude: v.glob_list(&self.exclude),
            ws_context,
            not_ws_functions,
            ws_prefilter,
            inbound_types,
            dispatch_re,
            dispatch_fields: self
                .dispatch_fields
                .iter()
                .map(|f| (f.get_ref().clone(), f.span()))
                .collect(),
            client_patterns,
            proto_paths: v.glob_list(&self.proto_paths),
            proto_suffixes: self
                .proto_message_suffixes
                .iter()
                .map(|s| s.get_ref().clone())
                .collect(),
            verbs: self
                .verbs
                .iter()
                .map(|s| (s.get_ref().to_ascii_lowercase(), s.span()))
                .collect(),
            allowed: self
                .allowed
                .iter()
                .map(|s| normalise(s.get_ref()))
                .collect(),
            ws_gate: std::sync::OnceLock::new(),
        }
    }
}

impl Settings {
    /// The verb that makes `name` a command, unless `name` is an allowed delivery-control
    /// message: (verb, its span in the policy).
    fn command_verb(&self, name: &str) -> Option<&(String, Range<usize>)> {
        if self.is_allowed(name) {
            return None;
        }
        let ws = words(name);
        self.verbs.iter().find(|(v, _)| ws.iter().any(|w| w == v))
    }

    fn is_allowed(&self, name: &str) -> bool {
        if self.allowed.contains(&normalise(name)) {
            return true;
        }
        // `sync:subscribe`, `khala.ack`: the last namespace segment.
        let last = name.rsplit([':', '.', '/']).next().unwrap_or(name);
        self.allowed.contains(&normalise(last))
    }
}

/// Splits an identifier or event name into lowercase words: `sync:create_run`, `CreateRun`,
/// `runs.create`, `createRun` -> `create`, `run(s)`.
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_lowercase() || c.is_ascii_digit();
        cur.extend(c.to_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn normalise(name: &str) -> String {
    words(name).join("_")
}

/// The check.
pub struct WsCommandRpc;

impl Check for WsCommandRpc {
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
        cx.scan_files(&cfg.paths, &cfg.exclude, out, |file, out| {
            if !file.is_all_added && file.added().is_empty() {
                return;
            }
            let Some(src) = file.head.source() else {
                return;
            };
            if file.path.ends_with(".rs") {
                check_rust(cx, inv, cfg, file, src, out);
            } else if file.path.ends_with(".proto") {
                if cfg.proto_paths.is_match(&file.path) {
                    check_proto(cx, inv, cfg, file, src, out);
                }
            } else {
                check_client(cx, inv, cfg, file, src, out);
            }
        });
    }
}

const HELP: &str = "authority mutations go over HTTP: add a POST route on the control service or the runtime (`/api/...`, `/internal/v1/...`) and let Khala deliver the result; the socket carries only delivery control (subscribe, unsubscribe, ack, resume, heartbeat)";

fn cite_verb(f: Finding, cx: &Context<'_>, verb: &(String, Range<usize>)) -> Finding {
    f.cite(
        cx.policy(),
        verb.1.clone(),
        format!("`{}` makes a message a command", verb.0),
    )
    .help(HELP)
}

// ---------------------------------------------------------------------------------------------
// Rust WebSocket handlers.

/// What a Rust file offers on its WebSocket surface.
#[derive(Debug)]
struct Candidate {
    /// Enclosing item: the enum or the function.
    item: String,
    /// Variant name, string arm text, or `dispatch:<scrutinee>`.
    name: String,
    kind: CandidateKind,
    span: Range<usize>,
    /// The enclosing function's text matches `ws-context` (arms and dispatch only).
    in_ws_fn: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CandidateKind {
    /// A variant of an inbound message enum (its serde rename, if any, is in `name` too).
    Variant,
    /// A match arm on a string literal.
    StringArm,
    /// A match arm on an inbound enum variant.
    VariantArm,
    /// A match whose scrutinee reads a dispatch field.
    Dispatch,
}

fn check_rust(
    cx: &Context<'_>,
    inv: &Invariant,
    cfg: &Settings,
    file: &FileChange,
    src: &Arc<Source>,
    out: &mut Findings,
) {
    let Some((ws_re, _)) = &cfg.ws_context else {
        return;
    };
    if !cfg.ws_prefilter.is_match(src.text(), ws_re) {
        return;
    }
    let Some(head) = rust_candidates(cx, src, cfg, false) else {
        return;
    };
    if head.is_empty() {
        return;
    }
    // What the base version already had, by enclosing item: parsed only when a head candidate
    // would be flagged unless the base had it.
    let base_cell: std::cell::OnceCell<BTreeMap<String, BTreeSet<String>>> =
        std::cell::OnceCell::new();
    let base = || {
        base_cell.get_or_init(|| {
            if file.is_all_added {
                return BTreeMap::new();
            }
            file.base
                .source()
                .and_then(|b| rust_candidates(cx, b, cfg, true))
                .map(|cands| {
                    let mut by_item: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
                    for c in cands {
                        by_item.entry(c.item).or_default().insert(c.name);
                    }
                    by_item
                })
                .unwrap_or_default()
        })
    };
    // An item in both versions: new when the base item lacks the name. An item new at head
    // (a handler extracted into a helper): new when its line was added and the base file had
    // the name nowhere.
    let is_new = |c: &Candidate| match base().get(&c.item) {
        Some(names) => !names.contains(&c.name),
        None => {
            file.is_line_added(src.line_of(c.span.start))
                && !base().values().any(|names| names.contains(&c.name))
        }
    };
    // Matches that already yield an arm finding need no dispatch finding.
    let mut flagged_items: BTreeSet<String> = BTreeSet::new();
    for c in head.iter().filter(|c| c.kind != CandidateKind::Dispatch) {
        if c.kind != CandidateKind::Variant && !c.in_ws_fn {
            continue;
        }
        let Some(verb) = cfg.command_verb(&c.name) else {
            continue;
        };
        if !is_new(c) {
            continue;
        }
        flagged_items.insert(c.item.clone());
        let (message, label) = match c.kind {
            CandidateKind::Variant => (
                format!(
                    "this change adds `{}` to the inbound WebSocket message `{}`, a command over the socket",
                    c.name, c.item
                ),
                format!("`{}` lets a client mutate authority state over the WebSocket", c.name),
            ),
            _ => (
                format!(
                    "this change adds a WebSocket handler arm for `{}`, a command over the socket",
                    c.name
                ),
                format!("`{}` handles a client command in `{}`", c.name, c.item),
            ),
        };
        out.push(cite_verb(
            Finding::new(inv, META.name, message).at(src, c.span.clone(), label),
            cx,
            verb,
        ));
    }
    for c in head.iter().filter(|c| c.kind == CandidateKind::Dispatch) {
        if !c.in_ws_fn || flagged_items.contains(&c.item) || !is_new(c) {
            continue;
        }
        let Some((scrutinee, field)) = c.name.trim_start_matches("dispatch:").rsplit_once('#')
        else {
            continue;
        };
        let field_span = cfg
            .dispatch_fields
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, s)| s.clone())
            .unwrap_or(0..0);
        out.push(
            Finding::new(
                inv,
                META.name,
                format!(
                    "this change dispatches inbound WebSocket frames on `{scrutinee}`, command RPC over the socket"
                ),
            )
            .at(
                src,
                c.span.clone(),
                format!("`{}` routes client frames to handlers by name", scrutinee),
            )
            .cite(
                cx.policy(),
                field_span,
                format!("dispatching on `{field}` is command RPC"),
            )
            .help(HELP),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The sync proto package.

fn check_proto(
    cx: &Context<'_>,
    inv: &Invariant,
    cfg: &Settings,
    file: &FileChange,
    src: &Arc<Source>,
    out: &mut Findings,
) {
    static DECL: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let decl = DECL.get_or_init(|| {
        Regex::new(r"^\s*(message|rpc)\s+([A-Za-z_][A-Za-z0-9_]*)").expect("static regex")
    });
    let base_text = file.base.source().map(|b| b.text().to_string());
    for line_no in 1..=src.line_count() {
        if !file.is_line_added(line_no) {
            continue;
        }
        let (Some(range), Some(line)) = (src.line_range(line_no), src.line(line_no)) else {
            continue;
        };
        let Some(c) = decl.captures(line) else {
            continue;
        };
        let kind = &c[1];
        let name = c.get(2).expect("group 2 always participates");
        if kind == "message"
            && !cfg
                .proto_suffixes
                .iter()
                .any(|s| name.as_str().ends_with(s))
        {
            continue;
        }
        let Some(verb) = cfg.command_verb(name.as_str()) else {
            continue;
        };
        // Moved, not new: the base file already declares it.
        let existed = base_text.as_deref().is_some_and(|t| {
            Regex::new(&format!(r"\b{kind}\s+{}\b", regex::escape(name.as_str())))
                .is_ok_and(|re| re.is_match(t))
        });
        if existed {
            continue;
        }
        let span = range.start + name.start()..range.start + name.end();
        let (message, label) = if kind == "rpc" {
            (
                format!("this change adds rpc `{}` to the sync protocol, command RPC on the delivery lane", name.as_str()),
                format!("`{}` is a command rpc", name.as_str()),
            )
        } else {
            (
                format!("this change adds `{}` to the sync protocol, a command message on the delivery lane", name.as_str()),
                format!("`{}` is a command or mutation message", name.as_str()),
            )
        };
        out.push(cite_verb(
            Finding::new(inv, META.name, message).at(src, span, label),
            cx,
            verb,
        ));
    }
}

// ---------------------------------------------------------------------------------------------
// TypeScript / PHP / Swift clients.

fn check_client(
    cx: &Context<'_>,
    inv: &Invariant,
    cfg: &Settings,
    file: &FileChange,
    src: &Arc<Source>,
    out: &mut Findings,
) {
    for hit in util::added_hits(file, src, &cfg.client_patterns, true) {
        let pattern = &cfg.client_patterns.items[hit.pattern];
        let Some(line) = src.line_range(hit.line) else {
            continue;
        };
        let line_text = &src.text()[line.clone()];
        let local = hit.span.start - line.start..hit.span.end - line.start;
        let Some(caps) = pattern
            .regex
            .captures_at(line_text, local.start)
            .filter(|c| c.get(0).is_some_and(|m| m.start() == local.start))
        else {
            continue;
        };
        let Some(name) = caps.name("name") else {
            continue;
        };
        let Some(verb) = cfg.command_verb(name.as_str()) else {
            continue;
        };
        let span = line.start + name.start()..line.start + name.end();
        out.push(cite_verb(
            Finding::new(
                inv,
                META.name,
                format!(
                    "this change sends `{}` over the WebSocket, a command over the socket",
                    name.as_str()
                ),
            )
            .at(
                src,
                span,
                format!("{} carrying `{}`, a command", pattern.what, name.as_str()),
            ),
            cx,
            verb,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_names_into_words() {
        assert_eq!(words("sync:create_run"), ["sync", "create", "run"]);
        assert_eq!(words("CreateRunCommand"), ["create", "run", "command"]);
        assert_eq!(words("runs.update"), ["runs", "update"]);
        assert_eq!(words("setTopicCursor"), ["set", "topic", "cursor"]);
        assert_eq!(words("phx_join"), ["phx", "join"]);
        assert_eq!(normalise("Sync:Subscribe"), "sync_subscribe");
    }
}
