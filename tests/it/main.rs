//! invlint's integration tests (every file under tests/ but the fixture harness), as modules of
//! one test binary: one link, and one pool of test threads for the whole suite.
//! `cargo test --test it cli::` runs one file's tests.

#[path = "../common/mod.rs"]
mod common;
#[path = "../support/parallel.rs"]
mod parallel;

mod action;
mod adopt;
mod bad_input;
mod cli;
mod dryrun;
mod fuzz;
mod hostile;
mod integrations;
mod policy_cache;
mod properties;
mod registry;
mod report;
mod setup;
