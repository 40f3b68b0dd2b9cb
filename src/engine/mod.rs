//! The engine: git, files, threads and output. Rules never import `diff`, `walk` or `render`;
//! the engine imports nothing from `rules` and names no check (`check::Registry` is handed in).

pub mod bounded;
pub mod check;
pub mod config;
pub mod depth;
pub mod diff;
pub mod error;
pub mod finding;
pub mod gate;
pub mod glob_interp;
pub mod governance;
pub mod head_tree;
pub mod matchers;
pub mod policy_cache;
pub mod policy_entry;
pub mod pr;
pub mod prefilter;
pub mod render;
pub mod run;
pub mod schema;
pub mod scratch;
pub mod source;
pub mod staged;
pub mod suppress;
pub mod validator;
pub mod verify;
pub mod walk;
