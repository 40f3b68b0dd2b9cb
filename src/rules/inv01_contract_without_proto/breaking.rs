//! Sub-check 3: breaking proto changes against the base (removed or renumbered fields,
//! changed types, removed enum values and RPCs, renamed packages) without `reserved`.

use super::*;

pub(crate) fn breaking_changes(
    cx: &Context<'_>,
    inv: &Invariant,
    cfg: &Settings,
    parsed: &[ChangedProto<'_>],
    out: &mut Findings,
) {
    let mut base_files: Vec<&ProtoFile> = Vec::new();
    let mut head_files: Vec<&ProtoFile> = Vec::new();
    let mut base_defs = Defs::default();
    let mut head_defs = Defs::default();
    let mut deleted_files: BTreeSet<usize> = BTreeSet::new();
    for p in parsed {
        let base = match &p.base {
            Some(Ok(b)) => Some(b),
            _ => None,
        };
        let head = match &p.head {
            Some(Ok(h)) => Some(h),
            _ => None,
        };
        // A side that does not parse is reported above; comparing the other side alone would
        // call everything removed or added.
        if matches!(p.base, Some(Err(_))) || matches!(p.head, Some(Err(_))) {
            continue;
        }
        // Base names are keyed by the head package so that a package rename is one finding.
        let mut base_pkg = base.map(|b| b.package().to_string());
        if let (Some(b), Some(h)) = (base, head) {
            if b.package() != h.package() {
                out.push(
                    Finding::new(
                        inv,
                        META.name,
                        format!(
                            "breaking proto change: package `{}` renamed to `{}`",
                            b.package(),
                            h.package()
                        ),
                    )
                    .at(
                        &h.src,
                        h.span(&[2], None),
                        format!("was `package {};` at base", b.package()),
                    )
                    .cite(cx.policy(), cite_breaking(cfg, &h.src), "proto sources")
                    .help("a package rename changes every fully qualified name on the wire (Any, gRPC paths): add the new package beside the old one and migrate consumers, then retire the old package"),
                );
                base_pkg = Some(h.package().to_string());
            }
        }
        if let (Some(b), Some(pkg)) = (base, &base_pkg) {
            let idx = base_files.len();
            base_files.push(b);
            base_defs.add_file(idx, &b.fd, pkg);
            if head.is_none() {
                deleted_files.insert(idx);
            }
        }
        if let Some(h) = head {
            let idx = head_files.len();
            head_files.push(h);
            head_defs.add_file(idx, &h.fd, h.package());
        }
    }

    let mut removed_in_deleted: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    let mut removed = |kind: &str, full: &str, loc: &Loc, out: &mut Findings, help: &str| {
        if deleted_files.contains(&loc.file) {
            removed_in_deleted
                .entry(loc.file)
                .or_default()
                .push(format!("{kind} `{full}`"));
            return;
        }
        let b = base_files[loc.file];
        out.push(
            Finding::new(
                inv,
                META.name,
                format!("breaking proto change: {kind} `{full}` removed"),
            )
            .at(
                &b.src,
                b.span(&loc.path, Some(1)),
                format!("{kind} `{full}` existed at base"),
            )
            .cite(cx.policy(), cite_breaking(cfg, &b.src), "proto sources")
            .help(help.to_string()),
        );
    };

    for (full, (loc, bm)) in &base_defs.messages {
        match head_defs.messages.get(full) {
            None => removed(
                "message",
                full,
                loc,
                out,
                "deprecate the message (`option deprecated = true;`) and keep it until every consumer has moved; removing it breaks peers that still send or expect it",
            ),
            Some((hloc, hm)) => compare_fields(
                cx,
                inv,
                cfg,
                full,
                (base_files[loc.file], loc, bm),
                (head_files[hloc.file], hloc, hm),
                out,
            ),
        }
    }
    for (full, (loc, be)) in &base_defs.enums {
        match head_defs.enums.get(full) {
            None => removed(
                "enum",
                full,
                loc,
                out,
                "keep the enum (deprecate it) until no consumer sends or reads it",
            ),
            Some((hloc, he)) => compare_enum(
                cx,
                inv,
                cfg,
                full,
                (base_files[loc.file], loc, be),
                (head_files[hloc.file], hloc, he),
                out,
            ),
        }
    }
    for (full, (loc, bs)) in &base_defs.services {
        match head_defs.services.get(full) {
            None => removed(
                "service",
                full,
                loc,
                out,
                "keep the service (deprecate it) until no client calls it",
            ),
            Some((hloc, hs)) => compare_service(
                cx,
                inv,
                cfg,
                full,
                (base_files[loc.file], loc, bs),
                (head_files[hloc.file], hloc, hs),
                out,
            ),
        }
    }
    for (idx, names) in removed_in_deleted {
        let b = base_files[idx];
        let span = if b.spans.contains_key(&vec![2]) {
            b.span(&[2], None)
        } else {
            b.src.line_range(1).unwrap_or(0..0)
        };
        let shown: Vec<&str> = names.iter().take(5).map(String::as_str).collect();
        let more = if names.len() > shown.len() {
            format!(" and {} more", names.len() - shown.len())
        } else {
            String::new()
        };
        out.push(
            Finding::new(
                inv,
                META.name,
                format!(
                    "breaking proto change: `{}` is deleted with {} definition{} still on the wire",
                    b.src.name(),
                    names.len(),
                    if names.len() == 1 { "" } else { "s" }
                ),
            )
            .at(
                &b.src,
                span,
                format!("removes {}{more}", shown.join(", ")),
            )
            .cite(cx.policy(), cite_breaking(cfg, &b.src), "proto sources")
            .help("move the definitions to another file of the same package in this change, or deprecate them and delete only after every consumer has moved"),
        );
    }
}

pub(crate) fn cite_breaking(cfg: &Settings, src: &Source) -> Range<usize> {
    first_span(&cfg.proto_paths, src.name())
}

pub(crate) fn first_span(list: &GlobList, path: &str) -> Range<usize> {
    list.matching_entry(path)
        .or_else(|| list.entries().next())
        .map(|e| e.span.clone())
        .unwrap_or(0..0)
}

pub(crate) fn type_text(f: &FieldDescriptorProto) -> String {
    let base = match f.type_name.as_deref() {
        Some(t) if !t.is_empty() => t.rsplit('.').next().unwrap_or(t).to_string(),
        _ => f
            .r#type()
            .as_str_name()
            .trim_start_matches("TYPE_")
            .to_ascii_lowercase(),
    };
    if f.label() == field_descriptor_proto::Label::Repeated {
        format!("repeated {base}")
    } else {
        base
    }
}

pub(crate) type Side<'a, T> = (&'a ProtoFile, &'a Loc, &'a T);

pub(crate) fn compare_fields(
    cx: &Context<'_>,
    inv: &Invariant,
    cfg: &Settings,
    msg: &str,
    (bf, bloc, bm): Side<'_, DescriptorProto>,
    (hf, hloc, hm): Side<'_, DescriptorProto>,
    out: &mut Findings,
) {
    let field_path = |loc: &Loc, i: usize| {
        let mut p = loc.path.clone();
        p.extend([2, i as i32]);
        p
    };
    for (bi, b) in bm.field.iter().enumerate() {
        let by_name = hm.field.iter().position(|h| h.name() == b.name());
        let by_number = hm.field.iter().position(|h| h.number() == b.number());
        let finding = |message: String, src: &ProtoFile, span: Range<usize>, label: String| {
            Finding::new(inv, META.name, message)
                .at(&src.src, span, label)
                .cite(cx.policy(), cite_breaking(cfg, &src.src), "proto sources")
        };
        if let Some(hi) = by_name {
            let h = &hm.field[hi];
            let hp = field_path(hloc, hi);
            if h.number() != b.number() {
                out.push(
                    finding(
                        format!(
                            "breaking proto change: field `{}` of `{msg}` changed number {} → {}",
                            b.name(),
                            b.number(),
                            h.number()
                        ),
                        hf,
                        hf.span(&hp, Some(3)),
                        format!("was `{} = {}` at base", b.name(), b.number()),
                    )
                    .help(format!(
                        "field numbers are the wire identity: keep `{} = {}`; to replace a field, add a new one with a fresh number and `reserved {};` the old one",
                        b.name(),
                        b.number(),
                        b.number()
                    )),
                );
                continue;
            }
        }
        if let Some(hi) = by_number {
            let h = &hm.field[hi];
            let (bt, ht) = (type_text(b), type_text(h));
            if bt != ht {
                let hp = field_path(hloc, hi);
                let span = if hf.spans.contains_key(&[hp.clone(), vec![6]].concat()) {
                    hf.span(&hp, Some(6))
                } else if hf.spans.contains_key(&[hp.clone(), vec![5]].concat()) {
                    hf.span(&hp, Some(5))
                } else {
                    hf.span(&hp, None)
                };
                out.push(
                    finding(
                        format!(
                            "breaking proto change: field {} of `{msg}` changed type `{bt}` → `{ht}`",
                            b.number(),
                            ),
                        hf,
                        span,
                        format!("was `{bt} {}` at base", b.name()),
                    )
                    .help(format!(
                        "add a new field with a fresh number for the new type and `reserved {};` the old one; peers decode number {} as `{bt}`",
                        b.number(),
                        b.number()
                    )),
                );
            }
            continue;
        }
        if by_name.is_some() {
            continue;
        }
        let reserved = hm
            .reserved_range
            .iter()
            .any(|r| r.start() <= b.number() && b.number() < r.end());
        if reserved {
            continue;
        }
        let bp = field_path(bloc, bi);
        out.push(
            finding(
                format!(
                    "breaking proto change: field `{}` (number {}) removed from `{msg}` without `reserved`",
                    b.name(),
                    b.number()
                ),
                bf,
                bf.span(&bp, None),
                format!("field `{}` was removed", b.name()),
            )
            .related(
                &hf.src,
                hf.span(&hloc.path, Some(1)),
                format!("`{msg}` reserves no number {}", b.number()),
            )
            .help(format!(
                "add `reserved {}; reserved \"{}\";` to `{}` so the number is never reused with another meaning",
                b.number(),
                b.name(),
                hm.name()
            )),
        );
    }
}

pub(crate) fn compare_enum(
    cx: &Context<'_>,
    inv: &Invariant,
    cfg: &Settings,
    full: &str,
    (bf, bloc, be): Side<'_, EnumDescriptorProto>,
    (hf, hloc, he): Side<'_, EnumDescriptorProto>,
    out: &mut Findings,
) {
    for (bi, b) in be.value.iter().enumerate() {
        if he.value.iter().any(|h| h.number() == b.number()) {
            continue;
        }
        if let Some(hi) = he.value.iter().position(|h| h.name() == b.name()) {
            let mut hp = hloc.path.clone();
            hp.extend([2, hi as i32]);
            out.push(
                Finding::new(
                    inv,
                    META.name,
                    format!(
                        "breaking proto change: enum value `{}` of `{full}` changed number {} → {}",
                        b.name(),
                        b.number(),
                        he.value[hi].number()
                    ),
                )
                .at(
                    &hf.src,
                    hf.span(&hp, Some(2)),
                    format!("was `{} = {}` at base", b.name(), b.number()),
                )
                .cite(cx.policy(), cite_breaking(cfg, &hf.src), "proto sources")
                .help("enum numbers are what the wire carries: keep the number, add a new value for a new meaning"),
            );
            continue;
        }
        let reserved = he
            .reserved_range
            .iter()
            .any(|r| r.start() <= b.number() && b.number() <= r.end());
        if reserved {
            continue;
        }
        let mut bp = bloc.path.clone();
        bp.extend([2, bi as i32]);
        out.push(
            Finding::new(
                inv,
                META.name,
                format!(
                    "breaking proto change: enum value `{}` ({}) removed from `{full}` without `reserved`",
                    b.name(),
                    b.number()
                ),
            )
            .at(&bf.src, bf.span(&bp, None), format!("enum value `{}` was removed", b.name()))
            .cite(cx.policy(), cite_breaking(cfg, &bf.src), "proto sources")
            .help(format!(
                "keep the value (mark it `[deprecated = true]`), or add `reserved {};` to `{}`",
                b.number(),
                be.name()
            )),
        );
    }
}

pub(crate) fn compare_service(
    cx: &Context<'_>,
    inv: &Invariant,
    cfg: &Settings,
    full: &str,
    (bf, bloc, bs): Side<'_, ServiceDescriptorProto>,
    (hf, hloc, hs): Side<'_, ServiceDescriptorProto>,
    out: &mut Findings,
) {
    let short = |t: &str| t.rsplit('.').next().unwrap_or(t).to_string();
    for (bi, b) in bs.method.iter().enumerate() {
        let Some(hi) = hs.method.iter().position(|h| h.name() == b.name()) else {
            let mut bp = bloc.path.clone();
            bp.extend([2, bi as i32]);
            out.push(
                Finding::new(
                    inv,
                    META.name,
                    format!(
                        "breaking proto change: rpc `{}` removed from `{full}`",
                        b.name()
                    ),
                )
                .at(
                    &bf.src,
                    bf.span(&bp, Some(1)),
                    format!("rpc `{}` existed at base", b.name()),
                )
                .cite(cx.policy(), cite_breaking(cfg, &bf.src), "proto sources")
                .help(
                    "keep the rpc (mark it `option deprecated = true;`) until no client calls it",
                ),
            );
            continue;
        };
        let h = &hs.method[hi];
        let sig = |m: &prost_types::MethodDescriptorProto| {
            format!(
                "({}{}) returns ({}{})",
                if m.client_streaming() { "stream " } else { "" },
                short(m.input_type()),
                if m.server_streaming() { "stream " } else { "" },
                short(m.output_type())
            )
        };
        let (bsig, hsig) = (sig(b), sig(h));
        if bsig != hsig {
            let mut hp = hloc.path.clone();
            hp.extend([2, hi as i32]);
            out.push(
                Finding::new(
                    inv,
                    META.name,
                    format!(
                        "breaking proto change: rpc `{}` of `{full}` changed signature",
                        b.name()
                    ),
                )
                .at(&hf.src, hf.span(&hp, None), format!("was `{bsig}` at base"))
                .cite(cx.policy(), cite_breaking(cfg, &hf.src), "proto sources")
                .help("add a new rpc with the new signature and deprecate the old one"),
            );
        }
    }
}
