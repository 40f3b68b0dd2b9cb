//! `invlint dry-run` over a small fixed history: a root commit, then a clean docs commit (Pass),
//! an INV-03 violation (Blocked), a block-release INV-09 deploy change (Warn at the merge gate,
//! Blocked at release) and a commit whose message maps no invariant (PR-01/PR-02). Fixed author
//! and date, so commit IDs, and the snapshots, are stable.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use invlint::dryrun::{self, DryRunOptions, Outcome};
use invlint::engine::scratch::{self, TreeFile};
use invlint::Gate;

const CLIENT: &str = "apps/openagents.com/resources/js/sync/khalaClient.ts";
const CLIENT_BASE: &str = "// Khala live sync client.\nexport function connectKhala(topic: string, lastSeq: number): WebSocket {\n  const socket = new WebSocket(\"/sync/socket/websocket\");\n  socket.onopen = () =>\n    socket.send(JSON.stringify({ event: \"sync:subscribe\", topic, resume_after: lastSeq }));\n  return socket;\n}\n";
const HANDLERS: &str = "apps/runtime/src/handlers.rs";
const HANDLERS_BASE: &str = "pub fn health() -> &'static str {\n    \"ok\"\n}\n";
const DEPLOY: &str = "apps/runtime/deploy/cloudrun/hotfix-deploy.sh";
const DEPLOY_SH: &str = "#!/usr/bin/env bash\nset -euo pipefail\ngcloud run deploy runtime --image \"$IMAGE\" --region us-central1\n";

const CHECKLIST: &str = "## Checklist
- [x] Invariant impact: INV-* IDs listed above
- [x] Contract impact: no proto/ change needed
- [x] Transport impact: no WS command RPC, no SSE/poll lane
- [x] Authority boundaries: no cross-plane SQL
- [x] Service boundaries: no in-memory coupling
- [x] Operations: no deploy/migration implications
- [x] Deletion/parity: nothing deleted
";

/// A message mapping `affected` (with a reason) and every other invariant N/A with a reason.
fn message(subject: &str, affected: &[&str], checklist: bool) -> String {
    let mut m = format!("{subject}\n\n");
    for n in 1..=10 {
        let id = format!("INV-{n:02}");
        if affected.contains(&id.as_str()) {
            m.push_str(&format!("- {id}: affected - this commit changes it\n"));
        } else {
            m.push_str(&format!("- {id}: N/A - this commit does not touch it\n"));
        }
    }
    if checklist {
        m.push('\n');
        m.push_str(CHECKLIST);
    }
    m
}

fn tree(list: &[(&str, &str)]) -> Vec<TreeFile> {
    list.iter()
        .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
        .collect()
}

/// The history, oldest first: root, docs (Pass), INV-03 (Blocked), INV-09 (Warn / Blocked at
/// release), no mapping (PR-01).
fn history() -> (tempfile::TempDir, PathBuf, Vec<String>) {
    let tmp = tempfile::tempdir().unwrap();
    let guide = "# Sync\n\nClients subscribe over the Khala WebSocket.\n";
    let guide2 =
        "# Sync\n\nClients subscribe over the Khala WebSocket and resume after the last seq.\n";
    let client2 = format!(
        "{CLIENT_BASE}\nexport function fallback(topic: string) {{\n  return new EventSource(`/internal/v1/khala/topics/${{topic}}/stream`);\n}}\n\nexport const retry = (url: string) => new EventSource(url);\n"
    );
    let handlers2 =
        format!("{HANDLERS_BASE}\npub fn version() -> &'static str {{\n    \"1\"\n}}\n");
    let base = [
        ("README.md", "# demo\n"),
        ("docs/sync.md", guide),
        (CLIENT, CLIENT_BASE),
        (HANDLERS, HANDLERS_BASE),
    ];
    let with = |changes: &[(&'static str, &str)]| -> Vec<TreeFile> {
        let mut files: Vec<(&str, &str)> = base.to_vec();
        for (p, t) in changes {
            match files.iter_mut().find(|(q, _)| q == p) {
                Some(f) => f.1 = t,
                None => files.push((p, t)),
            }
        }
        tree(&files)
    };
    let m_docs = message("docs: clarify resume in the sync guide", &[], false);
    let m_sse = message(
        "sync: add an EventSource fallback | for proxies",
        &["INV-02", "INV-03"],
        true,
    );
    let m_deploy = message("runtime: add a hotfix deploy script", &["INV-09"], true);
    let commits: Vec<(&str, Vec<TreeFile>)> = vec![
        ("init: monorepo skeleton", with(&[])),
        (&m_docs, with(&[("docs/sync.md", guide2)])),
        (
            &m_sse,
            with(&[("docs/sync.md", guide2), (CLIENT, &client2)]),
        ),
        (
            &m_deploy,
            with(&[
                ("docs/sync.md", guide2),
                (CLIENT, &client2),
                (DEPLOY, DEPLOY_SH),
            ]),
        ),
        (
            "runtime: add a version endpoint\n\nSmall helper for the status page.\n",
            with(&[
                ("docs/sync.md", guide2),
                (CLIENT, &client2),
                (DEPLOY, DEPLOY_SH),
                (HANDLERS, &handlers2),
            ]),
        ),
    ];
    let (work, ids) = scratch::build_history(tmp.path(), &commits).unwrap();
    let ids = ids.iter().map(|id| id.to_string()).collect();
    (tmp, work, ids)
}

/// Two commits: the second adds a suppression naming an invariant the policy does not declare.
fn bad_suppression_history() -> (tempfile::TempDir, PathBuf, Vec<String>) {
    let tmp = tempfile::tempdir().unwrap();
    let file = "crates/openagents-client-core/src/thread_sync.rs";
    let suppressed = "pub fn noop() {}\n\n// invlint: allow(INV-7) reason=\"replay handles duplicates\" issue=#123 owner=@AtlantisPleb\npub fn other() {}\n";
    let commits: Vec<(&str, Vec<TreeFile>)> = vec![
        (
            "init",
            tree(&[("README.md", "# demo\n"), (file, "pub fn noop() {}\n")]),
        ),
        (
            "client: a helper",
            tree(&[("README.md", "# demo\n"), (file, suppressed)]),
        ),
    ];
    let (work, ids) = scratch::build_history(tmp.path(), &commits).unwrap();
    (tmp, work, ids.iter().map(|id| id.to_string()).collect())
}

fn dry_run(work: &Path, revs: &[&str], gate: Gate) -> dryrun::DryRun {
    let opts = DryRunOptions {
        dir: work.to_path_buf(),
        revs: revs.iter().map(|r| r.to_string()).collect(),
        config: None,
        threads: 2,
        gate,
        pr_checks: true,
    };
    dryrun::run(&opts, &mut |_, _, _| {}).unwrap()
}

fn invlint(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_invlint"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_EVENT_PATH")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

#[test]
fn range_table_at_the_merge_gate() {
    let (_t, work, ids) = history();
    let run = dry_run(&work, &["main~4..main"], Gate::Merge);
    let results: Vec<Outcome> = run.rows.iter().map(|r| r.result).collect();
    assert_eq!(
        results,
        [
            Outcome::Pass,
            Outcome::Blocked,
            Outcome::Warn,
            Outcome::Blocked
        ]
    );
    assert_eq!(
        run.rows
            .iter()
            .map(|r| r.commit.clone())
            .collect::<Vec<_>>(),
        ids[1..],
        "oldest first, root excluded"
    );
    assert_eq!(run.exit_code(), 1);
    let md = dryrun::render_markdown(&run);
    assert!(
        include_str!("../../README.md").contains(&md),
        "the README's \"Dry run\" example is this table"
    );
    insta::assert_snapshot!("merge_gate_table", md);
}

#[test]
fn release_gate_blocks_the_deploy_commit() {
    let (_t, work, _ids) = history();
    let run = dry_run(&work, &["main~1"], Gate::Release);
    assert_eq!(run.rows.len(), 1);
    assert_eq!(run.rows[0].result, Outcome::Blocked);
    assert!(
        run.rows[0].notes().starts_with("INV-09: "),
        "{}",
        run.rows[0].notes()
    );
    insta::assert_snapshot!("release_gate_table", dryrun::render_markdown(&run));
}

#[test]
fn explicit_revisions_keep_their_order_and_the_root_is_diffed_against_the_empty_tree() {
    let (_t, work, ids) = history();
    let run = dry_run(&work, &["main", &ids[0], "main~3"], Gate::Merge);
    let got: Vec<&str> = run.rows.iter().map(|r| r.commit.as_str()).collect();
    assert_eq!(got, [ids[4].as_str(), ids[0].as_str(), ids[1].as_str()]);
    let root = &run.rows[1];
    assert!(
        root.compared.ends_with("the empty tree (root commit)"),
        "{}",
        root.compared
    );
    assert_eq!(root.files_changed, 4);
}

#[test]
fn binary_prints_the_table_and_exits_1_when_something_is_blocked() {
    let (_t, work, _ids) = history();
    let o = invlint(&work, &["dry-run", "main~4..main~2"]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.starts_with("| Change | Result | Notes |\n| --- | --- | --- |\n"),
        "{out}"
    );
    assert_eq!(out.lines().count(), 4, "{out}");

    // Only the docs commit: nothing blocks.
    let o = invlint(&work, &["dry-run", "main~3"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).contains("| Pass |"));

    // The spec's row form: `<sha9>` (<subject or tracker ID>).
    let o = invlint(&work, &["dry-run", "main~3"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.lines()
            .nth(2)
            .is_some_and(|l| l.starts_with("| `") && l.contains("` (")),
        "{out}"
    );

    // --no-pr-checks: commit messages without a checklist are not judged as descriptions.
    let o = invlint(&work, &["dry-run", "--no-pr-checks", "main~4..main~2"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(!out.contains("PR-0"), "{out}");

    // ... but a bad inline suppression (SUP-01) is about the files, not the description: it
    // stays.
    let (_t2, work2, _) = bad_suppression_history();
    let o = invlint(&work2, &["dry-run", "--no-pr-checks", "main"]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("SUP-01"), "{out}");
    assert!(!out.contains("PR-0"), "{out}");

    // A bad revision is invlint's error, not a finding.
    let o = invlint(&work, &["dry-run", "no-such-branch"]);
    assert_eq!(o.status.code(), Some(2));

    // An empty range is an empty table.
    let o = invlint(&work, &["dry-run", "main..main"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 2);
}

#[test]
fn json_shape() {
    let (_t, work, ids) = history();
    let o = invlint(
        &work,
        &[
            "dry-run",
            "main~4..main",
            "--format",
            "json",
            "--gate",
            "release",
            "-j",
            "1",
        ],
    );
    assert_eq!(o.status.code(), Some(1));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["version"], 1);
    assert_eq!(doc["tool"], "invlint");
    assert_eq!(doc["gate"], "release");
    assert_eq!(doc["summary"]["exit_code"], 1);
    assert_eq!(doc["summary"]["commits"], 4);
    assert_eq!(doc["summary"]["pass"], 1);
    assert_eq!(doc["summary"]["warn"], 0);
    assert_eq!(doc["summary"]["blocked"], 3);
    let commits = doc["commits"].as_array().unwrap();
    assert_eq!(commits.len(), 4);
    for (c, id) in commits.iter().zip(&ids[1..]) {
        assert_eq!(c["commit"], id.as_str());
        assert_eq!(c["short"], &id[..9]);
        for key in [
            "subject",
            "compared",
            "result",
            "blocking",
            "non_blocking",
            "files_changed",
            "invariants",
            "incomplete",
            "notes",
        ] {
            assert!(c.get(key).is_some(), "{key} missing in {c}");
        }
    }
    assert_eq!(commits[0]["result"], "pass");
    assert_eq!(commits[0]["invariants"], serde_json::json!([]));
    let sse = &commits[1];
    assert_eq!(sse["result"], "blocked");
    assert_eq!(
        sse["subject"],
        "sync: add an EventSource fallback | for proxies"
    );
    let inv03 = &sse["invariants"][0];
    assert_eq!(inv03["id"], "INV-03");
    assert_eq!(inv03["blocking"], true);
    assert_eq!(inv03["count"], 2);
    assert_eq!(inv03["path"], CLIENT);
    assert_eq!(inv03["line"], 10);
    assert_eq!(commits[2]["result"], "blocked");
    assert_eq!(commits[2]["invariants"][0]["id"], "INV-09");
}

#[test]
fn a_merge_commit_is_compared_with_its_first_parent() {
    let (_t, work, ids) = history();
    let repo = git2::Repository::open(&work).unwrap();
    let sig =
        git2::Signature::new("t", "t@invlint.invalid", &git2::Time::new(1_767_225_600, 0)).unwrap();
    let root = repo
        .find_commit(git2::Oid::from_str(&ids[0]).unwrap())
        .unwrap();
    let main = repo
        .find_commit(git2::Oid::from_str(&ids[4]).unwrap())
        .unwrap();
    let with_extra = |base: &git2::Tree<'_>| {
        let blob = repo.blob(b"# Extra\n").unwrap();
        let docs = base.get_path(Path::new("docs")).unwrap().id();
        let mut d = repo
            .treebuilder(Some(&repo.find_tree(docs).unwrap()))
            .unwrap();
        d.insert("extra.md", blob, 0o100644).unwrap();
        let d = d.write().unwrap();
        let mut t = repo.treebuilder(Some(base)).unwrap();
        t.insert("docs", d, 0o040000).unwrap();
        repo.find_tree(t.write().unwrap()).unwrap()
    };
    let side_tree = with_extra(&root.tree().unwrap());
    let side = repo
        .commit(None, &sig, &sig, "docs: extra page", &side_tree, &[&root])
        .unwrap();
    let side = repo.find_commit(side).unwrap();
    let merge_tree = with_extra(&main.tree().unwrap());
    let merge = repo
        .commit(
            None,
            &sig,
            &sig,
            "Merge the extra page",
            &merge_tree,
            &[&main, &side],
        )
        .unwrap();
    let run = dry_run(&work, &[&merge.to_string()], Gate::Merge);
    let row = &run.rows[0];
    assert_eq!(
        row.files_changed, 1,
        "only docs/extra.md against the first parent"
    );
    assert!(row.compared.contains(&ids[4][..7]), "{}", row.compared);

    // A range over the merge lists the side commit before the merge.
    let run = dry_run(&work, &[&format!("main..{merge}")], Gate::Merge);
    let got: Vec<&str> = run.rows.iter().map(|r| r.commit.as_str()).collect();
    assert_eq!(got, [side.id().to_string(), merge.to_string()]);
}

#[test]
fn long_ranges_report_progress_on_stderr() {
    let tmp = tempfile::tempdir().unwrap();
    let trees: Vec<(String, Vec<TreeFile>)> = (0..22)
        .map(|n| {
            (
                format!("chore: note {n}"),
                tree(&[("notes.txt", &format!("notes {n}\n"))]),
            )
        })
        .collect();
    let commits: Vec<(&str, Vec<TreeFile>)> =
        trees.iter().map(|(m, t)| (m.as_str(), t.clone())).collect();
    let (work, _ids) = scratch::build_history(tmp.path(), &commits).unwrap();
    let o = invlint(&work, &["dry-run", "main~21..main"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 2 + 21);
    assert_eq!(
        String::from_utf8_lossy(&o.stderr),
        "invlint dry-run: 20/21 commits evaluated\ninvlint dry-run: 21/21 commits evaluated\n"
    );
}

/// A dry run judges each commit with what that commit holds, not with the work tree: INV-10
/// reads the inventory as it was when the legacy file was deleted, though a later commit (the
/// one checked out) marks its gates done.
#[test]
fn a_commit_is_judged_with_its_own_tree_not_the_work_tree() {
    let fx = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/INV-10/fail-gate-not-done");
    let read = |p: &str| std::fs::read_to_string(fx.join(p)).unwrap();
    let inventory = "docs/plans/active/rust-migration-legacy-dependency-inventory.md";
    let in_progress = read(&format!("base/{inventory}"));
    let done = in_progress.replace(
        "| 049..051, 053, 101..103 | in progress |",
        "| 049..051, 053, 101..103 | done |",
    );
    assert_ne!(in_progress, done);
    let legacy = "apps/desktop/src/main.ts";
    let main_ts = read(&format!("base/{legacy}"));
    let message = read("pr.md");
    let tmp = tempfile::tempdir().unwrap();
    let commits: Vec<(&str, Vec<TreeFile>)> = vec![
        (
            "init",
            tree(&[
                ("README.md", "# demo\n"),
                (legacy, &main_ts),
                (inventory, &in_progress),
            ]),
        ),
        (
            &message,
            tree(&[("README.md", "# demo\n"), (inventory, &in_progress)]),
        ),
        (
            "inventory: desktop gates done",
            tree(&[("README.md", "# demo\n"), (inventory, &done)]),
        ),
    ];
    let (work, _ids) = scratch::build_history(tmp.path(), &commits).unwrap();
    let run = dry_run(&work, &["main~1"], Gate::Release);
    assert_eq!(run.rows.len(), 1);
    assert_eq!(
        run.rows[0].result,
        Outcome::Blocked,
        "{}",
        run.rows[0].notes()
    );
    assert!(
        run.rows[0].notes().contains("INV-10"),
        "{}",
        run.rows[0].notes()
    );
}
