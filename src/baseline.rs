//! Baselines: adopt invlint on a tree that already has findings.
//!
//! `invlint check --write-baseline FILE` records the run's findings by fingerprint (the JSON
//! output's `fingerprint`, which survives unrelated line shifts); `invlint check --baseline FILE`
//! then reports only findings not recorded there, and every output says how many were left out.
//!
//! A baseline that lives in the checked repository is part of the change under review: a pull
//! request could add its own findings to it. So, like the policy, a baseline inside the work
//! tree is read as the base side of the comparison has it (the merge base, the range's start,
//! HEAD for `--staged`); one the change adds counts as empty. `--all` (no base) reads the work
//! tree's. At the release gate a baseline never hides a finding of a `block-merge` invariant:
//! it is reported, blocking, and the summary says why.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::engine::config::Escalation;
use crate::engine::diff::{BaseFile, DiffMode};
use crate::engine::error::Error;
use crate::{Gate, Report};

/// Largest baseline read (a fingerprint entry is ~150 bytes: 100k findings).
pub const MAX_BASELINE_BYTES: u64 = 16 << 20;

/// The file's format.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    version: u32,
    tool: String,
    findings: Vec<Entry>,
}

/// One recorded finding; only the fingerprint is compared, the rest is for reviewers.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    fingerprint: String,
    id: String,
    path: Option<String>,
    message: String,
}

/// The recorded fingerprints.
#[derive(Debug, Default, Clone)]
pub struct Baseline {
    counts: HashMap<String, usize>,
    /// Where it was read from, for messages.
    pub origin: String,
}

/// Renders the baseline of a report (every finding, in report order).
pub fn render(report: &Report) -> String {
    let prints = crate::engine::render::fingerprints(report);
    let file = File {
        version: 1,
        tool: "invlint".into(),
        findings: report
            .findings
            .iter()
            .zip(prints)
            .map(|(f, fingerprint)| Entry {
                fingerprint,
                id: f.code.clone(),
                path: f.path.clone(),
                message: f.message.clone(),
            })
            .collect(),
    };
    let mut s = serde_json::to_string_pretty(&file).expect("a baseline serializes");
    s.push('\n');
    s
}

fn parse(name: &str, bytes: &[u8]) -> Result<Baseline, Error> {
    let bad = |message: String| Error::Usage {
        message: format!("the baseline {name} is not an invlint baseline: {message}"),
        hint: "write one with `invlint check --write-baseline FILE`".into(),
    };
    let file: File = serde_json::from_slice(bytes).map_err(|e| bad(e.to_string()))?;
    if file.version != 1 || file.tool != "invlint" {
        return Err(bad(format!(
            "version {} of tool {:?}; this invlint reads version 1",
            file.version, file.tool
        )));
    }
    let mut counts = HashMap::new();
    for e in file.findings {
        *counts.entry(e.fingerprint).or_default() += 1;
    }
    Ok(Baseline {
        counts,
        origin: name.to_string(),
    })
}

/// Loads the baseline at `path` for a run over `mode` in the repository at `dir` (see the module
/// docs: a file inside the work tree is read at the base side).
pub fn load(path: &Path, dir: &Path, mode: &DiffMode) -> Result<Baseline, Error> {
    let io = |e: std::io::Error| Error::Io {
        context: format!("reading the baseline {}", path.display()),
        source: e,
    };
    let (repo, root) = crate::engine::diff::open(dir)?;
    // Relative to the working directory, like --pr-body and --config.
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir().map_err(io)?.join(path)
    };
    let canon_root = root.canonicalize().unwrap_or(root.clone());
    let canon = abs
        .parent()
        .and_then(|p| p.canonicalize().ok())
        .map(|p| p.join(abs.file_name().unwrap_or_default()))
        .unwrap_or(abs.clone());
    let inside = canon
        .strip_prefix(&canon_root)
        .ok()
        .map(|rel| rel.to_string_lossy().replace('\\', "/"));
    match inside {
        Some(rel) if *mode != DiffMode::All => {
            match crate::engine::diff::base_blob(&repo, mode, &rel, MAX_BASELINE_BYTES)? {
                BaseFile::Bytes(bytes, at) => parse(&format!("{rel} (at base {at})"), &bytes),
                BaseFile::TooLarge(n) => Err(Error::Usage {
                    message: format!(
                        "the base commit's {rel} is {n} bytes, over the {MAX_BASELINE_BYTES}-byte cap on baselines"
                    ),
                    hint: "regenerate it with --write-baseline".into(),
                }),
                // The change adds the baseline: it cannot excuse its own findings.
                BaseFile::Absent => Ok(Baseline {
                    counts: HashMap::new(),
                    origin: format!("{rel} (absent at base: nothing baselined)"),
                }),
                BaseFile::NoBase => {
                    let bytes = crate::engine::bounded::read(&abs, MAX_BASELINE_BYTES, Some(&root))
                        .map_err(io)?;
                    parse(&rel, &bytes)
                }
            }
        }
        _ => {
            let bytes = crate::engine::bounded::read(&abs, MAX_BASELINE_BYTES, None).map_err(io)?;
            parse(&path.display().to_string(), &bytes)
        }
    }
}

/// True when the release gate refuses to let a baseline hide findings of this class.
fn refused_at(gate: Gate, escalation: Escalation) -> bool {
    gate == Gate::Release && escalation != Escalation::BlockRelease
}

/// Leaves out the findings the baseline records (each recorded fingerprint excuses one finding),
/// counting them in `report.filtered`.
pub fn apply(report: &mut Report, baseline: &Baseline) {
    let prints = crate::engine::render::fingerprints(report);
    report.filtered.baseline = Some(baseline.origin.clone());
    let mut left = baseline.counts.clone();
    let mut keep = Vec::with_capacity(report.findings.len());
    for (f, print) in std::mem::take(&mut report.findings).into_iter().zip(prints) {
        let recorded = left.get_mut(&print).filter(|n| **n > 0);
        match recorded {
            Some(n) if refused_at(report.gate, f.escalation) => {
                *n -= 1;
                report.filtered.baseline_refused += 1;
                keep.push(f);
            }
            Some(n) => {
                *n -= 1;
                report.filtered.baselined += 1;
            }
            None => keep.push(f),
        }
    }
    report.findings = keep;
}
