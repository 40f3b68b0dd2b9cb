//! Parsing a description with the spec's grammar: blocks (list items, headings, table rows),
//! checklist items, claims, tasks and mitigations.

use super::*;

/// A container the checklist items are looked for in.
pub(crate) struct Block {
    /// Whole range (list item with nested content, heading with its section, table row).
    pub(crate) range: Range<usize>,
    /// First line, without list marker, box, heading hashes or leading pipe.
    pub(crate) title: Range<usize>,
    pub(crate) checked: Option<bool>,
}

impl PrDescription {
    /// Parses `source` with the spec's grammar, recognising the given invariant IDs.
    pub fn parse(source: Arc<Source>, ids: &[String]) -> PrDescription {
        PrDescription::parse_with(source, ids, &Grammar::spec())
    }

    /// Parses `source`, recognising the given invariant IDs (case-insensitive) and the
    /// checklist items of `grammar`.
    pub fn parse_with(source: Arc<Source>, ids: &[String], grammar: &Grammar) -> PrDescription {
        use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
        let text = source.text();
        let mut hidden: Vec<Range<usize>> = Vec::new();
        let mut code: Vec<Range<usize>> = Vec::new();
        let mut blocks: Vec<Block> = Vec::new();
        let mut headings: Vec<(usize, Range<usize>)> = Vec::new();
        let mut open_items: Vec<usize> = Vec::new();
        let opts = Options::ENABLE_TABLES | Options::ENABLE_TASKLISTS;
        for (event, range) in Parser::new_ext(text, opts).into_offset_iter() {
            match event {
                Event::Start(Tag::CodeBlock(_)) => {
                    code.push(range.clone());
                    hidden.push(range)
                }
                Event::Start(Tag::BlockQuote(_)) => hidden.push(range),
                Event::Html(_) | Event::InlineHtml(_) => hidden.push(range),
                Event::Start(Tag::Item) => {
                    open_items.push(blocks.len());
                    blocks.push(Block {
                        title: first_line(text, range.clone()),
                        range,
                        checked: None,
                    });
                }
                Event::End(TagEnd::Item) => {
                    open_items.pop();
                }
                Event::TaskListMarker(checked) => {
                    if let Some(b) = open_items.last().and_then(|&i| blocks.get_mut(i)) {
                        if b.checked.is_none() && range.start < b.title.end {
                            b.checked = Some(checked);
                        }
                    }
                }
                Event::Start(Tag::Heading { level, .. }) => {
                    headings.push((level as usize, range));
                }
                Event::Start(Tag::TableRow) | Event::Start(Tag::TableHead) => {
                    blocks.push(Block {
                        title: first_line(text, range.clone()),
                        range,
                        checked: None,
                    });
                }
                _ => {}
            }
        }
        // A heading's section runs to the next heading of the same or a higher level.
        for (n, (level, range)) in headings.iter().enumerate() {
            let end = headings[n + 1..]
                .iter()
                .find(|(l, _)| l <= level)
                .map(|(_, r)| r.start)
                .unwrap_or(text.len());
            blocks.push(Block {
                title: first_line(text, range.clone()),
                range: range.start..end.max(range.end),
                checked: None,
            });
        }
        blocks.sort_by_key(|b| (b.range.start, std::cmp::Reverse(b.range.end)));

        // HTML comments outside code, wherever the parser put them (an HTML block, a paragraph):
        // an unclosed one hides the rest, as on GitHub.
        hidden.extend(comments(text, &code));
        let visible = mask(text, &hidden);
        let vis = visible.as_str();

        // Tasks.
        let tasks: Vec<Task> = blocks
            .iter()
            .filter_map(|b| {
                let checked = b.checked?;
                let line = &vis[b.title.clone()];
                let after = line.find(']').map(|i| &line[i + 1..]).unwrap_or(line);
                Some(Task {
                    is_checked: checked,
                    text: after.trim().to_string(),
                    span: line_span(text, b.title.start),
                })
            })
            .collect();

        // Checklist items: for each, the first block whose first line names it (a block serves
        // one item).
        let mut items: Vec<Item> = Vec::new();
        let mut taken = vec![false; blocks.len()];
        let titles: Vec<String> = blocks
            .iter()
            .map(|b| vis[b.title.clone()].to_lowercase())
            .collect();
        // Which items each block's first line names, in its head (before a colon) or anywhere:
        // one pass of one keyword automaton per block (a description may have 10,000 blocks).
        let mut keywords: Vec<(String, usize)> = grammar
            .items
            .iter()
            .enumerate()
            .flat_map(|(i, spec)| spec.keywords.iter().map(move |k| (k.to_lowercase(), i)))
            .filter(|(k, _)| !k.is_empty())
            .collect();
        keywords.sort_by_key(|(k, _)| std::cmp::Reverse(k.len()));
        let keyword_re = (!keywords.is_empty())
            .then(|| {
                let alts: Vec<String> = keywords.iter().map(|(k, _)| regex::escape(k)).collect();
                compiled(&alts.join("|"))
            })
            .flatten();
        let hits: Vec<(Vec<usize>, Vec<usize>)> = titles
            .iter()
            .map(|title| {
                let mut head = Vec::new();
                let mut any = Vec::new();
                let Some(re) = &keyword_re else {
                    return (head, any);
                };
                let head_end = title.find(':').unwrap_or(title.len());
                for m in re.find_iter(title) {
                    let text = m.as_str();
                    for (k, i) in &keywords {
                        if k == text {
                            any.push(*i);
                            if m.end() <= head_end {
                                head.push(*i);
                            }
                        }
                    }
                }
                (head, any)
            })
            .collect();
        for (index, spec) in grammar.items.iter().enumerate() {
            let found = blocks
                .iter()
                .enumerate()
                .find(|(n, _)| !taken[*n] && hits[*n].0.contains(&index))
                .or_else(|| {
                    blocks
                        .iter()
                        .enumerate()
                        .find(|(n, _)| !taken[*n] && hits[*n].1.contains(&index))
                });
            let Some((n, b)) = found else { continue };
            taken[n] = true;
            let state = item_state(&vis[b.range.clone()], spec, b.checked);
            items.push(Item {
                index,
                range: b.range.clone(),
                span: line_span(text, b.title.start),
                checked: b.checked,
                state,
            });
        }

        // Statements: no unchecked task, no item still holding the template or only its title.
        let mut said: Vec<Range<usize>> = tasks
            .iter()
            .filter(|t| !t.is_checked)
            .map(|t| t.span.clone())
            .collect();
        said.extend(
            items
                .iter()
                .filter(|i| i.state != ItemState::Addressed && i.checked != Some(true))
                .map(|i| i.range.clone()),
        );
        said.extend(
            items
                .iter()
                .filter(|i| i.state == ItemState::Template)
                .map(|i| i.range.clone()),
        );
        let statements = mask(vis, &said);

        // Mentions, then which of them are claims.
        let mut all = Vec::new();
        if let Some(id_re) = id_regex(ids) {
            for n in 1..=source.line_count() {
                let Some(range) = source.line_range(n) else {
                    continue;
                };
                mentions_on_line(&vis[range.clone()], range.start, n, ids, &id_re, &mut all);
            }
        }
        // The innermost item around an offset.
        let item_at = |at: usize| {
            items
                .iter()
                .filter(|i| i.range.contains(&at))
                .min_by_key(|i| i.range.len())
        };
        let impact_has_ids = all
            .iter()
            .any(|m: &Mention| item_at(m.span.start).is_some_and(|i| i.index == 0));
        let (mentions, context): (Vec<Mention>, Vec<Mention>) =
            all.into_iter().partition(|m| match item_at(m.span.start) {
                Some(i) => i.index == 0 && i.state != ItemState::Template,
                None => !impact_has_ids,
            });

        let negations = if grammar.negations.is_empty() {
            default_negations()
        } else {
            grammar.negations.clone()
        };
        let mut out = PrDescription {
            source: source.clone(),
            mentions,
            context,
            tasks,
            items,
            mitigations: Vec::new(),
            statements,
            negations,
        };
        out.mitigations = out.find_mitigations(ids, &headings);
        out
    }

    /// IDs the description claims as affected.
    pub fn affected(&self) -> impl Iterator<Item = &Mention> {
        self.mentions.iter().filter(|m| m.claim == Claim::Affected)
    }

    /// The mention of `id` (first), if any.
    pub fn mention(&self, id: &str) -> Option<&Mention> {
        self.mentions.iter().find(|m| m.id.eq_ignore_ascii_case(id))
    }

    /// True when the description maps any invariant at all.
    pub fn has_mapping(&self) -> bool {
        !self.mentions.is_empty()
    }

    /// The item of the grammar with this index, if the description has it.
    pub fn item(&self, index: usize) -> Option<&Item> {
        self.items.iter().find(|i| i.index == index)
    }

    /// What the description states: its text with code, HTML, quotes, unchecked tasks and
    /// template items blanked out (same byte offsets as the source).
    pub fn statement_text(&self) -> &str {
        &self.statements
    }

    /// The first match of `re` in the description's statements that is not negated within its
    /// clause ("no migration job run" does not state that a migration job ran).
    pub fn states(&self, re: &regex::Regex) -> Option<regex::Match<'_>> {
        let text = self.statements.as_str();
        re.find_iter(text)
            .find(|m| !is_negated(text, m.range(), &self.negations))
    }

    /// Like `states`, for a regex with capture groups.
    pub fn states_captures(&self, re: &regex::Regex) -> Vec<regex::Captures<'_>> {
        let text = self.statements.as_str();
        re.captures_iter(text)
            .filter(|c| {
                c.get(0)
                    .is_some_and(|m| !is_negated(text, m.range(), &self.negations))
            })
            .collect()
    }

    pub(crate) fn find_mitigations(
        &self,
        ids: &[String],
        headings: &[(usize, Range<usize>)],
    ) -> Vec<Mitigation> {
        let Some(id_re) = id_regex(ids) else {
            return Vec::new();
        };
        let text = self.statements.as_str();
        let src = &self.source;
        let mut out = Vec::new();
        let approver = |region: &str| -> Option<String> {
            approver_regex()
                .captures_iter(region)
                .find(|c| {
                    c.get(0)
                        .is_some_and(|m| !is_negated(region, m.range(), &self.negations))
                })
                .map(|c| c[1].to_string())
        };
        let follow_up = |region: &str| follow_regex().captures(region).map(|c| c[1].to_string());
        let canonical = |m: &str| {
            ids.iter()
                .find(|i| i.eq_ignore_ascii_case(m))
                .cloned()
                .unwrap_or_else(|| m.to_ascii_uppercase())
        };
        // Section form: a heading naming mitigation and the invariant(s); the section holds the
        // approval and the follow-up.
        let mut in_section: Vec<Range<usize>> = Vec::new();
        for (n, (level, range)) in headings.iter().enumerate() {
            let head = text.get(range.clone()).unwrap_or("");
            if !head.to_ascii_lowercase().contains("mitigat") {
                continue;
            }
            let end = headings[n + 1..]
                .iter()
                .find(|(l, _)| l <= level)
                .map(|(_, r)| r.start)
                .unwrap_or(text.len());
            let body = text.get(range.start..end).unwrap_or("");
            let found: Vec<_> = id_re.find_iter(head).collect();
            let found = if found.is_empty() {
                id_re.find_iter(body).collect()
            } else {
                found
            };
            let mut seen = BTreeSet::new();
            for m in found {
                if seen.insert(canonical(m.as_str())) {
                    out.push(Mitigation {
                        id: canonical(m.as_str()),
                        approver: approver(body),
                        follow_up: follow_up(body),
                        span: line_span(src.text(), range.start),
                    });
                }
            }
            in_section.push(range.start..end);
        }
        // Line form.
        for n in 1..=src.line_count() {
            let Some(range) = src.line_range(n) else {
                continue;
            };
            if in_section.iter().any(|s| s.contains(&range.start)) {
                continue;
            }
            let line = &text[range.clone()];
            if !line.to_ascii_lowercase().contains("mitigat") {
                continue;
            }
            for m in id_re.find_iter(line) {
                out.push(Mitigation {
                    id: canonical(m.as_str()),
                    approver: approver(line),
                    follow_up: follow_up(line),
                    span: range.clone(),
                });
            }
        }
        out
    }
}
