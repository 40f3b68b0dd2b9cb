//! Parsing one `invlint:` comment into a directive (ids, reason, issue, owner, until) or the
//! problems that make it invalid.

use super::*;

pub(crate) const MARKER: &str = "invlint:";
pub(crate) const FIELDS: [&str; 4] = ["reason", "issue", "owner", "until"];
pub(crate) const REQUIRED: [&str; 3] = ["reason", "issue", "owner"];
/// Comment openers, longest first so `///` is not read as `//` plus a stray `/`.
pub(crate) const OPENERS: [&str; 8] = ["<!--", "/**", "//!", "///", "/*", "//", "--", "#"];

/// One `invlint:` comment, as found in a file.
#[derive(Debug)]
pub(crate) struct Directive {
    /// 1-based line of the comment.
    pub(crate) line: usize,
    /// The whole comment, opener to closer.
    pub(crate) span: Range<usize>,
    /// 1-based line it covers (None: nothing follows it).
    pub(crate) target: Option<usize>,
    /// The ID as written and its span (None when the syntax is broken before it).
    pub(crate) id: Option<(String, Range<usize>)>,
    /// `key=value` fields: key -> (value, span of the value).
    pub(crate) fields: BTreeMap<String, (String, Range<usize>)>,
    /// Problems of form: (message, span, label, help).
    pub(crate) problems: Vec<Problem>,
}

#[derive(Debug)]
pub(crate) struct Problem {
    pub(crate) message: String,
    pub(crate) span: Range<usize>,
    pub(crate) label: String,
    pub(crate) help: String,
}

/// Where an `invlint:` comment sits on `line`: (start of its opener, is trailing).
pub(crate) fn comment_start(line: &str, marker: usize) -> Option<(usize, bool)> {
    let before = line[..marker].trim_end();
    let opener = OPENERS.iter().find(|o| before.ends_with(*o))?;
    let start = before.len() - opener.len();
    let is_trailing = !before[..start].trim().is_empty();
    Some((start, is_trailing))
}

/// Every suppression comment of `src`, with its target line.
pub(crate) fn directives(src: &Source) -> Vec<Directive> {
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
pub(crate) fn parse(
    line_no: usize,
    base: usize,
    line: &str,
    start: usize,
    marker: usize,
) -> Directive {
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
