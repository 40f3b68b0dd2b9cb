//! Fail closed (VER-01 `unverified-input`): what the gate could not check is said out loud.
//!
//! Every changed file whose head content invlint did not check (binary by its own content, over
//! the size limit, a Git LFS pointer, not UTF-8, unreadable) is a run note in every format. At
//! `--gate release` such a file under an active invariant's `surfaces` or `related` paths is a
//! blocking VER-01 finding, and so is a missing PR description while PR checks are active.

use crate::engine::check::{Check, Kind, Meta, NoSettings};
use crate::engine::config::Validator;
use crate::engine::config::{Config, Escalation, Invariant};
use crate::engine::diff::{ChangeSet, DiffMode, FileChange, TextState};
use crate::engine::finding::Finding;
use crate::engine::run::{Gate, RunNote};

/// VER-01's page and metadata; built into the engine, like POL-01.
pub static META: Meta = Meta {
    explain: include_str!("../../rules/VER-01.md"),
    kind: Kind::Gate,
    ..Meta::spec(
        "VER-01",
        "unverified-input",
        "part of the change could not be verified (a skipped file, a missing description)",
        Escalation::BlockRelease,
    )
};

/// VER-01's registry entry; the engine produces its findings ([`files`],
/// [`missing_description`]).
pub struct UnverifiedInput;

impl Check for UnverifiedInput {
    type Raw = NoSettings;
    type Settings = ();
    fn meta(&self) -> &'static Meta {
        &META
    }
    fn compile(&self, _: &NoSettings, _: &mut Validator) {}
}

/// Extensions of files that are binary by nature: noted, never "could not verify".
const ASSET_EXTENSIONS: &[&str] = &[
    "png", "jpg", "jpeg", "gif", "webp", "ico", "bmp", "tiff", "pdf", "zip", "gz", "tgz", "bz2",
    "xz", "zst", "7z", "jar", "war", "wasm", "woff", "woff2", "ttf", "otf", "eot", "mp3", "mp4",
    "m4a", "mov", "webm", "ogg", "wav", "flac", "avi", "so", "dylib", "dll", "exe", "a", "o",
    "class", "pyc", "bin", "db", "sqlite", "keystore", "jks", "p12", "der",
];

fn is_asset(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.rsplit_once('.')
        .is_some_and(|(_, ext)| ASSET_EXTENSIONS.iter().any(|a| a.eq_ignore_ascii_case(ext)))
}

/// True when a text has a problem [`files`] notes: one the parsers' depth limit refuses.
pub fn has_note(src: &crate::engine::source::Source) -> bool {
    is_parsed(src.name()) && src.too_deep().is_some()
}

/// Files the parsing checks parse (syn, protox-parse).
fn is_parsed(name: &str) -> bool {
    name.ends_with(".rs") || name.ends_with(".proto")
}

/// Why a side's content was not checked, and whether a check needing it makes the run
/// incomplete (exit 2).
fn skipped(state: &TextState, config: &Config) -> Option<(String, bool)> {
    Some(match state {
        // Refused by the parsers' depth limit (engine::depth::too_deep): a check that parses it
        // (syn, protox-parse) could not read it.
        TextState::Text(src) if is_parsed(src.name()) => (
            format!("{}; not checked by parsing checks", src.too_deep()?),
            false,
        ),
        TextState::Text(_) | TextState::Absent => return None,
        TextState::Binary => (
            "binary content (a NUL byte in its first 8000 bytes); not checked".into(),
            false,
        ),
        TextState::NotUtf8 => ("not valid UTF-8; not checked".into(), true),
        TextState::Unreadable(e) => (format!("unreadable ({e}); not checked"), true),
        TextState::TooLarge(n) => (
            format!(
                "{n} bytes, over [limits] max-file-size ({}); not checked",
                config.max_file_size
            ),
            false,
        ),
        TextState::LfsPointer => (
            "a Git LFS pointer: the content is outside the repository; not checked".into(),
            false,
        ),
    })
}

/// The active invariants whose `surfaces` or `related` paths cover `path`.
fn covering<'c>(config: &'c Config, path: &str) -> Vec<&'c Invariant> {
    config
        .invariants
        .iter()
        .filter(|i| i.status.is_active())
        .filter(|i| {
            i.surfaces.is_match(path)
                || i.related.is_match(path)
                || i.scope(config).is_some_and(|s| s.is_match(path))
        })
        .collect()
}

/// Notes for every changed file whose content was not checked, and VER-01 findings for those
/// that block at `gate`.
/// Files are looked at in parallel (on the caller's rayon pool), the results kept in the
/// files' order: the depth guard reads every `.rs` and `.proto` file no check parsed, a tenth
/// of a `check --all` on the 2,506-file bench tree when it ran on one thread (#19).
pub fn files(changes: &ChangeSet, config: &Config, gate: Gate) -> (Vec<RunNote>, Vec<Finding>) {
    use rayon::prelude::*;
    let audit = changes.mode == DiffMode::All;
    let per_file: Vec<(Vec<RunNote>, Vec<Finding>)> = changes
        .files
        .par_iter()
        .map(|file| file_notes(file, audit, config, gate))
        .collect();
    let mut notes = Vec::new();
    let mut out = Vec::new();
    for (n, f) in per_file {
        notes.extend(n);
        out.extend(f);
    }
    (notes, out)
}

/// [`files`] for one file.
fn file_notes(
    file: &FileChange,
    audit: bool,
    config: &Config,
    gate: Gate,
) -> (Vec<RunNote>, Vec<Finding>) {
    let mut notes = Vec::new();
    let mut out = Vec::new();
    {
        let head_state = head_state(file, audit, gate, config);
        for (side, state) in [("", head_state), ("base: ", base_state(file))] {
            let Some(state) = state else { continue };
            let Some((message, is_incomplete)) = skipped(state, config) else {
                continue;
            };
            // A base side matters only when a check asked for it (it is not the change).
            let is_incomplete = is_incomplete && (side.is_empty() || file.base.was_asked());
            let note = match state {
                // No check read it, but the diff did: without it, every line counted as added.
                TextState::Unreadable(e) if !side.is_empty() && !file.base.was_asked() => {
                    format!("{side}unreadable ({e}); every line at head counted as added")
                }
                _ => format!("{side}{message}"),
            };
            notes.push(RunNote {
                path: file.path.to_string(),
                message: note,
                is_incomplete,
            });
            if !side.is_empty() || gate != Gate::Release {
                continue;
            }
            if matches!(state, TextState::Binary) && is_asset(&file.path) {
                continue;
            }
            let invs = covering(config, &file.path);
            if invs.is_empty() {
                continue;
            }
            let ids: Vec<&str> = invs.iter().map(|i| i.id.as_str()).collect();
            let mut f = Finding::built_in(
                META.default_code,
                META.name,
                META.escalation,
                format!(
                    "could not verify this file ({message}), which is under the paths of {}",
                    ids.join(", ")
                ),
            )
            .on_path(file.path.to_string())
            .help(
                "store text as text (no NUL byte, UTF-8), keep it under [limits] max-file-size, \
                 and commit content rather than a Git LFS pointer; the release gate does not pass \
                 what it could not read",
            );
            if let Some(first) = invs.first() {
                let entry = first
                    .surfaces
                    .matching_entry(&file.path)
                    .or_else(|| first.related.matching_entry(&file.path))
                    .or_else(|| {
                        first.scope(config).and_then(|s| {
                            s.include
                                .into_iter()
                                .find_map(|g| g.matching_entry(&file.path))
                        })
                    });
                if let Some(e) = entry {
                    f = f.cite(
                        &config.source,
                        e.span.clone(),
                        format!("{} is about these paths", first.id),
                    );
                }
            }
            out.push(f);
        }
    }
    (notes, out)
}

fn head_state<'f>(
    file: &'f FileChange,
    audit: bool,
    gate: Gate,
    config: &Config,
) -> Option<&'f TextState> {
    if !file.exists_at_head() {
        return None;
    }
    if audit {
        // A text the checks read and the engine dropped was text, and kept only if it had a
        // problem to report (`lib::audit_keeps`): reading it again would add nothing.
        if file.head.is_evicted() {
            return None;
        }
        // An audit reads lazily: what no check asked for is read here only at the release gate,
        // under an invariant's paths.
        if file.head.was_asked()
            || (gate == Gate::Release && !covering(config, &file.path).is_empty())
        {
            return Some(file.head.state());
        }
        return file.head.peek();
    }
    Some(file.head.state())
}

fn base_state(file: &FileChange) -> Option<&TextState> {
    match file.base.peek() {
        // An unreadable base changed the hunks (`diff::collect`): said whether asked or not.
        Some(state @ TextState::Unreadable(_)) => Some(state),
        state if file.base.was_asked() => state,
        _ => None,
    }
}

/// A VER-01 finding when the release gate has no description to check the release checklist
/// against, or a note at the merge gate. `None` when no description is expected.
pub fn missing_description(
    changes: &ChangeSet,
    config: &Config,
    has_description: bool,
    gate: Gate,
) -> Option<Result<RunNote, Finding>> {
    if has_description || matches!(changes.mode, DiffMode::Staged | DiffMode::All) {
        return None;
    }
    let pr_checks: Vec<&Invariant> = config
        .invariants
        .iter()
        .filter(|i| i.status.is_active())
        .filter(|i| i.runs().is_some_and(|c| c.meta().kind == Kind::Pr))
        .collect();
    if pr_checks.is_empty() {
        return None;
    }
    let ids: Vec<&str> = pr_checks.iter().map(|i| i.id.as_str()).collect();
    let message = format!(
        "the release checklist ({}) cannot be verified",
        ids.join(", ")
    );
    Some(if gate == Gate::Release {
        Err(Finding::built_in(
            META.default_code,
            META.name,
            META.escalation,
            format!("no PR description: {message}"),
        )
        .help(
            "run the release gate on the pull request: pass --pr-body FILE, or run it from a \
             pull_request event (GITHUB_EVENT_PATH); a release without a description cannot show \
             its migration-job evidence or parity sign-off",
        )
        .cite(
            &config.source,
            pr_checks[0].header_span.clone(),
            format!("{} checks the description", pr_checks[0].id),
        ))
    } else {
        Ok(RunNote {
            path: crate::engine::pr::PR_SOURCE_NAME.to_string(),
            message: format!("none given: {message}; not checked (at --gate release this blocks)"),
            is_incomplete: false,
        })
    })
}
