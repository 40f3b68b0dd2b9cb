//! The `invlint` command line: parse arguments, call the library, render, exit.
//!
//! Exit codes (ripgrep-style): 0 nothing blocking, 1 blocking findings, 2 invlint itself failed.

#![allow(clippy::result_large_err)] // see lib.rs

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme};

use invlint::engine::diff::DiffMode;
use invlint::engine::error::Error;
use invlint::engine::render;
use invlint::{CheckOptions, Gate};

/// mimalloc: a `check --all` allocates and frees per file (texts, token streams, line
/// indexes); glibc malloc spent 18% of the CPU on the 2,506-file tree (#19).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Commits arena memory on demand: with its defaults mimalloc kept 44% more resident memory
/// than glibc on the 11,629-file tree; with this, 12% more, at nearly the same speed.
/// (Purging freed memory at once as well cost the speed gained.) mimalloc does not export
/// its option ids; these are the ones of the version libmimalloc-sys 0.1.49 builds
/// (`MIMALLOC_VERBOSE=1` lists them in order). The option is set only when `os_tag`, further
/// down the same enum, holds its distinctive default (100): a renumbered enum leaves every
/// option alone instead of setting some other one.
///
/// Runs from `.init_array`, before the Rust runtime's first allocation: mimalloc reads
/// `arena_eager_commit` when it makes its first arena, which is before `main`.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
extern "C" fn tune_allocator() {
    use libmimalloc_sys::{mi_option_get, mi_option_set};
    const ARENA_EAGER_COMMIT: i32 = 4;
    const OS_TAG: i32 = 18;
    // SAFETY: getters and setters of mimalloc's option table; an id out of range is ignored.
    unsafe {
        if mi_option_get(OS_TAG) == 100 {
            mi_option_set(ARENA_EAGER_COMMIT, 0);
        }
    }
}

#[cfg(target_os = "linux")]
#[used]
#[link_section = ".init_array"]
static TUNE_ALLOCATOR: extern "C" fn() = tune_allocator;

/// Architecture-invariant gates for a monorepo's pull requests.
///
/// invlint reads the policy (inv-rules.toml), the git diff and the PR description, runs one check
/// per invariant (INV-01..INV-10 of OA-RUST-003), and reports findings with source spans.
#[derive(Parser, Debug)]
#[command(
    name = "invlint",
    version,
    about,
    after_help = "Examples:\n  invlint demo                         see it work on a throwaway repository\n  invlint check                        this branch against its merge base with origin/HEAD or main\n  invlint check --staged               staged changes (pre-commit)\n  invlint check --base origin/main --pr-body pr.md --format json\n  invlint dry-run main~10..main        the spec's dry-run table for the last 10 commits of main\n  invlint --explain INV-03             what INV-03 means and what this policy sets for it\n  invlint init                         write a starter inv-rules.toml for this repository\n\nExit codes: 0 nothing blocking, 1 blocking findings, 2 invlint itself failed."
)]
struct Cli {
    /// Explain an invariant (same as `invlint explain ID`).
    #[arg(long, value_name = "ID", global = true)]
    explain: Option<String>,

    /// Run as if started in DIR.
    #[arg(short = 'C', value_name = "DIR", global = true)]
    dir: Option<PathBuf>,

    /// Policy file [default: inv-rules.toml at the repository root, else the built-in default].
    #[arg(long, value_name = "PATH", global = true)]
    config: Option<PathBuf>,

    /// When to use colours (NO_COLOR is honoured in auto mode).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto, global = true)]
    color: ColorChoice,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Check a change against the policy.
    Check(CheckArgs),
    /// Print an invariant's explain page and its live settings.
    Explain {
        /// Invariant ID, e.g. INV-03.
        id: String,
    },
    /// List the invariants the policy declares.
    Rules,
    /// Evaluate past commits as if each had been a pull request, and print the spec's dry-run
    /// table (`| Change | Result | Notes |`).
    #[command(
        name = "dry-run",
        long_about = "Evaluate past commits as if each had been a pull request, and print the spec's dry-run table.\n\nEach commit is checked against its first parent (merge commits too; a root commit against the empty tree), with its commit message as the PR description, under the policy loaded once from the work tree (or --config). Result is Blocked when a finding blocks at the gate, Warn when there are only non-blocking findings, Pass otherwise; Notes name each invariant with its first finding (\"+N more\" for the rest).\n\nChecks that read files outside the change (INV-01, INV-05, INV-10) read them from the work tree, not from the evaluated commit.",
        after_help = "Examples:\n  invlint dry-run origin/main~20..origin/main      the last 20 commits of main, oldest first\n  invlint dry-run HEAD~2 HEAD                      two commits, in this order\n  invlint dry-run --gate release v1.4..v1.5 --format json\n\nExit codes: 0 nothing blocked, 1 some commit is Blocked, 2 invlint itself failed."
    )]
    DryRun(DryRunArgs),
    /// The invariant section of the weekly migration report: per invariant and owner lane,
    /// landed violations, suppressions, mitigations and legacy deletions over a window of the
    /// branch's first-parent history, with a KPI-05-style status and a weekly trend.
    #[command(
        after_help = "Examples:\n  invlint report --since 2026-02-16 --until 2026-02-20\n  invlint report --since 2026-02-01 --format html -o report.html\n\nExit codes: 0 every KPI green, 1 some KPI yellow or red, 2 invlint failed or a commit could not be evaluated."
    )]
    Report(invlint::report::cli::ReportArgs),
    /// Build a throwaway monorepo with a pull request that breaks invariants, and check it.
    Demo {
        /// Worker threads (0: one per core).
        #[arg(short = 'j', long, default_value_t = 0)]
        threads: usize,
        /// Keep the demo repository in DIR (new or empty) instead of a temporary directory, with
        /// its PR description in DIR/.git/invlint-demo-pr.md, to try other commands on it.
        #[arg(long, value_name = "DIR")]
        keep: Option<PathBuf>,
    },
    /// Write a starter inv-rules.toml into the repository root, with paths guessed from the tree.
    ///
    /// Starts from the built-in default policy and rewrites the path settings that match nothing
    /// here: with the proto trees, apps and services, migration directories, deploy scripts and
    /// legacy inventory it finds, or with a `# TODO(invlint init)` comment where it finds none.
    /// Never overwrites an existing inv-rules.toml (exit 2).
    ///
    /// This is the one command that writes into the repository it looks at, because you asked
    /// for the file; `--stdout` prints the policy instead and writes nothing.
    Init {
        /// Print the policy to stdout instead of writing inv-rules.toml.
        #[arg(long)]
        stdout: bool,
    },
    /// Print the JSON Schema of the policy file (for Taplo / Even Better TOML), or with
    /// `--output` the JSON Schema of `check --format json`'s output.
    Schema {
        /// Print the schema of the JSON output (invlint-output.schema.json) instead.
        #[arg(long)]
        output: bool,
    },
    /// Print a shell completion script to stdout.
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

#[derive(Args, Debug)]
struct CheckArgs {
    /// Compare HEAD with its merge base with REV [default: origin/HEAD, else main, else master].
    #[arg(long, value_name = "REV", group = "mode")]
    base: Option<String>,

    /// Check the staged changes (index against HEAD), for pre-commit hooks. When the
    /// pre-commit framework sets both PRE_COMMIT_FROM_REF and PRE_COMMIT_TO_REF
    /// (`pre-commit run --from-ref X --to-ref Y`, and the pre-push stage), checks the range
    /// FROM...TO instead.
    #[arg(long, group = "mode")]
    staged: bool,

    /// Files named by the pre-commit framework (`pass_filenames`), with --staged only. When one
    /// of them is not a staged change (`pre-commit run --all-files` or `--files`), the framework
    /// asked for more than the staged change: invlint audits the whole work tree as --all does.
    #[arg(value_name = "FILES", requires = "staged")]
    files: Vec<String>,

    /// Check one diff over a range: A..B (A's tree against B's) or A...B (from their merge base).
    #[arg(long, value_name = "A..B", group = "mode")]
    range: Option<String>,

    /// Audit the whole work tree, as if every file were added.
    #[arg(long, group = "mode")]
    all: bool,

    /// PR description file (`-` reads stdin). Without it, in GitHub Actions, the pull request's
    /// title and body are read from the event file named by GITHUB_EVENT_PATH.
    #[arg(long, value_name = "FILE")]
    pr_body: Option<String>,

    /// Also write SARIF 2.1.0 to FILE (for code scanning upload), whatever --format says.
    #[arg(long, value_name = "FILE")]
    sarif_output: Option<PathBuf>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,

    /// Which gate to evaluate: merge (block-release findings warn) or release (everything blocks).
    #[arg(long, value_enum, default_value_t = GateArg::Merge)]
    gate: GateArg,

    /// Worker threads (0: one per core). Output is identical at any count.
    #[arg(short = 'j', long, default_value_t = 0)]
    threads: usize,

    /// Print work counters to stderr (files, Rust files, syn parses, time).
    #[arg(long)]
    stats: bool,

    /// Report only these codes (comma-separated or repeated: `--select INV-03,PR-01`).
    #[arg(long, value_name = "CODE", value_delimiter = ',')]
    select: Vec<String>,

    /// Never report these codes (comma-separated or repeated). Unknown codes are an error.
    #[arg(long, value_name = "CODE", value_delimiter = ',')]
    ignore: Vec<String>,

    /// Exit 0 even when findings block (invlint's own failures still exit 2).
    #[arg(long)]
    exit_zero: bool,

    /// Report only findings not recorded in this baseline (written by --write-baseline). A
    /// baseline inside the repository is read as the base commit has it. At `--gate release`
    /// it never hides a finding of a block-merge invariant.
    #[arg(long, value_name = "FILE", conflicts_with = "write_baseline")]
    baseline: Option<PathBuf>,

    /// Record this run's findings in FILE (by fingerprint) for a later --baseline, and exit 0.
    #[arg(long, value_name = "FILE")]
    write_baseline: Option<PathBuf>,

    /// The pull request's author, for the policy's [bots] switch. Pass it from the CI
    /// platform's own context; in GitHub Actions and GitLab CI it is read from there.
    #[arg(long, value_name = "LOGIN")]
    pr_author: Option<String>,
}

#[derive(Args, Debug)]
struct DryRunArgs {
    /// Commits (`HEAD~3`, a SHA, a branch), evaluated in the order given, or ranges `A..B`:
    /// the commits reachable from B and not from A, oldest first (`A...B`: the commits of
    /// either side since their merge base).
    #[arg(value_name = "REV", required = true)]
    revs: Vec<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = DryRunFormat::Markdown)]
    format: DryRunFormat,

    /// Which gate to evaluate: merge (block-release findings warn) or release (everything blocks).
    #[arg(long, value_enum, default_value_t = GateArg::Merge)]
    gate: GateArg,

    /// Worker threads per commit (0: one per core). Output is identical at any count.
    #[arg(short = 'j', long, default_value_t = 0)]
    threads: usize,

    /// Skip the PR-description checks (PR-01..PR-06): for histories whose commit messages carry
    /// no checklist.
    #[arg(long)]
    no_pr_checks: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum DryRunFormat {
    /// The table: `| Change | Result | Notes |`.
    Markdown,
    /// A versioned JSON document, one entry per commit.
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// Diagnostics with source excerpts, for terminals.
    Human,
    /// A versioned JSON document.
    Json,
    /// GitHub Actions annotations (workflow commands); appends a Markdown summary to
    /// GITHUB_STEP_SUMMARY when it is set.
    Github,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// A Markdown summary, for a PR comment.
    Markdown,
    /// A GitLab Code Quality report (artifacts: reports: codequality).
    Gitlab,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum GateArg {
    Merge,
    Release,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let color = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stdout().is_terminal()
        }
    };
    let err_color = match cli.color {
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                && std::io::stderr().is_terminal()
        }
        _ => color,
    };
    match run(cli, color) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprint!("{}", render_error(&e, err_color));
            ExitCode::from(2)
        }
    }
}

/// Output width: `$COLUMNS` when set (at least 40), else the width of the terminal the text
/// goes to (stdout, or stderr for errors), else 100.
fn width_for(stdout: bool) -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse().ok())
        .filter(|&w: &usize| w >= 40)
        .or_else(|| terminal_width(stdout).filter(|&w| w >= 40))
        .unwrap_or(100)
}

#[cfg(unix)]
fn terminal_width(stdout: bool) -> Option<usize> {
    let size = if stdout {
        terminal_size::terminal_size_of(std::io::stdout())
    } else {
        terminal_size::terminal_size_of(std::io::stderr())
    };
    size.map(|(w, _)| usize::from(w.0))
}

#[cfg(not(unix))]
fn terminal_width(_stdout: bool) -> Option<usize> {
    terminal_size::terminal_size().map(|(w, _)| usize::from(w.0))
}

fn width() -> usize {
    width_for(true)
}

fn render_error(e: &dyn Diagnostic, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let mut out = String::new();
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(width_for(false))
        .with_links(false);
    if handler.render_report(&mut out, e).is_err() {
        out = format!("error: {e}\n");
    }
    // A policy excerpt or a path in an error is the change's text: no raw control characters.
    invlint::engine::render::sanitize::terminal(&out, color).into_owned()
}

fn repo_root(dir: &std::path::Path) -> Option<PathBuf> {
    git2::Repository::discover(dir)
        .ok()
        .and_then(|r| r.workdir().map(|p| p.to_path_buf()))
}

/// `FROM...TO` when the pre-commit framework names a range to check: it sets both
/// `PRE_COMMIT_FROM_REF` and `PRE_COMMIT_TO_REF` for `pre-commit run --from-ref/--to-ref` and at
/// the pre-push stage, where the staged changes are not what is being checked.
fn pre_commit_range() -> Option<String> {
    let var = |name| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    Some(format!(
        "{}...{}",
        var("PRE_COMMIT_FROM_REF")?,
        var("PRE_COMMIT_TO_REF")?
    ))
}

/// `check --staged FILES…` from a pre-commit hook with `pass_filenames`: the framework passes
/// the staged files (added, copied, modified, renamed) on a commit, and every tracked file under
/// `pre-commit run --all-files` (or the files named by `--files`). When a named file is not a
/// staged change, the run asked for more than the staged change, and checking only the index
/// would print "Passed" over a tree with findings: audit the whole work tree (`--all`).
fn staged_or_all(dir: &std::path::Path, files: &[String]) -> Result<DiffMode, Error> {
    if files.is_empty() {
        return Ok(DiffMode::Staged);
    }
    let staged = invlint::engine::diff::staged_paths(dir)?;
    let beyond = files
        .iter()
        .map(|f| f.strip_prefix("./").unwrap_or(f))
        .filter(|f| !staged.contains(*f))
        .count();
    if beyond == 0 {
        return Ok(DiffMode::Staged);
    }
    eprintln!(
        "invlint: {beyond} of the {} file(s) named by the hook are not staged changes \
         (`pre-commit run --all-files` or `--files`): auditing the whole work tree, as \
         `invlint check --all` does",
        files.len()
    );
    Ok(DiffMode::All)
}

fn print(s: &str) -> Result<(), Error> {
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|_| out.flush()) {
        Ok(()) => Ok(()),
        // A closed pipe (`invlint rules | head`) is not a failure.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::Io {
            context: "writing to stdout".into(),
            source: e,
        }),
    }
}

/// Appends to a file outside the checked repository (the step summary GitHub provides), never
/// through a symbolic link.
fn append(path: &std::path::Path, text: &str) -> Result<(), Error> {
    if path
        .symlink_metadata()
        .is_ok_and(|m| m.file_type().is_symlink())
    {
        return Err(Error::Io {
            context: format!("appending the summary to {}", path.display()),
            source: std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                "it is a symbolic link; invlint does not write through links",
            ),
        });
    }
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| Error::Io {
            context: format!("appending the summary to {}", path.display()),
            source: e,
        })
}

fn run(cli: Cli, color: bool) -> Result<u8, Error> {
    let dir = cli.dir.clone().unwrap_or_else(|| PathBuf::from("."));
    // Outside the checked repository, or not at all (engine::policy_cache).
    invlint::engine::policy_cache::configure(invlint::engine::policy_cache::default_base(), &dir);
    let load_config = || invlint::load_policy(cli.config.as_deref(), repo_root(&dir).as_deref());

    if let Some(id) = &cli.explain {
        print(&invlint::explain::explain(&load_config()?, id)?)?;
        return Ok(0);
    }
    let Some(command) = cli.command else {
        use clap::CommandFactory;
        let help = Cli::command().render_help().to_string();
        eprintln!("{help}");
        return Ok(2);
    };
    match command {
        Command::Explain { id } => {
            print(&invlint::explain::explain(&load_config()?, &id)?)?;
            Ok(0)
        }
        Command::Init { stdout } => init(&dir, stdout),
        Command::Schema { output: true } => {
            print(invlint::engine::render::json::SCHEMA)?;
            Ok(0)
        }
        Command::Schema { output: false } => {
            print(&invlint::engine::schema::render(invlint::REGISTRY))?;
            Ok(0)
        }
        Command::Completions { shell } => {
            use clap::CommandFactory;
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "invlint", &mut out);
            print(&String::from_utf8_lossy(&out))?;
            Ok(0)
        }
        Command::Rules => {
            print(&invlint::explain::rules_table(&load_config()?))?;
            Ok(0)
        }
        Command::Demo {
            keep: Some(dir), ..
        } => {
            let repo = invlint::demo::build_at(&dir)?;
            let pr = repo.join(".git").join("invlint-demo-pr.md");
            std::fs::write(&pr, invlint::demo::PR).map_err(|e| Error::Io {
                context: format!("writing {}", pr.display()),
                source: e,
            })?;
            eprintln!("invlint demo: the demo repository is in {} (base on `main`, the pull request checked out on `pr`).", repo.display());
            eprintln!(
                "Try:\n  invlint -C {} check --base main --pr-body {}",
                repo.display(),
                pr.display()
            );
            Ok(0)
        }
        Command::Demo { threads, .. } => {
            eprintln!("invlint demo: committing a small monorepo (base on `main`, a pull request on `pr`) in a temporary directory,");
            eprintln!("then running `invlint check --base main --pr-body pr.md` on it with the built-in policy.\n");
            let report = invlint::demo::run(threads)?;
            let opts = render::human::HumanOptions {
                color,
                width: width(),
            };
            print(&render::human::render(&report, opts))?;
            eprintln!(
                "\n(the real check exits {} on this pull request; the demo repository has been removed)",
                report.exit_code()
            );
            Ok(0)
        }
        Command::Report(args) => invlint::report::cli::run(args, &dir, cli.config.clone()),
        Command::DryRun(args) => {
            let opts = invlint::dryrun::DryRunOptions {
                dir,
                revs: args.revs,
                config: cli.config.clone(),
                threads: args.threads,
                pr_checks: !args.no_pr_checks,
                gate: match args.gate {
                    GateArg::Merge => Gate::Merge,
                    GateArg::Release => Gate::Release,
                },
            };
            // Progress on stderr: every commit on a terminal, every 20 commits otherwise.
            let tty = std::io::stderr().is_terminal();
            let mut progress = |done: usize, total: usize, row: &invlint::dryrun::Row| {
                if tty {
                    eprint!("\r\x1b[Kinvlint dry-run: {done}/{total} {}", row.short);
                    if done == total {
                        eprint!("\r\x1b[K");
                    }
                } else if total > 20 && (done.is_multiple_of(20) || done == total) {
                    eprintln!("invlint dry-run: {done}/{total} commits evaluated");
                }
            };
            let run = invlint::dryrun::run(&opts, &mut progress)?;
            if run.rows.is_empty() {
                eprintln!("invlint dry-run: no commits in {}", opts.revs.join(" "));
            }
            let text = match args.format {
                DryRunFormat::Markdown => invlint::dryrun::render_markdown(&run),
                DryRunFormat::Json => invlint::dryrun::render_json(&run),
            };
            print(&text)?;
            Ok(run.exit_code() as u8)
        }
        Command::Check(args) => {
            // In GitHub Actions and GitLab CI, the platform's own context names the
            // description, the base and the author.
            let ci = invlint::ci::from_env(repo_root(&dir).as_deref())?.unwrap_or_default();
            for w in &ci.warnings {
                eprintln!("invlint: warning: {w}");
            }
            let mode = if args.staged {
                match pre_commit_range() {
                    Some(range) => DiffMode::Range(range),
                    None => staged_or_all(&dir, &args.files)?,
                }
            } else if args.all {
                DiffMode::All
            } else if let Some(r) = args.range {
                DiffMode::Range(r)
            } else {
                DiffMode::Base(args.base.or(ci.base))
            };
            let pr = match &args.pr_body {
                Some(p) => Some(invlint::engine::pr::read(p, repo_root(&dir).as_deref())?),
                None => ci.description,
            };
            let author = args.pr_author.or(ci.author);
            let opts = CheckOptions {
                dir,
                mode,
                config: cli.config.clone(),
                pr,
                threads: args.threads,
                gate: match args.gate {
                    GateArg::Merge => Gate::Merge,
                    GateArg::Release => Gate::Release,
                },
                coverage: true,
                audit_window: 0,
                today: None,
            };
            let started = std::time::Instant::now();
            let (mut report, repo) = invlint::check_keeping_repo(&opts)?;
            let selection = invlint::cli_filter::Selection {
                select: args.select,
                ignore: args.ignore,
            };
            selection.validate(&report.config)?;
            invlint::cli_filter::apply_bots(&mut report, author.as_deref());
            if let Some(path) = &args.write_baseline {
                let text = invlint::baseline::render(&report);
                invlint::engine::bounded::write(path, text.as_bytes()).map_err(|e| Error::Io {
                    context: format!("writing the baseline {}", path.display()),
                    source: e,
                })?;
                eprintln!(
                    "invlint: recorded {} finding(s) in {}; `--baseline {}` reports only new ones",
                    report.findings.len(),
                    path.display(),
                    path.display()
                );
            }
            if let Some(path) = &args.baseline {
                let baseline = invlint::baseline::load(path, &opts.dir, &opts.mode)?;
                invlint::baseline::apply(&mut report, &baseline);
            }
            selection.apply(&mut report);
            if args.stats {
                let s = &report.stats;
                eprintln!(
                    "stats: {} files, {} .rs, {} parsed with syn ({:.1}% of .rs; {} more gated out after lexing; fn bodies: {} parsed, {} not needed), {} findings, {:.1} ms",
                    s.files,
                    s.rust_files,
                    s.syn_parses,
                    100.0 * s.syn_parses as f64 / s.rust_files.max(1) as f64,
                    s.syn_gated,
                    s.syn_bodies.0,
                    s.syn_bodies.1,
                    report.findings.len(),
                    started.elapsed().as_secs_f64() * 1000.0
                );
                let mut by_time = s.rule_ms.clone();
                by_time.sort_by(|a, b| b.1.total_cmp(&a.1));
                let line: Vec<String> = by_time
                    .iter()
                    .map(|(id, ms)| format!("{id} {ms:.1} ms"))
                    .collect();
                eprintln!("stats: checks: {}", line.join(", "));
                if let Some(ms) = s.policy_ms {
                    eprintln!(
                        "stats: policy load {ms:.2} ms ({})",
                        if invlint::engine::policy_cache::is_enabled() {
                            "validated-policy cache on"
                        } else {
                            "validated-policy cache off"
                        }
                    );
                }
            }
            let text = match args.format {
                Format::Human => render::human::render(
                    &report,
                    render::human::HumanOptions {
                        color,
                        width: width(),
                    },
                ),
                Format::Json => render::json::render(&report),
                Format::Gitlab => {
                    // The report is a bare array: what was left out is said on stderr.
                    for line in report.filtered.lines() {
                        eprintln!("invlint: {line}");
                    }
                    render::gitlab::render(&report)
                }
                Format::Sarif => render::sarif::render(&report),
                Format::Markdown => {
                    render::markdown::render(&report, &render::markdown::Links::from_env())
                }
                Format::Github => {
                    if let Ok(summary) = std::env::var("GITHUB_STEP_SUMMARY") {
                        if !summary.is_empty() {
                            let md = render::markdown::render(
                                &report,
                                &render::markdown::Links::from_env(),
                            );
                            append(std::path::Path::new(&summary), &md)?;
                        }
                    }
                    render::github::render(&report)
                }
            };
            if let Some(path) = &args.sarif_output {
                invlint::engine::bounded::write(path, render::sarif::render(&report).as_bytes())
                    .map_err(|e| Error::Io {
                        context: format!("writing SARIF to {}", path.display()),
                        source: e,
                    })?;
            }
            print(&text)?;
            let code = report.exit_code() as u8;
            // The process ends here: its memory goes back to the system whole, without
            // walking the report, the change set and libgit2's object cache to free them.
            std::mem::forget(report);
            std::mem::forget(repo);
            Ok(match code {
                1 if args.exit_zero || args.write_baseline.is_some() => 0,
                _ => code,
            })
        }
    }
}

/// `invlint init`: the starter policy, written to the repository root (never over an existing
/// file) or printed.
fn init(dir: &std::path::Path, to_stdout: bool) -> Result<u8, Error> {
    let root = repo_root(dir).unwrap_or_else(|| dir.to_path_buf());
    let target = root.join("inv-rules.toml");
    if !to_stdout && target.exists() {
        return Err(Error::Usage {
            message: format!("{} already exists; invlint init never overwrites it", target.display()),
            hint: "run `invlint init --stdout` to see the starter policy, and merge what you need by hand".into(),
        });
    }
    let index = invlint::engine::walk::index(&root, 0);
    let starter = invlint::init::starter(&index, &|path| {
        // The tree's files are read as data, capped, and never through a link out of it.
        invlint::engine::bounded::read(&root.join(path), 8 << 20, Some(&root))
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
    });
    // The starter must be a policy this invlint accepts; anything else is a bug here.
    invlint::parse_policy("inv-rules.toml", &starter.text)?;
    let summary = format!(
        "invlint init: {} setting(s) set from what was found, {} left with a TODO(invlint init) comment{}",
        starter.guessed.len(),
        starter.todo.len(),
        if starter.todo.is_empty() {
            String::new()
        } else {
            format!(": {}", starter.todo.join(", "))
        }
    );
    if to_stdout {
        print(&starter.text)?;
        eprintln!("{summary}");
        return Ok(0);
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&target)
        .and_then(|mut f| f.write_all(starter.text.as_bytes()))
        .map_err(|e| Error::Io {
            context: format!("writing {}", target.display()),
            source: e,
        })?;
    eprintln!("wrote {}", target.display());
    eprintln!("{summary}");
    eprintln!("Next: review the TODOs, then `invlint check --all` audits the whole tree under it.");
    Ok(0)
}
