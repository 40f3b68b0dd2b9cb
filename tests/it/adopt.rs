//! Adopting invlint on a real repository: baselines, `--select` / `--ignore` / `--exit-zero`,
//! the policy's `[bots]` switch for the PR-description checks, GitLab CI's merge-request
//! variables and its Code Quality report (`--format gitlab`), validated against the schema in
//! tests/schemas (written from GitLab's documented format; see its `$comment`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use invlint::engine::scratch::{self, HeadAs, TreeFile};

const CLIENT: &str = "apps/openagents.com/resources/js/sync/khalaClient.ts";
const CLIENT_BASE: &str = "export function connect(topic: string) {\n  return new WebSocket(`/sync/socket/websocket?topic=${topic}`);\n}\n";

fn files(list: &[(&str, &str)]) -> Vec<TreeFile> {
    list.iter()
        .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
        .collect()
}

fn violating() -> String {
    format!("{CLIENT_BASE}export const fallback = (u: string) => new EventSource(u);\nexport const again = (u: string) => new EventSource(u + '?x');\n")
}

/// A repository whose `pr` branch changes the sync client (INV-03) and adds `extra` files.
fn repo(tmp: &Path, extra: &[(&str, &str)]) -> PathBuf {
    let base = files(&[(CLIENT, CLIENT_BASE), ("README.md", "# demo\n")]);
    let v = violating();
    let mut head = vec![(CLIENT, v.as_str()), ("README.md", "# demo\n")];
    head.extend_from_slice(extra);
    scratch::build(
        &tmp.join("repo"),
        &base,
        &files(&head),
        HeadAs::Commit,
        "pr",
    )
    .unwrap()
}

fn invlint(work: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_invlint"));
    cmd.arg("-C").arg(work).args(args).env("NO_COLOR", "1");
    for v in [
        "GITHUB_EVENT_PATH",
        "GITHUB_STEP_SUMMARY",
        "GITLAB_CI",
        "CI_MERGE_REQUEST_IID",
        "CI_MERGE_REQUEST_DESCRIPTION",
        "CI_MERGE_REQUEST_DIFF_BASE_SHA",
        "GITLAB_USER_LOGIN",
        "COLUMNS",
    ] {
        cmd.env_remove(v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("invlint runs")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

fn ids(doc: &serde_json::Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

const PR: &str = "Bumps left-pad from 1.0 to 1.1.\n";

#[test]
fn a_baseline_reports_only_new_findings_and_says_how_many_it_hid() {
    let tmp = tempfile::tempdir().unwrap();
    let work = repo(tmp.path(), &[]);
    let pr = tmp.path().join("pr.md");
    std::fs::write(&pr, PR).unwrap();
    let pr = pr.to_str().unwrap();
    let bl = tmp.path().join("baseline.json");
    let bl = bl.to_str().unwrap();
    let all = json(&invlint(
        &work,
        &[
            "check",
            "--base",
            "main",
            "--pr-body",
            pr,
            "--format",
            "json",
        ],
        &[],
    ));
    let n = all["findings"].as_array().unwrap().len();
    assert!(n >= 3, "{all}");
    let out = invlint(
        &work,
        &[
            "check",
            "--base",
            "main",
            "--pr-body",
            pr,
            "--write-baseline",
            bl,
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("recorded {n} finding(s)")),
        "{}",
        text(&out)
    );

    // Everything recorded: nothing reported, exit 0, and each format says how many were hidden.
    let out = invlint(
        &work,
        &["check", "--base", "main", "--pr-body", pr, "--baseline", bl],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains(&format!("{n} finding(s) recorded in the baseline")),
        "{}",
        text(&out)
    );
    let doc = json(&invlint(
        &work,
        &[
            "check",
            "--base",
            "main",
            "--pr-body",
            pr,
            "--baseline",
            bl,
            "--format",
            "json",
        ],
        &[],
    ));
    assert_eq!(doc["summary"]["filtered"]["baselined"], n, "{doc}");
    let schema: serde_json::Value =
        serde_json::from_str(invlint::engine::render::json::SCHEMA).unwrap();
    let errors: Vec<String> = jsonschema::validator_for(&schema)
        .unwrap()
        .iter_errors(&doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    assert!(doc["findings"].as_array().unwrap().is_empty());
    let sarif = json(&invlint(
        &work,
        &[
            "check",
            "--base",
            "main",
            "--pr-body",
            pr,
            "--baseline",
            bl,
            "--format",
            "sarif",
        ],
        &[],
    ));
    assert_eq!(
        sarif["runs"][0]["invocations"][0]["properties"]["filtered"]["baselined"],
        n
    );
    let gl = invlint(
        &work,
        &[
            "check",
            "--base",
            "main",
            "--pr-body",
            pr,
            "--baseline",
            bl,
            "--format",
            "gitlab",
        ],
        &[],
    );
    assert!(String::from_utf8_lossy(&gl.stderr)
        .contains(&format!("{n} finding(s) recorded in the baseline")));
    let md = invlint(
        &work,
        &[
            "check",
            "--base",
            "main",
            "--pr-body",
            pr,
            "--baseline",
            bl,
            "--format",
            "markdown",
        ],
        &[],
    );
    assert!(
        text(&md).contains(&format!("{n} finding\\(s\\) recorded in the baseline")),
        "{}",
        text(&md)
    );

    // A finding the baseline does not record is new: reported, blocking.
    let mut file: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(bl).unwrap()).unwrap();
    let dropped = file["findings"].as_array_mut().unwrap().remove(0);
    std::fs::write(bl, serde_json::to_string(&file).unwrap()).unwrap();
    let doc = json(&invlint(
        &work,
        &[
            "check",
            "--base",
            "main",
            "--pr-body",
            pr,
            "--baseline",
            bl,
            "--format",
            "json",
        ],
        &[],
    ));
    let left = doc["findings"].as_array().unwrap();
    assert_eq!(left.len(), 1, "{doc}");
    assert_eq!(left[0]["fingerprint"], dropped["fingerprint"]);
    assert_eq!(doc["summary"]["filtered"]["baselined"], n - 1);

    // Not a baseline: exit 2, said clearly.
    std::fs::write(bl, "{}").unwrap();
    let out = invlint(&work, &["check", "--base", "main", "--baseline", bl], &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("is not an invlint baseline"),
        "{}",
        text(&out)
    );
}

#[test]
fn the_release_gate_refuses_a_baseline_for_block_merge_findings() {
    let tmp = tempfile::tempdir().unwrap();
    let work = repo(tmp.path(), &[]);
    let bl = tmp.path().join("baseline.json");
    let bl = bl.to_str().unwrap();
    let args = ["check", "--base", "main", "--gate", "release"];
    let out = invlint(&work, &[&args[..], &["--write-baseline", bl]].concat(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let out = invlint(
        &work,
        &[&args[..], &["--baseline", bl, "--format", "json"]].concat(),
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let doc = json(&out);
    assert!(ids(&doc).contains(&"INV-03".to_string()), "{doc}");
    assert!(
        doc["summary"]["filtered"]["baseline_refused"]
            .as_u64()
            .unwrap()
            >= 2,
        "{doc}"
    );
    let out = invlint(&work, &[&args[..], &["--baseline", bl]].concat(), &[]);
    assert!(
        text(&out).contains("the release gate does not accept a baseline"),
        "{}",
        text(&out)
    );
}

/// A baseline committed by the pull request itself cannot excuse the pull request's findings:
/// it is read as the base commit has it (absent: nothing baselined).
#[test]
fn a_baseline_the_change_adds_excuses_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let first = repo(tmp.path(), &[]);
    let bl = tmp.path().join("bl.json");
    let out = invlint(
        &first,
        &[
            "check",
            "--base",
            "main",
            "--write-baseline",
            bl.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let recorded = std::fs::read_to_string(&bl).unwrap();
    let tmp2 = tempfile::tempdir().unwrap();
    let work = repo(tmp2.path(), &[(".invlint-baseline.json", &recorded)]);
    let inside = work.join(".invlint-baseline.json");
    let out = invlint(
        &work,
        &[
            "check",
            "--base",
            "main",
            "--baseline",
            inside.to_str().unwrap(),
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let doc = json(&out);
    assert_eq!(doc["summary"]["filtered"]["baselined"], 0, "{doc}");
    assert!(
        doc["summary"]["filtered"]["baseline"]
            .as_str()
            .unwrap()
            .contains("absent at base"),
        "{doc}"
    );

    // The same baseline committed at the base is honoured, whatever the work tree's copy says.
    let tmp3 = tempfile::tempdir().unwrap();
    let base = files(&[
        (CLIENT, CLIENT_BASE),
        ("README.md", "# demo\n"),
        (".invlint-baseline.json", &recorded),
    ]);
    let v = violating();
    let head = files(&[
        (CLIENT, v.as_str()),
        ("README.md", "# demo\n"),
        (".invlint-baseline.json", &recorded),
    ]);
    let work = scratch::build(
        &tmp3.path().join("repo"),
        &base,
        &head,
        HeadAs::Commit,
        "pr",
    )
    .unwrap();
    std::fs::write(work.join(".invlint-baseline.json"), "not even JSON").unwrap();
    let inside = work.join(".invlint-baseline.json");
    let out = invlint(
        &work,
        &[
            "check",
            "--base",
            "main",
            "--baseline",
            inside.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("(at base "), "{}", text(&out));
}

#[test]
fn select_ignore_and_exit_zero() {
    let tmp = tempfile::tempdir().unwrap();
    let work = repo(tmp.path(), &[]);
    let pr = tmp.path().join("pr.md");
    std::fs::write(&pr, PR).unwrap();
    let base = [
        "check",
        "--base",
        "main",
        "--pr-body",
        pr.to_str().unwrap(),
        "--format",
        "json",
    ];
    let all = ids(&json(&invlint(&work, &base, &[])));
    assert!(
        all.iter().any(|i| i == "INV-03") && all.iter().any(|i| i.starts_with("PR-")),
        "{all:?}"
    );
    let doc = json(&invlint(
        &work,
        &[&base[..], &["--select", "inv-03"]].concat(),
        &[],
    ));
    assert!(ids(&doc).iter().all(|i| i == "INV-03"), "{doc}");
    assert_eq!(
        doc["summary"]["filtered"]["deselected"],
        all.len() - ids(&doc).len()
    );
    let doc = json(&invlint(
        &work,
        &[
            &base[..],
            &["--ignore", "INV-03,PR-01", "--ignore", "PR-02"],
        ]
        .concat(),
        &[],
    ));
    assert!(
        ids(&doc)
            .iter()
            .all(|i| !["INV-03", "PR-01", "PR-02"].contains(&i.as_str())),
        "{doc}"
    );
    let out = invlint(&work, &[&base[..], &["--ignore", "INV-3"]].concat(), &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("--ignore INV-3") && text(&out).contains("did you mean INV-03"),
        "{}",
        text(&out)
    );
    let out = invlint(&work, &["check", "--base", "main", "--exit-zero"], &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("merge gate blocked"), "{}", text(&out));
    // invlint's own failure still exits 2.
    let out = invlint(
        &work,
        &["check", "--base", "no-such-branch", "--exit-zero"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

fn bots_policy(tmp: &Path, mode: &str) -> String {
    let policy = format!(
        "{}\n[bots]\nauthors = [\"dependabot[bot]\", \"renovate[bot]\"]\npr-checks = \"{mode}\"\n",
        invlint::engine::config::DEFAULT_POLICY
    );
    let p = tmp.join(format!("bots-{mode}.toml"));
    std::fs::write(&p, policy).unwrap();
    p.to_str().unwrap().to_string()
}

/// A dependency bump by a bot (no checklist) is not blocked by PR-01.., when the policy says
/// so and the author comes from the CI event; at the release gate nothing is exempt.
#[test]
fn bot_authors_from_the_event_soften_the_pr_checks_at_merge_only() {
    let tmp = tempfile::tempdir().unwrap();
    // A clean change to a migration surface: only the PR checks have anything to say.
    let base = files(&[(CLIENT, CLIENT_BASE)]);
    let head = files(&[(
        CLIENT,
        &format!("{CLIENT_BASE}export const TOPICS = [\"runs\"];\n"),
    )]);
    let work = scratch::build(
        &tmp.path().join("repo"),
        &base,
        &head,
        HeadAs::Commit,
        "bump",
    )
    .unwrap();
    let warn = bots_policy(tmp.path(), "warn");
    let event = |login: &str| {
        let p = tmp.path().join(format!("event-{}.json", login.len()));
        std::fs::write(&p, format!(r#"{{"pull_request":{{"title":"Bump left-pad","body":"{PR}","user":{{"login":"{login}"}},"base":{{"sha":"{}"}}}}}}"#,
            git2::Repository::open(&work).unwrap().revparse_single("main").unwrap().id(), PR = PR.trim())).unwrap();
        p.to_str().unwrap().to_string()
    };
    let run = |cfg: &str, ev: &str, extra: &[&str]| {
        invlint(
            &work,
            &[&["--config", cfg, "check", "--format", "json"][..], extra].concat(),
            &[("GITHUB_EVENT_PATH", ev)],
        )
    };
    let human = run(&warn, &event("octocat"), &[]);
    assert_eq!(
        human.status.code(),
        Some(1),
        "a person's PR is blocked: {}",
        text(&human)
    );
    let pr_ids: Vec<String> = ids(&json(&human))
        .into_iter()
        .filter(|i| i.starts_with("PR-"))
        .collect();
    assert!(!pr_ids.is_empty());

    let out = run(&warn, &event("dependabot[bot]"), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let doc = json(&out);
    assert_eq!(doc["summary"]["filtered"]["bot_author"], "dependabot[bot]");
    assert!(doc["summary"]["filtered"]["bot_softened"].as_u64().unwrap() >= 1);
    assert!(doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"].as_str().unwrap().starts_with("PR-"))
        .all(|f| f["blocking"] == false));

    let skip = bots_policy(tmp.path(), "skip");
    let doc = json(&run(&skip, &event("renovate[bot]"), &[]));
    assert!(ids(&doc).iter().all(|i| !i.starts_with("PR-")), "{doc}");

    // --pr-author names the author outside CI; the release gate exempts no one, and says so.
    let out = run(
        &warn,
        &event("octocat"),
        &["--pr-author", "dependabot[bot]", "--gate", "release"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        json(&out)["summary"]["filtered"]["bot_refused"]
            .as_u64()
            .unwrap()
            >= 1
    );
    let out = invlint(
        &work,
        &[
            "--config",
            &warn,
            "check",
            "--gate",
            "release",
            "--pr-author",
            "dependabot[bot]",
        ],
        &[("GITHUB_EVENT_PATH", &event("octocat"))],
    );
    assert!(
        text(&out).contains("the release gate does not exempt bots"),
        "{}",
        text(&out)
    );

    // A bad switch is a policy error.
    let bad = tmp.path().join("bad.toml");
    std::fs::write(
        &bad,
        format!(
            "{}\n[bots]\npr-checks = \"ignore\"\n",
            invlint::engine::config::DEFAULT_POLICY
        ),
    )
    .unwrap();
    let out = run(bad.to_str().unwrap(), &event("octocat"), &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("use \"warn\" or \"skip\""),
        "{}",
        text(&out)
    );
}

fn gitlab_validator() -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_str(include_str!("../schemas/gitlab-codequality.schema.json")).unwrap();
    jsonschema::validator_for(&schema).expect("the Code Quality schema compiles")
}

/// In a GitLab merge-request pipeline the description and base come from CI variables, and
/// `--format gitlab` is a Code Quality report every issue of which has a file and a line.
#[test]
fn gitlab_merge_request_pipeline_and_code_quality_report() {
    let tmp = tempfile::tempdir().unwrap();
    let work = repo(tmp.path(), &[]);
    let main = git2::Repository::open(&work)
        .unwrap()
        .revparse_single("main")
        .unwrap()
        .id()
        .to_string();
    let env = [
        ("GITLAB_CI", "true"),
        ("CI_MERGE_REQUEST_IID", "7"),
        ("CI_MERGE_REQUEST_DESCRIPTION", PR),
        ("CI_MERGE_REQUEST_DIFF_BASE_SHA", main.as_str()),
    ];
    let out = invlint(&work, &["check", "--format", "gitlab"], &env);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let errors: Vec<String> = gitlab_validator()
        .iter_errors(&report)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}\n{report}", errors.join("\n"));
    let issues = report.as_array().unwrap();
    // The description was read (PR findings exist) and anchored to a file of the repository.
    let on_description: Vec<_> = issues
        .iter()
        .filter(|i| i["check_name"].as_str().unwrap().starts_with("PR-"))
        .collect();
    assert!(!on_description.is_empty(), "{report}");
    for i in &on_description {
        assert_eq!(i["location"]["path"], "inv-rules.toml", "{i}");
        assert!(
            i["description"]
                .as_str()
                .unwrap()
                .contains("PR description"),
            "{i}"
        );
    }
    let prints: std::collections::BTreeSet<&str> = issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    assert_eq!(prints.len(), issues.len(), "fingerprints are unique");
    assert!(issues
        .iter()
        .any(|i| i["severity"] == "blocker" && i["location"]["path"] == CLIENT));
    // The schema is not a rubber stamp.
    let mut broken = report.clone();
    broken[0]["location"]
        .as_object_mut()
        .unwrap()
        .remove("lines");
    assert!(!gitlab_validator().is_valid(&broken));
    broken[0]["severity"] = "error".into();
    assert!(!gitlab_validator().is_valid(&broken));

    // Outside a merge request pipeline there is no description: no PR findings.
    let out = invlint(
        &work,
        &["check", "--base", "main", "--format", "gitlab"],
        &[("GITLAB_CI", "true")],
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        report
            .as_array()
            .unwrap()
            .iter()
            .all(|i| !i["check_name"].as_str().unwrap().starts_with("PR-")),
        "{report}"
    );
}

/// `$COLUMNS` sets the width of the human output (the terminal's own width is used otherwise).
#[test]
fn columns_sets_the_output_width() {
    let tmp = tempfile::tempdir().unwrap();
    let work = repo(tmp.path(), &[]);
    // Narrower output wraps messages and help onto more lines.
    let lines = |cols: &str| {
        let out = invlint(&work, &["check", "--base", "main"], &[("COLUMNS", cols)]);
        String::from_utf8_lossy(&out.stdout).lines().count()
    };
    assert!(
        lines("60") > lines("200"),
        "{} {}",
        lines("60"),
        lines("200")
    );
}

/// Without `$COLUMNS`, the width is the terminal's: run under a pseudo-terminal (util-linux
/// `script`) of 70 and of 200 columns.
#[test]
fn the_terminal_sets_the_output_width() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: util-linux `script` (a pseudo-terminal) is not installed");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let work = repo(tmp.path(), &[]);
    let lines = |cols: u32| {
        let inner = format!(
            "stty rows 50 cols {cols}; '{}' -C '{}' check --base main --color never",
            env!("CARGO_BIN_EXE_invlint"),
            work.display()
        );
        let out = Command::new("script")
            .args(["-qec", &inner, "/dev/null"])
            .env_remove("COLUMNS")
            .env_remove("GITHUB_EVENT_PATH")
            .env_remove("GITLAB_CI")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        String::from_utf8_lossy(&out.stdout).lines().count()
    };
    assert!(lines(70) > lines(200), "{} {}", lines(70), lines(200));
}
