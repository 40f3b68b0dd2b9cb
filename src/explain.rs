//! `invlint --explain ID` and `invlint rules`: the explain page of an invariant's check, then the
//! live settings the effective policy gives it, with file and line.

use std::fmt::Write;

use crate::engine::check::Kind;
use crate::engine::config::{Config, Invariant};
use crate::engine::error::Error;
use crate::rules;

/// The explain text for `id`: page, then live policy.
pub fn explain(config: &Config, id: &str) -> Result<String, Error> {
    let registry = config.registry;
    if let Some(rule) = registry
        .of_kind(Kind::Gate)
        .find(|r| r.meta().default_code.eq_ignore_ascii_case(id))
    {
        let mut out = rule.meta().explain.to_string();
        let _ = writeln!(
            out,
            "\n## Live policy\n\n{} is built into invlint and always runs; no policy declares or disables it.",
            rule.meta().default_code
        );
        return Ok(out);
    }
    let Some(inv) = config.invariant(id) else {
        let known = config.invariants.iter().map(|i| i.id.as_str()).chain(
            registry
                .all()
                .map(|c| c.meta().default_code)
                .filter(|c| registry.page(c).is_some()),
        );
        let suggestion = crate::engine::config::closest(id, known)
            .map(|c| format!("; did you mean `{c}`?"))
            .unwrap_or_default();
        // A spec code the policy no longer declares still has its page (codes are never reused).
        if let Some(page) = registry.page(id) {
            let mut out = page.to_string();
            let _ = writeln!(
                out,
                "\n## Live policy\n\n{} does not declare {id}: this invariant is not checked in this repository.",
                config.display_path
            );
            return Ok(out);
        }
        return Err(Error::UnknownId {
            id: id.to_string(),
            suggestion,
        });
    };
    let code = registry.code_of_check(&inv.check);
    let mut out = String::new();
    if let Some(rule) = registry.implemented(&inv.check) {
        if rule.meta().default_code.is_empty() {
            let _ = writeln!(out, "# {}: {}\n", inv.id, inv.title);
            let _ = writeln!(
                out,
                "{} is declared by this policy and checked by the generic `{}` check:\n",
                inv.id, inv.check
            );
        }
        out.push_str(rule.meta().explain);
    } else if let Some(page) = code.and_then(|c| registry.page(c)) {
        out.push_str(page);
    } else {
        let _ = writeln!(out, "# {}: {} (`{}`)", inv.id, inv.title, inv.check);
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(&live_policy(config, inv, code));
    // A check that reads another invariant's settings shows them too (INV-06: INV-04's planes).
    if let Some(s) = inv.settings_of::<rules::inv06_khala_authority_write::Settings>() {
        if let Some(from) = config.invariant(s.planes_from()) {
            let _ = writeln!(out, "\n  plane map (from {}, `planes-from`):", from.id);
            out.push_str(&section_lines(
                config,
                &format!("invariant.{}.{}.planes", from.id, from.check),
            ));
        }
    }
    Ok(out)
}

fn live_policy(config: &Config, inv: &Invariant, code: Option<&str>) -> String {
    let src = &config.source;
    let mut out = String::new();
    let _ = writeln!(out, "\n## Live policy ({})\n", config.display_path);
    if let Some(code) = code {
        if !code.eq_ignore_ascii_case(&inv.id) {
            let _ = writeln!(
                out,
                "This policy binds check `{}` (the spec's {code}) to {}.",
                inv.check, inv.id
            );
        }
    }
    let _ = writeln!(out, "{}: {}", inv.id, inv.title);
    let _ = writeln!(
        out,
        "check `{}`, escalation `{}`, status `{}`\n",
        inv.check,
        inv.escalation.as_str(),
        inv.status.as_str()
    );
    let prefix = format!("invariant.{}", inv.id);
    let mut current = String::new();
    let mut referenced = Vec::new();
    let width = src.line_count().to_string().len();
    for n in 1..=src.line_count() {
        let line = src.line(n).unwrap_or("");
        let t = line.trim();
        if t.starts_with('[') {
            current = t
                .trim_start_matches('[')
                .trim_end_matches(']')
                .trim()
                .replace(['"', '\''], "");
        }
        let in_section = current == prefix || current.starts_with(&format!("{prefix}."));
        if in_section && !t.is_empty() {
            let _ = writeln!(out, "  {}:{:>width$} | {}", config.display_path, n, line);
            for word in t.split(['"', '\'']) {
                if let Some(name) = word.strip_prefix('@').or_else(|| word.strip_prefix("!@")) {
                    if !referenced.contains(&name.to_string()) {
                        referenced.push(name.to_string());
                    }
                }
            }
        }
    }
    for name in referenced {
        if let Some(list) = config.vocabulary.get(&name) {
            let globs: Vec<String> = list.entries().map(|e| e.text.clone()).collect();
            let line = list
                .entries()
                .next()
                .map(|e| src.line_of(e.span.start))
                .unwrap_or(0);
            let _ = writeln!(
                out,
                "\n  @{name} (vocabulary, {}:{line}) = {}",
                config.display_path,
                globs.join(", ")
            );
        }
    }
    out
}

/// The policy lines of `[section]` (and `[[section]]` entries), numbered.
fn section_lines(config: &Config, section: &str) -> String {
    let src = &config.source;
    let width = src.line_count().to_string().len();
    let mut out = String::new();
    let mut current = String::new();
    for n in 1..=src.line_count() {
        let line = src.line(n).unwrap_or("");
        let t = line.trim();
        if t.starts_with('[') {
            current = t
                .trim_start_matches('[')
                .trim_end_matches(']')
                .trim()
                .replace(['"', '\''], "");
        }
        if current == section && !t.is_empty() {
            let _ = writeln!(out, "  {}:{:>width$} | {}", config.display_path, n, line);
        }
    }
    out
}

/// `invlint rules`: one line per configured invariant.
pub fn rules_table(config: &Config) -> String {
    let rows: Vec<[String; 5]> = config
        .invariants
        .iter()
        .map(|i| {
            let summary = config
                .registry
                .implemented(&i.check)
                .filter(|_| i.status.is_active())
                .map(|r| r.meta().summary.to_string())
                .unwrap_or_else(|| i.title.clone());
            [
                i.id.clone(),
                i.check.clone(),
                i.escalation.as_str().to_string(),
                i.status.as_str().to_string(),
                summary,
            ]
        })
        .collect();
    let header = ["ID", "CHECK", "ESCALATION", "STATUS", "SUMMARY"].map(String::from);
    let mut widths = [0usize; 4];
    for r in std::iter::once(&header).chain(&rows) {
        for (w, c) in widths.iter_mut().zip(r.iter()) {
            *w = (*w).max(c.len());
        }
    }
    let mut out = String::new();
    for r in std::iter::once(&header).chain(&rows) {
        let _ = writeln!(
            out,
            "{:<w0$}  {:<w1$}  {:<w2$}  {:<w3$}  {}",
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2],
            w3 = widths[3]
        );
    }
    let _ = writeln!(out, "\npolicy: {}", config.display_path);
    out
}
