//! INV-09 `deploy-without-migrate`: a runtime deploy is always followed by the migrate job
//! (OA-RUST-003; drift rule from the validation matrix OA-RUST-110).
//!
//! Looks at: changed deploy surfaces (`paths`: shell scripts, GitHub workflows, Makefiles, Cloud
//! Build / Cloud Run / k8s YAML), split into units: a shell script is one unit, a workflow is one
//! unit per `jobs.<id>` block (found by indentation, not parsed), a Makefile one unit per target.
//! Flags: a `deploy` step with no `migrate` step after it in the same unit, when the change caused
//! it (the deploy line is added, or the unit has more unmatched deploys than at base: the migrate
//! step was removed or moved before the deploy); a runtime deploy and a migrate-job update in the
//! same unit naming different images (new at head); with a PR description, added runtime
//! `migrations` while the description says nothing about deploy or the migrate job (a warning,
//! checklist item 6).
//! Ignores: comment lines, echoed or dry-run commands (`dry-run`), units the change leaves alone,
//! control-service deploys (they do not match `deploy`), deleted files.

use std::ops::Range;

use regex::Regex;

use crate::analysis::shell::ShellError;
use crate::rules::prelude::*;

mod migrations;
mod shell_steps;
use migrations::check_migrations;
use shell_steps::shell_steps;

/// Check metadata.
pub static META: Meta = Meta {
    explain: include_str!("../../rules/INV-09.md"),
    keys: KEYS,
    ..Meta::spec(
        "INV-09",
        "deploy-without-migrate",
        "runtime deploy is not followed by the migrate job",
        Escalation::BlockRelease,
    )
};

/// The keys of `[invariant.<ID>.deploy-without-migrate]`, for the policy's schema and `invlint init`.
#[rustfmt::skip]
const KEYS: &[Key] = &[
    opt("paths", Ty::Globs, "Deploy surfaces."),
    opt("exclude", Ty::Globs, "Out of scope."),
    opt("wrapper", Ty::Path, "The canonical deploy-then-migrate script, named in help."),
    opt("deploy", Ty::Patterns, "Commands that deploy the runtime service."),
    opt("migrate", Ty::Patterns, "Commands that run the migrate job."),
    opt("migrate-image", Ty::Patterns, "Commands that set the migrate job's image."),
    opt("image", Ty::Regexes, "Regexes whose group 1 is the image of a command (tried in order)."),
    opt("dry-run", Ty::Patterns, "Lines that mention a command without running it."),
    opt("inert-commands", Ty::Strings, "Shell commands whose arguments are printed or tested, never run (`echo`, `test`)."),
    opt("global-options", Ty::Strings, "Options a command takes before its subcommand (`\"kubectl -n=\"`; a trailing `=`: takes a value), moved after it before matching."),
    opt("migrations", Ty::Globs, "Runtime migrations: adding one needs deploy/migrate notes in the PR description."),
    opt("description-mentions", Ty::Regex, "What counts as the description saying something about deploy or the migrate job."),
];

/// `[invariant.<ID>.deploy-without-migrate]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawSettings {
    /// Deploy surfaces.
    #[serde(default)]
    pub paths: Vec<Spanned<String>>,
    /// Out of scope.
    #[serde(default)]
    pub exclude: Vec<Spanned<String>>,
    /// The canonical deploy-then-migrate script, named in help.
    pub wrapper: Option<Spanned<String>>,
    /// Commands that deploy the runtime service.
    #[serde(default)]
    pub deploy: Vec<RawPattern>,
    /// Commands that run the migrate job.
    #[serde(default)]
    pub migrate: Vec<RawPattern>,
    /// Commands that set the migrate job's image (drift rule).
    #[serde(default)]
    pub migrate_image: Vec<RawPattern>,
    /// Regexes whose group 1 is the image of a command (tried in order).
    #[serde(default)]
    pub image: Vec<Spanned<String>>,
    /// Lines that mention a command without running it (echo, dry run).
    #[serde(default)]
    pub dry_run: Vec<RawPattern>,
    /// Shell commands whose arguments are printed or tested, never run (`echo`, `printf`).
    #[serde(default)]
    pub inert_commands: Vec<Spanned<String>>,
    /// Options a command takes before its subcommand (`kubectl -n NS apply`), as
    /// `"<command> <option>"` (a flag) or `"<command> <option>="` (takes a value): a script's
    /// commands are matched with them moved after the subcommand, so `deploy`/`migrate` patterns
    /// need not spell every order.
    #[serde(default)]
    pub global_options: Vec<Spanned<String>>,
    /// Runtime migrations: adding one needs deploy/migrate notes in the PR description.
    #[serde(default)]
    pub migrations: Vec<Spanned<String>>,
    /// What counts as the description saying something about deploy or the migrate job.
    pub description_mentions: Option<Spanned<String>>,
}

/// Compiled settings.
#[derive(Debug)]
pub struct Settings {
    paths: GlobList,
    exclude: GlobList,
    wrapper: Option<String>,
    deploy: PatternList,
    migrate: PatternList,
    migrate_image: PatternList,
    image: Vec<(crate::engine::config::LazyRegex, Range<usize>)>,
    dry_run: PatternList,
    inert_commands: Vec<String>,
    global_options: Vec<crate::analysis::shell::GlobalOption>,
    migrations: GlobList,
    migrations_span: Range<usize>,
    description_mentions: Option<(crate::engine::config::LazyRegex, Range<usize>)>,
}

impl RawSettings {
    /// Validates and compiles; problems go to `v`.
    fn compile(&self, v: &mut Validator) -> Settings {
        v.non_empty(&self.paths, "no deploy surface", "paths");
        v.non_empty(&self.deploy, "no deploy command", "deploy");
        v.non_empty(&self.migrate, "no deploy", "migrate");
        let mut image = Vec::new();
        for raw in &self.image {
            if let Some(re) = v.regex(raw) {
                if re.group_count() < 2 {
                    v.problem(
                        raw.span(),
                        "an `image` regex needs a capture group for the image reference",
                        "no group 1",
                        Some("wrap the image part in parentheses, e.g. `--image[= ](\\S+)`".into()),
                    );
                    continue;
                }
                image.push((re, raw.span()));
            }
        }
        let mut global_options = Vec::new();
        for raw in &self.global_options {
            match crate::analysis::shell::GlobalOption::parse(raw.get_ref()) {
                Some(o) => global_options.push(o),
                None => v.problem(
                    raw.span(),
                    format!("`{}` is not `<command> <option>`", raw.get_ref()),
                    "not a global option",
                    Some("write e.g. \"kubectl --namespace=\" (takes a value) or \"gcloud --quiet\" (a flag)".into()),
                ),
            }
        }
        let description_mentions = self
            .description_mentions
            .as_ref()
            .and_then(|m| v.regex(m).map(|r| (r, m.span())));
        Settings {
            paths: v.glob_list(&self.paths),
            exclude: v.glob_list(&self.exclude),
            wrapper: self.wrapper.as_ref().map(|w| w.get_ref().clone()),
            deploy: v.patterns(&self.deploy),
            migrate: v.patterns(&self.migrate),
            migrate_image: v.patterns(&self.migrate_image),
            image,
            dry_run: v.patterns(&self.dry_run),
            inert_commands: self
                .inert_commands
                .iter()
                .map(|c| c.get_ref().clone())
                .collect(),
            global_options,
            migrations: v.glob_list(&self.migrations),
            migrations_span: self.migrations.first().map(|m| m.span()).unwrap_or(0..0),
            description_mentions,
        }
    }
}

/// The check.
pub struct DeployWithoutMigrate;

impl Check for DeployWithoutMigrate {
    type Raw = RawSettings;
    type Settings = Settings;

    fn meta(&self) -> &'static Meta {
        &META
    }

    fn compile(&self, raw: &RawSettings, v: &mut Validator) -> Settings {
        raw.compile(v)
    }

    fn scope<'a>(&self, settings: &'a Settings, _: &'a Config) -> Option<Scope<'a>> {
        Some(Scope {
            key: "paths",
            include: vec![&settings.paths],
            exclude: vec![&settings.exclude],
        })
    }

    fn check(&self, cx: &Context<'_>, inv: &Invariant, cfg: &Settings, out: &mut Findings) {
        cx.scan_files(&cfg.paths, &cfg.exclude, out, |file, out| {
            check_file(cx, inv, cfg, file, out);
        });
        check_migrations(cx, inv, cfg, out);
    }
}

// ---------------------------------------------------------------------------------------------
// Units: a script, a workflow job, a Makefile target.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flavor {
    Shell,
    Yaml,
    Make,
}

fn flavor(path: &str) -> Flavor {
    let name = path.rsplit('/').next().unwrap_or(path);
    if name.ends_with(".yml") || name.ends_with(".yaml") {
        Flavor::Yaml
    } else if name == "Makefile" || name == "GNUmakefile" || name.ends_with(".mk") {
        Flavor::Make
    } else {
        Flavor::Shell
    }
}

/// One unit: its key (job id, target name, empty for a whole file) and 1-based lines.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Unit {
    key: String,
    lines: Range<usize>,
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

fn is_blank_or_comment(line: &str) -> bool {
    let t = line.trim_start();
    t.is_empty() || t.starts_with('#')
}

/// Splits a file into units by flavor. Line-oriented: YAML jobs by indentation under a top-level
/// `jobs:` key (a file without one is a single unit), Makefile targets by rule headers.
fn units(src: &Source, flavor: Flavor) -> Vec<Unit> {
    let n = src.line_count();
    let whole = vec![Unit {
        key: String::new(),
        lines: 1..n + 1,
    }];
    match flavor {
        Flavor::Shell => whole,
        Flavor::Yaml => yaml_jobs(src).unwrap_or(whole),
        Flavor::Make => make_targets(src),
    }
}

fn yaml_key(line: &str) -> Option<String> {
    let t = line.trim_start();
    let (key, rest) = if let Some(q) = t.strip_prefix('"') {
        let end = q.find('"')?;
        (&q[..end], &q[end + 1..])
    } else if let Some(q) = t.strip_prefix('\'') {
        let end = q.find('\'')?;
        (&q[..end], &q[end + 1..])
    } else {
        let end = t.find(':')?;
        (&t[..end], &t[end..])
    };
    let rest = rest.trim_start();
    let after = rest.strip_prefix(':')?;
    let is_key = after.is_empty() || after.starts_with(' ') || after.starts_with('\t');
    (is_key && !key.is_empty() && !key.contains(' ')).then(|| key.to_string())
}

fn yaml_jobs(src: &Source) -> Option<Vec<Unit>> {
    let n = src.line_count();
    let jobs_line = (1..=n).find(|&l| {
        src.line(l)
            .is_some_and(|t| indent_of(t) == 0 && yaml_key(t).as_deref() == Some("jobs"))
    })?;
    let mut out: Vec<Unit> = Vec::new();
    let mut job_indent: Option<usize> = None;
    for l in jobs_line + 1..=n {
        let text = src.line(l).unwrap_or("");
        if is_blank_or_comment(text) {
            continue;
        }
        let ind = indent_of(text);
        if ind == 0 {
            break;
        }
        let ji = *job_indent.get_or_insert(ind);
        if ind < ji {
            break;
        }
        if ind == ji {
            if let Some(last) = out.last_mut() {
                last.lines.end = l;
            }
            if let Some(key) = yaml_key(text) {
                out.push(Unit {
                    key,
                    lines: l..n + 1,
                });
            }
        }
    }
    // The last job ends at the first line back at the top level.
    if let Some(last) = out.last_mut() {
        let start = last.lines.start;
        if let Some(end) = (start + 1..=n).find(|&l| {
            src.line(l)
                .is_some_and(|t| !is_blank_or_comment(t) && indent_of(t) == 0)
        }) {
            last.lines.end = end;
        }
    }
    Some(out)
}

fn make_target_name(line: &str) -> Option<String> {
    if line.starts_with('\t') || line.starts_with(' ') || line.starts_with('#') {
        return None;
    }
    let colon = line.find(':')?;
    let (head, rest) = line.split_at(colon);
    let rest = &rest[1..];
    if rest.starts_with('=') || rest.starts_with(":=") || head.contains('=') {
        return None;
    }
    if head.ends_with('?') || head.ends_with('+') || head.ends_with('!') {
        return None;
    }
    let name = head.split_whitespace().next()?;
    Some(name.to_string())
}

fn make_targets(src: &Source) -> Vec<Unit> {
    let n = src.line_count();
    let mut out = vec![Unit {
        key: String::new(),
        lines: 1..n + 1,
    }];
    for l in 1..=n {
        let text = src.line(l).unwrap_or("");
        if let Some(name) = make_target_name(text) {
            if let Some(last) = out.last_mut() {
                last.lines.end = l;
            }
            out.push(Unit {
                key: name,
                lines: l..n + 1,
            });
        }
    }
    out.retain(|u| !u.lines.is_empty());
    out
}

fn unit_name(flavor: Flavor, key: &str) -> String {
    match flavor {
        Flavor::Yaml if !key.is_empty() => format!("job `{key}`"),
        Flavor::Make if !key.is_empty() => format!("target `{key}`"),
        Flavor::Yaml => "this workflow".into(),
        Flavor::Make => "this Makefile".into(),
        Flavor::Shell => "this script".into(),
    }
}

// ---------------------------------------------------------------------------------------------
// Steps.

#[derive(Debug, Clone)]
struct Step {
    /// Byte span of the command match.
    span: Range<usize>,
    line: usize,
    text: String,
    pattern: usize,
    /// Image named by the command (normalised) and its span.
    image: Option<(String, Range<usize>, usize)>,
    /// Position in execution order, for shell scripts read by the parser (a function's
    /// commands run at its call, not where they are written); `None`: source order.
    seq: Option<usize>,
}

impl Step {
    /// True when `self` runs after `other`.
    fn runs_after(&self, other: &Step) -> bool {
        match (self.seq, other.seq) {
            (Some(a), Some(b)) => a > b,
            _ => self.span.start >= other.span.end,
        }
    }
}

#[derive(Debug, Default)]
struct UnitSteps {
    deploys: Vec<Step>,
    migrates: Vec<Step>,
    migrate_images: Vec<Step>,
}

impl UnitSteps {
    fn unmatched(&self) -> Vec<&Step> {
        self.deploys
            .iter()
            .filter(|d| !self.migrates.iter().any(|m| m.runs_after(d)))
            .collect()
    }

    /// (deploy image, migrate image) pairs that differ.
    fn drift(&self) -> Vec<(&Step, &Step)> {
        let mut out = Vec::new();
        for d in &self.deploys {
            let Some((di, _, _)) = &d.image else { continue };
            for m in &self.migrate_images {
                if let Some((mi, _, _)) = &m.image {
                    if mi != di {
                        out.push((d, m));
                    }
                }
            }
        }
        out
    }
}

/// True when the line is a comment, or the hit at byte `col` follows a `#` comment marker.
fn is_commented(line: &str, col: usize, markers: &[&str]) -> bool {
    let t = line.trim_start();
    if markers
        .iter()
        .any(|m| t.starts_with(m) && !t.starts_with("#!"))
    {
        return true;
    }
    markers.contains(&"#") && line[..col].contains(" #")
}

fn matches(
    src: &Source,
    unit: &Unit,
    patterns: &PatternList,
    cfg: &Settings,
    markers: &[&str],
) -> Vec<Step> {
    let mut out = Vec::new();
    if patterns.is_empty() {
        return out;
    }
    for l in unit.lines.clone() {
        let Some(range) = src.line_range(l) else {
            continue;
        };
        let line = &src.text()[range.clone()];
        let hit = patterns.set.matches(line);
        if !hit.matched_any() || cfg.dry_run.set.is_match(line) {
            continue;
        }
        for idx in hit.iter() {
            for m in patterns.items[idx].regex.find_iter(line) {
                // Patterns end on a delimiter (`\s`, `;`, `,`); the span stops before it.
                let text = m
                    .as_str()
                    .trim_end_matches(|c: char| c.is_whitespace() || c == ';');
                if text.is_empty() || is_commented(line, m.start(), markers) {
                    continue;
                }
                out.push(Step {
                    span: range.start + m.start()..range.start + m.start() + text.len(),
                    line: l,
                    text: text.trim().to_string(),
                    pattern: idx,
                    image: image_of(src, l, &cfg.image),
                    seq: None,
                });
            }
        }
    }
    out.sort_by_key(|s| s.span.start);
    out.dedup_by_key(|s| s.span.start);
    out
}

/// The image a command names: the first `image` regex (in policy order) matching the command's
/// logical line (the line and its `\` continuations). Returns (normalised, span, regex index).
fn image_of(
    src: &Source,
    line: usize,
    regexes: &[(crate::engine::config::LazyRegex, Range<usize>)],
) -> Option<(String, Range<usize>, usize)> {
    let mut lines = vec![line];
    let mut l = line;
    while lines.len() < 40 && src.line(l).is_some_and(|t| t.trim_end().ends_with('\\')) {
        l += 1;
        if src.line(l).is_none() {
            break;
        }
        lines.push(l);
    }
    for (i, (re, _)) in regexes.iter().enumerate() {
        for &l in &lines {
            let Some(range) = src.line_range(l) else {
                continue;
            };
            let text = &src.text()[range.clone()];
            if let Some(g) = re.captures(text).and_then(|c| c.get(1)) {
                let span = range.start + g.start()..range.start + g.end();
                return Some((normalize_image(g.as_str()), span, i));
            }
        }
    }
    None
}

/// `"${IMAGE}"` and `$IMAGE` name the same image.
fn normalize_image(s: &str) -> String {
    let s = s.trim_matches(|c| c == '"' || c == '\'');
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        match after.find('}') {
            Some(end)
                if after[..end]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_') =>
            {
                out.push('$');
                out.push_str(&after[..end]);
                rest = &after[end + 1..];
            }
            _ => {
                out.push_str("${");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Steps of every unit of `src`, keyed like the units; a shell script the parser cannot read
/// is an error (the caller says so: its order was not verified).
fn analyse(src: &Source, path: &str, cfg: &Settings) -> Result<Vec<(Unit, UnitSteps)>, ShellError> {
    let fl = flavor(path);
    if fl == Flavor::Shell {
        let unit = Unit {
            key: String::new(),
            lines: 1..src.line_count() + 1,
        };
        return Ok(vec![(unit, shell_steps(src, cfg)?)]);
    }
    let markers = util::comment_markers(path);
    let markers: &[&str] = if markers.is_empty() { &["#"] } else { markers };
    let mut out: Vec<(Unit, UnitSteps)> = units(src, fl)
        .into_iter()
        .map(|u| {
            let steps = UnitSteps {
                deploys: matches(src, &u, &cfg.deploy, cfg, markers),
                migrates: matches(src, &u, &cfg.migrate, cfg, markers),
                migrate_images: matches(src, &u, &cfg.migrate_image, cfg, markers),
            };
            (u, steps)
        })
        .collect();
    if fl == Flavor::Make {
        add_make_calls(src, &mut out);
    }
    Ok(out)
}

/// A recipe line `$(MAKE) <target>` or `make <target>` naming a target that runs the migrate job
/// counts as a migrate step at that line.
fn add_make_calls(src: &Source, units: &mut [(Unit, UnitSteps)]) {
    let call = Regex::new(
        r"(?:\$\(MAKE\)|\$\{MAKE\}|\bmake)\s+((?:-\S+\s+)*)([\w./%-]+(?:\s+[\w./%-]+)*)",
    )
    .expect("static regex");
    for _ in 0..3 {
        let migrating: Vec<String> = units
            .iter()
            .filter(|(u, s)| !u.key.is_empty() && !s.migrates.is_empty())
            .map(|(u, _)| u.key.clone())
            .collect();
        let mut added = false;
        for (unit, steps) in units.iter_mut() {
            for l in unit.lines.clone() {
                let (Some(range), Some(text)) = (src.line_range(l), src.line(l)) else {
                    continue;
                };
                if !text.starts_with('\t') {
                    continue;
                }
                let Some(c) = call.captures(text) else {
                    continue;
                };
                let Some(targets) = c.get(2) else { continue };
                let hits_migrate = targets
                    .as_str()
                    .split_whitespace()
                    .any(|t| migrating.iter().any(|m| m == t));
                let whole = c.get(0).map(|m| m.range()).unwrap_or(0..0);
                let span = range.start + whole.start..range.start + whole.end;
                if hits_migrate && !steps.migrates.iter().any(|m| m.span == span) {
                    steps.migrates.push(Step {
                        span,
                        line: l,
                        text: text.trim().to_string(),
                        pattern: usize::MAX,
                        image: None,
                        seq: None,
                    });
                    added = true;
                }
            }
            steps.migrates.sort_by_key(|s| s.span.start);
        }
        if !added {
            break;
        }
    }
}

fn check_file(
    cx: &Context<'_>,
    inv: &Invariant,
    cfg: &Settings,
    file: &FileChange,
    out: &mut Findings,
) {
    let Some(src) = file.head.source() else {
        return;
    };
    if !cfg.deploy.set.is_match(src.text()) {
        return;
    }
    let fl = flavor(&file.path);
    let head = match analyse(src, &file.path, cfg) {
        Ok(head) => head,
        Err(why) => {
            // Fail closed: a script that cannot be read is said out loud, not passed.
            out.push(
                Finding::new(
                    inv,
                    META.name,
                    format!("`{}` could not be read as a shell script ({why}), so whether its runtime deploy is followed by the migrate job was not verified", file.path),
                )

                .on_path(file.path.to_string())
                .help("keep deploy scripts plain bash the parser reads (tree-sitter-bash), under the size limit; or deploy through the canonical wrapper"),
            );
            return;
        }
    };
    let base_src = if file.is_all_added {
        None
    } else {
        file.base.source()
    };
    let base_path = file.old_path.as_deref().unwrap_or(&file.path);
    let base = base_src
        .and_then(|b| analyse(b, base_path, cfg).ok())
        .unwrap_or_default();
    let wrapper_hint = cfg
        .wrapper
        .as_ref()
        .filter(|w| w.as_str() != &*file.path)
        .map(|w| format!(", or deploy through `{w}`, which runs the migrate job after the deploy"))
        .unwrap_or_default();
    let migrate_what = cfg
        .migrate
        .items
        .first()
        .map(|p| p.what.clone())
        .unwrap_or_else(|| "the migrate job".into());

    for (unit, steps) in &head {
        let base_unit = base.iter().find(|(u, _)| u.key == unit.key);
        let name = unit_name(fl, &unit.key);
        let unmatched = steps.unmatched();
        let base_unmatched = base_unit.map(|(_, s)| s.unmatched().len()).unwrap_or(0);
        let grew = unmatched.len() > base_unmatched;
        for d in &unmatched {
            if !file.is_line_added(d.line) && !grew {
                continue;
            }
            let pattern = &cfg.deploy.items[d.pattern];
            let before = steps.migrates.iter().rfind(|m| d.runs_after(m));
            let base_migrate = base_unit.and_then(|(_, s)| s.migrates.last());
            let message = if before.is_some() {
                format!(
                    "in {name} the migrate job now runs before the runtime deploy, not after it"
                )
            } else if let (Some(_), false) = (base_migrate, file.is_line_added(d.line)) {
                format!("this change removes the migrate job that followed the runtime deploy in {name}")
            } else {
                format!("this change adds a runtime deploy in {name} with no migrate job after it")
            };
            let mut f = Finding::new(inv, META.name, message).at(
                src,
                d.span.clone(),
                format!("`{}` is {}", d.text, pattern.what),
            );
            if let Some(m) = before {
                f = f.also(m.span.clone(), "the migrate step runs before the deploy");
            } else if let (Some(m), Some(b)) = (base_migrate, base_src) {
                f = f.related(b, m.span.clone(), "the migrate step at base");
            }
            out.push(
                f.help(format!(
                    "run {migrate_what} after the deploy, later in the same {}{wrapper_hint}",
                    match fl {
                        Flavor::Yaml => "job",
                        Flavor::Make => "target",
                        Flavor::Shell => "script",
                    }
                ))
                .cite(
                    cx.policy(),
                    pattern.span.clone(),
                    format!("deploy pattern `{}`", pattern.id),
                ),
            );
        }

        let base_drift: Vec<(String, String)> = base_unit
            .map(|(_, s)| {
                s.drift()
                    .into_iter()
                    .filter_map(|(d, m)| {
                        Some((d.image.as_ref()?.0.clone(), m.image.as_ref()?.0.clone()))
                    })
                    .collect()
            })
            .unwrap_or_default();
        for (d, m) in steps.drift() {
            let (Some((di, dspan, ri)), Some((mi, mspan, _))) = (&d.image, &m.image) else {
                continue;
            };
            if base_drift.iter().any(|(a, b)| a == di && b == mi) {
                continue;
            }
            let on_deploy_line = src.line_of(dspan.start) == d.line;
            let span = if on_deploy_line {
                dspan.clone()
            } else {
                d.span.clone()
            };
            let Some((_, regex_span)) = cfg.image.get(*ri) else {
                continue;
            };
            out.push(
                Finding::new(
                    inv,
                    META.name,
                    format!("in {name} the migrate job runs image `{mi}` but the runtime deploy uses `{di}`"),
                )
                .at(src, span, format!("runtime deployed from `{di}`"))
                .also(mspan.clone(), format!("migrate job set to `{mi}`"))
                .help("deploy the runtime and update the migrate job from the same image reference (one variable, one tag), so the migration drift check (OA-RUST-110) passes")
                .cite(cx.policy(), regex_span.clone(), "how images are read"),
            );
        }
    }
}

#[cfg(test)]
mod tests;
