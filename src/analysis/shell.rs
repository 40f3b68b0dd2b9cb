//! Shell scripts as the commands they execute, in order (tree-sitter with the bash grammar).
//!
//! A deploy script is judged by what it runs, not by the words it contains: a comment, a string,
//! a heredoc, a variable assignment or an `echo` of a command runs nothing, while a command kept
//! in a variable runs where the variable is expanded as a command name:
//!
//! ```sh
//! DEPLOY_CMD=(gcloud run deploy "${RUNTIME_SERVICE}" --image "${IMAGE}")
//! RUN_MIGRATE_SCRIPT="${SCRIPT_DIR}/run-migrate-job.sh"
//! "${DEPLOY_CMD[@]}"          # runs: gcloud run deploy "${RUNTIME_SERVICE}" --image "${IMAGE}"
//! "${RUN_MIGRATE_SCRIPT}"     # runs: "${SCRIPT_DIR}/run-migrate-job.sh"
//! ```
//!
//! [`executed_commands`] returns each command with its text as it runs (the command name resolved
//! through the script's own assignments, leading `NAME=value` environment prefixes dropped),
//! ordered as the script runs them: a call of a function the script defines runs the function's
//! commands there (depth-bounded); a function the script never calls runs its commands where it
//! is defined (it may be called from elsewhere: counting them keeps the reading conservative).
//! Conditions are not evaluated: both branches of an `if` are read, in source order.
//!
//! Bounded: a script over [`MAX_BYTES`] is not parsed, a syntax tree deeper than [`MAX_DEPTH`]
//! is refused, and a script the grammar cannot parse without error nodes is an error; the caller
//! says so out loud instead of guessing.

use std::collections::HashMap;
use std::ops::Range;

use tree_sitter::{Node, Parser};

/// Largest script parsed (tree-sitter is C code: untrusted input stays small).
pub const MAX_BYTES: usize = 1024 * 1024;
/// Deepest syntax tree walked; real scripts stay far below (nested `if`/`case`/subshells).
pub const MAX_DEPTH: usize = 200;
/// Deepest chain of function calls inlined (`a` calls `b` calls `c` ...); recursion stops here.
pub const MAX_CALL_DEPTH: usize = 8;
/// Most commands returned for one script (inlining a function at many call sites multiplies).
pub const MAX_COMMANDS: usize = 20_000;

/// One executed command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// Byte span of the command in the script (inside the function body for inlined calls).
    pub span: Range<usize>,
    /// The command name as it runs (resolved through assignments), e.g. `gcloud`.
    pub name: String,
    /// Name and arguments as they run, single-spaced; arguments are their source text.
    pub text: String,
}

/// Why a script was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShellError {
    /// Over [`MAX_BYTES`].
    TooLarge(usize),
    /// Syntax tree deeper than [`MAX_DEPTH`].
    TooDeep,
    /// The grammar found an error at this 1-based line.
    Syntax(usize),
    /// The parser gave no tree.
    NoTree,
}

impl std::fmt::Display for ShellError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ShellError::TooLarge(n) => {
                write!(
                    f,
                    "{n} bytes, over the {MAX_BYTES}-byte limit for shell scripts"
                )
            }
            ShellError::TooDeep => write!(f, "nesting over {MAX_DEPTH} levels"),
            ShellError::Syntax(line) => write!(f, "shell syntax error at line {line}"),
            ShellError::NoTree => write!(f, "the shell parser gave no syntax tree"),
        }
    }
}

/// Commands whose arguments are printed or tested, never run (`echo gcloud run deploy`).
pub const DEFAULT_INERT: &[&str] = &["echo", "printf", ":", "true", "false", "test", "["];

/// The commands `script` executes, in order; commands named in `inert` (and their arguments)
/// are left out.
pub fn executed_commands(script: &str, inert: &[String]) -> Result<Vec<Command>, ShellError> {
    if script.len() > MAX_BYTES {
        return Err(ShellError::TooLarge(script.len()));
    }
    let mut parser = Parser::new();
    parser
        .set_language(&tree_sitter_bash::LANGUAGE.into())
        .map_err(|_| ShellError::NoTree)?;
    let tree = parser.parse(script, None).ok_or(ShellError::NoTree)?;
    let root = tree.root_node();
    if depth_over(root, MAX_DEPTH) {
        return Err(ShellError::TooDeep);
    }
    if root.has_error() {
        let line = first_error(root).map_or(1, |n| n.start_position().row + 1);
        return Err(ShellError::Syntax(line));
    }
    let mut w = Walker {
        src: script.as_bytes(),
        inert,
        vars: HashMap::new(),
        functions: HashMap::new(),
        called: Vec::new(),
        out: Vec::new(),
        stack: Vec::new(),
    };
    collect_functions(root, &mut w, 0);
    w.walk(root, 0);
    // Functions never called here run where they are defined (another script may call them).
    let uncalled: Vec<(String, Node)> = {
        let mut v: Vec<(String, Node)> = w
            .functions
            .iter()
            .filter(|(n, _)| !w.called.contains(n))
            .map(|(n, b)| (n.clone(), *b))
            .collect();
        v.sort_by_key(|(_, b)| b.start_byte());
        v
    };
    for (name, body) in uncalled {
        w.stack.push(name);
        w.walk(body, 0);
        w.stack.pop();
    }
    Ok(w.out)
}

/// True when the tree under `node` is more than `max` levels deep (iterative: no recursion on
/// untrusted depth).
fn depth_over(node: Node, max: usize) -> bool {
    let mut cursor = node.walk();
    let mut depth = 0usize;
    loop {
        if cursor.goto_first_child() {
            depth += 1;
            if depth > max {
                return true;
            }
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return false;
            }
            depth -= 1;
        }
    }
}

fn first_error(node: Node) -> Option<Node> {
    if node.is_error() || node.is_missing() {
        return Some(node);
    }
    let mut cursor = node.walk();
    let children: Vec<Node> = node.children(&mut cursor).collect();
    children
        .into_iter()
        .filter(|c| c.has_error())
        .find_map(first_error)
}

/// Function definitions anywhere in the script, by name (the last definition wins).
fn collect_functions<'t>(node: Node<'t>, w: &mut Walker<'_, 't>, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    if node.kind() == "function_definition" {
        if let (Some(name), Some(body)) = (
            node.child_by_field_name("name"),
            node.child_by_field_name("body"),
        ) {
            w.functions.insert(w.text(name).to_string(), body);
        }
    }
    let mut cursor = node.walk();
    for c in node.named_children(&mut cursor) {
        collect_functions(c, w, depth + 1);
    }
}

struct Walker<'a, 't> {
    src: &'a [u8],
    inert: &'a [String],
    /// Latest assignment of each variable read so far: its words (an array's elements, or the
    /// one value).
    vars: HashMap<String, Vec<String>>,
    functions: HashMap<String, Node<'t>>,
    called: Vec<String>,
    out: Vec<Command>,
    /// Functions being inlined (recursion guard).
    stack: Vec<String>,
}

impl<'t> Walker<'_, 't> {
    fn text(&self, n: Node) -> &str {
        std::str::from_utf8(&self.src[n.byte_range()]).unwrap_or("")
    }

    fn walk(&mut self, node: Node<'t>, depth: usize) {
        if depth > MAX_DEPTH || self.out.len() >= MAX_COMMANDS {
            return;
        }
        match node.kind() {
            // Not executed where written: comments, heredoc bodies, function definitions
            // (their commands run at the call, or at the end when never called).
            "comment" | "heredoc_body" | "function_definition" => return,
            "variable_assignment" => {
                self.assign(node);
            }
            "command" => {
                self.command(node, depth);
                return;
            }
            _ => {}
        }
        let mut cursor = node.walk();
        let children: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
        for c in children {
            self.walk(c, depth + 1);
        }
    }

    fn assign(&mut self, node: Node<'t>) {
        let (Some(name), Some(value)) = (
            node.child_by_field_name("name"),
            node.child_by_field_name("value"),
        ) else {
            return;
        };
        let name = self.text(name).to_string();
        let words = if value.kind() == "array" {
            let mut cursor = value.walk();
            value
                .named_children(&mut cursor)
                .filter(|c| c.kind() != "comment")
                .map(|c| self.text(c).to_string())
                .collect()
        } else {
            vec![self.text(value).to_string()]
        };
        // `X+=(...)` appends.
        let appends = self
            .text(node)
            .get(name.len()..)
            .is_some_and(|r| r.starts_with("+="));
        if appends {
            self.vars.entry(name).or_default().extend(words);
        } else {
            self.vars.insert(name, words);
        }
    }

    fn command(&mut self, node: Node<'t>, depth: usize) {
        let mut cursor = node.walk();
        let children: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
        // Environment prefixes (`A=1 B=2 cmd`): assignments for this command only, whose
        // values may run command substitutions.
        for c in &children {
            if c.kind() == "variable_assignment" {
                if let Some(v) = c.child_by_field_name("value") {
                    self.walk(v, depth + 1);
                }
            }
        }
        let Some(name_node) = node.child_by_field_name("name") else {
            return;
        };
        let raw_name = self.text(name_node).to_string();
        let resolved = self.resolve(&raw_name);
        let mut words: Vec<String> = resolved.unwrap_or_else(|| vec![raw_name.clone()]);
        let name = words
            .first()
            .map(|w| unquote(w).to_string())
            .unwrap_or_default();
        let args: Vec<Node<'t>> = children
            .iter()
            .copied()
            .filter(|c| c.start_byte() > name_node.start_byte())
            .filter(|c| !matches!(c.kind(), "comment" | "heredoc_body"))
            .collect();
        // Command substitutions in the arguments run first (even those of `echo "$(..)"`).
        for a in &args {
            self.walk_substitutions(*a, depth + 1);
        }
        if self.inert.contains(&name) {
            return;
        }
        if let Some(body) = self.functions.get(&name).copied() {
            if !self.called.contains(&name) {
                self.called.push(name.clone());
            }
            if self.stack.len() < MAX_CALL_DEPTH && !self.stack.contains(&name) {
                self.stack.push(name);
                self.walk(body, 0);
                self.stack.pop();
            }
            return;
        }
        for a in &args {
            if a.kind() == "file_redirect" || a.kind() == "heredoc_redirect" {
                continue;
            }
            words.push(self.text(*a).to_string());
        }
        let text = words
            .iter()
            .flat_map(|w| w.split_whitespace())
            .collect::<Vec<_>>()
            .join(" ");
        self.out.push(Command {
            span: name_node.start_byte()..node.end_byte(),
            name,
            text,
        });
    }

    /// Commands inside `$(..)` / backticks / `<(..)` under `node`.
    fn walk_substitutions(&mut self, node: Node<'t>, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        if matches!(node.kind(), "command_substitution" | "process_substitution") {
            self.walk(node, depth + 1);
            return;
        }
        let mut cursor = node.walk();
        let children: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
        for c in children {
            self.walk_substitutions(c, depth + 1);
        }
    }

    /// `$X`, `${X}`, `"${X[@]}"`, `"$X"`: the words last assigned to X.
    fn resolve(&self, raw: &str) -> Option<Vec<String>> {
        let s = unquote(raw);
        let inner = s
            .strip_prefix("${")
            .and_then(|r| r.strip_suffix('}'))
            .or_else(|| s.strip_prefix('$'))?;
        let var = inner
            .strip_suffix("[@]")
            .or_else(|| inner.strip_suffix("[*]"))
            .unwrap_or(inner);
        if var.is_empty() || !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return None;
        }
        let words = self.vars.get(var)?;
        // A scalar holding a `${VAR:-default}` or a quoted value: its text, unquoted. An array's
        // elements keep their quotes, as a command's own arguments do.
        match words.as_slice() {
            [one] => Some(vec![unquote(one).to_string()]),
            _ => Some(words.clone()),
        }
    }
}

/// An option a command takes before its subcommand (`kubectl -n NS apply ..`), as the policy
/// writes it: `"kubectl --namespace="` (a trailing `=`: the option takes a value, given as the
/// next word or after `=`), `"gcloud --quiet"` (a flag).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GlobalOption {
    /// The command's name (the last path segment of the word that runs it).
    pub command: String,
    /// The option as written, without the trailing `=`.
    pub option: String,
    /// True when the option takes a value.
    pub takes_value: bool,
}

impl GlobalOption {
    /// Parses `"<command> <option>"` or `"<command> <option>="`; `None` when malformed.
    pub fn parse(entry: &str) -> Option<GlobalOption> {
        let mut words = entry.split_whitespace();
        let (command, option) = (words.next()?, words.next()?);
        if words.next().is_some() || !option.starts_with('-') {
            return None;
        }
        let (option, takes_value) = match option.strip_suffix('=') {
            Some(o) => (o, true),
            None => (option, false),
        };
        (option.len() > 1 && !option.contains('=')).then(|| GlobalOption {
            command: command.to_string(),
            option: option.to_string(),
            takes_value,
        })
    }
}

/// `text` (a command as it runs, single-spaced: [`Command::text`]) with the options `options`
/// lists for its command that come before the subcommand moved to the end, so one pattern
/// matches either order: `kubectl -n prod --context=gke apply -f job.yaml` reads
/// `kubectl apply -f job.yaml -n prod --context=gke`. Anything else is left as it is.
pub fn hoist_global_options(text: &str, options: &[GlobalOption]) -> String {
    let words: Vec<&str> = text.split(' ').filter(|w| !w.is_empty()).collect();
    let Some(first) = words.first() else {
        return text.to_string();
    };
    let name = unquote(first).rsplit('/').next().unwrap_or(first);
    let own: Vec<&GlobalOption> = options.iter().filter(|o| o.command == name).collect();
    if own.is_empty() {
        return text.to_string();
    }
    let mut hoisted: Vec<&str> = Vec::new();
    let mut i = 1;
    'words: while i < words.len() {
        let w = unquote(words[i]);
        for o in &own {
            if w == o.option {
                let n = if o.takes_value { 2 } else { 1 };
                hoisted.extend(words.iter().skip(i).take(n));
                i += n;
                continue 'words;
            }
            if o.takes_value
                && w.strip_prefix(o.option.as_str())
                    .is_some_and(|r| r.starts_with('='))
            {
                hoisted.push(words[i]);
                i += 1;
                continue 'words;
            }
        }
        break;
    }
    if hoisted.is_empty() {
        return text.to_string();
    }
    let mut out: Vec<&str> = vec![first];
    out.extend(&words[i.min(words.len())..]);
    out.extend(hoisted);
    out.join(" ")
}

/// `"x"` and `'x'` without their quotes.
fn unquote(s: &str) -> &str {
    let s = s.trim();
    for q in ['"', '\''] {
        if s.len() >= 2 && s.starts_with(q) && s.ends_with(q) {
            return &s[1..s.len() - 1];
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(script: &str) -> Vec<String> {
        let inert: Vec<String> = DEFAULT_INERT.iter().map(|s| s.to_string()).collect();
        executed_commands(script, &inert)
            .unwrap()
            .into_iter()
            .map(|c| c.text)
            .collect()
    }

    #[test]
    fn strings_comments_assignments_and_echo_do_not_execute() {
        let s = "#!/bin/sh\n# gcloud run deploy runtime\nX=\"gcloud run deploy runtime\"\necho gcloud run deploy runtime\nprintf '%s' \"gcloud run jobs execute runtime-migrate\"\ncat <<EOF\ngcloud run deploy runtime\nEOF\n";
        assert_eq!(run(s), ["cat"]);
    }

    #[test]
    fn commands_in_variables_run_where_they_are_expanded() {
        let s = "RUN_MIGRATE=\"${DIR}/run-migrate-job.sh\"\nDEPLOY_CMD=(\n  gcloud run deploy \"${SVC}\"\n  --quiet\n)\nDEPLOY_CMD+=(--no-traffic)\n\"${DEPLOY_CMD[@]}\"\nA=1 B=2 \\\n\"${RUN_MIGRATE}\"\n";
        assert_eq!(
            run(s),
            [
                "gcloud run deploy \"${SVC}\" --quiet --no-traffic",
                "${DIR}/run-migrate-job.sh"
            ]
        );
    }

    #[test]
    fn functions_run_at_their_call_in_call_order() {
        let s = "migrate() {\n  gcloud run jobs execute runtime-migrate\n}\ndeploy() {\n  gcloud run deploy runtime\n}\nlog() { echo \"$@\"; }\nlog deploying\ndeploy\nmigrate\nunused() { kubectl apply -k k8s; }\n";
        assert_eq!(
            run(s),
            [
                "gcloud run deploy runtime",
                "gcloud run jobs execute runtime-migrate",
                "kubectl apply -k k8s"
            ]
        );
    }

    #[test]
    fn substitutions_and_pipelines_execute() {
        let s = "IMG=\"$(gcloud run services describe runtime)\"\nif [[ -n \"$X\" ]]; then kubectl set image deployment/runtime a=b | tee x; fi\n";
        assert_eq!(
            run(s),
            [
                "gcloud run services describe runtime",
                "kubectl set image deployment/runtime a=b",
                "tee x"
            ]
        );
    }

    #[test]
    fn global_options_move_after_the_subcommand() {
        let opts: Vec<GlobalOption> = [
            "kubectl -n=",
            "kubectl --namespace=",
            "kubectl --context=",
            "gcloud --quiet",
        ]
        .iter()
        .filter_map(|e| GlobalOption::parse(e))
        .collect();
        let h = |t: &str| hoist_global_options(t, &opts);
        assert_eq!(
            h("kubectl -n \"$NS\" --context=gke apply -f deploy/migration-job.yaml"),
            "kubectl apply -f deploy/migration-job.yaml -n \"$NS\" --context=gke"
        );
        assert_eq!(
            h("/usr/bin/kubectl --namespace=x get pods"),
            "/usr/bin/kubectl get pods --namespace=x"
        );
        assert_eq!(
            h("gcloud --quiet run deploy runtime"),
            "gcloud run deploy runtime --quiet"
        );
        // Options after the subcommand, other commands and unknown options stay where they are.
        assert_eq!(
            h("kubectl apply -n x -f a.yaml"),
            "kubectl apply -n x -f a.yaml"
        );
        assert_eq!(h("helm -n x upgrade runtime"), "helm -n x upgrade runtime");
        assert_eq!(h("kubectl --v=9 -n x apply"), "kubectl --v=9 -n x apply");
        assert_eq!(h("kubectl -n"), "kubectl -n");
        assert!(GlobalOption::parse("kubectl").is_none());
        assert!(GlobalOption::parse("kubectl namespace").is_none());
    }

    #[test]
    fn recursion_is_bounded() {
        let s = "a() { b; }\nb() { a; gcloud x; }\na\n";
        let out = run(s);
        assert!(out.iter().all(|c| c == "gcloud x"), "{out:?}");
        assert!(!out.is_empty());
    }

    #[test]
    fn size_depth_and_syntax_fail_closed() {
        let big = "x\n".repeat(MAX_BYTES / 2 + 1);
        assert!(matches!(
            executed_commands(&big, &[]),
            Err(ShellError::TooLarge(_))
        ));
        let deep = format!(
            "{}true{}",
            "( ".repeat(MAX_DEPTH + 10),
            " )".repeat(MAX_DEPTH + 10)
        );
        assert_eq!(executed_commands(&deep, &[]), Err(ShellError::TooDeep));
        assert!(matches!(
            executed_commands("if then fi ((\n", &[]),
            Err(ShellError::Syntax(_))
        ));
    }
}
