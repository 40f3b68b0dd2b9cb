//! Sub-check 2: generated outputs change with their proto sources, and the generator builds
//! every proto package.

use super::*;

pub(crate) fn generated_outputs(
    cx: &Context<'_>,
    inv: &Invariant,
    cfg: &Settings,
    out: &mut Findings,
) {
    let files = &cx.changes().files;
    let touched = |f: &FileChange, g: &GlobList| {
        g.is_match(&f.path) || f.old_path.as_deref().is_some_and(|p| g.is_match(p))
    };
    for g in &cfg.generated {
        let source = files.iter().find(|f| touched(f, &g.sources));
        let output = files.iter().find(|f| touched(f, &g.outputs));
        let (file, message, cite, label, help) = match (source, output) {
            (Some(s), None) => (
                s,
                format!(
                    "proto source `{}` changed without its committed generated outputs",
                    s.path
                ),
                g.outputs_span.clone(),
                "committed outputs of these sources",
                format!(
                    "regenerate ({}) and commit the result in this change",
                    g.outputs_text
                ),
            ),
            (None, Some(o)) => (
                o,
                format!(
                    "generated file `{}` edited without a change to its proto sources",
                    o.path
                ),
                g.sources_span.clone(),
                "sources these outputs are generated from",
                format!(
                    "change the proto ({}) and regenerate; never edit generated output by hand",
                    g.sources_text
                ),
            ),
            _ => continue,
        };
        let mut f = Finding::new(inv, META.name, message);
        f = match file.head.source().or(file.base.source()) {
            Some(src) => {
                let span = src.line_range(1).unwrap_or(0..0);
                f.at(src, span, format!("`{}` changed", file.path))
            }
            None => f.on_path(file.path.to_string()),
        };
        out.push(f.cite(cx.policy(), cite, label).help(help));
    }
}

pub(crate) fn generator_coverage(
    cx: &Context<'_>,
    inv: &Invariant,
    cfg: &Settings,
    parsed: &[ChangedProto<'_>],
    out: &mut Findings,
) {
    let Some((script, script_cite)) = &cfg.generator else {
        return;
    };
    let script_changed = cx.changes().file(script).is_some();
    let protos_at_head: Vec<&ChangedProto<'_>> =
        parsed.iter().filter(|p| p.file.exists_at_head()).collect();
    if !script_changed && protos_at_head.is_empty() {
        return;
    }
    // The proto files to check: the changed ones, or the whole proto tree when the script changed.
    let mut targets: BTreeSet<String> = protos_at_head
        .iter()
        .map(|p| p.file.path.to_string())
        .collect();
    if script_changed {
        targets.extend(
            cx.tree()
                .files
                .iter()
                .filter(|p| cfg.proto_paths.is_match(p) && !cfg.exclude.is_match(p))
                .cloned(),
        );
    }
    if targets.is_empty() {
        return;
    }
    let Some(script_src) = cx.head_file(script) else {
        // A repository without this generator is not checked; one that deletes it while proto
        // files remain has nothing that compiles them.
        let deleted = cx
            .changes()
            .file(script)
            .is_some_and(|f| f.kind == ChangeKind::Deleted);
        let Some(first) = targets.iter().next().filter(|_| deleted) else {
            return;
        };
        let mut f = Finding::new(
            inv,
            META.name,
            format!("proto generator `{script}` is missing at head"),
        );
        f = match cx.head_file(first) {
            Some(src) => {
                let span = src.line_range(1).unwrap_or(0..0);
                f.at(&src, span, format!("`{first}` has no generator"))
            }
            None => f.on_path(first.clone()),
        };
        out.push(
            f.cite(cx.policy(), script_cite.clone(), "configured generator")
                .help("restore the generator, or point `generator` at the script that compiles the proto tree now"),
        );
        return;
    };
    let script_dir = script.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    let refs = path_literals(script_src.text());
    let resolved: Vec<(String, Range<usize>)> = refs
        .iter()
        .flat_map(|(lit, span)| {
            let mut r = Vec::new();
            r.push((join_norm(script_dir, lit), span.clone()));
            r.push((join_norm("", lit), span.clone()));
            if !cfg.proto_root.is_empty() {
                r.push((join_norm(&cfg.proto_root, lit), span.clone()));
            }
            r.into_iter()
                .filter_map(|(p, s)| p.filter(|p| !p.is_empty()).map(|p| (p, s)))
        })
        .collect();
    // A script that lists `.proto` files names the include root too (`&["../../proto"]`): then
    // only the listed files and directories below the root count, not the root itself.
    let lists_files = refs.iter().any(|(l, _)| l.ends_with(".proto"));
    let root = &cfg.proto_root;
    let covered = |p: &str| {
        resolved.iter().any(|(r, _)| {
            let under = |p: &str, r: &str| p.starts_with(r) && p[r.len()..].starts_with('/');
            if lists_files && (r == root || under(root, r)) {
                return false;
            }
            p == r || under(p, r)
        })
    };
    let mut reported = BTreeSet::new();
    for target in &targets {
        if covered(target) {
            continue;
        }
        let pkg_dir = package_dir(target, &cfg.package_root);
        if !reported.insert(pkg_dir.clone()) {
            continue;
        }
        let mut f = Finding::new(
            inv,
            META.name,
            format!("proto package `{pkg_dir}` is not referenced by the generator `{script}`"),
        );
        let changed = parsed.iter().find(|p| *p.file.path == **target);
        let src = changed
            .and_then(|p| p.file.head.source().cloned())
            .or_else(|| cx.head_file(target));
        f = match &src {
            Some(src) => {
                let span = match changed.and_then(|p| p.head.as_ref()) {
                    Some(Ok(pf)) if pf.spans.contains_key(&vec![2]) => pf.span(&[2], None),
                    _ => src.line_range(1).unwrap_or(0..0),
                };
                f.at(
                    src,
                    span,
                    format!("`{target}` is never compiled by `{script}`"),
                )
            }
            None => f.on_path(target.clone()),
        };
        if let Some((lit, span)) = refs.first() {
            f = f.related(
                &script_src,
                span.clone(),
                format!("the generator names `{lit}` and no path covering `{pkg_dir}`"),
            );
        }
        out.push(
            f.cite(cx.policy(), script_cite.clone(), "configured generator")
                .help(format!(
                    "add `{pkg_dir}` (or a directory above it) to the proto paths `{script}` compiles, so the generated types exist for every package"
                )),
        );
    }
}

/// String literals in a script that look like paths: they contain `/` or end in `.proto`.
pub(crate) fn path_literals(text: &str) -> Vec<(String, Range<usize>)> {
    let mut out = Vec::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'/') {
            // Line comment.
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        if bytes[i] == b'"' {
            let start = i + 1;
            let mut j = start;
            while j < bytes.len() && bytes[j] != b'"' && bytes[j] != b'\n' {
                if bytes[j] == b'\\' {
                    j += 1;
                }
                j += 1;
            }
            if j >= bytes.len() || bytes[j] != b'"' {
                i = j + 1;
                continue;
            }
            let lit = &text[start..j];
            let is_path = (lit.contains('/') || lit.ends_with(".proto"))
                && !lit.contains(['{', ' ', ':', '\\', '*']);
            if is_path {
                out.push((lit.to_string(), start - 1..j + 1));
            }
            i = j + 1;
            continue;
        }
        i += 1;
    }
    out
}

/// `base/rel`, normalised (`.`/`..` resolved); `None` when it climbs above the root.
pub(crate) fn join_norm(base: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = if rel.starts_with('/') {
        Vec::new()
    } else {
        base.split('/').filter(|s| !s.is_empty()).collect()
    };
    for seg in rel.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

/// `proto/openagents/<pkg>` for a file under `package_root`, else the file's directory.
pub(crate) fn package_dir(path: &str, package_root: &str) -> String {
    if !package_root.is_empty() {
        if let Some(rest) = path
            .strip_prefix(package_root)
            .and_then(|r| r.strip_prefix('/'))
        {
            if let Some((pkg, _)) = rest.split_once('/') {
                return format!("{package_root}/{pkg}");
            }
        }
    }
    path.rsplit_once('/')
        .map(|(d, _)| d.to_string())
        .unwrap_or_default()
}
