//! invlint's own failures: bad policy, not a repository, an unresolvable base, an unreadable PR
//! body. Findings about the checked change are `Finding`s, never `Error`s.
//!
//! Every variant has a stable code under `invlint::` and a help line that says how to fix it.
//! Only `main.rs` turns these into a process exit (code 2).

use std::sync::Arc;

use miette::{Diagnostic, NamedSource, SourceSpan};

/// One problem found while validating the policy file, at its span.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{message}")]
#[diagnostic(code(invlint::config::invalid))]
pub struct ConfigProblem {
    /// What is wrong.
    pub message: String,
    /// The policy file text, for the span.
    #[source_code]
    pub src: NamedSource<Arc<String>>,
    /// Where in the policy file.
    #[label("{label}")]
    pub at: Option<SourceSpan>,
    /// Short label at the span.
    pub label: String,
    /// How to fix it.
    #[help]
    pub help: Option<String>,
}

/// invlint's own failures. `main.rs` renders these with miette and exits 2.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum Error {
    /// The policy file is not valid TOML or does not match the schema.
    #[error("{path}: {message}")]
    #[diagnostic(
        code(invlint::config::parse),
        help("each key is documented in inv-rules.toml and `invlint --explain <ID>`; run `invlint rules` to list the invariants")
    )]
    ConfigParse {
        /// Policy file path as given.
        path: String,
        /// The parser's message.
        message: String,
        /// Policy text.
        #[source_code]
        src: NamedSource<Arc<String>>,
        /// Where it failed.
        #[label("{message}")]
        at: Option<SourceSpan>,
    },

    /// The policy file parsed but has problems; all of them are listed.
    #[error("{path}: {count} problem(s) in the policy file", count = problems.len())]
    #[diagnostic(
        code(invlint::config::invalid),
        help("fix every problem listed below; invlint checks nothing until the policy is valid")
    )]
    ConfigInvalid {
        /// Policy file path as given.
        path: String,
        /// Every problem, each at its span.
        #[related]
        problems: Vec<ConfigProblem>,
    },

    /// The policy file could not be read.
    #[error("cannot read policy file {path}")]
    #[diagnostic(
        code(invlint::config::read),
        help("pass an existing file with --config, or remove --config to use inv-rules.toml at the repository root")
    )]
    ConfigRead {
        /// Path.
        path: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },

    /// Not inside a git repository, or it cannot be opened.
    #[error("{path} is not a git repository (or it cannot be opened): {message}")]
    #[diagnostic(
        code(invlint::git::open),
        help("run invlint inside a git work tree, or point at one with -C DIR")
    )]
    OpenRepo {
        /// Directory we tried.
        path: String,
        /// libgit2's message.
        message: String,
    },

    /// The repository has no work tree (bare).
    #[error("{path} is a bare repository")]
    #[diagnostic(
        code(invlint::git::bare),
        help(
            "invlint checks a work tree; clone it (`git clone {path} work`) and run invlint there"
        )
    )]
    BareRepo {
        /// Path.
        path: String,
    },

    /// A revision the user named (or the default base) does not resolve.
    #[error("cannot resolve revision `{rev}`: {message}")]
    #[diagnostic(code(invlint::git::revision), help("{hint}"))]
    Revision {
        /// The revision text.
        rev: String,
        /// libgit2's message.
        message: String,
        /// What to do.
        hint: String,
    },

    /// The merge base is not in this clone (shallow CI checkouts).
    #[error("no merge base between HEAD and `{base}`{shallow}")]
    #[diagnostic(code(invlint::git::merge_base), help("{hint}"))]
    NoMergeBase {
        /// The base revision.
        base: String,
        /// " (this clone is shallow)" or "".
        shallow: String,
        /// What to do.
        hint: String,
    },

    /// An object the run needs is not in the object store.
    #[error("git: {context}: {message}")]
    #[diagnostic(
        code(invlint::git::missing_object),
        help(
            "the object store lacks an object of the compared commits: a partial clone \
             (`--filter=blob:none` or `tree:0`, which invlint cannot fetch from), an interrupted \
             fetch, or a damaged store; fetch the full objects (`git fetch --refetch`, or check \
             out without a filter) and run `git fsck`"
        )
    )]
    MissingObject {
        /// What we were doing.
        context: String,
        /// libgit2's message.
        message: String,
    },

    /// Any other git failure, with context.
    #[error("git: {context}: {message}")]
    #[diagnostic(
        code(invlint::git::other),
        help("check that the repository is not corrupt (`git fsck`)")
    )]
    Git {
        /// What we were doing.
        context: String,
        /// libgit2's message.
        message: String,
    },

    /// The PR description could not be read.
    #[error("cannot read the PR description from {path}: {message}")]
    #[diagnostic(
        code(invlint::pr::read),
        help("pass a readable UTF-8 file with --pr-body FILE, or `-` to read it from stdin")
    )]
    PrBody {
        /// Where from.
        path: String,
        /// Why.
        message: String,
    },

    /// The GitHub Actions event file is unreadable or not JSON.
    #[error("cannot read the pull request from the GitHub event file {path}: {message}")]
    #[diagnostic(
        code(invlint::pr::event),
        help("GITHUB_EVENT_PATH must name the event JSON that GitHub Actions writes; pass the description with --pr-body FILE instead, or unset GITHUB_EVENT_PATH")
    )]
    GithubEvent {
        /// Where from.
        path: String,
        /// Why.
        message: String,
    },

    /// An unknown invariant ID was asked for.
    #[error("unknown invariant `{id}`{suggestion}")]
    #[diagnostic(
        code(invlint::explain::unknown),
        help("run `invlint rules` to list the invariants the policy declares")
    )]
    UnknownId {
        /// What was asked.
        id: String,
        /// ", did you mean `INV-03`?" or "".
        suggestion: String,
    },

    /// Bad command-line usage that clap cannot express.
    #[error("{message}")]
    #[diagnostic(code(invlint::usage), help("{hint}"))]
    Usage {
        /// What is wrong.
        message: String,
        /// What to do.
        hint: String,
    },

    /// An I/O failure outside the checked repository (demo scratch dir, stdout).
    #[error("{context}")]
    #[diagnostic(code(invlint::io), help("check permissions and free disk space"))]
    Io {
        /// What we were doing.
        context: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// Wraps a git2 error with what we were doing.
    pub fn git(context: impl Into<String>, err: &git2::Error) -> Self {
        let (context, message) = (context.into(), err.message().to_string());
        if err.code() == git2::ErrorCode::NotFound && err.class() == git2::ErrorClass::Odb {
            return Error::MissingObject { context, message };
        }
        Error::Git { context, message }
    }
}
