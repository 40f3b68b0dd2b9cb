//! The policy's `[report]` table: the KPI thresholds of `invlint report`.
//!
//! ```toml
//! [report]
//! green-max = 0    # a value of 0 is green (KPI-05: 0 open regressions)
//! yellow-max = 2   # 1-2 is yellow; 3 or more is red
//! ```
//!
//! Both keys are optional; the defaults follow KPI-05 of the KPI dashboard (OA-RUST-006).
//! Problems (a negative number, yellow-max below green-max, an unknown key) are reported with
//! their span in the policy, with every other problem of the policy.

use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::engine::config::Validator;

/// `[report]` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawReport {
    /// Highest value that is green.
    pub green_max: Option<Spanned<i64>>,
    /// Highest value that is yellow; anything above is red.
    pub yellow_max: Option<Spanned<i64>>,
}

/// A KPI status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// At or under `green-max`.
    Green,
    /// Over `green-max`, at or under `yellow-max`.
    Yellow,
    /// Over `yellow-max`.
    Red,
}

impl Status {
    /// Lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Green => "green",
            Status::Yellow => "yellow",
            Status::Red => "red",
        }
    }

    /// The badge colour (background) in the HTML page.
    pub fn color(self) -> &'static str {
        match self {
            Status::Green => "#1a7f37",
            Status::Yellow => "#9a6700",
            Status::Red => "#cf222e",
        }
    }

    /// The word in the markdown table, with a coloured marker.
    pub fn label(self) -> &'static str {
        match self {
            Status::Green => "🟢 green",
            Status::Yellow => "🟡 yellow",
            Status::Red => "🔴 red",
        }
    }
}

/// Compiled thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Thresholds {
    /// Highest green value.
    pub green_max: u64,
    /// Highest yellow value.
    pub yellow_max: u64,
}

impl Default for Thresholds {
    /// KPI-05: 0 green, 1-2 yellow, 3 or more red.
    fn default() -> Self {
        Thresholds {
            green_max: 0,
            yellow_max: 2,
        }
    }
}

impl Thresholds {
    /// The status of `value`.
    pub fn status(&self, value: u64) -> Status {
        if value <= self.green_max {
            Status::Green
        } else if value <= self.yellow_max {
            Status::Yellow
        } else {
            Status::Red
        }
    }

    /// "0 green, 1-2 yellow, >=3 red".
    pub fn describe(&self) -> String {
        let green = match self.green_max {
            0 => "0".to_string(),
            n => format!("0-{n}"),
        };
        let lo = self.green_max + 1;
        let yellow = if self.yellow_max <= self.green_max {
            "none".to_string()
        } else if self.yellow_max == lo {
            format!("{lo}")
        } else {
            format!("{lo}-{}", self.yellow_max)
        };
        format!(
            "{green} green, {yellow} yellow, >={} red",
            self.yellow_max.max(self.green_max) + 1
        )
    }
}

/// Validates `[report]`; problems go to `v`, with their spans. Called once by the policy parser.
pub fn compile(raw: Option<&RawReport>, v: &mut Validator) -> Thresholds {
    let d = Thresholds::default();
    let Some(raw) = raw else {
        return d;
    };
    let mut read = |key: &str, value: &Option<Spanned<i64>>, default: u64| -> Option<u64> {
        let Some(s) = value else {
            return Some(default);
        };
        match u64::try_from(*s.get_ref()) {
            Ok(n) => Some(n),
            Err(_) => {
                v.problem(
                    s.span(),
                    format!("[report] {key} is {}, a negative count", s.get_ref()),
                    "not a count",
                    Some(format!(
                        "set `{key}` to 0 or more (KPI-05: green-max = 0, yellow-max = 2)"
                    )),
                );
                None
            }
        }
    };
    let green = read("green-max", &raw.green_max, d.green_max);
    let yellow = read(
        "yellow-max",
        &raw.yellow_max,
        d.yellow_max.max(green.unwrap_or(0)),
    );
    let (Some(green), Some(yellow)) = (green, yellow) else {
        return d;
    };
    if yellow < green {
        let span = raw
            .yellow_max
            .as_ref()
            .or(raw.green_max.as_ref())
            .map(|s| s.span())
            .unwrap_or(0..0);
        v.problem(
            span,
            format!("[report] yellow-max ({yellow}) is below green-max ({green})"),
            "yellow-max must be at least green-max",
            Some("a value is green up to green-max, yellow up to yellow-max, red above: set yellow-max >= green-max".into()),
        );
        return d;
    }
    Thresholds {
        green_max: green,
        yellow_max: yellow,
    }
}

/// The `[report]` table in the policy's JSON Schema (`invlint schema`).
pub fn schema() -> serde_json::Value {
    serde_json::json!({
        "type": "object",
        "description": "Thresholds of `invlint report`'s migration-regression KPI (landed blocking findings plus open mitigations, per invariant). Defaults follow KPI-05: 0 green, 1-2 yellow, 3 or more red.",
        "additionalProperties": false,
        "properties": {
            "green-max": {
                "type": "integer",
                "minimum": 0,
                "description": "Highest value that is green (default 0)."
            },
            "yellow-max": {
                "type": "integer",
                "minimum": 0,
                "description": "Highest value that is yellow; above it is red (default 2, at least green-max)."
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kpi05_defaults_at_each_boundary() {
        let t = Thresholds::default();
        assert_eq!(t.status(0), Status::Green);
        assert_eq!(t.status(1), Status::Yellow);
        assert_eq!(t.status(2), Status::Yellow);
        assert_eq!(t.status(3), Status::Red);
        assert_eq!(t.describe(), "0 green, 1-2 yellow, >=3 red");
    }

    #[test]
    fn custom_thresholds() {
        let t = Thresholds {
            green_max: 1,
            yellow_max: 1,
        };
        assert_eq!(t.status(1), Status::Green);
        assert_eq!(t.status(2), Status::Red);
        assert_eq!(t.describe(), "0-1 green, none yellow, >=2 red");
    }
}
