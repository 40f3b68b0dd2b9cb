//! `invlint report`'s command line: arguments, progress bar, output.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::{Day, ReportOptions};
use crate::engine::error::Error;

/// `invlint report` arguments.
#[derive(Args, Debug)]
pub struct ReportArgs {
    /// First day of the window (YYYY-MM-DD, UTC committer date, inclusive).
    #[arg(long, value_name = "DATE")]
    pub since: String,

    /// Last day of the window (YYYY-MM-DD, inclusive) [default: up to the branch tip]. Also the
    /// day suppressions' `until` and open follow-ups are judged at (else today, or
    /// INVLINT_TODAY when set).
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,

    /// The branch whose first-parent history is read.
    #[arg(long, value_name = "REV", default_value = "main")]
    pub branch: String,

    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Markdown)]
    pub format: ReportFormat,

    /// Write the report to FILE instead of stdout (never through a symbolic link).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Commits evaluated at once (0: one per core). Output is identical at any count.
    #[arg(short = 'j', long, default_value_t = 0)]
    pub threads: usize,

    /// Skip the PR-description checks (PR-01..PR-06): for histories whose commit messages carry
    /// no checklist.
    #[arg(long)]
    pub no_pr_checks: bool,

    /// Do not read or write the per-commit cache ($XDG_CACHE_HOME/invlint, else
    /// ~/.cache/invlint).
    #[arg(long)]
    pub no_cache: bool,
}

/// Output formats.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    /// Paste-ready section of the weekly report.
    Markdown,
    /// A versioned JSON document (invlint-report.schema.json).
    Json,
    /// One self-contained HTML page (inline CSS and SVG, no script, no network).
    Html,
}

fn date(flag: &str, s: &str) -> Result<Day, Error> {
    Day::parse(s).ok_or_else(|| Error::Usage {
        message: format!("--{flag} {s:?} is not a YYYY-MM-DD date"),
        hint: format!("write the day as --{flag} 2026-02-20"),
    })
}

/// Whether to draw a progress bar: stderr is a terminal and this is not CI.
pub fn wants_progress() -> bool {
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0");
    std::io::stderr().is_terminal() && !ci
}

/// Runs `invlint report`; returns the exit code.
pub fn run(args: ReportArgs, dir: &Path, config: Option<PathBuf>) -> Result<u8, Error> {
    let since = date("since", &args.since)?;
    let until = args
        .until
        .as_deref()
        .map(|u| date("until", u))
        .transpose()?;
    if until.is_some_and(|u| u < since) {
        return Err(Error::Usage {
            message: format!(
                "--until {} is before --since {since}",
                args.until.unwrap_or_default()
            ),
            hint: "the window runs from --since to --until, both inclusive".into(),
        });
    }
    let today = Day::today().map_err(|message| Error::Usage {
        message,
        hint: "set INVLINT_TODAY=YYYY-MM-DD, or unset it to use the system date".into(),
    })?;
    let opts = ReportOptions {
        dir: dir.to_path_buf(),
        branch: args.branch,
        since,
        until,
        today,
        config,
        threads: args.threads,
        pr_checks: !args.no_pr_checks,
        cache: if args.no_cache {
            None
        } else {
            super::collect::default_cache_dir()
        },
    };
    let bar = wants_progress();
    let last = std::sync::atomic::AtomicUsize::new(usize::MAX);
    let progress = |done: usize, total: usize| {
        if !bar || total == 0 {
            return;
        }
        let width = 30;
        let filled = done * width / total;
        // Redraw only when the bar moves (or at the end).
        if last.swap(filled, std::sync::atomic::Ordering::Relaxed) == filled && done != total {
            return;
        }
        eprint!(
            "\r\x1b[Kinvlint report [{}{}] {done}/{total} commits",
            "#".repeat(filled),
            ".".repeat(width - filled)
        );
        if done == total {
            eprint!("\r\x1b[K");
        }
    };
    let report = super::run(&opts, &progress)?;
    if report.commits.is_empty() {
        eprintln!(
            "invlint report: no first-parent commits of {} between {since} and {}",
            opts.branch,
            until.map_or("its tip".to_string(), |u| u.to_string())
        );
    }
    if !report.summary.not_evaluated.is_empty() {
        eprintln!(
            "invlint report: {} commit(s) could not be evaluated; the numbers leave them out (see \"Not evaluated\")",
            report.summary.not_evaluated.len()
        );
    }
    let text = match args.format {
        ReportFormat::Markdown => super::markdown::render(&report),
        ReportFormat::Json => super::json::render(&report),
        ReportFormat::Html => super::html::render(&report),
    };
    match &args.output {
        Some(path) => {
            crate::engine::bounded::write(path, text.as_bytes()).map_err(|e| Error::Io {
                context: format!("writing the report to {}", path.display()),
                source: e,
            })?
        }
        None => {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
                Err(e) => {
                    return Err(Error::Io {
                        context: "writing to stdout".into(),
                        source: e,
                    })
                }
            }
        }
    }
    Ok(report.exit_code() as u8)
}
