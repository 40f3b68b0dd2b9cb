//! The proto model: a changed `.proto` file parsed with protox-parse at base and head, its
//! messages, enums and services by full name, with spans for findings.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::sync::Arc;

use prost_types::{
    DescriptorProto, EnumDescriptorProto, FileDescriptorProto, ServiceDescriptorProto,
};

use crate::engine::diff::FileChange;
use crate::engine::source::Source;

pub(crate) struct ChangedProto<'a> {
    pub(crate) file: &'a FileChange,
    pub(crate) base: Option<ParsedProto>,
    pub(crate) head: Option<ParsedProto>,
}

pub(crate) type ParsedProto = Result<ProtoFile, (Arc<Source>, String, Range<usize>)>;

pub(crate) struct ProtoFile {
    pub(crate) src: Arc<Source>,
    pub(crate) fd: FileDescriptorProto,
    pub(crate) spans: HashMap<Vec<i32>, Range<usize>>,
}

impl ProtoFile {
    /// Span of the element at `path`, preferring its name (`name_field`), else the element.
    pub(crate) fn span(&self, path: &[i32], name_field: Option<i32>) -> Range<usize> {
        if let Some(n) = name_field {
            let mut p = path.to_vec();
            p.push(n);
            if let Some(s) = self.spans.get(&p) {
                return s.clone();
            }
        }
        self.spans
            .get(path)
            .cloned()
            .or_else(|| self.src.line_range(1))
            .unwrap_or(0..0)
    }

    pub(crate) fn package(&self) -> &str {
        self.fd.package.as_deref().unwrap_or("")
    }
}

pub(crate) fn parse_proto(src: &Arc<Source>) -> ParsedProto {
    match crate::rules::util::parse_proto(src.name(), src.text()) {
        Ok(mut fd) => {
            let mut spans = HashMap::new();
            // Read once into `spans`, then dropped: every location of every element, kept per
            // parsed file to the end of the run, was most of a proto file's memory (#19).
            if let Some(info) = fd.source_code_info.take() {
                for loc in info.location {
                    if let Some(span) = proto_span(src, &loc.span) {
                        spans.entry(loc.path).or_insert(span);
                    }
                }
            }
            Ok(ProtoFile {
                src: src.clone(),
                fd,
                spans,
            })
        }
        Err((msg, span)) => {
            let span = span
                .filter(|s| s.end <= src.text().len())
                .or_else(|| src.line_range(1))
                .unwrap_or(0..0);
            Err((src.clone(), msg, span))
        }
    }
}

/// protoc's `[start line, start col, (end line,) end col]`, 0-based, columns in bytes.
pub(crate) fn proto_span(src: &Source, span: &[i32]) -> Option<Range<usize>> {
    let (sl, sc, el, ec) = match *span {
        [sl, sc, ec] => (sl, sc, sl, ec),
        [sl, sc, el, ec] => (sl, sc, el, ec),
        _ => return None,
    };
    let at = |l: i32, c: i32| -> Option<usize> {
        let line = src.line_range(usize::try_from(l).ok()? + 1)?;
        Some((line.start + usize::try_from(c).ok()?).min(src.text().len()))
    };
    let (s, e) = (at(sl, sc)?, at(el, ec)?);
    (s <= e).then_some(s..e)
}

/// Where a named element sits: its source file (index into a list) and descriptor path.
#[derive(Clone)]
pub(crate) struct Loc {
    pub(crate) file: usize,
    pub(crate) path: Vec<i32>,
}

/// Every message, enum and service of a set of files, by fully qualified name.
#[derive(Default)]
pub(crate) struct Defs<'a> {
    pub(crate) messages: BTreeMap<String, (Loc, &'a DescriptorProto)>,
    pub(crate) enums: BTreeMap<String, (Loc, &'a EnumDescriptorProto)>,
    pub(crate) services: BTreeMap<String, (Loc, &'a ServiceDescriptorProto)>,
}

impl<'a> Defs<'a> {
    pub(crate) fn add_file(&mut self, idx: usize, fd: &'a FileDescriptorProto, package: &str) {
        let prefix = if package.is_empty() {
            String::new()
        } else {
            format!("{package}.")
        };
        for (i, m) in fd.message_type.iter().enumerate() {
            self.add_message(idx, m, &prefix, vec![4, i as i32]);
        }
        for (i, e) in fd.enum_type.iter().enumerate() {
            let name = format!("{prefix}{}", e.name());
            self.enums.insert(
                name,
                (
                    Loc {
                        file: idx,
                        path: vec![5, i as i32],
                    },
                    e,
                ),
            );
        }
        for (i, s) in fd.service.iter().enumerate() {
            let name = format!("{prefix}{}", s.name());
            self.services.insert(
                name,
                (
                    Loc {
                        file: idx,
                        path: vec![6, i as i32],
                    },
                    s,
                ),
            );
        }
    }

    pub(crate) fn add_message(
        &mut self,
        idx: usize,
        m: &'a DescriptorProto,
        prefix: &str,
        path: Vec<i32>,
    ) {
        let name = format!("{prefix}{}", m.name());
        if m.options.as_ref().is_some_and(|o| o.map_entry()) {
            return;
        }
        for (j, n) in m.nested_type.iter().enumerate() {
            let mut p = path.clone();
            p.extend([3, j as i32]);
            self.add_message(idx, n, &format!("{name}."), p);
        }
        for (j, e) in m.enum_type.iter().enumerate() {
            let mut p = path.clone();
            p.extend([4, j as i32]);
            self.enums.insert(
                format!("{name}.{}", e.name()),
                (Loc { file: idx, path: p }, e),
            );
        }
        self.messages.insert(
            name,
            (
                Loc {
                    file: idx,
                    path: path.clone(),
                },
                m,
            ),
        );
    }
}
