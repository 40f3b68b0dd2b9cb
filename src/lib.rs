//! invlint: turns a monorepo's architecture invariants (OA-RUST-003, INV-01..INV-10) into checks
//! that run on every pull request.
//!
//! The pipeline (STYLE.md §2):
//!
//! 1. **Config.** `inv-rules.toml` -> [`engine::config::Config`], every problem reported at once.
//! 2. **Inputs.** [`engine::diff::collect`] turns the git diff into an owned `ChangeSet`; the
//!    judged commit's tree ([`engine::head_tree`]) lists its files when an active check needs the
//!    tree and serves the files checks read beyond the change. `--all` audits the tracked files
//!    of the work tree ([`engine::walk::tracked`]), `--staged` reads the index.
//! 3. **Rules.** Each active invariant runs its check on a rayon pool of `--threads` threads,
//!    each into its own `Findings`. An audit of a large tree runs the per-file checks one
//!    window of files at a time and drops each window's texts ([`engine::windows`]).
//! 4. **Collect.** Merge, sort by (path, byte offset, code, message), decide which findings block
//!    at the selected gate: the same findings in the same order at any thread count.
//! 5. **Render** once, on the main thread ([`engine::render`]).
//!
//! invlint never writes to the repository it checks. The one exception is `invlint init`, which
//! writes a starter `inv-rules.toml` into the repository root because the user asked for it.

#![warn(missing_docs)]
// `Error` carries miette sources and spans by value; it is built once per failed run, so its
// size costs nothing measurable and boxing would only obscure the variants.
#![allow(clippy::result_large_err)]

pub mod analysis;
pub mod baseline;
pub mod ci;
pub mod cli_filter;
pub mod demo;
pub mod dryrun;
pub mod engine;
pub mod explain;
pub mod init;
pub mod report;
pub mod rules;
#[cfg(test)]
mod test_rng;

use std::path::PathBuf;
use std::sync::Arc;

use engine::config::{Config, Status};
use engine::diff::{ChangeSet, DiffMode};
use engine::error::Error;
use engine::finding::{Finding, Severity};
use engine::source::Source;

pub use engine::run::{Coverage, Gate, PrStatus, Report, RunNote, Stats};

/// What to check and how.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// A directory inside the repository.
    pub dir: PathBuf,
    /// What to compare.
    pub mode: DiffMode,
    /// Explicit policy file.
    pub config: Option<PathBuf>,
    /// PR description, already read.
    pub pr: Option<Arc<Source>>,
    /// Worker threads (0: one per core).
    pub threads: usize,
    /// The gate.
    pub gate: Gate,
    /// The date inline suppressions' `until` is compared with; `None`: `INVLINT_TODAY`
    /// (YYYY-MM-DD) when set, else the system clock.
    pub today: Option<engine::suppress::Date>,
    /// Count, for each invariant, the files of the tree its check reads, and say when one sees
    /// none (fail closed: a note at merge, blocking at release). Off for `--staged` whatever
    /// this says (pre-commit does not walk the tree).
    pub coverage: bool,
    /// Files per window of an audit (`--all`; `engine::windows`); 0: the default; `usize::MAX`:
    /// no windows, every text held to the end.
    pub audit_window: usize,
}

/// Stack of each rayon worker (virtual memory, committed only as used). Parsers of untrusted
/// source recurse per nesting level; `rules::util::too_deep` bounds the levels, and this leaves
/// them a wide margin in debug builds too (the default 2 MiB overflowed at 700 nested parens).
pub const WORKER_STACK: usize = 256 << 20;

/// The registry the pipeline runs with: the built-in checks (`rules::CHECKS`) and the top-level
/// policy tables owned above the engine (`[report]`, `report::policy`). The engine imports
/// neither `rules` nor `report`: it is handed this.
pub static REGISTRY: engine::check::Registry =
    engine::check::Registry::new(rules::CHECKS).with_tables(&[&report::policy::ReportTable]);

/// Parses and validates policy text against [`REGISTRY`]; `name` is how output refers to the
/// file.
pub fn parse_policy(name: &str, text: &str) -> Result<Config, Error> {
    Config::parse(REGISTRY, name, text)
}

/// Loads the policy (`explicit`, else `inv-rules.toml` at `repo_root`, else the built-in
/// default) against the built-in checks.
pub fn load_policy(
    explicit: Option<&std::path::Path>,
    repo_root: Option<&std::path::Path>,
) -> Result<Config, Error> {
    Config::load(REGISTRY, explicit, repo_root)
}

/// Runs a check: the whole pipeline, without rendering.
pub fn check(opts: &CheckOptions) -> Result<Report, Error> {
    check_keeping_repo(opts).map(|(report, _)| report)
}

/// [`check`], handing back the repository it opened (`None` for `--staged` and `--all`, as
/// [`check_with_repo`]). The CLI leaves both to the end of the process instead of freeing them
/// (`std::mem::forget`): freeing libgit2's object cache and the report was 4% of `check --base`
/// on an 11,629-file tree (#19), and the operating system reclaims the memory anyway.
pub fn check_keeping_repo(
    opts: &CheckOptions,
) -> Result<(Report, Option<git2::Repository>), Error> {
    let (repo, root) = engine::diff::open(&opts.dir)?;
    // `--stats`' policy load: the CPU time of reading the source here and of parsing it on
    // its thread. Wall time would count the parse's wait for a core the diff read holds.
    let started = thread_cpu_ms();
    let source = policy_source(&repo, &root, opts)?;
    let source_ms = thread_cpu_ms() - started;
    // The policy is parsed and validated on a thread of its own while the diff is read here
    // (libgit2 reads stay on this thread): the two were a tenth and a third of `check --base`
    // on an 11,629-file tree (#19). The diff is read with the default size limit; a policy
    // that sets another one has it read again with its own.
    let (config, changes) = std::thread::scope(|s| {
        let loading = s.spawn(|| {
            let started = thread_cpu_ms();
            let config = source.load();
            (config, source_ms + thread_cpu_ms() - started)
        });
        let changes = (opts.mode != DiffMode::All).then(|| {
            engine::diff::collect(&repo, &opts.mode, engine::config::DEFAULT_MAX_FILE_SIZE)
        });
        let loaded = loading
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (loaded, changes)
    });
    let (config, policy_ms) = config;
    let config = Arc::new(config?);
    let changes = changes.filter(|_| config.max_file_size == engine::config::DEFAULT_MAX_FILE_SIZE);
    let (mut report, repo) = run_check(opts, repo, root, config, changes)?;
    report.stats.policy_ms = Some(policy_ms);
    Ok((report, repo))
}

/// The calling thread's CPU time in milliseconds (user and system; wall time where the
/// platform has no thread clock).
fn thread_cpu_ms() -> f64 {
    #[cfg(unix)]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant libc defines.
        if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } == 0 {
            return ts.tv_sec as f64 * 1000.0 + ts.tv_nsec as f64 / 1e6;
        }
    }
    static EPOCH: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    EPOCH
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_secs_f64()
        * 1000.0
}

/// Where the judging policy comes from ([`judging_policy`]), read from git but not yet parsed.
enum PolicySource {
    /// `--config`, or the work tree's policy (`--all`, no base side).
    Load(Option<PathBuf>, PathBuf),
    /// The base side's `inv-rules.toml`, or the built-in default when the base has none.
    Text(String, std::borrow::Cow<'static, str>),
}

impl PolicySource {
    fn load(self) -> Result<Config, Error> {
        match self {
            PolicySource::Load(explicit, root) => load_policy(explicit.as_deref(), Some(&root)),
            PolicySource::Text(name, text) => parse_policy(&name, &text),
        }
    }
}

/// The policy that judges the change (README, "Threat model"): `--config` when given (a trusted
/// file, never read from the change); else `inv-rules.toml` as the base side of the comparison
/// has it (the merge base, the range's start, HEAD for `--staged`), so that the change cannot
/// judge itself; else, when the base has none, the built-in default (a first policy the change
/// adds is noted by POL-01 and takes effect after merge). `--all` audits with the work tree's policy.
pub fn judging_policy(
    repo: &git2::Repository,
    root: &std::path::Path,
    opts: &CheckOptions,
) -> Result<Config, Error> {
    policy_source(repo, root, opts)?.load()
}

/// The git half of [`judging_policy`]: which policy, and its text when git holds it.
fn policy_source(
    repo: &git2::Repository,
    root: &std::path::Path,
    opts: &CheckOptions,
) -> Result<PolicySource, Error> {
    use engine::diff::BaseFile;
    use engine::governance::{MAX_POLICY_BYTES, POLICY_PATH};
    if opts.config.is_some() || opts.mode == DiffMode::All {
        return Ok(PolicySource::Load(opts.config.clone(), root.to_path_buf()));
    }
    match engine::diff::base_blob(repo, &opts.mode, POLICY_PATH, MAX_POLICY_BYTES)? {
        BaseFile::Bytes(bytes, at) => {
            let name = format!("inv-rules.toml (at base {at})");
            let text = String::from_utf8(bytes).map_err(|_| Error::ConfigParse {
                path: name.clone(),
                message: "the base commit's policy is not valid UTF-8".into(),
                src: engine::source::Source::new(name.as_str(), "").named(),
                at: None,
            })?;
            Ok(PolicySource::Text(name, text.into()))
        }
        BaseFile::TooLarge(n) => Err(Error::Usage {
            message: format!(
                "the base commit's inv-rules.toml is {n} bytes, over the {MAX_POLICY_BYTES}-byte cap on policy files"
            ),
            hint: "keep the policy under 1 MiB, or pass a trusted one with --config".into(),
        }),
        // No policy at base: the built-in default judged the repository until now, so it
        // judges this change too; a first policy the change adds takes effect after merge.
        BaseFile::Absent => Ok(PolicySource::Text(
            "inv-rules.toml (built-in default)".into(),
            engine::config::DEFAULT_POLICY.into(),
        )),
        BaseFile::NoBase => Ok(PolicySource::Load(None, root.to_path_buf())),
    }
}

/// Runs a check with an already loaded policy.
pub fn check_with_config(
    opts: &CheckOptions,
    repo: git2::Repository,
    root: PathBuf,
    config: Arc<Config>,
) -> Result<Report, Error> {
    check_with_repo(opts, repo, root, config).map(|(report, _)| report)
}

/// [`check_with_config`], handing `repo` back when the run judged a commit's tree (`None` for
/// `--staged` and `--all`): a caller that checks many commits of one repository (`invlint
/// report`) reuses it, and the trees and blobs its object cache holds, for the next one.
pub fn check_with_repo(
    opts: &CheckOptions,
    repo: git2::Repository,
    root: PathBuf,
    config: Arc<Config>,
) -> Result<(Report, Option<git2::Repository>), Error> {
    run_check(opts, repo, root, config, None)
}

/// [`check_with_repo`], with the change set when the caller already read it with the policy's
/// size limit (`check_keeping_repo`); `Some(Err)` is the error reading it gave.
fn run_check(
    opts: &CheckOptions,
    repo: git2::Repository,
    root: PathBuf,
    config: Arc<Config>,
    collected: Option<Result<ChangeSet, Error>>,
) -> Result<(Report, Option<git2::Repository>), Error> {
    let threads = if opts.threads == 0 {
        std::thread::available_parallelism().map_or(1, |n| n.get())
    } else {
        opts.threads
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .stack_size(WORKER_STACK)
        .build()
        .map_err(|e| Error::Usage {
            message: format!("cannot start {threads} worker threads: {e}"),
            hint: "pass a smaller -j/--threads".into(),
        })?;

    let active: Vec<_> = config
        .invariants
        .iter()
        .filter_map(|i| i.runs().map(|c| (i, c)))
        .collect();
    let measure_coverage = opts.coverage && opts.mode != DiffMode::Staged;

    // The tree's file list: the tracked files for `--all`; for a judged commit, its tree,
    // listed only when a check asks (`Context::tree`; coverage looks under the directories
    // the policy names instead); `--staged` reads no tree.
    let tree = std::sync::OnceLock::new();
    let (changes, head_tree) = if opts.mode == DiffMode::All {
        // `--all` audits what git tracks: ignore files never hide a tracked file.
        drop(repo);
        let index = engine::walk::tracked(&root);
        let changes = ChangeSet::audit(&root, &index, config.max_file_size);
        let _ = tree.set(index);
        (changes, None)
    } else {
        let changes = match collected {
            Some(changes) => changes?,
            None => engine::diff::collect(&repo, &opts.mode, config.max_file_size)?,
        };
        // What the judged commit holds beyond the change: its tree, not the work tree (dry
        // runs and ranges judge commits that are not checked out).
        // The head tree keeps the repository (and the objects it has read) for the checks.
        let head_tree = engine::head_tree::HeadTree::open(repo, &opts.mode)?;
        if head_tree.is_none() {
            let _ = tree.set(engine::walk::RepoIndex::default());
        }
        (changes, head_tree)
    };
    let mut changes = changes;
    changes.mark_moves(|old, new| {
        let differs = |g: &engine::config::GlobList| g.is_match(old) != g.is_match(new);
        // An invariant's `surfaces` and `related` select what it is about: code moving into
        // them is new there, code moving out of them (the flatten of #18 moved
        // `service/src/auth.rs` to `src/auth.rs`) was judged at its old path and adds nothing.
        let enters = |g: &engine::config::GlobList| g.is_match(new) && !g.is_match(old);
        config.vocabulary.values().any(differs)
            || config
                .invariants
                .iter()
                .filter(|i| i.status.is_active())
                .any(|i| {
                    // A check's own excludes (tests, vendored code, `crates/pylon/**`): moving
                    // out of one is moving into the check. Its include lists are not compared:
                    // they differ between sibling directories of one app for reasons that have
                    // nothing to do with this check (INV-10's legacy roots, a plane map).
                    enters(&i.surfaces)
                        || enters(&i.related)
                        || i.scope(&config).is_some_and(|s| {
                            let excluded = |p: &str| s.exclude.iter().any(|g| g.is_match(p));
                            excluded(old) != excluded(new)
                        })
                })
    });

    // The description: given, or (for --range and dry runs) the commit messages compared.
    let pr_source = opts.pr.clone().or_else(|| {
        (matches!(opts.mode, DiffMode::Range(_) | DiffMode::Commit(_))
            && !changes.commit_messages.is_empty())
        .then(|| {
            Arc::new(Source::new(
                engine::pr::COMMITS_SOURCE_NAME,
                changes.commit_messages.join("\n"),
            ))
        })
    });
    let ids: Vec<String> = config.invariants.iter().map(|i| i.id.clone()).collect();
    let grammar = rules::pr::grammar(&config);
    let pr = pr_source.map(|s| engine::pr::PrDescription::parse_with(s, &ids, &grammar));

    let (post, first): (Vec<_>, Vec<_>) = active.iter().partition(|(_, c)| c.meta().kind.is_post());
    let first: Vec<_> = first.into_iter().copied().collect();
    let parts = engine::windows::Parts {
        tree: &tree,
        pr: pr.as_ref(),
        config: &config,
        root: &root,
        head: head_tree.as_ref(),
    };
    // Work the checks share (INV-04's SQL scan, which INV-06 reads too) is done once, before
    // they run; an audit then runs the windowed checks a window of files at a time.
    let ran = engine::windows::run(&pool, &first, &mut changes, &parts, opts.audit_window);
    let cx = parts.context(&changes);
    cx.add_counters(&ran.counters);
    // Reading and decoding files is a row of its own, not the scan's nor that of the check that
    // asked first for a file (#19); with the scan's row it adds up to `prepare_ms`.
    let mut rule_ms = vec![
        ("read (files read and decoded)".to_string(), ran.read_ms),
        (
            "SQL scan (INV-04, INV-06)".to_string(),
            ran.prepare_ms - ran.read_ms,
        ),
    ];
    rule_ms.extend(ran.check_ms);
    let mut findings: Vec<Finding> = ran.findings;
    findings.sort_by_cached_key(|f| f.sort_key());
    let after: Vec<Finding> = post
        .iter()
        .flat_map(|(inv, check)| {
            let mut out = engine::check::Findings::default();
            check.check_after_bound(&cx, inv, &findings, &mut out);
            out.0
        })
        .collect();
    findings.extend(after);
    // `--all` audits a tree, not a change: no finding may say "this change adds" (#18).
    if opts.mode == DiffMode::All {
        for f in &mut findings {
            if let Some(m) = audit_wording(&f.message) {
                f.message = m;
            }
        }
    }

    // Inline suppressions (SUP-01): after every check, before gates.
    let today = match opts.today {
        Some(d) => d,
        None => engine::suppress::Date::today().map_err(|message| Error::Usage {
            message,
            hint: "set INVLINT_TODAY=YYYY-MM-DD, or unset it to use the system date".into(),
        })?,
    };
    engine::suppress::apply(&mut findings, &changes, &config, opts.gate, today);

    for f in &mut findings {
        engine::gate::apply(f, opts.gate, pr.as_ref(), &config);
    }
    findings.sort_by_cached_key(|f| f.sort_key());
    findings.dedup_by(|a, b| a.sort_key() == b.sort_key());

    // Fail closed: what could not be checked is a note, and at the release gate a finding.
    let (mut notes, unverified) =
        pool.install(|| engine::verify::files(&changes, &config, opts.gate));
    findings.extend(unverified);
    match engine::verify::missing_description(&changes, &config, pr.is_some(), opts.gate) {
        Some(Ok(note)) => notes.push(note),
        Some(Err(finding)) => findings.push(finding),
        None => {}
    }
    let coverage = measure_coverage.then(|| {
        coverage(
            &config,
            &changes,
            &tree,
            head_tree.as_ref(),
            opts.gate,
            &mut findings,
            &mut notes,
        )
    });
    // A tree object missing from the store (a partial clone): the diff reads only the
    // directories the change touches (`diff::tree_walk`), so the walk of the head tree is
    // where an untouched one is met. It stops the run as a diff meeting it would, with the
    // same error, rather than a list of invariants that "see no file" there.
    if let Some(message) = head_tree.as_ref().and_then(|h| h.missing_object()) {
        return Err(Error::MissingObject {
            context: "walking the head tree".into(),
            message,
        });
    }
    // A tree the checks could not list (an unreadable index or head tree): what they saw is
    // incomplete, never a clean pass.
    notes.extend(
        tree.get()
            .into_iter()
            .flat_map(|t| &t.errors)
            .map(|message| RunNote {
                path: "(repository tree)".into(),
                message: message.clone(),
                is_incomplete: true,
            }),
    );
    // A policy pattern that did not build matched nothing: what it guards was not checked.
    notes.extend(
        engine::matchers::compile_failures()
            .into_iter()
            .map(|message| RunNote {
                path: config.display_path.clone(),
                message,
                is_incomplete: true,
            }),
    );
    // The change's own policy never judges it: compare it with its base version (POL-01).
    if opts.mode != DiffMode::All {
        if let Some(versions) = engine::governance::PolicyVersions::of(&changes) {
            findings.extend(engine::governance::findings(&versions, &config));
        }
    }
    for f in &mut findings {
        if f.check == engine::governance::META.name || f.check == engine::verify::META.name {
            engine::gate::apply_built_in(f, opts.gate, pr.as_ref(), &config);
        }
    }
    findings.sort_by_cached_key(|f| f.sort_key());
    notes.sort();
    notes.dedup();

    findings.sort_by_cached_key(|f| f.sort_key());

    let syn_parses = cx.counted(rules::util::SYN_PARSES);
    let syn_gated = cx.counted(rules::util::SYN_GATED);
    let syn_bodies = (
        cx.counted(rules::util::SYN_BODIES_PARSED),
        cx.counted(rules::util::SYN_BODIES_SKIPPED),
    );
    drop(cx);
    let repo = head_tree.map(engine::head_tree::HeadTree::into_repository);
    let planned = config
        .invariants
        .iter()
        .filter(|i| i.status == Status::Planned)
        .map(|i| i.id.clone())
        .collect();
    let report = Report {
        findings,
        notes,
        description: changes.description.clone(),
        files_changed: changes.files.len(),
        config,
        gate: opts.gate,
        planned,
        pr: pr.as_ref().map(PrStatus::of),
        coverage,
        filtered: cli_filter::Filtered::default(),
        stats: Stats {
            files: changes.files.len(),
            rust_files: changes
                .files
                .iter()
                .filter(|f| f.path.ends_with(".rs"))
                .count(),
            syn_parses,
            syn_gated,
            syn_bodies,
            rule_ms,
            policy_ms: None,
        },
    };
    Ok((report, repo))
}

/// Fail closed on coverage (STYLE.md §0): an invariant whose check reads no file of the tree
/// checks nothing, whatever the change. Each such invariant is a note naming it and the path
/// lists that match nothing; at the release gate it is a blocking finding instead, unless the
/// policy marks it `not-applicable = "<reason>"`.
fn coverage(
    config: &Config,
    changes: &ChangeSet,
    tree: &std::sync::OnceLock<engine::walk::RepoIndex>,
    head: Option<&engine::head_tree::HeadTree>,
    gate: Gate,
    findings: &mut Vec<Finding>,
    notes: &mut Vec<RunNote>,
) -> Coverage {
    let mut out = Coverage::default();
    for inv in config.invariants.iter().filter(|i| i.status.is_active()) {
        let Some(scope) = inv.scope(config) else {
            continue;
        };
        out.measured += 1;
        let is_match = |f: &str| scope.is_match(f);
        let seen = match (tree.get(), head) {
            (Some(index), _) => index.files.iter().any(|f| is_match(f)),
            // A changed file the scope reads is a file of the head tree: no walk then.
            (None, Some(head))
                if changes.files.iter().any(|f| {
                    f.exists_at_head() && is_match(&f.path) && head.is_regular_file(&f.path)
                }) =>
            {
                true
            }
            (None, Some(head)) => match head.any_file(scope.roots().as_deref(), &is_match) {
                Ok(seen) => seen,
                // What could not be read is a note of its own (below); the invariant is
                // then judged on the whole list, as a check that reads the tree would see it.
                Err(_) => tree
                    .get_or_init(|| head.index())
                    .files
                    .iter()
                    .any(|f| is_match(f)),
            },
            (None, None) => false,
        };
        if seen {
            continue;
        }
        if inv.not_applicable.is_some() {
            out.not_applicable.push(inv.id.clone());
            continue;
        }
        out.blind.push(inv.id.clone());
        let entries: Vec<&engine::config::GlobEntry> =
            scope.include.iter().flat_map(|g| g.entries()).collect();
        let mut globs: Vec<String> = entries.iter().map(|e| format!("`{}`", e.text)).collect();
        if globs.len() > 6 {
            let more = globs.len() - 5;
            globs.truncate(5);
            globs.push(format!("+{more} more"));
        }
        let globs = if globs.is_empty() {
            "(none set)".to_string()
        } else {
            globs.join(", ")
        };
        let message = format!(
            "{} sees no file: its paths {globs} match no tracked file, so `{}` checks nothing here",
            inv.id, inv.check
        );
        let hint = format!(
            "run `invlint init` to fit the policy to this layout, or set `{}` under [invariant.{}.{}]; if {} does not apply to this repository, set `not-applicable = \"<reason>\"` under [invariant.{}]",
            scope.key, inv.id, inv.check, inv.id, inv.id
        );
        if gate == Gate::Release {
            let span = entries
                .first()
                .map(|e| e.span.clone())
                .unwrap_or_else(|| inv.header_span.clone());
            let mut f = Finding::new(inv, "coverage", message)
                .at(
                    &config.source,
                    span,
                    format!("{} reads these paths", inv.id),
                )
                .help(hint);
            f.is_blocking = true;
            f.level = Severity::Error;
            f.severity = Severity::Error;
            findings.push(f);
        } else {
            notes.push(RunNote {
                path: config.display_path.clone(),
                message: format!("{message}; {hint}"),
                is_incomplete: false,
            });
        }
    }
    notes.sort();
    out
}

/// A check's message in the words of an audit (`check --all`): the tree has what "this change
/// adds". `None` when the message does not speak of a change.
fn audit_wording(message: &str) -> Option<String> {
    const VERBS: &[(&str, &str)] = &[
        ("this change adds ", "the tree has "),
        ("this change has ", "the tree has "),
        ("this change ", "the tree "),
    ];
    VERBS
        .iter()
        .find_map(|(from, to)| message.strip_prefix(from).map(|rest| format!("{to}{rest}")))
}

#[cfg(test)]
mod audit_wording_tests {
    #[test]
    fn audits_speak_of_the_tree() {
        assert_eq!(
            super::audit_wording("this change adds an SSE client").as_deref(),
            Some("the tree has an SSE client")
        );
        assert_eq!(
            super::audit_wording("this change makes Khala code call `x`").as_deref(),
            Some("the tree makes Khala code call `x`")
        );
        assert_eq!(
            super::audit_wording("in job `d` the migrate job runs"),
            None
        );
    }
}
