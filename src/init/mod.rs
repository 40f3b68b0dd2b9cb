//! `invlint init`: a starter `inv-rules.toml` for the repository at hand.
//!
//! The starter is the built-in default policy ([`DEFAULT_POLICY`]), edited with `toml_edit` so
//! that every comment and the layout survive. Only path-valued settings change:
//!
//! - an entry that names a repository-specific path (its first segment is literal, like
//!   `apps/runtime/src/**`) and matches nothing in the work tree is dropped when other entries
//!   of the same setting do match;
//! - a setting none of whose repository-specific entries match is replaced by what the walk
//!   found for it (proto trees, app/service roots, migration directories, deploy scripts, the
//!   legacy inventory), or, when nothing was found, kept as it is with a
//!   `# TODO(invlint init): ...` comment above it;
//! - generic entries (`**/*.sh`, `@tests`, `!glob`) are kept: they match files added later.
//!
//! The tree is read with the engine's walker ([`crate::engine::walk::index`]), so `.gitignore`d
//! build output never shapes the policy. Nothing here writes files: the caller decides where the
//! text goes (`invlint init` writes it to the repository root, `--stdout` prints it).

use std::collections::BTreeSet;

use globset::{GlobBuilder, GlobMatcher};
use toml_edit::{Array, ArrayOfTables, DocumentMut, Item, Table, Value};

use crate::engine::config::DEFAULT_POLICY;
use crate::engine::walk::RepoIndex;

mod guess;
#[cfg(test)]
mod tests;

use guess::*;

/// What the walk found that a policy can point at.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Found {
    /// Roots of proto trees (`proto`, `crates/x/proto`): directories holding `.proto` files.
    pub proto_trees: Vec<String>,
    /// App and service roots: `apps/*`, `services/*`, and directories with a Cargo.toml,
    /// package.json or composer.json (outermost only).
    pub apps: Vec<String>,
    /// Manifests at the repository root (`Cargo.toml`, `package.json`, `composer.json`).
    pub root_manifests: Vec<String>,
    /// Migration directories (`**/migrations`).
    pub migrations: Vec<String>,
    /// Deploy directories (`**/deploy`).
    pub deploy: Vec<String>,
    /// True when `.github/workflows` holds YAML files.
    pub workflows: bool,
    /// Build scripts that compile proto files (`build.rs` naming `.proto`, prost or tonic).
    pub proto_generators: Vec<String>,
    /// Legacy inventory documents (`docs/**/*legacy*inventory*.md`).
    pub inventories: Vec<String>,
    /// Services: directories with a manifest that runs something (a Cargo package with a
    /// binary, a package.json with a `start` script, mix.exs, composer.json), with the package
    /// name when the manifest gives one. Matched by name to the policy's planes and services.
    pub services: Vec<(String, Option<String>)>,
}

/// The starter policy and what went into it.
#[derive(Debug)]
pub struct Starter {
    /// The policy text.
    pub text: String,
    /// What the walk found.
    pub found: Found,
    /// Settings replaced by guesses, as `ID.check.key`.
    pub guessed: Vec<String>,
    /// Settings left with a TODO comment, as `ID.check.key`.
    pub todo: Vec<String>,
}

const MANIFESTS: [&str; 4] = ["Cargo.toml", "package.json", "composer.json", "mix.exs"];

/// Whether the manifest at `path` (with `text`) makes its directory a service, and its name.
fn service_manifest(path: &str, text: &str, files: &[String]) -> Option<Option<String>> {
    let name = path.rsplit('/').next().unwrap_or(path);
    let dir = parent(path);
    let quoted = |key: &str| {
        text.lines().find_map(|l| {
            let l = l.trim();
            let rest = l.strip_prefix(key)?.trim_start().strip_prefix('=')?;
            Some(rest.trim().trim_matches('"').to_string())
        })
    };
    match name {
        "Cargo.toml" => {
            let has_bin = text.contains("[[bin]]")
                || files.binary_search(&format!("{dir}/src/main.rs")).is_ok();
            (text.contains("[package]") && has_bin).then(|| quoted("name"))
        }
        "package.json" => {
            let json: serde_json::Value = serde_json::from_str(text).ok()?;
            json.pointer("/scripts/start")?;
            Some(
                json.get("name")
                    .and_then(|n| n.as_str())
                    .map(str::to_string),
            )
        }
        "mix.exs" | "composer.json" => Some(None),
        _ => None,
    }
}

/// Path segments that are never where an app, proto tree or deploy script lives.
fn is_noise(path: &str) -> bool {
    path.split('/').any(|s| {
        matches!(
            s,
            "node_modules"
                | "vendor"
                | "target"
                | "dist"
                | "build"
                | "tests"
                | "test"
                | "__tests__"
                | "fixtures"
                | "testdata"
                | "examples"
        )
    })
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map(|(d, _)| d).unwrap_or("")
}

/// Keeps the outermost directories: drops any that lies inside another of the set.
fn outermost(dirs: BTreeSet<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for d in dirs {
        if !out
            .iter()
            .any(|o| d.starts_with(o.as_str()) && d.as_bytes().get(o.len()) == Some(&b'/'))
        {
            out.push(d);
        }
    }
    out
}

/// The directory up to and including the first segment named `name`, if any.
fn up_to_segment(path: &str, names: &[&str]) -> Option<String> {
    let segs: Vec<&str> = path.split('/').collect();
    let dir_segs = &segs[..segs.len().saturating_sub(1)];
    dir_segs
        .iter()
        .position(|s| names.contains(s))
        .map(|i| dir_segs[..=i].join("/"))
}

/// Looks at the tree. `read` returns a file's text (used only for `build.rs` files).
pub fn discover(index: &RepoIndex, read: &dyn Fn(&str) -> Option<String>) -> Found {
    let mut found = Found::default();
    let mut protos = BTreeSet::new();
    let mut apps = BTreeSet::new();
    let mut migrations = BTreeSet::new();
    let mut deploy = BTreeSet::new();
    let inventory = GlobBuilder::new("docs/**/*legacy*inventory*.md")
        .literal_separator(true)
        .case_insensitive(true)
        .build()
        .map(|g| g.compile_matcher())
        .ok();
    for path in &index.files {
        if path.starts_with(".github/workflows/")
            && (path.ends_with(".yml") || path.ends_with(".yaml"))
        {
            found.workflows = true;
        }
        if inventory.as_ref().is_some_and(|g| g.is_match(path)) {
            found.inventories.push(path.clone());
        }
        if is_noise(path) {
            continue;
        }
        let name = path.rsplit('/').next().unwrap_or(path);
        if path.ends_with(".proto") {
            // A tree is rooted at its `proto` directory when there is one, else at the dir.
            protos.insert(
                up_to_segment(path, &["proto", "protos", "protobuf"])
                    .unwrap_or_else(|| parent(path).to_string()),
            );
        }
        let segs: Vec<&str> = path.split('/').collect();
        if segs.len() >= 3 && matches!(segs[0], "apps" | "services") {
            apps.insert(format!("{}/{}", segs[0], segs[1]));
        }
        if MANIFESTS.contains(&name) {
            let dir = parent(path);
            if dir.is_empty() {
                found.root_manifests.push(path.clone());
            } else {
                apps.insert(dir.to_string());
                if let Some(package) =
                    read(path).and_then(|text| service_manifest(path, &text, &index.files))
                {
                    found.services.push((dir.to_string(), package));
                }
            }
        }
        if let Some(dir) = up_to_segment(path, &["migrations"]) {
            migrations.insert(dir);
        }
        if let Some(dir) = up_to_segment(path, &["deploy"]) {
            deploy.insert(dir);
        }
        if name == "build.rs" {
            if let Some(text) = read(path) {
                if text.contains(".proto")
                    || text.contains("prost_build")
                    || text.contains("tonic_build")
                {
                    found.proto_generators.push(path.clone());
                }
            }
        }
    }
    // A tree without a dir of its own (protos at the root) is the whole repository: skip it.
    protos.remove("");
    found.proto_trees = outermost(protos);
    found.apps = outermost(apps);
    found.migrations = outermost(migrations);
    found.deploy = outermost(deploy);
    found
}

// Matching policy entries against the tree.

struct Tree<'a> {
    files: &'a [String],
    dirs: BTreeSet<String>,
}

impl<'a> Tree<'a> {
    fn new(index: &'a RepoIndex) -> Self {
        let mut dirs = BTreeSet::new();
        for f in &index.files {
            let mut d = parent(f);
            while !d.is_empty() && dirs.insert(d.to_string()) {
                d = parent(d);
            }
        }
        Tree {
            files: &index.files,
            dirs,
        }
    }

    fn matches(&self, glob: &GlobMatcher) -> bool {
        self.files.iter().any(|f| glob.is_match(f)) || self.dirs.iter().any(|d| glob.is_match(d))
    }
}

/// Whether a policy entry names a repository-specific path (a literal first segment), so that
/// matching nothing means it is about another repository.
fn is_specific(entry: &str) -> bool {
    if entry.is_empty() || entry.starts_with(['@', '!']) {
        return false;
    }
    let first = entry.split('/').next().unwrap_or("");
    !first.contains(['*', '?', '[', '{'])
}

/// `None` for generic entries; else whether the entry fits this tree: it matches a file or
/// directory, or the directory its glob starts from exists (`apps/runtime/src/**/types.rs` fits
/// a tree with `apps/runtime/src` and no `types.rs` yet: files added later will match).
fn is_live(tree: &Tree, entry: &str) -> Option<bool> {
    if !is_specific(entry) {
        return None;
    }
    let literal: Vec<&str> = entry
        .split('/')
        .take_while(|s| !s.contains(['*', '?', '[', '{']))
        .collect();
    if literal.len() < entry.split('/').count() && tree.dirs.contains(&literal.join("/")) {
        return Some(true);
    }
    let glob = GlobBuilder::new(entry)
        .literal_separator(true)
        .backslash_escape(true)
        .build()
        .ok()?
        .compile_matcher();
    Some(tree.matches(&glob))
}

fn todo_comment(guess: Guess) -> String {
    if guess == Guess::None {
        return "# TODO(invlint init): no path named here exists in this repository; set this to your equivalent (see the comment above).\n".into();
    }
    format!(
        "# TODO(invlint init): no {} found; set this to {}.\n",
        guess.what(),
        guess.hint()
    )
}

fn append_prefix(decor: &mut toml_edit::Decor, line: &str) {
    let old = decor
        .prefix()
        .and_then(|p| p.as_str())
        .unwrap_or("")
        .to_string();
    decor.set_prefix(format!("{old}{line}"));
}

fn string_array(values: &[String]) -> Array {
    let mut a = Array::new();
    for v in values {
        a.push(v.as_str());
    }
    if values.len() > 3 {
        for v in a.iter_mut() {
            v.decor_mut().set_prefix("\n  ");
        }
        a.set_trailing("\n");
        a.set_trailing_comma(true);
    }
    a
}

/// Drops the entries marked dead, keeping the array's layout: one entry a line when it was
/// written so and still has more than three entries, else inline.
fn prune(a: &mut Array, states: &[Option<bool>]) {
    let multiline = a.trailing().as_str().is_some_and(|t| t.contains('\n'));
    let mut i = 0;
    a.retain(|_| {
        let keep = states.get(i).copied().flatten() != Some(false);
        i += 1;
        keep
    });
    if multiline && a.len() > 3 {
        if let Some(first) = a.get_mut(0) {
            first.decor_mut().set_prefix("\n  ");
        }
    } else {
        a.fmt();
        a.set_trailing("");
        a.set_trailing_comma(false);
    }
}

enum Outcome {
    Untouched,
    Pruned,
    Guessed,
    Todo,
}

/// Rewrites one path-valued key of `table` (a string or an array of strings).
fn rewrite_key(tree: &Tree, found: &Found, table: &mut Table, key: &str, guess: Guess) -> Outcome {
    let Some(item) = table.get_mut(key) else {
        return Outcome::Untouched;
    };
    match item {
        Item::Value(Value::String(s)) => {
            let path = s.value().clone();
            if path.is_empty() || is_live(tree, &path) != Some(false) {
                return Outcome::Untouched;
            }
            match guess.values(found).into_iter().next() {
                Some(g) => {
                    let decor = s.decor().clone();
                    let mut v = toml_edit::Formatted::new(g);
                    *v.decor_mut() = decor;
                    *s = v;
                    Outcome::Guessed
                }
                None => {
                    if let Some(mut k) = table.key_mut(key) {
                        append_prefix(k.leaf_decor_mut(), &todo_comment(guess));
                    }
                    Outcome::Todo
                }
            }
        }
        Item::Value(Value::Array(a)) => {
            let states: Vec<Option<bool>> = a
                .iter()
                .map(|v| v.as_str().and_then(|s| is_live(tree, s)))
                .collect();
            let any_dead = states.contains(&Some(false));
            if !any_dead {
                return Outcome::Untouched;
            }
            if states.contains(&Some(true)) {
                prune(a, &states);
                // Dropping dead entries must not narrow the setting to what happened to match
                // (`["Cargo.toml"]` for a `services/*` tree, #17): add what was found.
                let have: Vec<String> = a
                    .iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect();
                let extra: Vec<String> = guess
                    .values(found)
                    .into_iter()
                    .filter(|g| !have.contains(g))
                    .collect();
                if extra.is_empty() {
                    return Outcome::Pruned;
                }
                for g in extra {
                    a.push(g);
                }
                return Outcome::Guessed;
            }
            let guessed = guess.values(found);
            if guessed.is_empty() && states.contains(&None) {
                // Only generic entries apply here (`@tests`, `**/*.sh`): keep those.
                prune(a, &states);
                return Outcome::Pruned;
            }
            if guessed.is_empty() {
                if let Some(mut k) = table.key_mut(key) {
                    append_prefix(k.leaf_decor_mut(), &todo_comment(guess));
                }
                return Outcome::Todo;
            }
            // Keep the generic entries (`@tests`, `**/*.sh`) after the guesses.
            let mut values = guessed;
            values.extend(
                a.iter()
                    .zip(&states)
                    .filter(|(_, s)| s.is_none())
                    .filter_map(|(v, _)| v.as_str().map(str::to_string)),
            );
            let decor = a.decor().clone();
            let mut new = string_array(&values);
            *new.decor_mut() = decor;
            *a = new;
            Outcome::Guessed
        }
        _ => Outcome::Untouched,
    }
}

/// The service directory a plane or service entry named `name` most likely is: a service whose
/// directory name or package name is `name`, or contains it (`runtime-service`).
fn service_named<'a>(found: &'a Found, name: &str) -> Option<&'a (String, Option<String>)> {
    let name = name.to_ascii_lowercase();
    let base = |d: &str| d.rsplit('/').next().unwrap_or(d).to_ascii_lowercase();
    let exact = found.services.iter().find(|(d, p)| {
        base(d) == name || p.as_deref().is_some_and(|p| p.eq_ignore_ascii_case(&name))
    });
    exact.or_else(|| {
        let mut hits = found
            .services
            .iter()
            .filter(|(d, _)| base(d).contains(&name));
        match (hits.next(), hits.next()) {
            (Some(one), None) => Some(one),
            _ => None,
        }
    })
}

fn rewrite_table_array(
    tree: &Tree,
    found: &Found,
    array: &mut ArrayOfTables,
    key: &str,
    name: &str,
    crates: &mut Vec<String>,
) -> bool {
    let mut todo = false;
    // Entries of the same name share a guess: the first dead one takes the service, later
    // dead ones (the runtime's migrations, Khala's files) are left with a TODO.
    let mut used: BTreeSet<String> = BTreeSet::new();
    for t in array.iter_mut() {
        let values: Vec<String> = match t.get(key) {
            Some(Item::Value(Value::String(s))) => vec![s.value().clone()],
            Some(Item::Value(Value::Array(a))) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => continue,
        };
        let states: Vec<Option<bool>> = values.iter().map(|v| is_live(tree, v)).collect();
        if !states.contains(&Some(false)) {
            continue;
        }
        if states.contains(&Some(true)) {
            if let Some(Item::Value(Value::Array(a))) = t.get_mut(key) {
                prune(a, &states);
            }
        } else if let Some((dir, package)) = t
            .get("name")
            .and_then(Item::as_str)
            .filter(|n| !used.contains(*n))
            .and_then(|n| service_named(found, n))
            .filter(|_| matches!(name, "planes" | "services"))
        {
            let entry = t
                .get("name")
                .and_then(Item::as_str)
                .unwrap_or("")
                .to_string();
            used.insert(entry.clone());
            let value = if name == "planes" {
                format!("{dir}/**")
            } else {
                dir.clone()
            };
            t.insert(key, Item::Value(Value::Array(string_array(&[value]))));
            if name == "services" {
                if let Some(p) = package {
                    crates.push(p.clone());
                    t.insert(
                        "crates",
                        Item::Value(Value::Array(string_array(std::slice::from_ref(p)))),
                    );
                }
            }
            append_prefix(
                t.decor_mut(),
                &format!("# invlint init: `{entry}` is the service in `{dir}` (matched by name); check it.\n"),
            );
        } else {
            todo = true;
            append_prefix(
                t.decor_mut(),
                &format!(
                    "# TODO(invlint init): no path of this `{name}` entry exists here; set `{key}` to this repository's paths or delete the entry.\n"
                ),
            );
        }
    }
    todo
}

/// Builds the starter policy for the tree in `index`.
pub fn starter(index: &RepoIndex, read: &dyn Fn(&str) -> Option<String>) -> Starter {
    let found = discover(index, read);
    let tree = Tree::new(index);
    let mut doc: DocumentMut = DEFAULT_POLICY
        .parse()
        .expect("the embedded default policy is valid TOML");
    let mut guessed = Vec::new();
    let mut todo = Vec::new();
    let mut note = |outcome: Outcome, name: String| match outcome {
        Outcome::Guessed => guessed.push(name),
        Outcome::Todo => todo.push(name),
        Outcome::Untouched | Outcome::Pruned => {}
    };
    if let Some(invariants) = doc.get_mut("invariant").and_then(Item::as_table_mut) {
        for (id, item) in invariants.iter_mut() {
            let Some(inv) = item.as_table_mut() else {
                continue;
            };
            let Some(check) = inv.get("check").and_then(Item::as_str).map(str::to_string) else {
                continue;
            };
            let outcome = rewrite_key(&tree, &found, inv, "surfaces", surfaces_guess(&check));
            note(outcome, format!("{id}.surfaces"));
            let Some(settings) = inv.get_mut(&check).and_then(Item::as_table_mut) else {
                continue;
            };
            for (_, key, guess) in SETTINGS.iter().filter(|(c, ..)| *c == check) {
                let outcome = rewrite_key(&tree, &found, settings, key, *guess);
                note(outcome, format!("{id}.{check}.{key}"));
            }
            let mut crates: Vec<String> = Vec::new();
            for (_, array, key) in TABLE_ARRAYS.iter().filter(|(c, ..)| *c == check) {
                if let Some(a) = settings
                    .get_mut(array)
                    .and_then(Item::as_array_of_tables_mut)
                {
                    if rewrite_table_array(&tree, &found, a, key, array, &mut crates) {
                        note(Outcome::Todo, format!("{id}.{check}.{array}"));
                    }
                }
            }
            // A crate now named as a service is no longer "not a service".
            if let Some(Item::Value(Value::Array(a))) = settings.get_mut("not-services") {
                a.retain(|v| v.as_str().is_none_or(|n| !crates.iter().any(|c| c == n)));
            }
        }
    }
    let mut header = String::from(
        "# Starter policy written by `invlint init` from the built-in default.\n\
         # Path settings that matched nothing in this repository were replaced by what `init` found\n\
         # (proto trees, apps and services, migrations, deploy scripts, the legacy inventory) or\n\
         # carry a `TODO(invlint init)` comment; entries naming paths that do not exist here were\n\
         # dropped. Review the TODOs, then run `invlint check --all` to see what the policy finds.\n",
    );
    let list = |v: &[String]| {
        if v.is_empty() {
            "none".to_string()
        } else {
            v.join(", ")
        }
    };
    header.push_str(&format!(
        "#\n# Found: proto trees: {}; apps/services: {}; services with a manifest: {}; migrations: {}; deploy: {}{}; inventory: {}.\n#\n",
        list(&found.proto_trees),
        list(&found.apps),
        list(&found.services.iter().map(|(d, _)| d.clone()).collect::<Vec<_>>()),
        list(&found.migrations),
        list(&found.deploy),
        if found.workflows { " + .github/workflows" } else { "" },
        list(&found.inventories),
    ));
    Starter {
        text: format!("{header}{doc}"),
        found,
        guessed,
        todo,
    }
}
