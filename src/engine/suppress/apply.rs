//! Applying suppressions to the findings of a run.

use super::*;

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
