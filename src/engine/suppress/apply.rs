//! Applying suppressions to the findings of a run.

use std::borrow::Cow;

use super::*;

/// Applies inline suppressions to `findings` (all checks ran, gates not yet applied) and appends
/// the SUP findings. Does nothing unless an active invariant runs `bad-suppression`.
///
/// The steps: the sources to read ([`sources_to_read`]) and the findings on each of their lines
/// ([`findings_by_line`]); then, for each directive in scope, its problems of form and of what it
/// names ([`resolve`]), whether it still binds to the line and owner it was reviewed with
/// ([`unbound`]), whether it expired ([`expired`]), and what it suppresses ([`settle`]).
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
    let sources = sources_to_read(findings, changes, settings);
    let at_line = findings_by_line(findings, &sources);

    let mut claimed = vec![false; findings.len()];
    let mut out: Vec<Finding> = Vec::new();
    for (path, src) in &sources {
        let cx = Judged {
            config,
            sup,
            src,
            file: changes.file(path),
        };
        for d in directives(src) {
            let on_target: &[usize] = d
                .target
                .and_then(|t| at_line.get(&(src.name(), t)))
                .map_or(&[], |v| v.as_slice());
            let in_scope = cx.is_added(d.line)
                || d.target.is_some_and(|t| cx.is_added(t))
                || !on_target.is_empty();
            if !in_scope {
                continue;
            }
            let inv = match resolve(&cx, &d) {
                Ok(inv) => inv,
                Err(problems) => {
                    out.extend(problems);
                    continue;
                }
            };
            if let Some(f) = unbound(&cx, &d, inv) {
                out.push(f);
                continue;
            }
            let candidate = on_target
                .iter()
                .copied()
                .find(|&i| !claimed[i] && findings[i].code.eq_ignore_ascii_case(&inv.id));
            if let Some(f) = expired(&cx, &d, inv, candidate, today) {
                out.push(f);
                continue;
            }
            let settled = Settled {
                candidate,
                on_target,
                gate,
                mode: &changes.mode,
            };
            out.extend(settle(&cx, &d, inv, settled, findings, &mut claimed));
        }
    }
    findings.extend(out);
}

/// Sources to read: changed files whose head text is loaded, then files findings point into
/// (outside the policy's `exclude`).
///
/// Keys and texts are borrowed: under `check --all` this lists every file read, and owned path
/// copies were 10 MB at 100k files, held at the run's peak (#19).
fn sources_to_read<'c>(
    findings: &[Finding],
    changes: &'c ChangeSet,
    settings: &Settings,
) -> BTreeMap<Cow<'c, str>, Arc<Source>> {
    let mut sources: BTreeMap<Cow<'c, str>, Arc<Source>> = BTreeMap::new();
    for file in &changes.files {
        if file.is_binary || settings.exclude.is_match(&file.path) {
            continue;
        }
        if let Some(TextState::Text(s)) = file.head.peek() {
            sources.insert(Cow::Borrowed(&file.path), s.clone());
        }
    }
    for f in findings.iter() {
        let (Some(path), Some(p)) = (&f.path, &f.primary) else {
            continue;
        };
        if crate::engine::render::repo_path(f).is_none()
            || sources.contains_key(path.as_str())
            || changes.file(path).is_some()
            || settings.exclude.is_match(path)
        {
            continue;
        }
        sources.insert(Cow::Owned(path.clone()), p.source.clone());
    }
    sources
}

/// Findings by (path, line of the primary span), only those in the text we read.
fn findings_by_line<'a>(
    findings: &[Finding],
    sources: &'a BTreeMap<Cow<'_, str>, Arc<Source>>,
) -> BTreeMap<(&'a str, usize), Vec<usize>> {
    let mut at_line: BTreeMap<(&str, usize), Vec<usize>> = BTreeMap::new();
    for (i, f) in findings.iter().enumerate() {
        let (Some(path), Some(p)) = (&f.path, &f.primary) else {
            continue;
        };
        let Some(src) = sources.get(path.as_str()) else {
            continue;
        };
        if Arc::ptr_eq(&p.source, src) || p.source.text() == src.text() {
            at_line
                .entry((src.name(), p.source.line_of(p.span.start)))
                .or_default()
                .push(i);
        }
    }
    at_line
}

/// What every step reads while one file's suppressions are judged.
struct Judged<'a> {
    config: &'a Config,
    /// The invariant running `bad-suppression`: SUP findings carry it.
    sup: &'a crate::engine::config::Invariant,
    src: &'a Arc<Source>,
    /// The file's change, when the change touches it.
    file: Option<&'a crate::engine::diff::FileChange>,
}

impl Judged<'_> {
    fn is_added(&self, n: usize) -> bool {
        self.file.is_some_and(|f| f.is_line_added(n))
    }

    /// A SUP finding at `span` of this file, citing the policy's `bad-suppression` binding.
    fn finding(&self, message: String, span: Range<usize>, label: String, help: String) -> Finding {
        Finding::new(self.sup, META.name, message)
            .at(self.src, span, label)
            .help(help)
            .cite(
                &self.config.source,
                self.sup.check_span.clone(),
                "inline suppressions are checked",
            )
    }
}

/// The invariant `d` suppresses, or its problems: of form, an unknown ID, an invariant that may
/// not be suppressed inline.
fn resolve<'a>(
    cx: &Judged<'a>,
    d: &Directive,
) -> Result<&'a crate::engine::config::Invariant, Vec<Finding>> {
    let config = cx.config;
    let mut problems: Vec<Finding> = d
        .problems
        .iter()
        .map(|p| {
            let f = cx.finding(
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
        return Err(problems);
    };
    let Some(inv) = config.invariant(id) else {
        let hint = config
            .closest_id(id)
            .map(|c| format!("; did you mean `{c}`?"))
            .unwrap_or_default();
        problems.push(cx.finding(
            format!("suppression names unknown invariant `{id}`"),
            id_span.clone(),
            "not declared in the policy".into(),
            format!(
                "name an invariant declared in {}{hint}",
                config.display_path
            ),
        ));
        return Err(problems);
    };
    if !inv.is_suppressible {
        let allowed: Vec<&str> = config
            .invariants
            .iter()
            .filter(|i| i.is_suppressible)
            .map(|i| i.id.as_str())
            .collect();
        problems.push(
            Finding::new(cx.sup, META.name, format!("{} may not be suppressed inline", inv.id))
                .at(cx.src, id_span.clone(), format!("`{}` is not suppressible", inv.id))
                .also(d.span.clone(), "this suppression silences nothing")
                .help(format!(
                    "fix the finding instead; the policy allows inline suppressions only for invariants marked `suppressible = true` ({})",
                    if allowed.is_empty() { "none".to_string() } else { allowed.join(", ") }
                ))
                .cite(&config.source, inv.header_span.clone(), format!("{} has no `suppressible = true`", inv.id)),
        );
        return Err(problems);
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(inv)
}

/// A well-formed suppression that no longer binds: its owner is not one the (judging) policy
/// lists for the invariant, or it was reviewed for another line than the one it now covers.
fn unbound(
    cx: &Judged<'_>,
    d: &Directive,
    inv: &crate::engine::config::Invariant,
) -> Option<Finding> {
    // The owner must be one the (judging) policy lists for the invariant: an exception
    // is accepted by someone accountable for it, not by whoever wrote the comment.
    if let Some((owner, owner_span)) = d.fields.get("owner") {
        let listed = inv.owners.iter().any(|o| {
            o.trim_start_matches('@')
                .eq_ignore_ascii_case(owner.trim_start_matches('@'))
        });
        if !listed {
            return Some(
                cx.finding(
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
                .cite(&cx.config.source, inv.header_span.clone(), format!("{}'s owners", inv.id)),
            );
        }
    }
    // A suppression binds to the line it was reviewed with: an old comment does not cover
    // a line this change adds or edits under it (the content it silenced has changed).
    if let Some(t) = d.target {
        if !cx.is_added(d.line) && cx.is_added(t) {
            return Some(
                cx.finding(
                    format!(
                        "suppression of {} on line {} was reviewed for another line; line {t} is new or edited in this change and is not covered",
                        inv.id, d.line
                    ),
                    d.span.clone(),
                    "written for the line below it before this change".to_string(),
                    "fix the finding on the new line; if the exception really extends to it, edit the suppression in this change so that reviewers see it".into(),
                ),
            );
        }
    }
    None
}

/// An `until` date before `today`: the suppression silences nothing (`candidate`, the finding
/// it would have covered, is reported again).
fn expired(
    cx: &Judged<'_>,
    d: &Directive,
    inv: &crate::engine::config::Invariant,
    candidate: Option<usize>,
    today: Date,
) -> Option<Finding> {
    let (until, until_span) = d
        .fields
        .get("until")
        .and_then(|(v, s)| Date::parse(v).map(|u| (u, s.clone())))
        .filter(|(u, _)| *u < today)?;
    let again = match (candidate, d.target) {
        (Some(_), Some(t)) => {
            format!("; the {} finding on line {t} is reported again", inv.id)
        }
        _ => String::new(),
    };
    Some(
        cx.finding(
            format!("suppression of {} expired on {until}{again}", inv.id),
            until_span,
            format!("until {until}; today is {today}"),
            format!(
                "fix the finding, or renew the exception with its owner: a new `until` date and an issue that still tracks the fix; remove the comment if {} no longer fires here",
                inv.id
            ),
        )
        .also(d.span.clone(), "this suppression"),
    )
}

/// Where a valid suppression stands: the unclaimed finding of its invariant on its target
/// line (if any), every finding there, the gate and the diff mode.
struct Settled<'a> {
    candidate: Option<usize>,
    on_target: &'a [usize],
    gate: Gate,
    mode: &'a crate::engine::diff::DiffMode,
}

/// A valid, current suppression: it suppresses its candidate (not at the release gate for a
/// block-merge invariant), and a suppression this change adds is shown as a note; one with no
/// candidate suppresses nothing.
fn settle(
    cx: &Judged<'_>,
    d: &Directive,
    inv: &crate::engine::config::Invariant,
    at: Settled<'_>,
    findings: &mut [Finding],
    claimed: &mut [bool],
) -> Vec<Finding> {
    let mut out = Vec::new();
    match at.candidate {
        Some(i) => {
            claimed[i] = true;
            let f = &mut findings[i];
            if at.gate == Gate::Release && f.escalation == Escalation::BlockMerge {
                let note = format!(
                    "not suppressed: the inline suppression on line {} does not apply at the release gate ({} is block-merge)",
                    d.line, inv.id
                );
                f.help = Some(match f.help.take() {
                    Some(h) => format!("{h}\n{note}"),
                    None => note,
                });
            } else {
                f.suppression = Some(describe(d, &inv.id));
                // A suppression this change adds is itself shown to reviewers.
                if cx.is_added(d.line) && *at.mode != crate::engine::diff::DiffMode::All {
                    out.push(
                        cx.finding(
                            format!(
                                "this change adds a suppression of {} on line {}",
                                inv.id,
                                d.target.unwrap_or(d.line)
                            ),
                            d.span.clone(),
                            "new exception: review its reason, issue and owner".into(),
                            describe(d, &inv.id),
                        )
                        .level(crate::engine::finding::Severity::Note),
                    );
                }
            }
        }
        None => {
            let what = match d.target {
                Some(t) => format!("matches no {} finding on line {t}", inv.id),
                None => "has no line after it to cover".to_string(),
            };
            let mut there: Vec<&str> = at
                .on_target
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
            out.push(cx.finding(
                format!("suppression of {} {what}", inv.id),
                d.span.clone(),
                "suppresses nothing".into(),
                help,
            ));
        }
    }
    out
}

/// The suppression's evidence, as renderers show it.
pub(crate) fn describe(d: &Directive, id: &str) -> String {
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
