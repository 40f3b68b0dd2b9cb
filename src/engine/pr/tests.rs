//! Unit tests of the module.

use super::*;

fn parse(text: &str) -> PrDescription {
    let ids: Vec<String> = (1..=10).map(|n| format!("INV-{n:02}")).collect();
    PrDescription::parse(from_text(text), &ids)
}

fn claims(pr: &PrDescription) -> Vec<(String, Claim)> {
    pr.mentions
        .iter()
        .map(|m| (m.id.clone(), m.claim.clone()))
        .collect()
}

#[test]
fn mentions_claims_and_reasons() {
    let pr = parse("## Invariants\n- INV-03: affected, adds a WS topic\n- INV-04: N/A - no SQL\n- inv-10 n/a\n");
    assert_eq!(pr.mentions.len(), 3);
    assert_eq!(pr.mentions[0].claim, Claim::Affected);
    assert_eq!(pr.mentions[1].claim, Claim::NotApplicable("no sql".into()));
    assert_eq!(pr.mentions[2].id, "INV-10");
    assert_eq!(pr.mentions[2].claim, Claim::NotApplicable(String::new()));
    let m = &pr.mentions[0];
    assert_eq!(&pr.source.text()[m.span.clone()], "INV-03");
}

#[test]
fn one_segment_per_id() {
    // See #17: every ID used to take the text after the last one.
    let pr = parse("INV-01: affected (new message); INV-02: N/A - no transport change\n");
    assert_eq!(
        claims(&pr),
        [
            ("INV-01".into(), Claim::Affected),
            (
                "INV-02".into(),
                Claim::NotApplicable("no transport change".into())
            )
        ]
    );
    let pr = parse("INV-02, INV-03: does not apply (no transport change)\n");
    assert_eq!(
        claims(&pr),
        [
            (
                "INV-02".into(),
                Claim::NotApplicable("no transport change".into())
            ),
            (
                "INV-03".into(),
                Claim::NotApplicable("no transport change".into())
            )
        ]
    );
}

#[test]
fn ranges_expand() {
    let pr = parse("INV-01..INV-10: N/A - docs only\n");
    assert_eq!(pr.mentions.len(), 10);
    assert!(pr
        .mentions
        .iter()
        .all(|m| m.claim == Claim::NotApplicable("docs only".into())));
    assert_eq!(pr.mentions[9].id, "INV-10");
    let pr = parse("INV-03 to INV-05 not affected: no client change\n");
    let ids: Vec<_> = pr.mentions.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["INV-03", "INV-04", "INV-05"]);
    assert_eq!(
        pr.mentions[0].claim,
        Claim::NotApplicable("no client change".into())
    );
}

#[test]
fn code_blocks_quotes_and_comments_say_nothing() {
    let pr = parse("```\nINV-01\n```\n<!-- INV-02 -->\n<!--\nINV-05\n-->\n> INV-07: N/A\n\nText\n\n    - INV-04: N/A\n\nINV-06 ok\n");
    let ids: Vec<_> = pr.mentions.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["INV-06"]);
}

#[test]
fn longer_fences_quote_shorter_ones() {
    let pr = parse("````md\n```\nINV-01\n```\nINV-02\n````\n~~~\n```\nINV-04\n~~~\n```\nINV-08\n```\nINV-06 ok\n");
    let ids: Vec<_> = pr.mentions.iter().map(|m| m.id.as_str()).collect();
    assert_eq!(ids, ["INV-06"]);
}

#[test]
fn tasks_and_mitigations() {
    let pr = parse("- [x] Invariant impact\n- [ ] Transport impact\n\nINV-07 mitigation: approved by @lead, follow-up #42\n");
    assert_eq!(pr.tasks.len(), 2);
    assert!(pr.tasks[0].is_checked && !pr.tasks[1].is_checked);
    let m = &pr.mitigations[0];
    assert_eq!(m.id, "INV-07");
    assert_eq!(m.approver.as_deref(), Some("@lead"));
    assert_eq!(m.follow_up.as_deref(), Some("#42"));
}

#[test]
fn mitigation_section_and_negated_approval() {
    let pr = parse("## Mitigation (INV-07)\n\nOwner approval: approved by @lead.\nFollow-up issue: #77\n\n## Other\nINV-08 mitigation: NOT approved by @lead, follow-up #1\n");
    assert_eq!(pr.mitigations.len(), 2);
    assert_eq!(pr.mitigations[0].id, "INV-07");
    assert_eq!(pr.mitigations[0].approver.as_deref(), Some("@lead"));
    assert_eq!(pr.mitigations[0].follow_up.as_deref(), Some("#77"));
    assert_eq!(pr.mitigations[1].id, "INV-08");
    assert_eq!(pr.mitigations[1].approver, None);
}

#[test]
fn spec_numbered_format() {
    let pr = parse(concat!(
        "1. Invariant impact:\n   - INV-01: affected (new message); INV-02..INV-10: N/A - no other surface\n",
        "2. Contract impact:\n   - proto/ updated first (`INV-01`).\n",
        "3. Transport impact:\n   - no WS command RPC, no SSE/poll lane (`INV-02`, `INV-03`).\n",
        "4. Authority boundaries:\n   - no cross-plane SQL (`INV-04`).\n",
        "5. Service boundaries:\n   - no in-memory coupling (`INV-05`).\n",
        "6. Operations:\n   - no runtime deploy change (`INV-09`).\n",
        "7. Deletion/parity:\n   - nothing deleted (`INV-10`).\n",
    ));
    assert_eq!(pr.items.len(), 7);
    assert!(pr.items.iter().all(|i| i.state == ItemState::Addressed));
    assert_eq!(pr.mentions.len(), 10);
    assert_eq!(pr.mentions[0].claim, Claim::Affected);
    assert!(pr.mentions[1..]
        .iter()
        .all(|m| matches!(m.claim, Claim::NotApplicable(_))));
    assert_eq!(pr.context.len(), 7);
}

#[test]
fn template_is_not_addressed() {
    let pr = parse(concat!(
        "- [x] Invariant impact: `INV-*` IDs affected by this change.\n",
        "- [x] Contract impact: if cross-boundary contract changed, confirm `proto/` update first (`INV-01`).\n",
        "- [x] Operations: runtime deploy/migration implications documented (`INV-09`).\n",
    ));
    assert_eq!(pr.items.len(), 3);
    assert!(pr.items.iter().all(|i| i.state == ItemState::Template));
    assert!(pr.mentions.is_empty());
    let deploy = regex::Regex::new("(?i)deploy").unwrap();
    assert!(pr.states(&deploy).is_none());
}

#[test]
fn numbered_template_is_not_addressed() {
    let pr = parse("1. Invariant impact:\n   - `INV-*` IDs affected by this change.\n6. Operations:\n   - runtime deploy/migration implications documented (`INV-09`).\n7. Deletion/parity:\n");
    let states: Vec<_> = pr.items.iter().map(|i| (i.index, i.state)).collect();
    assert_eq!(
        states,
        [
            (0, ItemState::Template),
            (5, ItemState::Template),
            (6, ItemState::Empty)
        ]
    );
    assert!(pr.mentions.is_empty() && pr.context.len() == 1);
}

#[test]
fn evidence_is_positive() {
    let re = regex::Regex::new(r"(?i)migrat\w*[- ]job").unwrap();
    let pr = parse("- [x] Operations: no deploy, no migration job run\n<!-- attach migration-job evidence -->\n");
    assert!(pr.states(&re).is_none());
    let pr = parse("- [x] Operations: deployed, then ran the migration job (run 42)\n");
    assert!(pr.states(&re).is_some());
    let backup = regex::Regex::new(r"(?i)laravel db backup").unwrap();
    assert!(parse("No Laravel DB backup was taken.\n")
        .states(&backup)
        .is_none());
    assert!(parse("Laravel DB backup taken 2026-02-20.\n")
        .states(&backup)
        .is_some());
}

#[test]
fn none_is_a_word() {
    assert_eq!(claim_of(": nonetheless affected"), Claim::Affected);
    assert_eq!(
        claim_of(": none (ws only)"),
        Claim::NotApplicable("ws only".into())
    );
}

#[test]
fn compiled_patterns_are_kept_and_match_as_compiled() {
    let a = text::compiled(r"(?i)\bINV-01\b").unwrap();
    let b = text::compiled(r"(?i)\bINV-01\b").unwrap();
    assert!(a.is_match("see inv-01.") && b.is_match("see inv-01."));
    assert!(!b.is_match("INV-010"));
    assert_eq!(a.as_str(), b.as_str());
    assert!(text::compiled("(unclosed").is_none());
    assert!(
        text::compiled("(unclosed").is_none(),
        "a failure is kept as a failure"
    );
}
