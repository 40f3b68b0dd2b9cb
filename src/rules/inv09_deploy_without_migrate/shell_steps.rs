//! INV-09 on shell scripts: deploy, migrate and migrate-image steps from the commands a script
//! executes, in order (`analysis::shell`).

use std::ops::Range;

use super::{normalize_image, Settings, Step, UnitSteps};
use crate::analysis::shell::{self, ShellError};
use crate::rules::prelude::*;

/// Steps of a shell script, from the commands it executes in order (`analysis::shell`): a
/// comment, string, heredoc, assignment or `echo` runs nothing; `"${DEPLOY_CMD[@]}"` runs what
/// the array holds. Each pattern is matched against a command's text as it runs.
pub(super) fn shell_steps(src: &Source, cfg: &Settings) -> Result<UnitSteps, ShellError> {
    let commands = shell::executed_commands(src.text(), &cfg.inert_commands)?;
    let mut steps = UnitSteps::default();
    for (seq, c) in commands.iter().enumerate() {
        // `kubectl -n NS apply -f job.yaml` is matched as `kubectl apply -f job.yaml -n NS`.
        let hoisted = shell::hoist_global_options(&c.text, &cfg.global_options);
        let c = &shell::Command {
            text: hoisted,
            ..c.clone()
        };
        if cfg.dry_run.set.is_match(&c.text) {
            continue;
        }
        let line = src.line_of(c.span.start);
        for (patterns, into) in [
            (&cfg.deploy, &mut steps.deploys),
            (&cfg.migrate, &mut steps.migrates),
            (&cfg.migrate_image, &mut steps.migrate_images),
        ] {
            for idx in patterns.set.matches(&c.text).iter() {
                let Some(m) = patterns.items[idx].regex.find(&c.text) else {
                    continue;
                };
                let text = m
                    .as_str()
                    .trim_end_matches(|c: char| c.is_whitespace() || c == ';')
                    .trim();
                // The match itself when the command is written out here; the whole command
                // when it runs from a variable (`"${DEPLOY_CMD[@]}"`).
                let own = &src.text()[c.span.clone()];
                let span = own
                    .find(text)
                    .map(|at| c.span.start + at..c.span.start + at + text.len())
                    .unwrap_or_else(|| c.span.clone());
                into.push(Step {
                    span,
                    line,
                    text: text.to_string(),
                    pattern: idx,
                    image: shell_image(src, c, &cfg.image),
                    seq: Some(seq),
                });
                break;
            }
        }
    }
    Ok(steps)
}

/// The image a shell command names: group 1 of the first `image` regex matching its text as it
/// runs, located in the command's own source when it is written there.
fn shell_image(
    src: &Source,
    c: &shell::Command,
    regexes: &[(crate::engine::config::LazyRegex, Range<usize>)],
) -> Option<(String, Range<usize>, usize)> {
    for (i, (re, _)) in regexes.iter().enumerate() {
        if let Some(g) = re.captures(&c.text).and_then(|c| c.get(1)) {
            let own = &src.text()[c.span.clone()];
            let span = own
                .find(g.as_str())
                .map(|at| c.span.start + at..c.span.start + at + g.len())
                .unwrap_or_else(|| c.span.clone());
            return Some((normalize_image(g.as_str()), span, i));
        }
    }
    None
}
