//! The engine: git, files, threads and output. Rules never import `diff`, `walk` or `render`.

pub mod bounded;
pub mod config;
pub mod diff;
pub mod error;
pub mod finding;
pub mod governance;
pub mod policy_entry;
pub mod pr;
pub mod render;
pub mod schema;
pub mod scratch;
pub mod source;
pub mod staged;
pub mod suppress;
pub mod verify;
pub mod walk;
