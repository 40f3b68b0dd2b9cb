//! Text helpers of the parser: negation, masking of code and comments, list markers, item
//! states and invariant-ID mentions.

use super::*;

pub(crate) fn approver_regex() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r"(?i)(?:approved|approval|signed[- ]off|sign-off)(?:\s+by)?\s*:?\s*(@[A-Za-z0-9][A-Za-z0-9_-]*(?:/[A-Za-z0-9][A-Za-z0-9_.-]*[A-Za-z0-9_-])?)")
            .expect("static regex")
    })
}

pub(crate) fn follow_regex() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r"(?i)(?:follow[- ]?up|tracked in|issue)[^\n#]{0,20}?:?\s*((?:[\w.-]+/[\w.-]+)?#\d+|OA-RUST-\d+|https?://\S+/issues/\d+)")
            .expect("static regex")
    })
}

/// True when the clause around `at` in `text` matches a negation. Clauses end at line breaks,
/// `;`, `,`, `|`, `!`, `?`, and `.` before a space.
pub fn is_negated(text: &str, at: Range<usize>, negations: &[super::Negation]) -> bool {
    let bytes = text.as_bytes();
    let is_end = |i: usize| match bytes[i] {
        b'\n' | b';' | b',' | b'|' | b'!' | b'?' => true,
        b'.' => bytes.get(i + 1).is_none_or(|b| b.is_ascii_whitespace()),
        _ => false,
    };
    let mut start = at.start.min(text.len());
    while start > 0 && !is_end(start - 1) {
        start -= 1;
    }
    let mut end = at.end.min(text.len());
    while end < bytes.len() && !is_end(end) {
        end += 1;
    }
    let clause = text.get(start..end).unwrap_or("");
    negations.iter().any(|n| n.is_match(clause))
}

/// The line of `text` holding `at`, without its line break.
pub(crate) fn line_span(text: &str, at: usize) -> Range<usize> {
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let end = if end > start && text.as_bytes()[end - 1] == b'\r' {
        end - 1
    } else {
        end
    };
    start..end
}

/// The first line of `range`, at most `MAX_TITLE` bytes of it (a 10,000-deep nested list has
/// 10,000 items sharing one line; reading each to its end would be quadratic).
pub(crate) fn first_line(text: &str, range: Range<usize>) -> Range<usize> {
    let r = text.get(range.clone()).unwrap_or("");
    let mut cap = r.len().min(MAX_TITLE);
    while !r.is_char_boundary(cap) {
        cap -= 1;
    }
    let end = r[..cap].find('\n').unwrap_or(cap);
    range.start..range.start + end
}

/// How much of a block's first line is read to recognise a checklist item.
pub(crate) const MAX_TITLE: usize = 200;

/// `text` with `hidden` ranges blanked (line breaks kept, so offsets and lines hold).
pub(crate) fn mask(text: &str, hidden: &[Range<usize>]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    // Nested quotes give nested ranges: merge them first, so each byte is written once.
    let mut ranges: Vec<Range<usize>> = hidden.to_vec();
    ranges.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    for r in &merged {
        let end = r.end.min(bytes.len());
        for b in &mut bytes[r.start.min(end)..end] {
            if *b != b'\n' && *b != b'\r' {
                *b = b' ';
            }
        }
    }
    // Blanking whole UTF-8 sequences keeps the text valid; a range cut inside one (never from
    // the parser, whose offsets are on boundaries) is repaired lossily.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// `<!-- ... -->` ranges of `text` that do not start inside `code` (an unclosed comment runs to
/// the end).
pub(crate) fn comments(text: &str, code: &[Range<usize>]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(i) = text[at..].find("<!--") {
        let start = at + i;
        if code.iter().any(|c| c.contains(&start)) {
            at = start + 4;
            continue;
        }
        let end = text[start + 4..]
            .find("-->")
            .map_or(text.len(), |j| start + 4 + j + 3);
        out.push(start..end);
        at = end;
    }
    out
}

/// A block's first line without its list marker, task box, heading hashes or table pipe.
pub(crate) fn strip_marker(line: &str) -> &str {
    let t = line.trim_start();
    let t = t
        .trim_start_matches('#')
        .trim_start_matches('|')
        .trim_start();
    let t = match t.find(|c: char| !c.is_ascii_digit()) {
        Some(i) if i > 0 && (t[i..].starts_with('.') || t[i..].starts_with(')')) => &t[i + 1..],
        _ => t.strip_prefix(['-', '*', '+']).unwrap_or(t),
    };
    let t = t.trim_start();
    let t = t
        .strip_prefix("[x]")
        .or_else(|| t.strip_prefix("[X]"))
        .or_else(|| t.strip_prefix("[ ]"))
        .unwrap_or(t);
    t.trim_start()
}

/// Lowercase words of `s`: everything but letters and digits is a separator.
pub(crate) fn words(s: &str) -> String {
    s.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether an item says something of its own.
pub(crate) fn item_state(block: &str, spec: &ItemSpec, checked: Option<bool>) -> ItemState {
    let mut lines = block.lines();
    let first = strip_marker(lines.next().unwrap_or(""));
    let rest: Vec<&str> = lines.map(strip_marker).collect();
    let all = words(&format!("{first} {}", rest.join(" ")));
    let title = words(&spec.title);
    let body = all.strip_prefix(&title).unwrap_or(&all).trim().to_string();
    // The first line's label up to its colon is the item's title as the author wrote it.
    let body = match first.split_once(':') {
        Some((label, after)) if body == all => {
            let _ = label;
            words(&format!("{after} {}", rest.join(" ")))
        }
        _ => body,
    };
    if let Some(t) = &spec.template {
        let t = words(t);
        if body == t || all == t {
            return ItemState::Template;
        }
    }
    if body.is_empty() && checked != Some(true) {
        return ItemState::Empty;
    }
    ItemState::Addressed
}

pub(crate) fn id_regex(ids: &[String]) -> Option<regex::Regex> {
    if ids.is_empty() {
        return None;
    }
    let alts: Vec<String> = ids.iter().map(|i| regex::escape(i)).collect();
    compiled(&format!(r"(?i)\b(?:{})\b", alts.join("|")))
}

/// `pattern`, compiled once per process: descriptions are parsed once per commit
/// (`invlint report` parses a thousand), and the patterns built from the policy's IDs and
/// keywords are the same each time. `None` when it does not compile. At most
/// [`COMPILED_MAX`] patterns are kept; others are compiled each time.
pub(crate) fn compiled(pattern: &str) -> Option<regex::Regex> {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static KEPT: Mutex<Option<HashMap<String, Option<regex::Regex>>>> = Mutex::new(None);
    if let Some(hit) = KEPT
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get_or_insert_with(HashMap::new)
        .get(pattern)
    {
        return hit.clone();
    }
    let re = regex::Regex::new(pattern).ok();
    let mut kept = KEPT.lock().unwrap_or_else(|p| p.into_inner());
    let kept = kept.get_or_insert_with(HashMap::new);
    if kept.len() < COMPILED_MAX {
        kept.insert(pattern.to_string(), re.clone());
    }
    re
}

/// How many patterns [`compiled`] keeps.
const COMPILED_MAX: usize = 256;

/// The IDs of `ids` from `a` to `b` (same prefix, numeric suffix in range), for `INV-01..INV-10`.
pub(crate) fn expand_range(a: &str, b: &str, ids: &[String]) -> Vec<String> {
    let split = |s: &str| {
        let d = s.trim_end_matches(|c: char| c.is_ascii_digit());
        (d.to_ascii_uppercase(), s[d.len()..].parse::<u32>().ok())
    };
    let ((pa, Some(na)), (pb, Some(nb))) = (split(a), split(b)) else {
        return Vec::new();
    };
    if pa != pb || na > nb {
        return Vec::new();
    }
    ids.iter()
        .filter(|i| {
            let (p, n) = split(i);
            p == pa && n.is_some_and(|n| (na..=nb).contains(&n))
        })
        .cloned()
        .collect()
}

/// Reads the claims of one line: IDs, lists of IDs and ranges form groups; each group takes
/// the segment after it, up to the next group (`INV-01: affected; INV-02: N/A - no change`).
pub(crate) fn mentions_on_line(
    line: &str,
    offset: usize,
    n: usize,
    ids: &[String],
    id_re: &regex::Regex,
    out: &mut Vec<Mention>,
) {
    let canonical = |m: &str| {
        ids.iter()
            .find(|i| i.eq_ignore_ascii_case(m))
            .cloned()
            .unwrap_or_else(|| m.to_ascii_uppercase())
    };
    // Tokens: (span of the first ID, end, IDs).
    let found: Vec<_> = id_re.find_iter(line).collect();
    let mut tokens: Vec<(Range<usize>, usize, Vec<String>)> = Vec::new();
    let mut k = 0;
    while k < found.len() {
        let m = found[k];
        if let Some(next) = found.get(k + 1) {
            let between = line[m.end()..next.start()]
                .trim_matches(|c: char| c == '`' || c == '*' || c.is_whitespace());
            if matches!(
                between,
                ".." | "..." | "–" | "—" | "to" | "through" | "thru"
            ) {
                let expanded = expand_range(m.as_str(), next.as_str(), ids);
                if !expanded.is_empty() {
                    tokens.push((m.range(), next.end(), expanded));
                    k += 2;
                    continue;
                }
            }
        }
        tokens.push((m.range(), m.end(), vec![canonical(m.as_str())]));
        k += 1;
    }
    // Groups: tokens separated only by commas, slashes, "and", backticks, whitespace.
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (t, tok) in tokens.iter().enumerate() {
        let joins = t > 0 && {
            let prev_end = tokens[t - 1].1;
            let between = line[prev_end..tok.0.start].to_ascii_lowercase();
            between
                .split(|c: char| c.is_whitespace() || ",/&`*+".contains(c))
                .all(|w| w.is_empty() || w == "and" || w == "or")
        };
        match groups.last_mut() {
            Some(g) if joins => g.push(t),
            _ => groups.push(vec![t]),
        }
    }
    let lower = line.to_ascii_lowercase();
    for (g, group) in groups.iter().enumerate() {
        let seg_start = tokens[*group.last().expect("groups are non-empty")].1;
        let seg_end = groups
            .get(g + 1)
            .map(|next| tokens[next[0]].0.start)
            .unwrap_or(line.len());
        let claim = claim_of(lower.get(seg_start..seg_end).unwrap_or(""));
        for &t in group {
            let (span, _, list) = &tokens[t];
            for id in list {
                out.push(Mention {
                    id: id.clone(),
                    span: offset + span.start..offset + span.end,
                    line: n,
                    claim: claim.clone(),
                });
            }
        }
    }
}

/// What a claim segment says: not applicable (with its reason) or affected.
pub(crate) fn claim_of(segment: &str) -> Claim {
    let lead =
        segment.trim_start_matches(|c: char| c.is_whitespace() || ":-–—,.;()|`*".contains(c));
    let is_word = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
    // An explicit "affected" first wins over an N/A word later in the segment.
    for yes in ["affected", "impacted", "yes", "changed"] {
        if lead.starts_with(yes) && is_word(lead[yes.len()..].chars().next()) {
            return Claim::Affected;
        }
    }
    for marker in NOT_APPLICABLE {
        if let Some(i) = segment.find(marker) {
            // "none" only counts as a word.
            if !is_word(segment[..i].chars().next_back())
                || !is_word(segment[i + marker.len()..].chars().next())
            {
                continue;
            }
            let reason = segment[i + marker.len()..]
                .trim_start_matches(|c: char| c.is_whitespace() || ":-–—,.;()|`*".contains(c))
                .trim_end_matches(|c: char| c.is_whitespace() || ";,|)`*".contains(c))
                .to_string();
            return Claim::NotApplicable(reason);
        }
    }
    Claim::Affected
}
