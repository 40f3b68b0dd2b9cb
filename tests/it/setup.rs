//! Setting up a repository: `invlint init`, `invlint schema`, `invlint completions`.

use std::path::Path;
use std::process::{Command, Output, Stdio};

fn invlint(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_invlint"))
        .current_dir(dir)
        .args(args)
        .env("NO_COLOR", "1")
        .env("COLUMNS", "100")
        .env_remove("GITHUB_EVENT_PATH")
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `git status --porcelain` of `dir` (untracked files listed one by one).
fn status(dir: &Path) -> Vec<String> {
    let repo = git2::Repository::open(dir).unwrap();
    let mut opts = git2::StatusOptions::new();
    opts.include_untracked(true).recurse_untracked_dirs(true);
    let statuses = repo.statuses(Some(&mut opts)).unwrap();
    let mut out: Vec<String> = statuses
        .iter()
        .map(|s| format!("{:?} {}", s.status(), s.path().unwrap_or("?")))
        .collect();
    out.sort();
    out
}

#[test]
fn init_on_the_demo_repository_gives_a_policy_check_runs_under() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("demo");
    let o = invlint(tmp.path(), &["demo", "--keep", repo.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let before = status(&repo);

    // --stdout writes nothing.
    let printed = invlint(&repo, &["init", "--stdout"]);
    assert_eq!(printed.status.code(), Some(0), "{}", stderr(&printed));
    assert!(stdout(&printed).contains("[invariant.INV-01]"));
    assert_eq!(
        status(&repo),
        before,
        "init --stdout wrote to the repository"
    );

    // From a subdirectory: the file lands at the repository root, and nowhere else.
    let o = invlint(&repo.join("apps"), &["init"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("inv-rules.toml"), "{}", stderr(&o));
    let mut expected = before.clone();
    expected.push("Status(WT_NEW) inv-rules.toml".to_string());
    expected.sort();
    assert_eq!(status(&repo), expected);
    let written = std::fs::read_to_string(repo.join("inv-rules.toml")).unwrap();
    assert_eq!(
        written,
        stdout(&printed),
        "--stdout prints what init writes"
    );
    invlint::parse_policy("inv-rules.toml", &written).unwrap();

    // `check` runs under it: findings or none, never an error.
    let pr = repo.join(".git").join("invlint-demo-pr.md");
    for args in [
        vec!["check", "--base", "main"],
        vec!["check", "--base", "main", "--pr-body", pr.to_str().unwrap()],
    ] {
        let o = invlint(&repo, &args);
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "{args:?} exited {:?}: {}",
            o.status.code(),
            stderr(&o)
        );
        assert!(
            stdout(&o).contains("policy inv-rules.toml"),
            "{}",
            stdout(&o)
        );
    }

    // Never overwrites.
    let o = invlint(&repo, &["init"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("already exists"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read_to_string(repo.join("inv-rules.toml")).unwrap(),
        written
    );
    assert_eq!(status(&repo), expected);
}

#[test]
fn init_guesses_paths_in_an_unrelated_layout() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    git2::Repository::init(root).unwrap();
    for (path, text) in [
        ("Cargo.toml", "[workspace]\nmembers = [\"services/*\"]\n"),
        (
            "schemas/proto/acme/billing/v1/billing.proto",
            "syntax = \"proto3\";\npackage acme.billing.v1;\n",
        ),
        (
            "services/billing/Cargo.toml",
            "[package]\nname = \"billing\"\n",
        ),
        ("services/billing/src/main.rs", "fn main() {}\n"),
        (
            "services/billing/db/migrations/0001_init.sql",
            "CREATE TABLE invoices (id int);\n",
        ),
        ("ops/deploy/billing.sh", "#!/bin/sh\n"),
        (
            "docs/plans/legacy-inventory.md",
            "| surface | gates | status |\n",
        ),
    ] {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    let o = invlint(root, &["init", "--stdout"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(
        text.contains("proto-paths = [\"schemas/proto/**/*.proto\"]"),
        "{text}"
    );
    assert!(
        text.contains("migrations = [\"services/billing/db/migrations/**\"]"),
        "{text}"
    );
    assert!(
        text.contains("inventory = \"docs/plans/legacy-inventory.md\""),
        "{text}"
    );
    assert!(text.contains("\"ops/deploy/**\""), "{text}");
    assert!(text.contains("# TODO(invlint init):"), "{text}");
    assert!(!root.join("inv-rules.toml").exists());
    invlint::parse_policy("inv-rules.toml", &text).unwrap();
}

#[test]
fn schema_output_is_the_committed_file() {
    let o = invlint(Path::new(env!("CARGO_MANIFEST_DIR")), &["schema"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let committed = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("inv-rules.schema.json"),
    )
    .unwrap();
    assert!(
        stdout(&o) == committed,
        "inv-rules.schema.json is stale: run `cargo run -- schema > inv-rules.schema.json`"
    );
}

#[test]
fn output_schema_is_printed_and_committed() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = invlint(root, &["schema", "--output"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let committed = std::fs::read_to_string(root.join("invlint-output.schema.json")).unwrap();
    assert_eq!(stdout(&o), committed);
    let schema: serde_json::Value = serde_json::from_str(&committed).unwrap();
    assert_eq!(schema["properties"]["version"]["const"], 1);
    jsonschema::validator_for(&schema).expect("the output schema compiles");
}

fn schema_validator() -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_str(&invlint::engine::schema::render(invlint::REGISTRY)).unwrap();
    jsonschema::validator_for(&schema).expect("the schema compiles")
}

fn errors(v: &jsonschema::Validator, doc: &serde_json::Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn default_policy_validates_against_the_schema() {
    let v = schema_validator();
    let doc: serde_json::Value = toml::from_str(invlint::engine::config::DEFAULT_POLICY).unwrap();
    assert_eq!(errors(&v, &doc), Vec::<String>::new());
}

#[test]
fn schema_rejects_what_the_policy_parser_rejects() {
    let v = schema_validator();
    for (bad, why) in [
        ("version = 1\nverison = 2\n", "unknown top-level key"),
        (
            "[invariant.INV-01]\ntitle = \"t\"\ncheck = \"sse-poll-lane\"\nescalation = \"block-it\"\n",
            "unknown escalation",
        ),
        (
            "[invariant.INV-01]\ntitle = \"t\"\ncheck = \"sse-poll-lane\"\nescalation = \"block-merge\"\nstatus = \"beta\"\n",
            "unknown status",
        ),
        (
            "[invariant.INV-01]\ncheck = \"sse-poll-lane\"\nescalation = \"block-merge\"\n",
            "missing title",
        ),
        (
            "[invariant.INV-01]\ntitle = \"t\"\ncheck = \"sse-poll-lane\"\nescalation = \"block-merge\"\n[invariant.INV-01.sse-poll-lane]\npath = [\"apps/**\"]\n",
            "unknown settings key",
        ),
        (
            "[invariant.INV-01]\ntitle = \"t\"\ncheck = \"sse-poll-lane\"\nescalation = \"block-merge\"\n[invariant.INV-01.sse-poll-lane]\npaths = \"apps/**\"\n",
            "string for a glob list",
        ),
        (
            "[invariant.INV-01]\ntitle = \"t\"\ncheck = \"sse-poll-lane\"\nescalation = \"block-merge\"\n[invariant.INV-01.sse-poll-lane]\npatterns = [{ id = \"a\", regex = \"x\" }]\n",
            "pattern without `what`",
        ),
    ] {
        let doc: serde_json::Value = toml::from_str(bad).unwrap();
        assert!(!v.is_valid(&doc), "the schema accepts a policy with {why}");
        assert!(
            invlint::parse_policy("p.toml", bad).is_err(),
            "the parser accepts a policy with {why}"
        );
    }
}

/// A TOML value of the described type that the deserializer accepts.
fn sample(ty: invlint::engine::schema::Ty) -> String {
    use invlint::engine::schema::Ty;
    match ty {
        Ty::Str | Ty::Path => "\"x\"".into(),
        Ty::Bool => "true".into(),
        Ty::Int => "1".into(),
        Ty::Float => "0.5".into(),
        Ty::Enum(values) => format!("{:?}", values[0]),
        Ty::Regex => "'x'".into(),
        Ty::Strings | Ty::Regexes => "['x']".into(),
        Ty::Globs => "['x/**']".into(),
        Ty::Patterns => "[{ id = 'p', regex = 'x', what = 'w', near = 'y', within = 2 }]".into(),
        Ty::Tables(keys) => {
            let fields: Vec<String> = keys
                .iter()
                .map(|k| format!("{} = {}", k.name, sample(k.ty)))
                .collect();
            format!("[{{ {} }}]", fields.join(", "))
        }
    }
}

#[test]
fn every_key_the_schema_describes_exists_in_the_policy_types() {
    use invlint::engine::error::Error;
    let v = schema_validator();
    for (check, keys) in invlint::engine::schema::settings_tables(invlint::REGISTRY) {
        let mut text = format!(
            "version = 1\n[limits]\nmax-file-size = 10\n[vocabulary]\ntests = ['**/tests/**']\n\
             [invariant.X-01]\ntitle = 't'\ncheck = '{check}'\nescalation = 'block-merge'\n\
             status = 'stable'\nowners = ['@me']\nsurfaces = ['a/**']\nsuppressible = true\n\
             [invariant.X-01.{check}]\n"
        );
        for k in keys {
            text.push_str(&format!("{} = {}\n", k.name, sample(k.ty)));
        }
        let doc: serde_json::Value = toml::from_str(&text).unwrap();
        assert_eq!(errors(&v, &doc), Vec::<String>::new(), "{text}");
        // Values may be semantically wrong for a check (a plane map without planes), but every
        // key and type must get past the deserializer: a parse error here is schema drift.
        match invlint::parse_policy("p.toml", &text) {
            Ok(_) | Err(Error::ConfigInvalid { .. }) => {}
            Err(e) => panic!("`{check}` settings the schema describes do not parse: {e:?}\n{text}"),
        }
    }
}

#[test]
fn check_names_match_the_settings_tables() {
    let names = invlint::engine::schema::check_names(invlint::REGISTRY);
    for (check, _) in invlint::engine::schema::settings_tables(invlint::REGISTRY) {
        assert!(names.contains(&check), "{check} is not a registered check");
    }
}

#[test]
fn completions_name_the_binary_and_its_subcommands() {
    let o = invlint(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &["completions", "bash"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("invlint"));
    for sub in [
        "check",
        "explain",
        "rules",
        "demo",
        "init",
        "schema",
        "completions",
    ] {
        assert!(out.contains(sub), "bash completions lack `{sub}`");
    }
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let o = invlint(
            Path::new(env!("CARGO_MANIFEST_DIR")),
            &["completions", shell],
        );
        assert_eq!(o.status.code(), Some(0), "{shell}: {}", stderr(&o));
        assert!(stdout(&o).contains("invlint"), "{shell}");
    }
    let o = invlint(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &["completions", "tcsh"],
    );
    assert_eq!(o.status.code(), Some(2));
}

/// See #17: `invlint init` on a tree laid out as `services/*`, `web/`, `db/migrations` gives a
/// policy under which the three violations the default policy finds under `apps/` are found
/// there too: an EventSource lane in the web client (INV-03), a cross-plane SQL JOIN in the
/// runtime service (INV-04), and a service-to-service dependency (INV-05).
#[test]
fn init_policy_finds_violations_in_a_services_layout() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let repo = git2::Repository::init(root).unwrap();
    let write = |path: &str, text: &str| {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    let commit = |message: &str| {
        let mut index = repo.index().unwrap();
        index
            .add_all(["*"], git2::IndexAddOption::DEFAULT, None)
            .unwrap();
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = git2::Signature::new("t", "t@example.com", &git2::Time::new(1, 0)).unwrap();
        let parents: Vec<git2::Commit> = repo
            .head()
            .ok()
            .and_then(|h| h.peel_to_commit().ok())
            .into_iter()
            .collect();
        let parents: Vec<&git2::Commit> = parents.iter().collect();
        repo.commit(Some("HEAD"), &sig, &sig, message, &tree, &parents)
            .unwrap();
    };
    write("Cargo.toml", "[workspace]\nmembers = [\"services/*\"]\n");
    for s in ["control", "runtime", "khala"] {
        write(
            &format!("services/{s}/Cargo.toml"),
            &format!("[package]\nname = \"{s}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n"),
        );
        write(&format!("services/{s}/src/main.rs"), "fn main() {}\n");
    }
    write(
        "web/package.json",
        "{ \"name\": \"web\", \"scripts\": { \"start\": \"vite\" } }\n",
    );
    write(
        "web/src/sync.ts",
        "export function connect(topic: string) {\n  return new WebSocket(`/khala/ws?topic=${topic}`);\n}\n",
    );
    write(
        "db/migrations/0001_init.sql",
        "CREATE TABLE control.users (id bigint primary key);\nCREATE TABLE runtime.runs (id bigint primary key, user_id bigint);\n",
    );
    let o = invlint(root, &["init"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    commit("base");
    repo.branch(
        "main",
        &repo.head().unwrap().peel_to_commit().unwrap(),
        true,
    )
    .unwrap();

    write(
        "web/src/sync.ts",
        "export function connect(topic: string) {\n  return new WebSocket(`/khala/ws?topic=${topic}`);\n}\n\nexport function fallback(topic: string) {\n  return new EventSource(`/khala/topics/${topic}/stream`);\n}\n",
    );
    write(
        "services/runtime/src/report.rs",
        "pub const REPORT: &str = \"SELECT u.email, r.id FROM control.users u JOIN runtime.runs r ON r.user_id = u.id\";\n",
    );
    write(
        "services/runtime/Cargo.toml",
        "[package]\nname = \"runtime\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[dependencies]\ncontrol = { path = \"../control\" }\n",
    );
    commit("the change");
    let o = invlint(root, &["check", "--base", "main", "--format", "json"]);
    assert_eq!(o.status.code(), Some(1), "{}{}", stdout(&o), stderr(&o));
    let doc: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let ids: Vec<&str> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    for id in ["INV-03", "INV-04", "INV-05"] {
        assert!(ids.contains(&id), "{id} not found: {}", stdout(&o));
    }
}
