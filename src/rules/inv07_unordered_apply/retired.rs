//! INV-07: an apply path retired with its callers (#18: the Spacetime cut-over and the prune of
//! 2026-02-25 deleted the Khala client's apply files together with everything that called them).
//!
//! A deleted file's guards cannot be weakened where nothing applies frames through that file any
//! more. A deleted file is *retired* when the change leaves nothing behind that could still reach
//! it or stand in for it:
//!
//! - no added line of a changed file (outside `exclude`) names it: its module (the file stem; the
//!   directory for `mod.rs`/`index.*`, the package for a crate root), an item whose body held a
//!   guard, or an apply function it declared (`apply-functions`): a caller re-pointed to another
//!   implementation, or the function moved, names one of them;
//! - no changed in-scope file adds an apply function (the apply path moved elsewhere, whatever
//!   its body reads);
//! - in a changed file that still exists, every removed line naming it only declares or imports
//!   the module (`import-lines`): a surviving caller that drops its call to the guard (the
//!   sequence check deleted, the apply function kept) is still a removed guard.
//!
//! Callers in files the change does not touch would not build without the deleted file; callers
//! in dynamically resolved code (reflection, string dispatch) are not seen: a limit.

use std::collections::BTreeSet;

use regex::Regex;

use super::{brace_body, is_comment_line, test_region_start, Settings};
use crate::rules::prelude::*;

/// Item declarations of any language: `fn`/`func`/`function` and type-like blocks.
static ITEM: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
    Regex::new(
        r"\b(?:fn|func|function|enum|struct|class|interface|protocol|trait|impl)\s+(?P<name>[A-Za-z_$][\w$]*)",
    )
    .expect("static regex")
});

/// Longest item body read when looking for the item that holds a guard line.
const MAX_ITEM_LINES: usize = 3000;

/// Paths of the deleted in-scope files that are retired with their callers.
pub(super) fn retired_files(
    cx: &Context<'_>,
    cfg: &Settings,
    files: &[&FileChange],
) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let deleted: Vec<&FileChange> = files
        .iter()
        .copied()
        .filter(|f| !f.exists_at_head())
        .collect();
    if deleted.is_empty() {
        return out;
    }
    if adds_apply_function(cfg, files) {
        return out;
    }
    let others: Vec<&FileChange> = cx
        .changes()
        .files
        .iter()
        .filter(|f| f.exists_at_head() && !f.is_binary && !cfg.exclude.is_match(&f.path))
        .collect();
    for f in deleted {
        let Some(base) = f.base.source() else {
            continue;
        };
        let names = names_of(cfg, &f.path, base);
        let Some(re) = word_regex(&names) else {
            continue;
        };
        if others
            .iter()
            .all(|o| !names_it_in_added(o, &re) && !keeps_caller(cfg, o, &re))
        {
            out.insert(f.path.to_string());
        }
    }
    out
}

/// Names a caller of `path` would use: its module, items holding a guard, apply functions.
fn names_of(cfg: &Settings, path: &str, base: &Arc<Source>) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let parts: Vec<&str> = path.split('/').collect();
    let file = parts.last().copied().unwrap_or(path);
    let stem = file.split('.').next().unwrap_or(file);
    match stem {
        "mod" | "index" => {
            if let Some(dir) = parts.len().checked_sub(2).and_then(|i| parts.get(i)) {
                names.insert(dir.to_string());
            }
        }
        "lib" | "main" => {
            // A crate root: its package is named after the directory holding `src/`.
            if let Some(at) = parts.iter().rposition(|p| *p == "src").filter(|&i| i > 0) {
                names.insert(parts[at - 1].to_string());
                names.insert(parts[at - 1].replace('-', "_"));
            }
        }
        _ => {
            names.insert(stem.to_string());
        }
    }
    let tests = test_region_start(cfg, Some(base));
    let decls: Vec<(usize, String, usize)> = ITEM
        .captures_iter(base.text())
        .filter_map(|c| c.name("name"))
        .map(|n| (base.line_of(n.start()), n.as_str().to_string(), n.end()))
        .collect();
    if let Some((apply, _)) = &cfg.apply_functions {
        names.extend(
            decls
                .iter()
                .filter(|(line, n, _)| *line < tests && apply.is_match(n))
                .map(|(_, n, _)| n.clone()),
        );
    }
    for line_no in 1..tests.min(base.line_count() + 1) {
        let Some(line) = base.line(line_no) else {
            continue;
        };
        if is_comment_line(path, line) || !cfg.guards.set.is_match(line) {
            continue;
        }
        // The innermost item whose body holds the guard line.
        let holder = decls
            .iter()
            .rev()
            .filter(|(at, _, _)| *at <= line_no)
            .find(|(_, _, end)| {
                let body = brace_body(base, *end, MAX_ITEM_LINES);
                base.line_of(body.start) <= line_no && line_no <= base.line_of(body.end.max(1) - 1)
            });
        if let Some((_, name, _)) = holder {
            names.insert(name.clone());
        }
    }
    names.retain(|n| n.len() > 1);
    names
}

fn word_regex(names: &BTreeSet<String>) -> Option<Regex> {
    if names.is_empty() {
        return None;
    }
    let alts: Vec<String> = names.iter().map(|n| regex::escape(n)).collect();
    Regex::new(&format!(r"(?:^|[^\w$])(?:{})(?:$|[^\w$])", alts.join("|"))).ok()
}

/// An added code line of `f` names one of the deleted file's names.
fn names_it_in_added(f: &FileChange, re: &Regex) -> bool {
    let Some(src) = f.head.source() else {
        // Unreadable at head: it may name the file; fail closed.
        return true;
    };
    (1..=src.line_count()).any(|n| {
        f.is_line_added(n)
            && src
                .line(n)
                .is_some_and(|l| !is_comment_line(&f.path, l) && re.is_match(l))
    })
}

/// A removed code line of `f` (which survives) names the deleted file and is more than a module
/// declaration or import: a caller that lost its call survives.
fn keeps_caller(cfg: &Settings, f: &FileChange, re: &Regex) -> bool {
    if f.removed().is_empty() {
        return false;
    }
    let Some(base) = f.base.source() else {
        return true;
    };
    f.removed().iter().flat_map(|r| r.clone()).any(|n| {
        base.line(n).is_some_and(|l| {
            !is_comment_line(&f.path, l)
                && re.is_match(l)
                && !cfg.import_lines.as_ref().is_some_and(|i| i.is_match(l))
        })
    })
}

/// Some in-scope changed file adds a function named like an apply function.
fn adds_apply_function(cfg: &Settings, files: &[&FileChange]) -> bool {
    let Some((apply, _)) = &cfg.apply_functions else {
        return false;
    };
    static RUST_FN: std::sync::LazyLock<Regex> = std::sync::LazyLock::new(|| {
        Regex::new(r"\bfn\s+(?P<name>[A-Za-z_][A-Za-z0-9_]*)").expect("static regex")
    });
    files.iter().filter(|f| f.exists_at_head()).any(|f| {
        let Some(src) = f.head.source() else {
            return true;
        };
        (1..=src.line_count()).any(|n| {
            f.is_line_added(n)
                && src.line(n).is_some_and(|l| {
                    let rust = RUST_FN.captures_iter(l).filter_map(|c| c.name("name"));
                    let other = cfg.function_decls.items.iter().flat_map(|p| {
                        p.regex
                            .captures_iter(l)
                            .filter_map(|c| c.name("name"))
                            .collect::<Vec<_>>()
                    });
                    !is_comment_line(&f.path, l)
                        && rust
                            .map(|m| m.as_str().to_string())
                            .chain(other.map(|m| m.as_str().to_string()))
                            .any(|n| apply.is_match(&n))
                })
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_regex_matches_whole_names() {
        let names: BTreeSet<String> = ["khala_protocol", "apply_watermark"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let re = word_regex(&names).unwrap();
        assert!(re.is_match("use crate::khala_protocol::parse;"));
        assert!(re.is_match("let d = apply_watermark(a, b);"));
        assert!(!re.is_match("let d = apply_watermarks(a, b);"));
        assert!(!re.is_match("mod khala_protocol_v2;"));
    }
}
