//! INV-07 on the delivery protocol: a sync frame message that loses its sequence field.

use super::{Settings, META};
use crate::rules::prelude::*;

pub(super) fn proto_seq_removed(
    cx: &Context<'_>,
    inv: &Invariant,
    cfg: &Settings,
    out: &mut Findings,
) {
    let (Some((frames, frames_span)), Some(seq_fields)) =
        (&cfg.proto_frames, &cfg.proto_seq_fields)
    else {
        return;
    };
    // A message moved to another file of the change keeps its fields: (package.message, field)
    // pairs declared by any changed proto file at head.
    let mut at_head: Vec<(String, String)> = Vec::new();
    for f in cx.changes().files.iter().filter(|f| {
        f.path.ends_with(".proto") && cfg.proto_paths.is_match(&f.path) && f.exists_at_head()
    }) {
        if let Some(Ok(fd)) = f
            .head
            .source()
            .map(|h| util::parse_proto(h.name(), h.text()))
        {
            for m in &fd.message_type {
                for field in &m.field {
                    at_head.push((
                        format!("{}.{}", fd.package(), m.name()),
                        field.name().into(),
                    ));
                }
            }
        }
    }
    for f in cx.changes().files.iter().filter(|f| {
        // A deleted file removes its frames with it (INV-01 reports the breaking change).
        f.path.ends_with(".proto")
            && cfg.proto_paths.is_match(&f.path)
            && !f.is_all_added
            && f.exists_at_head()
    }) {
        let Some(base) = f.base.source() else {
            continue;
        };
        let head = f.head.source();
        let Ok(base_fd) = util::parse_proto(base.name(), base.text()) else {
            continue;
        };
        // A head that does not parse is INV-01's finding; its fields cannot be compared.
        let head_fd = match head.map(|h| util::parse_proto(h.name(), h.text())) {
            Some(Ok(fd)) => Some(fd),
            Some(Err(_)) => continue,
            None => None,
        };
        let lost = crate::analysis::proto_fields::removed_fields(
            &base_fd,
            head_fd.as_ref(),
            |m| frames.is_match(m),
            |name| seq_fields.is_match(name),
        );
        for r in lost {
            let qualified = format!("{}.{}", base_fd.package(), r.message);
            if at_head
                .iter()
                .any(|(m, fl)| *m == qualified && *fl == r.field)
            {
                continue;
            }
            let how = if r.reserved {
                "reserves its number"
            } else {
                "removes it"
            };
            let needle = format!("{} = {}", r.field, r.number);
            let span = base
                .text()
                .find(&needle)
                .map(|at| at..at + needle.len())
                .unwrap_or(0..0);
            out.push(
                Finding::new(
                    inv,
                    META.name,
                    format!(
                        "this change drops the sequence field `{}` from sync frame `{}` (it {how}): clients can no longer apply frames in (topic, seq) order",
                        r.field, r.message
                    ),
                )
                .at(base, span, "the sequence field at base")
                .help("keep the field (deprecate it, do not remove or reserve it) until every client applies frames by another ordered watermark")
                .cite(cx.policy(), frames_span.clone(), "sync frame messages"),
            );
        }
    }
}
