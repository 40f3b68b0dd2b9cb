//! Analysis libraries: parsers and models of what a change touches, kept apart from the checks
//! that judge it (as cargo-deny keeps `bans/graph.rs` apart from the bans check). A check reads
//! facts from here; nothing here knows an invariant, a finding or the policy's escalation.
//! Each is unit-tested alone (STYLE.md §1).

pub mod calls;
pub mod proto;
pub mod proto_fields;
pub mod shell;
pub mod sql;
