//! INV-05's edge extraction: which unit a path belongs to, and the dependency edges a manifest,
//! a Rust file's `use`/`extern crate`, a TS/PHP import or a shared-symbol reference adds.

use super::*;

impl Settings {
    /// The unit (index) whose root is the longest match for `path`, with that root's text.
    pub(super) fn unit_of(&self, path: &str) -> Option<(usize, String)> {
        let mut best: Option<(usize, usize, String)> = None;
        let ancestors = ancestors(path);
        for (i, u) in self.units.iter().enumerate() {
            for (glob, _text, _) in &u.roots {
                for a in &ancestors {
                    if glob.is_match(a) && best.as_ref().is_none_or(|(len, _, _)| a.len() > *len) {
                        best = Some((a.len(), i, (*a).to_string()));
                    }
                }
            }
        }
        best.map(|(_, i, root)| (i, root))
    }

    /// The service a repository path lies in, if any.
    pub(super) fn service_at(&self, path: &str) -> Option<(usize, String, Range<usize>)> {
        let (u, root) = self.unit_of(path)?;
        if !self.units[u].is_service {
            return None;
        }
        let span = self.units[u]
            .roots
            .iter()
            .find(|(g, _, _)| g.is_match(&root))
            .map(|(_, _, s)| s.clone())
            .unwrap_or_else(|| self.units[u].name_span.clone());
        Some((u, root, span))
    }

    /// The service whose crate is named exactly `name`.
    pub(super) fn service_by_crate(&self, name: &str) -> Option<(usize, Range<usize>)> {
        if self.not_services.iter().any(|n| n == name) {
            return None;
        }
        self.units.iter().enumerate().find_map(|(i, u)| {
            if !u.is_service {
                return None;
            }
            u.crates
                .iter()
                .find(|(c, _)| c == name)
                .map(|(_, s)| (i, s.clone()))
        })
    }

    pub(super) fn first_root(&self, u: usize) -> String {
        self.units[u]
            .roots
            .first()
            .map(|(_, t, _)| t.clone())
            .unwrap_or_else(|| self.units[u].name.clone())
    }

    /// Every edge `src` (the file at `path`, in unit `from`) creates to a service other
    /// than `from`.
    pub(super) fn edges(
        &self,
        path: &str,
        src: &Source,
        from: Option<usize>,
        ws: &[WsDep],
    ) -> Vec<Edge> {
        let mut edges = if is_manifest(path) {
            self.cargo_edges(path, src, ws)
        } else {
            match ext(path) {
                "rs" => self.rust_edges(src),
                "ts" | "tsx" | "js" | "jsx" | "mjs" | "cjs" | "mts" | "cts" | "vue" | "svelte" => {
                    self.import_edges(path, src, false)
                }
                "php" => self.import_edges(path, src, true),
                _ => Vec::new(),
            }
        };
        if from.is_some_and(|u| self.units[u].is_service) && !is_manifest(path) {
            edges.extend(self.symbol_edges(path, src, from));
        }
        edges.retain(|e| e.symbol.is_some() || Some(e.to) != from);
        edges.sort_by_key(|e| e.span.start);
        edges
    }

    pub(super) fn cargo_edges(&self, path: &str, src: &Source, ws: &[WsDep]) -> Vec<Edge> {
        let dir = parent(path);
        let mut out = Vec::new();
        for dep in manifest_deps(src.text(), self.include_dev) {
            let (target, via_path) = match (&dep.path, dep.workspace) {
                (Some(p), _) => (
                    resolve(dir, p)
                        .and_then(|r| self.service_at(&r).map(|(u, root, s)| (u, root, s, "root"))),
                    true,
                ),
                (None, true) => {
                    let found = ws.iter().find(|w| w.key == dep.key);
                    match found {
                        Some(w) => match &w.path {
                            Some(p) => (
                                resolve("", p).and_then(|r| {
                                    self.service_at(&r).map(|(u, root, s)| (u, root, s, "root"))
                                }),
                                true,
                            ),
                            None => (
                                self.service_by_crate(&w.package)
                                    .map(|(u, s)| (u, self.first_root(u), s, "crate")),
                                false,
                            ),
                        },
                        None => (
                            self.service_by_crate(&dep.package)
                                .map(|(u, s)| (u, self.first_root(u), s, "crate")),
                            false,
                        ),
                    }
                }
                (None, false) => (
                    self.service_by_crate(&dep.package)
                        .map(|(u, s)| (u, self.first_root(u), s, "crate")),
                    false,
                ),
            };
            let Some((to, to_root, cite, kind)) = target else {
                continue;
            };
            if self.not_services.iter().any(|n| n == &dep.package) && !via_path {
                continue;
            }
            let cite_label = if kind == "root" {
                format!("service `{}` root", self.units[to].name)
            } else {
                format!("service `{}` crate", self.units[to].name)
            };
            out.push(Edge {
                to,
                to_root,
                via: format!("the Cargo dependency `{}`{}", dep.key, dep.table_note()),
                span: dep.span.clone(),
                label: format!(
                    "`{}` links service `{}` into this build",
                    dep.key, self.units[to].name
                ),
                cite,
                cite_label,
                symbol: None,
            });
        }
        out
    }

    pub(super) fn rust_edges(&self, src: &Source) -> Vec<Edge> {
        let text = src.text();
        let idents: Vec<(usize, String, Range<usize>)> = self
            .units
            .iter()
            .enumerate()
            .filter(|(_, u)| u.is_service)
            .flat_map(|(i, u)| {
                u.crates
                    .iter()
                    .filter(|(c, _)| !self.not_services.contains(c))
                    .map(move |(c, s)| (i, c.replace('-', "_"), s.clone()))
            })
            .collect();
        // Cheap prefilter: most files name no service crate at all.
        if !idents.iter().any(|(_, id, _)| text.contains(id.as_str())) {
            return Vec::new();
        }
        let test_lines = rust_test_blocks(src);
        let mut out = Vec::new();
        for line_no in 1..=src.line_count() {
            if test_lines.contains(&line_no) {
                continue;
            }
            let Some(range) = src.line_range(line_no) else {
                continue;
            };
            let line = &text[range.clone()];
            if util::is_comment(line, &["//", "/*", "*"]) {
                continue;
            }
            for (to, id, cite) in &idents {
                if let Some(at) = find_crate_path(line, id) {
                    let span = range.start + at..range.start + at + id.len();
                    let kind = if line.trim_start().starts_with("extern crate") {
                        format!("`extern crate {id}`")
                    } else if line
                        .trim_start()
                        .trim_start_matches("pub ")
                        .starts_with("use ")
                    {
                        format!("`use {id}::`")
                    } else {
                        format!("the path `{id}::`")
                    };
                    out.push(Edge {
                        to: *to,
                        to_root: self.first_root(*to),
                        via: kind,
                        span,
                        label: format!("`{id}` is service `{}`'s crate", self.units[*to].name),
                        cite: cite.clone(),
                        cite_label: format!("service `{}` crate", self.units[*to].name),
                        symbol: None,
                    });
                }
            }
        }
        out
    }

    pub(super) fn import_edges(&self, path: &str, src: &Source, is_php: bool) -> Vec<Edge> {
        static TS: std::sync::LazyLock<(Regex, util::Prefilter)> = std::sync::LazyLock::new(|| {
            util::Prefilter::with_regex(
                r#"(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*|\bexport\s+[^'"]*from\s*)['"]([^'"]+)['"]"#,
            )
        });
        static PHP: std::sync::LazyLock<(Regex, util::Prefilter)> = std::sync::LazyLock::new(
            || {
                util::Prefilter::with_regex(
                    r#"\b(?:require|include)(?:_once)?\s*\(?\s*(?:__DIR__\s*\.\s*)?['"]([^'"]+)['"]"#,
                )
            },
        );
        let (re, picks) = if is_php { &*PHP } else { &*TS };
        let text = src.text();
        let markers: &[&str] = if is_php {
            &["//", "#", "/*", "*"]
        } else {
            &["//", "/*", "*"]
        };
        let dir = parent(path);
        let mut out = Vec::new();
        for line_no in picks.lines(src) {
            let Some(range) = src.line_range(line_no) else {
                continue;
            };
            let line = &text[range.clone()];
            if util::is_comment(line, markers) {
                continue;
            }
            for caps in re.captures_iter(line) {
                let Some(m) = caps.get(1) else { continue };
                let spec = m.as_str();
                let span = range.start + m.start()..range.start + m.end();
                let is_relative = spec.starts_with("./")
                    || spec.starts_with("../")
                    || (is_php && spec.starts_with('/'));
                let target = if is_relative {
                    let rel = spec.trim_start_matches('/');
                    let rel = if is_php && spec.starts_with('/') {
                        rel.to_string()
                    } else {
                        spec.to_string()
                    };
                    resolve(dir, &rel)
                        .and_then(|r| self.service_at(&r))
                        .map(|(u, root, cite)| {
                            (
                                u,
                                root,
                                cite,
                                format!("service `{}` root", self.units[u].name),
                            )
                        })
                } else {
                    self.units
                        .iter()
                        .enumerate()
                        .filter(|(_, u)| u.is_service)
                        .find_map(|(i, u)| {
                            u.packages
                                .iter()
                                .find(|(p, _)| spec == p || spec.starts_with(&format!("{p}/")))
                                .map(|(_, s)| {
                                    (
                                        i,
                                        self.first_root(i),
                                        s.clone(),
                                        format!("service `{}` package", u.name),
                                    )
                                })
                        })
                };
                let Some((to, to_root, cite, cite_label)) = target else {
                    continue;
                };
                out.push(Edge {
                    to,
                    to_root,
                    via: format!("the import of `{spec}`"),
                    span,
                    label: format!("imports code of service `{}`", self.units[to].name),
                    cite,
                    cite_label,
                    symbol: None,
                });
            }
        }
        out
    }

    pub(super) fn symbol_edges(&self, path: &str, src: &Source, from: Option<usize>) -> Vec<Edge> {
        if self.symbols.is_empty() {
            return Vec::new();
        }
        let text = src.text();
        let markers = util::comment_markers(path);
        let test_lines = if ext(path) == "rs" {
            rust_test_blocks(src)
        } else {
            BTreeSet::new()
        };
        let candidates = self.symbol_prefilter.lines(src);
        let mut out = Vec::new();
        for (si, sym) in self.symbols.iter().enumerate() {
            // Without an owner, the symbol is a process-global exported by `from` itself.
            let to = match (sym.owner, from) {
                (Some(o), Some(f)) if o == f => continue,
                (Some(o), _) => o,
                (None, Some(f)) => f,
                (None, None) => continue,
            };
            for &line_no in &candidates {
                if test_lines.contains(&line_no) {
                    continue;
                }
                let Some(range) = src.line_range(line_no) else {
                    continue;
                };
                let line = &text[range.clone()];
                if util::is_comment(line, markers) {
                    continue;
                }
                let Some(m) = sym.regex.find(line) else {
                    continue;
                };
                let matched = m.as_str().trim();
                let (via, label) = if sym.owner.is_some() {
                    (
                        format!("{} (`{matched}`) in the same process", sym.what),
                        format!("`{matched}` belongs to the `{}` plane", self.units[to].name),
                    )
                } else {
                    (
                        format!(
                            "{} (`{matched}`) that other planes in this process can share",
                            sym.what
                        ),
                        format!("`{matched}` is process-global state"),
                    )
                };
                let lead = m.as_str().len() - m.as_str().trim_start().len();
                out.push(Edge {
                    to,
                    to_root: self.first_root(to),
                    via,
                    span: range.start + m.start() + lead
                        ..range.start + m.start() + lead + matched.len(),
                    label,
                    cite: sym.span.clone(),
                    cite_label: format!("symbol `{}`", sym.id),
                    symbol: Some(si),
                });
                break;
            }
        }
        out
    }
}
