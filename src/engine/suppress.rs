//! Inline suppressions with evidence (SUP-01 `bad-suppression`).
//!
//! A comment in a checked file such as
//!
//! ```text
//! // invlint: allow(INV-07) reason="replay handles duplicates" issue=#123 owner=@name until=2027-01-31
//! ```
//!
//! suppresses one finding of that invariant on the next non-blank line (or, written after code,
//! on its own line). Any comment syntax works (`//`, `#`, `--`, `/* */`, `<!-- -->`); `reason`,
//! `issue` and `owner` are required, `until` (YYYY-MM-DD) is optional.
//!
//! Runs in the engine after every check (post rules included) and before gate evaluation:
//! suppressed findings stay in the report with [`Finding::suppression`] set and never block.
//! Malformed, expired, unused and not-allowed suppressions become findings of the invariant
//! bound to `bad-suppression` (SUP-01 in the default policy); without such an active invariant no
//! suppression is honoured at all (fail closed: nothing is silenced unchecked).
//!
//! Which comments are read: those in changed files whose head text is already loaded, and in any
//! file a finding points into, that contain `invlint:` after a comment opener. A comment is
//! judged (reported when wrong) only when this change adds its line or its target line, or a
//! finding starts on its target line: an old, untouched suppression does not fail unrelated
//! pull requests.
//!
//! The policy decides what may be suppressed (`suppressible = true` per invariant); at the
//! release gate a suppression never silences a `block-merge` invariant (the finding says so).

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use serde::Deserialize;
use toml::Spanned;

use crate::engine::check::{Check, Kind, Meta};
use crate::engine::config::{Config, Escalation, GlobList, Validator};
use crate::engine::diff::{ChangeSet, TextState};
use crate::engine::finding::Finding;
use crate::engine::run::Gate;
use crate::engine::source::Source;

/// SUP-01's page and metadata: its findings are produced by the engine ([`apply`]), after every
/// check (post kind: the PR checks do not ask the description to map SUP-01, which is about
/// comments, not an architecture invariant).
pub static META: Meta = Meta {
    explain: include_str!("../../rules/SUP-01.md"),
    kind: Kind::Suppress,
    keys: KEYS,
    ..Meta::spec(
        "SUP-01",
        "bad-suppression",
        "inline suppression is malformed, expired, unused or not allowed by the policy",
        Escalation::BlockMerge,
    )
};

const KEYS: &[crate::engine::schema::Key] = &[crate::engine::schema::opt(
    "exclude",
    crate::engine::schema::Ty::Globs,
    "Files whose `invlint: allow(...)` comments are not judged (docs that show the syntax).",
)];

/// The check an invariant names to turn inline suppressions on (`check = "bad-suppression"`).
pub struct BadSuppression;

impl Check for BadSuppression {
    type Raw = RawSettings;
    type Settings = Settings;

    fn meta(&self) -> &'static Meta {
        &META
    }

    fn compile(&self, raw: &RawSettings, v: &mut Validator) -> Settings {
        Settings {
            exclude: v.glob_list(&raw.exclude),
        }
    }
}

/// `[invariant.<ID>.bad-suppression]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawSettings {
    /// Files whose `invlint:` comments are neither honoured nor reported (docs that show the
    /// syntax, vendored code).
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
}

/// Compiled settings.
#[derive(Debug)]
pub struct Settings {
    exclude: GlobList,
}

// ---------------------------------------------------------------------------------------------
// Dates, without a date crate: `until` only needs parsing, ordering and today's date.

/// A calendar date (proleptic Gregorian), ordered chronologically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date {
    year: i32,
    month: u32,
    day: u32,
}

impl Date {
    /// Parses `YYYY-MM-DD` strictly (a real day of a real month).
    pub fn parse(s: &str) -> Option<Date> {
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return None;
        }
        let digits = |r: Range<usize>| {
            let part = &s[r];
            part.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| part.parse::<u32>().ok())
                .flatten()
        };
        let (year, month, day) = (digits(0..4)?, digits(5..7)?, digits(8..10)?);
        let year = i32::try_from(year).ok()?;
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// The date `days` days after 1970-01-01 (Howard Hinnant's `civil_from_days`).
    pub fn from_unix_days(days: i64) -> Date {
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// Today: `INVLINT_TODAY` (YYYY-MM-DD) when set, so runs and tests are reproducible, else the
    /// system clock's UTC date.
    pub fn today() -> Result<Date, String> {
        if let Ok(v) = std::env::var("INVLINT_TODAY") {
            return Date::parse(v.trim())
                .ok_or_else(|| format!("INVLINT_TODAY={v:?} is not a YYYY-MM-DD date"));
        }
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        Ok(Date::from_unix_days((secs / 86_400) as i64))
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

// ---------------------------------------------------------------------------------------------
// Parsing one comment.

const MARKER: &str = "invlint:";
const FIELDS: [&str; 4] = ["reason", "issue", "owner", "until"];
const REQUIRED: [&str; 3] = ["reason", "issue", "owner"];
/// Comment openers, longest first so `///` is not read as `//` plus a stray `/`.
const OPENERS: [&str; 8] = ["<!--", "/**", "//!", "///", "/*", "//", "--", "#"];

/// One `invlint:` comment, as found in a file.
#[derive(Debug)]
struct Directive {
    /// 1-based line of the comment.
    line: usize,
    /// The whole comment, opener to closer.
    span: Range<usize>,
    /// 1-based line it covers (None: nothing follows it).
    target: Option<usize>,
    /// The ID as written and its span (None when the syntax is broken before it).
    id: Option<(String, Range<usize>)>,
    /// `key=value` fields: key -> (value, span of the value).
    fields: BTreeMap<String, (String, Range<usize>)>,
    /// Problems of form: (message, span, label, help).
    problems: Vec<Problem>,
}

#[derive(Debug)]
struct Problem {
    message: String,
    span: Range<usize>,
    label: String,
    help: String,
}

/// Where an `invlint:` comment sits on `line`: (start of its opener, is trailing).
fn comment_start(line: &str, marker: usize) -> Option<(usize, bool)> {
    let before = line[..marker].trim_end();
    let opener = OPENERS.iter().find(|o| before.ends_with(*o))?;
    let start = before.len() - opener.len();
    let is_trailing = !before[..start].trim().is_empty();
    Some((start, is_trailing))
}

/// Every suppression comment of `src`, with its target line.
fn directives(src: &Source) -> Vec<Directive> {
    let text = src.text();
    let mut out: Vec<Directive> = Vec::new();
    if !text.contains(MARKER) {
        return out;
    }
    let mut pending: Vec<usize> = Vec::new();
    for n in 1..=src.line_count() {
        let Some(range) = src.line_range(n) else {
            continue;
        };
        let line = &text[range.clone()];
        let found = line
            .find(MARKER)
            .and_then(|m| comment_start(line, m).map(|(s, t)| (m, s, t)));
        match found {
            Some((marker, start, is_trailing)) => {
                let mut d = parse(n, range.start, line, start, marker);
                if is_trailing {
                    d.target = Some(n);
                } else {
                    pending.push(out.len());
                }
                out.push(d);
            }
            None if line.trim().is_empty() => {}
            None => {
                for i in pending.drain(..) {
                    out[i].target = Some(n);
                }
            }
        }
    }
    out
}

/// Parses the comment on `line` (at byte `base`): opener at `start`, `invlint:` at `marker`.
fn parse(line_no: usize, base: usize, line: &str, start: usize, marker: usize) -> Directive {
    let body_end = {
        let t = line.trim_end();
        let t = t
            .strip_suffix("-->")
            .or_else(|| t.strip_suffix("*/"))
            .unwrap_or(t);
        t.trim_end().len()
    };
    let mut d = Directive {
        line: line_no,
        span: base + start..base + line.trim_end().len(),
        target: None,
        id: None,
        fields: BTreeMap::new(),
        problems: Vec::new(),
    };
    let body_start = marker + MARKER.len();
    let body = &line[body_start..body_end.max(body_start)];
    let at = |i: usize| base + body_start + i;
    let lead = body.len() - body.trim_start().len();
    let rest = &body[lead..];
    let syntax = |msg: &str, span: Range<usize>, label: &str| {
        Problem {
        message: msg.to_string(),
        span,
        label: label.to_string(),
        help: "write `invlint: allow(<ID>) reason=\"...\" issue=#123 owner=@you` (optionally `until=YYYY-MM-DD`)".into(),
    }
    };
    let Some(after) = rest.strip_prefix("allow(") else {
        d.problems.push(syntax(
            "this `invlint:` comment is not a suppression",
            d.span.clone(),
            "expected `allow(<ID>)` after `invlint:`",
        ));
        return d;
    };
    let open = lead + "allow(".len();
    let Some(close) = after.find(')') else {
        d.problems.push(syntax(
            "this suppression's `allow(` is not closed",
            d.span.clone(),
            "no `)`",
        ));
        return d;
    };
    let raw_id = &after[..close];
    let id = raw_id.trim();
    let id_span = at(open)..at(open + close);
    if id.is_empty() || id.contains([',', ' ', '\t']) {
        d.problems.push(Problem {
            message: format!("suppression names `{raw_id}`, not one invariant ID"),
            span: id_span,
            label: "one ID, e.g. `INV-07`".into(),
            help: "write one comment per invariant: each suppresses one finding of one invariant"
                .into(),
        });
        return d;
    }
    d.id = Some((id.to_string(), id_span));

    // Fields: key=value or key="quoted value", separated by whitespace.
    let mut i = open + close + 1;
    let bytes = body.as_bytes();
    while i < body.len() {
        if bytes[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let key_start = i;
        while i < body.len()
            && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'-')
        {
            i += 1;
        }
        let key = &body[key_start..i];
        if key.is_empty() || i >= body.len() || bytes[i] != b'=' {
            let end = body[key_start..]
                .find(char::is_whitespace)
                .map_or(body.len(), |e| key_start + e);
            d.problems.push(Problem {
                message: format!(
                    "suppression has `{}` where a `key=value` field belongs",
                    &body[key_start..end]
                ),
                span: at(key_start)..at(end),
                label: "not `key=value`".into(),
                help: "fields are `reason=\"...\"`, `issue=...`, `owner=@...` and `until=YYYY-MM-DD`; quote values that contain spaces".into(),
            });
            i = end;
            continue;
        }
        let key_span = at(key_start)..at(i);
        i += 1; // '='
        let (value, value_span) = if bytes.get(i) == Some(&b'"') {
            match body[i + 1..].find('"') {
                Some(e) => {
                    let v = &body[i + 1..i + 1 + e];
                    let span = at(i + 1)..at(i + 1 + e);
                    i += e + 2;
                    (v, span)
                }
                None => {
                    d.problems.push(Problem {
                        message: format!("suppression's `{key}` value has no closing quote"),
                        span: at(i)..at(body.len()),
                        label: "unterminated `\"`".into(),
                        help: "close the quoted value with `\"`".into(),
                    });
                    break;
                }
            }
        } else {
            let s = i;
            while i < body.len() && !bytes[i].is_ascii_whitespace() {
                i += 1;
            }
            (&body[s..i], at(s)..at(i))
        };
        let key_lower = key.to_ascii_lowercase();
        if !FIELDS.contains(&key_lower.as_str()) {
            d.problems.push(Problem {
                message: format!("suppression has unknown field `{key}`"),
                span: key_span,
                label: "not a suppression field".into(),
                help: format!(
                    "fields are reason, issue, owner and until{}",
                    crate::engine::config::closest(key, FIELDS.iter().copied())
                        .map(|c| format!("; did you mean `{c}`?"))
                        .unwrap_or_default()
                ),
            });
            continue;
        }
        if d.fields.contains_key(&key_lower) {
            d.problems.push(Problem {
                message: format!("suppression gives `{key}` twice"),
                span: key_span,
                label: "repeated field".into(),
                help: "give each field once".into(),
            });
            continue;
        }
        d.fields
            .insert(key_lower, (value.trim().to_string(), value_span));
    }

    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|k| d.fields.get(*k).is_none_or(|(v, _)| v.is_empty()))
        .collect();
    if !missing.is_empty() {
        let list = missing
            .iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ");
        d.problems.push(Problem {
            message: format!("suppression of {id} lacks {list}"),
            span: d.span.clone(),
            label: format!(
                "no {}",
                missing
                    .iter()
                    .map(|k| format!("{k}="))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            help: format!(
                "a suppression carries its evidence: why it is safe, the issue that tracks the fix and who owns it, e.g. `invlint: allow({id}) reason=\"replay handles duplicates\" issue=#123 owner=@you`"
            ),
        });
    }
    if let Some((v, span)) = d.fields.get("until") {
        if Date::parse(v).is_none() {
            d.problems.push(Problem {
                message: format!("suppression of {id} has an invalid `until` date `{v}`"),
                span: span.clone(),
                label: "not a YYYY-MM-DD date".into(),
                help: "write the last day the exception holds as `until=YYYY-MM-DD`, e.g. `until=2027-01-31`".into(),
            });
        }
    }
    d
}

// ---------------------------------------------------------------------------------------------
// Applying suppressions to the findings of a run.

/// Applies inline suppressions to `findings` (all checks ran, gates not yet applied) and appends
/// the SUP findings. Does nothing unless an active invariant runs `bad-suppression`.
pub fn apply(
    findings: &mut Vec<Finding>,
    changes: &ChangeSet,
    config: &Config,
    gate: Gate,
    today: Date,
) {
    // The active invariant bound to `bad-suppression` carries these settings.
    let Some((sup, settings)) = config
        .invariants
        .iter()
        .find_map(|i| Some((i, i.settings_of::<Settings>()?)))
    else {
        return;
    };

    // Sources to read: changed files whose head text is loaded, then files findings point into.
    let mut sources: BTreeMap<String, Arc<Source>> = BTreeMap::new();
    for file in &changes.files {
        if file.is_binary || settings.exclude.is_match(&file.path) {
            continue;
        }
        if let Some(TextState::Text(s)) = file.head.peek() {
            sources.insert(file.path.clone(), s.clone());
        }
    }
    for f in findings.iter() {
        let (Some(path), Some(p)) = (&f.path, &f.primary) else {
            continue;
        };
        if crate::engine::render::repo_path(f).is_none()
            || sources.contains_key(path)
            || changes.file(path).is_some()
            || settings.exclude.is_match(path)
        {
            continue;
        }
        sources.insert(path.clone(), p.source.clone());
    }

    // Findings by (path, line of the primary span), only those in the text we read.
    let mut at_line: BTreeMap<(&str, usize), Vec<usize>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        let (Some(path), Some(p)) = (&f.path, &f.primary) else {
            continue;
        };
        let Some(src) = sources.get(path) else {
            continue;
        };
        if Arc::ptr_eq(&p.source, src) || p.source.text() == src.text() {
            at_line
                .entry((src.name(), p.source.line_of(p.span.start)))
                .or_default()
                .push(i);
        }
    }

    let mut claimed = vec![false; findings.len()];
    let mut out: Vec<Finding> = Vec::new();
    let policy = &config.source;
    for (path, src) in &sources {
        let file = changes.file(path);
        let is_added = |n: usize| file.is_some_and(|f| f.is_line_added(n));
        for d in directives(src) {
            let on_target: &[usize] = d
                .target
                .and_then(|t| at_line.get(&(src.name(), t)))
                .map_or(&[], |v| v.as_slice());
            let in_scope =
                is_added(d.line) || d.target.is_some_and(is_added) || !on_target.is_empty();
            if !in_scope {
                continue;
            }
            let finding = |message: String, span: Range<usize>, label: String, help: String| {
                Finding::new(sup, META.name, message)
                    .at(src, span, label)
                    .help(help)
                    .cite(
                        policy,
                        sup.check_span.clone(),
                        "inline suppressions are checked",
                    )
            };
            let mut problems: Vec<Finding> = d
                .problems
                .iter()
                .map(|p| {
                    let f = finding(
                        p.message.clone(),
                        p.span.clone(),
                        p.label.clone(),
                        p.help.clone(),
                    );
                    if p.span != d.span {
                        f.also(d.span.clone(), "this suppression")
                    } else {
                        f
                    }
                })
                .collect();
            let Some((id, id_span)) = &d.id else {
                out.extend(problems);
                continue;
            };
            let Some(inv) = config.invariant(id) else {
                let hint = config
                    .closest_id(id)
                    .map(|c| format!("; did you mean `{c}`?"))
                    .unwrap_or_default();
                problems.push(finding(
                    format!("suppression names unknown invariant `{id}`"),
                    id_span.clone(),
                    "not declared in the policy".into(),
                    format!(
                        "name an invariant declared in {}{hint}",
                        config.display_path
                    ),
                ));
                out.extend(problems);
                continue;
            };
            if !inv.is_suppressible {
                let allowed: Vec<&str> = config
                    .invariants
                    .iter()
                    .filter(|i| i.is_suppressible)
                    .map(|i| i.id.as_str())
                    .collect();
                problems.push(
                    Finding::new(sup, META.name, format!("{} may not be suppressed inline", inv.id))
                        .at(src, id_span.clone(), format!("`{}` is not suppressible", inv.id))
                        .also(d.span.clone(), "this suppression silences nothing")
                        .help(format!(
                            "fix the finding instead; the policy allows inline suppressions only for invariants marked `suppressible = true` ({})",
                            if allowed.is_empty() { "none".to_string() } else { allowed.join(", ") }
                        ))
                        .cite(policy, inv.header_span.clone(), format!("{} has no `suppressible = true`", inv.id)),
                );
                out.extend(problems);
                continue;
            }
            if !problems.is_empty() {
                out.extend(problems);
                continue;
            }
            // The owner must be one the (judging) policy lists for the invariant: an exception
            // is accepted by someone accountable for it, not by whoever wrote the comment.
            if let Some((owner, owner_span)) = d.fields.get("owner") {
                let listed = inv.owners.iter().any(|o| {
                    o.trim_start_matches('@')
                        .eq_ignore_ascii_case(owner.trim_start_matches('@'))
                });
                if !listed {
                    out.push(
                        finding(
                            format!(
                                "suppression of {} names owner {owner}, who is not an owner of {}",
                                inv.id, inv.id
                            ),
                            owner_span.clone(),
                            format!("not an owner of {}", inv.id),
                            if inv.owners.is_empty() {
                                format!("{} lists no owners, so no inline exception can be accepted; fix the finding", inv.id)
                            } else {
                                format!(
                                    "an owner of {} ({}) must own the exception: name one of them in `owner=`",
                                    inv.id,
                                    inv.owners.join(", ")
                                )
                            },
                        )
                        .also(d.span.clone(), "this suppression silences nothing")
                        .cite(policy, inv.header_span.clone(), format!("{}'s owners", inv.id)),
                    );
                    continue;
                }
            }
            // A suppression binds to the line it was reviewed with: an old comment does not cover
            // a line this change adds or edits under it (the content it silenced has changed).
            if let Some(t) = d.target {
                if !is_added(d.line) && is_added(t) {
                    out.push(
                        finding(
                            format!(
                                "suppression of {} on line {} was reviewed for another line; line {t} is new or edited in this change and is not covered",
                                inv.id, d.line
                            ),
                            d.span.clone(),
                            "written for the line below it before this change".to_string(),
                            "fix the finding on the new line; if the exception really extends to it, edit the suppression in this change so that reviewers see it".into(),
                        ),
                    );
                    continue;
                }
            }
            let target = d.target;
            let candidate = on_target
                .iter()
                .copied()
                .find(|&i| !claimed[i] && findings[i].code.eq_ignore_ascii_case(&inv.id));
            if let Some((until, until_span)) = d
                .fields
                .get("until")
                .and_then(|(v, s)| Date::parse(v).map(|u| (u, s.clone())))
                .filter(|(u, _)| *u < today)
            {
                let again = match (candidate, target) {
                    (Some(_), Some(t)) => {
                        format!("; the {} finding on line {t} is reported again", inv.id)
                    }
                    _ => String::new(),
                };
                out.push(
                    finding(
                        format!("suppression of {} expired on {until}{again}", inv.id),
                        until_span,
                        format!("until {until}; today is {today}"),
                        format!(
                            "fix the finding, or renew the exception with its owner: a new `until` date and an issue that still tracks the fix; remove the comment if {} no longer fires here",
                            inv.id
                        ),
                    )
                    .also(d.span.clone(), "this suppression"),
                );
                continue;
            }
            match candidate {
                Some(i) => {
                    claimed[i] = true;
                    let f = &mut findings[i];
                    if gate == Gate::Release && f.escalation == Escalation::BlockMerge {
                        let note = format!(
                            "not suppressed: the inline suppression on line {} does not apply at the release gate ({} is block-merge)",
                            d.line, inv.id
                        );
                        f.help = Some(match f.help.take() {
                            Some(h) => format!("{h}\n{note}"),
                            None => note,
                        });
                    } else {
                        f.suppression = Some(describe(&d, &inv.id));
                        // A suppression this change adds is itself shown to reviewers.
                        if is_added(d.line) && changes.mode != crate::engine::diff::DiffMode::All {
                            out.push(
                                finding(
                                    format!(
                                        "this change adds a suppression of {} on line {}",
                                        inv.id,
                                        d.target.unwrap_or(d.line)
                                    ),
                                    d.span.clone(),
                                    "new exception: review its reason, issue and owner".into(),
                                    describe(&d, &inv.id),
                                )
                                .level(crate::engine::finding::Severity::Note),
                            );
                        }
                    }
                }
                None => {
                    let what = match target {
                        Some(t) => format!("matches no {} finding on line {t}", inv.id),
                        None => "has no line after it to cover".to_string(),
                    };
                    let mut there: Vec<&str> = on_target
                        .iter()
                        .map(|&i| findings[i].code.as_str())
                        .collect();
                    there.dedup();
                    let help = if there.is_empty() {
                        "remove it, or put it on the line above the finding it is meant for (written after code, it covers its own line)".to_string()
                    } else {
                        format!(
                            "the finding on that line is {}: name the invariant it reports, or remove the suppression",
                            there.join(", ")
                        )
                    };
                    out.push(finding(
                        format!("suppression of {} {what}", inv.id),
                        d.span.clone(),
                        "suppresses nothing".into(),
                        help,
                    ));
                }
            }
        }
    }
    findings.extend(out);
}

/// The suppression's evidence, as renderers show it.
fn describe(d: &Directive, id: &str) -> String {
    let get = |k: &str| d.fields.get(k).map(|(v, _)| v.as_str()).unwrap_or("");
    let mut s = format!(
        "suppressed by `invlint: allow({id})` on line {}: \"{}\" (issue {}, owner {}",
        d.line,
        get("reason"),
        get("issue"),
        get("owner")
    );
    if let Some((u, _)) = d.fields.get("until") {
        s.push_str(&format!(", until {u}"));
    }
    s.push(')');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dirs(text: &str) -> Vec<Directive> {
        directives(&Source::new("f.rs", text))
    }

    #[test]
    fn dates() {
        assert_eq!(Date::from_unix_days(0).to_string(), "1970-01-01");
        assert_eq!(Date::from_unix_days(19_723).to_string(), "2024-01-01");
        assert_eq!(Date::from_unix_days(19_782).to_string(), "2024-02-29");
        assert_eq!(Date::from_unix_days(-1).to_string(), "1969-12-31");
        assert!(Date::parse("2024-02-29").is_some());
        assert!(Date::parse("2023-02-29").is_none());
        assert!(Date::parse("2027-13-01").is_none());
        assert!(Date::parse("2027-1-31").is_none());
        assert!(Date::parse("+027-01-31").is_none());
        assert!(Date::parse("2027-01-31").unwrap() < Date::parse("2027-02-01").unwrap());
    }

    #[test]
    fn comment_syntaxes_and_targets() {
        let text = "\
// invlint: allow(INV-07) reason=\"a b\" issue=#1 owner=@o

fn f() {}
x(); # invlint: allow(INV-08) reason=r issue=#2 owner=@o
-- invlint: allow(INV-09) reason=r issue=#3 owner=@o
/* invlint: allow(INV-10) reason=r issue=#4 owner=@o */
<!-- invlint: allow(INV-07) reason=r issue=#5 owner=@o until=2027-01-31 -->
y
let s = \"invlint: not a comment\";
";
        let d = dirs(text);
        assert_eq!(d.len(), 5);
        assert!(d.iter().all(|d| d.problems.is_empty()), "{d:?}");
        assert_eq!(d[0].target, Some(3));
        assert_eq!(d[0].fields["reason"].0, "a b");
        assert_eq!(d[1].target, Some(4), "trailing comment covers its own line");
        // Stacked suppressions cover the same next line.
        assert_eq!(d[2].target, Some(8));
        assert_eq!(d[3].target, Some(8));
        assert_eq!(d[4].target, Some(8));
        assert_eq!(d[4].fields["until"].0, "2027-01-31");
    }

    #[test]
    fn malformed() {
        let d = dirs("# invlint: allow(INV-07) reason=\"x\" issue=#1\n");
        assert!(d[0].problems[0].message.contains("lacks `owner`"));
        let d = dirs("# invlint: allow(INV-07) reason=x issue=#1 owner=@o until=2027-02-30\n");
        assert!(d[0].problems[0].message.contains("invalid `until`"));
        let d = dirs("# invlint: ignore INV-07\n");
        assert!(d[0].id.is_none() && d[0].problems.len() == 1);
        let d = dirs("# invlint: allow(INV-07, INV-08) reason=x issue=#1 owner=@o\n");
        assert!(d[0].problems[0].message.contains("not one invariant"));
        let d = dirs("# invlint: allow(INV-07) reason=x issue=#1 owner=@o reviewer=@r\n");
        assert!(d[0].problems[0]
            .message
            .contains("unknown field `reviewer`"));
        let d = dirs("# invlint: allow(INV-07) reason=\"x issue=#1\n");
        assert!(d[0]
            .problems
            .iter()
            .any(|p| p.message.contains("closing quote")));
    }
}
