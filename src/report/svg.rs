//! Inline SVG bar charts for the HTML page: no script, no external reference, every label
//! escaped.

use std::fmt::Write;

use super::html::escape;

/// How a chart looks.
#[derive(Debug, Clone, Copy)]
pub struct Chart<'a> {
    /// Accessible name.
    pub title: &'a str,
    /// Bar colour.
    pub color: &'a str,
    /// Pixels.
    pub width: u32,
    /// Pixels.
    pub height: u32,
    /// The value the full height stands for (at least 1), so that charts side by side share a
    /// scale.
    pub scale: u64,
    /// Draw the axis and week labels.
    pub axis: bool,
}

/// A bar chart of `values` (one bar per week, labelled by `labels`).
pub fn bars(chart: &Chart<'_>, values: &[u64], labels: &[String]) -> String {
    let Chart {
        title,
        color,
        width,
        height,
        scale,
        axis,
    } = *chart;
    let n = values.len().max(1) as f64;
    let (left, bottom) = if axis { (24.0, 16.0) } else { (0.0, 0.0) };
    let plot_w = f64::from(width) - left;
    let plot_h = f64::from(height) - bottom - if axis { 4.0 } else { 1.0 };
    let slot = plot_w / n;
    let bar = (slot * 0.7).max(1.0);
    let scale = scale.max(1) as f64;
    let mut out = String::new();
    let _ = write!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" role=\"img\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\"><title>{}</title>",
        escape(title)
    );
    if axis {
        let base = plot_h + 4.0;
        let _ = write!(
            out,
            "<line x1=\"{left}\" y1=\"{base}\" x2=\"{width}\" y2=\"{base}\" stroke=\"#8c959f\" stroke-width=\"1\"/><text x=\"{:.1}\" y=\"12\" font-size=\"10\" text-anchor=\"end\" fill=\"#57606a\">{}</text><text x=\"{:.1}\" y=\"{base}\" font-size=\"10\" text-anchor=\"end\" fill=\"#57606a\">0</text>",
            left - 4.0,
            scale as u64,
            left - 4.0
        );
    }
    for (i, &v) in values.iter().enumerate() {
        let h = if v == 0 {
            0.0
        } else {
            (v as f64 / scale * plot_h).max(1.5)
        };
        let x = left + slot * i as f64 + (slot - bar) / 2.0;
        let y = (if axis { 4.0 } else { 1.0 }) + plot_h - h;
        let label = labels.get(i).map(String::as_str).unwrap_or("");
        let _ = write!(
            out,
            "<rect class=\"bar\" data-value=\"{v}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bar:.1}\" height=\"{h:.1}\" fill=\"{}\"><title>week of {}: {v}</title></rect>",
            escape(color),
            escape(label)
        );
        if axis && (values.len() <= 12 || i % values.len().div_ceil(12) == 0) {
            let _ = write!(
                out,
                "<text x=\"{:.1}\" y=\"{}\" font-size=\"9\" text-anchor=\"middle\" fill=\"#57606a\">{}</text>",
                x + bar / 2.0,
                height - 3,
                escape(label.get(5..).unwrap_or(label))
            );
        }
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_scaled_and_labels_escaped() {
        let chart = Chart {
            title: "INV-03 <script>",
            color: "#cf222e",
            width: 60,
            height: 20,
            scale: 4,
            axis: false,
        };
        let s = bars(
            &chart,
            &[0, 2, 4],
            &["2026-02-02".into(), "2026-02-09".into(), "<b>".into()],
        );
        assert!(s.contains("&lt;script&gt;"), "{s}");
        assert!(!s.contains("<script"), "{s}");
        assert!(!s.contains("<b>"), "{s}");
        assert_eq!(s.matches("<rect").count(), 3);
        assert!(s.contains("data-value=\"4\" x=\"43.0\" y=\"1.0\""), "{s}");
    }
}
