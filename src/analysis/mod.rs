//! Libraries the checks share, each unit-tested alone (STYLE.md §1): parsers of the languages a
//! change is written in.

pub mod calls;
pub mod proto_fields;
pub mod shell;
