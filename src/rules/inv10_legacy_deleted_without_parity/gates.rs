//! Gate IDs: `OA-RUST-054`, ranges `054..058`, lists, as the inventory and the policy write them.

/// Reads gate IDs for one prefix; its two regexes compile once, on first use (the policy's
/// surfaces each name gates, and compiling the pattern per cell was a third of the policy load).
#[derive(Debug)]
pub(crate) struct GateIds {
    pub(crate) prefix: String,
    /// `OA-RUST-054`, `OA-RUST-054..058`.
    pub(crate) tagged: crate::engine::config::LazyRegex,
    /// Also bare numbers and ranges, `054..058, 106` (an inventory gates cell).
    pub(crate) bare: crate::engine::config::LazyRegex,
}

impl GateIds {
    pub(crate) fn new(prefix: &str) -> GateIds {
        let p = regex::escape(prefix);
        GateIds {
            prefix: prefix.to_string(),
            tagged: crate::engine::config::LazyRegex::new(&format!(
                r"(?i)\b{p}(\d+)(?:\s*(?:\.\.|–|—)\s*(?:{p})?(\d+))?"
            )),
            bare: crate::engine::config::LazyRegex::new(&format!(
                r"(?i)(?:\b{p})?\b(\d+)(?:\s*(?:\.\.|–|—)\s*(?:{p})?(\d+))?"
            )),
        }
    }

    /// Gate numbers in `text`: `OA-RUST-054`, ranges `OA-RUST-054..058` (also `–`), and, when
    /// `need_prefix` is false (an inventory gates cell), bare numbers and ranges `054..058, 106`.
    pub(crate) fn parse(&self, text: &str, need_prefix: bool) -> Vec<u32> {
        let re = if need_prefix {
            &self.tagged
        } else {
            &self.bare
        };
        let text = text.replace('`', "");
        let mut out = Vec::new();
        for c in re.captures_iter(&text) {
            let Some(lo) = c.get(1).and_then(|m| m.as_str().parse::<u32>().ok()) else {
                continue;
            };
            let hi = c
                .get(2)
                .and_then(|m| m.as_str().parse::<u32>().ok())
                .unwrap_or(lo);
            if hi >= lo && hi - lo <= 200 {
                out.extend(lo..=hi);
            } else {
                out.push(lo);
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

pub(crate) fn gate_name(prefix: &str, n: u32) -> String {
    format!("{prefix}{n:03}")
}

/// `OA-RUST-054..058, OA-RUST-106`: consecutive gates as ranges.
pub(crate) fn gate_list(prefix: &str, gates: &[u32]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < gates.len() {
        let mut j = i;
        while j + 1 < gates.len() && gates[j + 1] == gates[j] + 1 {
            j += 1;
        }
        parts.push(if j > i {
            format!("{}..{:03}", gate_name(prefix, gates[i]), gates[j])
        } else {
            gate_name(prefix, gates[i])
        });
        i = j + 1;
    }
    parts.join(", ")
}
