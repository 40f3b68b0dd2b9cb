//! Policy governance (POL-01 `policy-weakened`): the change under review never judges itself.
//!
//! The policy that judges a change is `--config` (a trusted file) or the repository's
//! `inv-rules.toml` as it is in the *base* commit (the merge base, the range's start, HEAD for
//! `--staged`); see [`crate::check`]. The change's own `inv-rules.toml` is still loaded,
//! validated and compared with its base version here: every way it makes the gate weaker is a
//! POL-01 finding with spans into both versions, and every way it makes the gate stronger is
//! reported as taking effect after merge.
//!
//! Weaker means: an invariant removed, its status lowered (stable > preview > planned > retired),
//! its escalation lowered (block-merge > block-merge-unless-mitigated > block-release), its check
//! swapped, `suppressible` turned on, its owners changed, its surfaces narrowed or its related
//! paths widened, and in its check's settings: entries removed from a list that selects what is
//! checked (paths, patterns, keywords), entries added to a list that exempts (exclude, allow,
//! ignore, skip, docs, tests, shared), tables or keys removed, and any other value changed, since
//! invlint cannot tell which way an arbitrary setting moves the gate (fail closed). Policy-wide:
//! `[vocabulary]` sets changed, `[limits] max-file-size` lowered, the file deleted, or a head
//! version that does not load.

use std::collections::BTreeSet;
use std::ops::Range;
use std::sync::Arc;

use crate::engine::check::{Check, Kind, Meta, NoSettings};
use crate::engine::config::Validator;
use crate::engine::config::{Config, Escalation, Invariant, Status};
use crate::engine::source::Source;

/// Where the repository keeps its policy.
pub const POLICY_PATH: &str = "inv-rules.toml";

/// The largest policy file invlint reads (1 MiB): a policy is a few hundred lines.
pub const MAX_POLICY_BYTES: u64 = 1 << 20;

/// POL-01's page and metadata. Gate-integrity checks are built in: no policy binds or unbinds
/// them, so the change under review cannot switch them off.
pub static META: Meta = Meta {
    explain: include_str!("../../rules/POL-01.md"),
    kind: Kind::Gate,
    ..Meta::spec(
        "POL-01",
        "policy-weakened",
        "the change weakens the policy that judges changes (takes effect only with an owner's approval)",
        Escalation::BlockMergeUnlessMitigated,
    )
};

/// POL-01's registry entry; the engine produces its findings ([`findings`]).
pub struct PolicyWeakened;

impl Check for PolicyWeakened {
    type Raw = NoSettings;
    type Settings = ();
    fn meta(&self) -> &'static Meta {
        &META
    }
    fn compile(&self, _: &NoSettings, _: &mut Validator) {}
}

/// One difference between the base and head policy.
#[derive(Debug, Clone)]
pub struct PolicyChange {
    /// The invariant concerned (`None`: the whole policy).
    pub invariant: Option<String>,
    /// What changed, one lowercase line.
    pub what: String,
    /// Span in the head version, if the entry is still there.
    pub head_span: Option<Range<usize>>,
    /// Span in the base version, if the entry was there.
    pub base_span: Option<Range<usize>>,
}

/// The comparison of a change's policy with its base version.
#[derive(Debug, Default)]
pub struct PolicyDelta {
    /// Changes that make the gate weaker.
    pub weaker: Vec<PolicyChange>,
    /// Changes that make it stronger (they take effect after merge).
    pub stronger: Vec<PolicyChange>,
}

impl PolicyDelta {
    fn add(&mut self, weaker: bool, change: PolicyChange) {
        if weaker {
            self.weaker.push(change);
        } else {
            self.stronger.push(change);
        }
    }
}

fn status_rank(s: Status) -> u8 {
    match s {
        Status::Stable => 3,
        Status::Preview => 2,
        Status::Planned => 1,
        Status::Retired => 0,
    }
}

fn escalation_rank(e: Escalation) -> u8 {
    match e {
        Escalation::BlockMerge => 2,
        Escalation::BlockMergeUnlessMitigated => 1,
        Escalation::BlockRelease => 0,
    }
}

/// Keys of an invariant table that are not its check's settings.
const COMMON_KEYS: &[&str] = &[
    "title",
    "check",
    "escalation",
    "status",
    "owners",
    "surfaces",
    "related",
    "suppressible",
];

/// True for list keys whose entries exempt things from a check (adding one weakens it).
fn is_exempting_key(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    [
        "exclude", "allow", "ignore", "skip", "exempt", "except", "related", "shared", "docs",
        "test", "safe", "permit", "trusted", "dry", "negat", "sanction",
    ]
    .iter()
    .any(|w| k.contains(w))
}

/// Compares two loaded policies (`base_src`/`head_src` are their texts, for spans).
pub fn compare(base: &Config, head: &Config) -> PolicyDelta {
    let mut delta = PolicyDelta::default();
    let base_doc = Doc::new(base.source.text());
    let head_doc = Doc::new(head.source.text());

    for b in &base.invariants {
        let id = b.id.as_str();
        let Some(h) = head.invariant(id) else {
            delta.weaker.push(PolicyChange {
                invariant: Some(id.into()),
                what: format!("removes invariant {id} from the policy"),
                head_span: None,
                base_span: Some(b.header_span.clone()),
            });
            continue;
        };
        let mut push = |weaker: bool, what: String, hs: Option<Range<usize>>, bs| {
            delta.add(
                weaker,
                PolicyChange {
                    invariant: Some(id.into()),
                    what,
                    head_span: hs.or_else(|| Some(h.header_span.clone())),
                    base_span: bs,
                },
            );
        };
        // Status and escalation are ranked: lower is weaker.
        let ranked = [
            (
                "status",
                status_rank(b.status),
                status_rank(h.status),
                b.status.as_str(),
                h.status.as_str(),
                head_doc.span(&["invariant", id, "status"]),
                base_doc.span(&["invariant", id, "status"]),
            ),
            (
                "escalation",
                escalation_rank(b.escalation),
                escalation_rank(h.escalation),
                b.escalation.as_str(),
                h.escalation.as_str(),
                Some(h.escalation_span.clone()),
                Some(b.escalation_span.clone()),
            ),
        ];
        for (key, base_rank, head_rank, from, to, hs, bs) in ranked {
            if base_rank != head_rank {
                let weaker = head_rank < base_rank;
                push(
                    weaker,
                    format!(
                        "{} {id}'s {key} from `{from}` to `{to}`",
                        if weaker { "lowers" } else { "raises" }
                    ),
                    hs,
                    bs,
                );
            }
        }
        if h.check != b.check {
            push(
                true,
                format!("binds {id} to check `{}` instead of `{}`", h.check, b.check),
                Some(h.check_span.clone()),
                Some(b.check_span.clone()),
            );
        }
        if h.is_suppressible && !b.is_suppressible {
            push(
                true,
                format!("makes {id} suppressible inline"),
                head_doc.span(&["invariant", id, "suppressible"]),
                None,
            );
        } else if !h.is_suppressible && b.is_suppressible {
            push(
                false,
                format!("stops inline suppressions of {id}"),
                None,
                base_doc.span(&["invariant", id, "suppressible"]),
            );
        }
        let owners = |inv: &Invariant| -> BTreeSet<String> {
            inv.owners
                .iter()
                .map(|o| o.trim_start_matches('@').to_ascii_lowercase())
                .collect()
        };
        if owners(h) != owners(b) {
            push(
                true,
                format!(
                    "changes who may approve exceptions to {id} (owners [{}] -> [{}])",
                    b.owners.join(", "),
                    h.owners.join(", ")
                ),
                head_doc.span(&["invariant", id, "owners"]),
                base_doc.span(&["invariant", id, "owners"]),
            );
        }
        // Surfaces (removal weakens) and related paths (addition weakens), then the settings.
        for key in ["surfaces", "related"] {
            let path = ["invariant", id, key];
            diff_item(
                &mut delta,
                Some(id),
                &path,
                key,
                base_doc.value(&path).as_ref(),
                head_doc.value(&path).as_ref(),
                &base_doc,
                &head_doc,
            );
        }
        let base_keys = base_doc.keys(&["invariant", id]);
        let head_keys = head_doc.keys(&["invariant", id]);
        let all: BTreeSet<&String> = base_keys.iter().chain(head_keys.iter()).collect();
        for key in all {
            if COMMON_KEYS.contains(&key.as_str()) {
                continue;
            }
            let path = ["invariant", id, key.as_str()];
            diff_item(
                &mut delta,
                Some(id),
                &path,
                key,
                base_doc.value(&path).as_ref(),
                head_doc.value(&path).as_ref(),
                &base_doc,
                &head_doc,
            );
        }
    }
    for h in &head.invariants {
        if base.invariant(&h.id).is_none() {
            delta.stronger.push(PolicyChange {
                invariant: Some(h.id.clone()),
                what: format!("declares invariant {}", h.id),
                head_span: Some(h.header_span.clone()),
                base_span: None,
            });
        }
    }

    // Policy-wide: vocabulary sets are used by both selecting and exempting lists, so any change
    // to one may weaken some check.
    let vb = base_doc.keys(&["vocabulary"]);
    let vh = head_doc.keys(&["vocabulary"]);
    for name in vb.iter().chain(vh.iter()).collect::<BTreeSet<_>>() {
        let path = ["vocabulary", name.as_str()];
        let (b, h) = (base_doc.value(&path), head_doc.value(&path));
        if b != h {
            delta.weaker.push(PolicyChange {
                invariant: None,
                what: format!(
                    "changes the vocabulary set `@{name}`, which lists of paths to check and to exempt both use"
                ),
                head_span: head_doc.span(&path),
                base_span: base_doc.span(&path),
            });
        }
    }
    if head.max_file_size != base.max_file_size {
        let weaker = head.max_file_size < base.max_file_size;
        let path = ["limits", "max-file-size"];
        delta.add(
            weaker,
            PolicyChange {
                invariant: None,
                what: format!(
                    "{} [limits] max-file-size from {} to {} bytes",
                    if weaker { "lowers" } else { "raises" },
                    base.max_file_size,
                    head.max_file_size
                ),
                head_span: head_doc.span(&path),
                base_span: base_doc.span(&path),
            },
        );
    }
    delta
}

/// Compares one key's values (`None`: absent) and records what changed.
#[allow(clippy::too_many_arguments)]
fn diff_item(
    delta: &mut PolicyDelta,
    id: Option<&str>,
    path: &[&str],
    key: &str,
    base: Option<&toml::Value>,
    head: Option<&toml::Value>,
    base_doc: &Doc,
    head_doc: &Doc,
) {
    if base == head {
        return;
    }
    let where_ = path[2..].join(".");
    let owner = id.map(|s| format!("{s} ")).unwrap_or_default();
    let record = |delta: &mut PolicyDelta, weaker: bool, what: String| {
        delta.add(
            weaker,
            PolicyChange {
                invariant: id.map(str::to_string),
                what,
                head_span: head_doc.span(path),
                base_span: base_doc.span(path),
            },
        );
    };
    use toml::Value;
    match (base, head) {
        (Some(Value::Table(b)), Some(Value::Table(h))) => {
            let keys: BTreeSet<&String> = b.keys().chain(h.keys()).collect();
            for k in keys {
                let mut sub: Vec<&str> = path.to_vec();
                sub.push(k);
                diff_item(delta, id, &sub, k, b.get(k), h.get(k), base_doc, head_doc);
            }
        }
        (b @ (Some(Value::Array(_)) | None), h @ (Some(Value::Array(_)) | None)) => {
            let items = |v: Option<&Value>| -> Vec<String> {
                match v {
                    Some(Value::Array(a)) => a.iter().map(canonical).collect(),
                    _ => Vec::new(),
                }
            };
            let (bi, hi) = (items(b), items(h));
            let removed: Vec<&String> = bi.iter().filter(|x| !hi.contains(x)).collect();
            let added: Vec<&String> = hi.iter().filter(|x| !bi.contains(x)).collect();
            let exempting = is_exempting_key(key);
            let list = |v: &[&String]| {
                let shown: Vec<&str> = v.iter().take(3).map(|s| s.as_str()).collect();
                let more = if v.len() > 3 {
                    format!(" (+{} more)", v.len() - 3)
                } else {
                    String::new()
                };
                format!("{}{more}", shown.join(", "))
            };
            if !removed.is_empty() {
                record(
                    delta,
                    !exempting,
                    format!("removes from {owner}`{where_}`: {}", list(&removed)),
                );
            }
            if !added.is_empty() {
                record(
                    delta,
                    exempting,
                    format!("adds to {owner}`{where_}`: {}", list(&added)),
                );
            }
        }
        (Some(Value::Table(_)), None) => record(delta, true, format!("removes {owner}`{where_}`")),
        (None, Some(Value::Table(h))) => {
            for (k, v) in h {
                let mut sub: Vec<&str> = path.to_vec();
                sub.push(k);
                diff_item(delta, id, &sub, k, None, Some(v), base_doc, head_doc);
            }
        }
        (b, h) => {
            let show = |v: Option<&Value>| v.map(canonical).unwrap_or_else(|| "(unset)".into());
            // Known directions; anything else is judged weaker (fail closed).
            let stronger = match (b, h) {
                (Some(Value::Integer(x)), Some(Value::Integer(y))) if key.starts_with("min-") => {
                    y > x
                }
                _ => false,
            };
            record(
                delta,
                !stronger,
                format!(
                    "changes {owner}`{where_}` from {} to {}{}",
                    show(b),
                    show(h),
                    if stronger {
                        ""
                    } else {
                        " (invlint cannot tell that this does not narrow the check)"
                    }
                ),
            );
        }
    }
}

/// A value as one line, for comparison and messages.
fn canonical(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => format!("{s:?}"),
        toml::Value::Table(t) => {
            let parts: Vec<String> = t
                .iter()
                .map(|(k, v)| format!("{k} = {}", canonical(v)))
                .collect();
            format!("{{ {} }}", parts.join(", "))
        }
        toml::Value::Array(a) => {
            let parts: Vec<String> = a.iter().map(canonical).collect();
            format!("[{}]", parts.join(", "))
        }
        other => other.to_string(),
    }
}

/// A policy text, as values (for comparison) and as a document (for spans).
struct Doc {
    value: toml::Value,
    doc: Option<toml_edit::ImDocument<String>>,
}

impl Doc {
    fn new(text: &str) -> Doc {
        Doc {
            value: toml::from_str(text).unwrap_or(toml::Value::Table(Default::default())),
            doc: toml_edit::ImDocument::parse(text.to_string()).ok(),
        }
    }

    fn value(&self, path: &[&str]) -> Option<toml::Value> {
        let mut v = &self.value;
        for k in path {
            v = v.as_table()?.get(*k)?;
        }
        Some(v.clone())
    }

    fn keys(&self, path: &[&str]) -> Vec<String> {
        self.value(path)
            .and_then(|v| v.as_table().map(|t| t.keys().cloned().collect()))
            .unwrap_or_default()
    }

    /// The span of the key at `path` and its value (the deepest part of the path that exists).
    fn span(&self, path: &[&str]) -> Option<Range<usize>> {
        let doc = self.doc.as_ref()?;
        let mut table: &dyn toml_edit::TableLike = doc.as_table();
        let mut best = None;
        for (i, k) in path.iter().enumerate() {
            let (key, item) = table.get_key_value(k)?;
            let key_span = key.span();
            let item_span = item.span();
            best = match (key_span, item_span) {
                (Some(a), Some(b)) if i + 1 == path.len() => Some(a.start.min(b.start)..b.end),
                (Some(a), _) => Some(a),
                (None, Some(b)) => Some(b),
                (None, None) => best,
            };
            if i + 1 == path.len() {
                break;
            }
            table = match item {
                toml_edit::Item::Table(t) => t,
                toml_edit::Item::Value(toml_edit::Value::InlineTable(t)) => t,
                _ => return best,
            };
        }
        best
    }
}

/// The base version of the policy, and the change's version, as a change set holds them.
#[derive(Debug)]
pub struct PolicyVersions {
    /// `inv-rules.toml` at base (`None`: absent).
    pub base: Option<Arc<Source>>,
    /// `inv-rules.toml` at head (`None`: absent or deleted).
    pub head: Option<Arc<Source>>,
}

impl PolicyVersions {
    /// The two versions of the repository's policy in a change set, when the change touches it
    /// (renamed away counts as deleted).
    pub fn of(changes: &crate::engine::diff::ChangeSet) -> Option<PolicyVersions> {
        let file = changes
            .files
            .iter()
            .find(|f| &*f.path == POLICY_PATH || f.old_path.as_deref() == Some(POLICY_PATH))?;
        let head = (&*file.path == POLICY_PATH && file.exists_at_head())
            .then(|| file.head.state().clone());
        let base_is_policy =
            file.old_path.as_deref() == Some(POLICY_PATH) || file.old_path.is_none();
        let base = base_is_policy.then(|| file.base.state().clone());
        use crate::engine::diff::TextState;
        let text = |s: Option<TextState>, name: &str| -> Result<Option<Arc<Source>>, String> {
            match s {
                None | Some(TextState::Absent) => Ok(None),
                Some(TextState::Text(src)) => Ok(Some(Arc::new(Source::new(name, src.text())))),
                Some(TextState::TooLarge(n)) => Err(format!("{n} bytes, over the size limit")),
                Some(TextState::Binary) => Err("binary content (a NUL byte)".into()),
                Some(TextState::NotUtf8) => Err("not valid UTF-8".into()),
                Some(TextState::LfsPointer) => Err("a Git LFS pointer".into()),
                Some(TextState::Unreadable(e)) => Err(e),
            }
        };
        Some(PolicyVersions {
            base: text(base, "inv-rules.toml (base)").ok().flatten(),
            head: match text(head, POLICY_PATH) {
                Ok(h) => h,
                // An unreadable head policy is compared as one that does not load.
                Err(why) => Some(Arc::new(Source::new(
                    POLICY_PATH,
                    format!("# invlint: the change's inv-rules.toml could not be read: {why}\n[[["),
                ))),
            },
        })
    }
}

/// POL-01 findings for a change that touches the policy. `judging` is the policy that judges
/// the change (its owners approve weakenings).
pub fn findings(
    versions: &PolicyVersions,
    judging: &Config,
) -> Vec<crate::engine::finding::Finding> {
    use crate::engine::finding::{Finding, Severity};
    let new =
        |message: String| Finding::built_in(META.default_code, META.name, META.escalation, message);
    let approvers = |id: Option<&str>| -> String {
        let owners = approvers_for(judging, id);
        if owners.is_empty() {
            "no owner is listed, so only a change to the trusted policy outside this pull request can approve it".into()
        } else {
            format!(
                "an owner ({}) approves it in the description (`{} mitigation: approved by @owner, follow-up #123`)",
                owners.join(", "),
                id.unwrap_or(META.default_code)
            )
        }
    };
    let mut out = Vec::new();
    match (&versions.base, &versions.head) {
        (None, None) => {}
        (None, Some(head)) => out.push(
            new("this change adds the repository's first policy; it takes effect after merge (this change is judged by the policy in force at base)".into())
                .at(head, 0..head.text().lines().next().map_or(0, str::len), "the new policy")
                .level(Severity::Note)
                .help("review every invariant's status, escalation and paths: later changes to this file are compared with it"),
        ),
        (Some(base), None) => {
            let bs = 0..base.text().lines().next().map_or(0, str::len);
            out.push(
                new("this change deletes inv-rules.toml; later changes would be judged by the built-in default policy".into())
                    .on_path(POLICY_PATH)
                    .related(base, bs, "the policy before this change")
                    .help(format!("keep the policy; a deletion merges only when {}", approvers(None))),
            )
        }
        (Some(base), Some(head)) => {
            let base_cfg = match Config::parse(judging.registry, base.name(), base.text()) {
                Ok(c) => c,
                // A base that never loaded judged nothing; the judging policy is another file.
                Err(_) => return out,
            };
            let head_cfg = match Config::parse(judging.registry, POLICY_PATH, head.text()) {
                Ok(c) => c,
                Err(e) => {
                    let detail = match &e {
                        crate::engine::error::Error::ConfigInvalid { problems, .. } => problems
                            .first()
                            .map(|p| p.to_string())
                            .unwrap_or_else(|| e.to_string()),
                        other => other.to_string(),
                    };
                    out.push(
                        new(format!("this change's inv-rules.toml does not load ({detail}); it would switch the gate off after merge"))
                            .at(head, 0..head.text().lines().next().map_or(0, str::len), "does not load")
                            .help("run `invlint rules --config inv-rules.toml` to see every problem with its span, and fix them"),
                    );
                    return out;
                }
            };
            let delta = compare(&base_cfg, &head_cfg);
            for c in delta.weaker {
                let mut f = new(format!("this change {}", c.what));
                f = match &c.head_span {
                    Some(s) => f.at(head, s.clone(), "weaker than at base"),
                    None => f.on_path(POLICY_PATH),
                };
                if let Some(s) = &c.base_span {
                    f = f.related(base, s.clone(), "at base");
                }
                f.help = Some(format!(
                    "the base policy keeps judging changes; this weakening merges only when {}, and never passes the release gate",
                    approvers(c.invariant.as_deref())
                ));
                f.policy_subject = c.invariant.clone();
                out.push(f);
            }
            for c in delta.stronger {
                let mut f = new(format!("this change {}; it takes effect after merge", c.what))
                    .level(Severity::Note);
                f = match &c.head_span {
                    Some(s) => f.at(head, s.clone(), "stronger than at base"),
                    None => f.on_path(POLICY_PATH),
                };
                if let Some(s) = &c.base_span {
                    f = f.related(base, s.clone(), "at base");
                }
                f.policy_subject = c.invariant.clone();
                out.push(f);
            }
        }
    }
    out
}

/// Who may approve a weakening of invariant `id` (`None`: policy-wide): the owners the judging
/// policy lists for it, or, when it lists none (or for policy-wide changes), every owner the
/// judging policy names.
pub fn approvers_for(judging: &Config, id: Option<&str>) -> Vec<String> {
    if let Some(inv) = id.and_then(|i| judging.invariant(i)) {
        if !inv.owners.is_empty() {
            return inv.owners.clone();
        }
    }
    let mut all: Vec<String> = judging
        .invariants
        .iter()
        .flat_map(|i| i.owners.iter().cloned())
        .collect();
    all.sort();
    all.dedup();
    all
}
