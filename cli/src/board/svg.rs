//! The board's charts as inline SVG: no script, no fonts or images to fetch, so the page
//! renders the same on a projector, in print and offline. Every chart also writes its
//! figures as text, so colour is never the only carrier of meaning.

use std::fmt::Write;

/// Colours with enough contrast on white for a projector, in the order series use them.
pub(crate) const PALETTE: &[&str] = &[
    "#1f4e79", "#b03a2e", "#1e8449", "#b9770e", "#6c3483", "#117a65", "#5d6d7e",
];
pub(crate) const GOOD: &str = "#1e8449";
pub(crate) const WARN: &str = "#b9770e";
pub(crate) const BAD: &str = "#b03a2e";
pub(crate) const MUTED: &str = "#5d6d7e";

/// Escapes text for HTML and SVG.
pub(crate) fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One bar: its label, its value, the text written after it, its colour.
pub(crate) struct Bar<'a> {
    pub(crate) label: &'a str,
    pub(crate) value: f64,
    pub(crate) text: String,
    pub(crate) color: &'a str,
}

const WIDTH: f64 = 720.0;
const LABEL_W: f64 = 250.0;
const ROW_H: f64 = 44.0;

fn open(out: &mut String, height: f64, title: &str) {
    let _ = write!(
        out,
        r#"<svg viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{}" class="chart">"#,
        esc(title)
    );
}

/// Horizontal bars scaled to `max` (at least the largest value).
pub(crate) fn bars(title: &str, bars: &[Bar<'_>], max: f64) -> String {
    let max = bars.iter().map(|b| b.value).fold(max, f64::max).max(1e-9);
    let height = ROW_H * bars.len().max(1) as f64 + 8.0;
    let mut out = String::new();
    open(&mut out, height, title);
    // Room on the right for the figures written after each bar.
    let span = WIDTH - LABEL_W - 230.0;
    for (i, b) in bars.iter().enumerate() {
        let y = 4.0 + ROW_H * i as f64;
        let w = (b.value / max * span).max(if b.value > 0.0 { 3.0 } else { 0.0 });
        let _ = write!(
            out,
            r#"<text x="{}" y="{}" class="label" text-anchor="end">{}</text><rect x="{LABEL_W}" y="{}" width="{w:.1}" height="{}" rx="3" fill="{}"/><text x="{}" y="{}" class="value">{}</text>"#,
            LABEL_W - 10.0,
            y + ROW_H * 0.62,
            esc(&shorten(b.label, 21)),
            y + 6.0,
            ROW_H - 14.0,
            b.color,
            LABEL_W + w + 8.0,
            y + ROW_H * 0.62,
            esc(&b.text),
        );
    }
    if bars.is_empty() {
        let _ = write!(out, r#"<text x="10" y="30" class="label">none</text>"#);
    }
    out.push_str("</svg>");
    out
}

/// One segment of a stacked bar.
pub(crate) struct Segment<'a> {
    pub(crate) label: String,
    pub(crate) value: f64,
    pub(crate) color: &'a str,
}

/// One bar of `total` split into segments, each labelled below with its value.
pub(crate) fn stacked(title: &str, segments: &[Segment<'_>], total: f64) -> String {
    let total = total
        .max(segments.iter().map(|s| s.value).sum::<f64>())
        .max(1e-9);
    let rows = segments.len().div_ceil(2).max(1) as f64;
    let height = 70.0 + 40.0 * rows;
    let mut out = String::new();
    open(&mut out, height, title);
    let mut x = 10.0;
    let span = WIDTH - 20.0;
    let _ = write!(
        out,
        r##"<rect x="10" y="10" width="{span}" height="44" rx="4" fill="#eaeded"/>"##
    );
    for s in segments {
        let w = s.value / total * span;
        if w > 0.0 {
            let _ = write!(
                out,
                r#"<rect x="{x:.1}" y="10" width="{w:.1}" height="44" fill="{}"/>"#,
                s.color
            );
        }
        x += w;
    }
    for (i, s) in segments.iter().enumerate() {
        let (col, row) = ((i % 2) as f64, (i / 2) as f64);
        let lx = 10.0 + col * (WIDTH / 2.0);
        let ly = 84.0 + row * 40.0;
        let _ = write!(
            out,
            r#"<rect x="{lx}" y="{}" width="22" height="22" rx="3" fill="{}"/><text x="{}" y="{ly}" class="label">{}</text>"#,
            ly - 18.0,
            s.color,
            lx + 30.0,
            esc(&s.label)
        );
    }
    out.push_str("</svg>");
    out
}

/// Lines over `x_labels`, y from `lo` to `hi`; a `None` point breaks the line. Each
/// series is named in a legend, its points marked and its last value written.
pub(crate) fn lines(
    title: &str,
    x_labels: &[String],
    series: &[(String, Vec<Option<f64>>)],
    (lo, hi): (f64, f64),
) -> String {
    let legend_h = 34.0 * series.len() as f64;
    let (left, top, plot_w, plot_h) = (70.0, 20.0, WIDTH - 150.0, 240.0);
    let height = top + plot_h + 50.0 + legend_h;
    let mut out = String::new();
    open(&mut out, height, title);
    let y_of = |v: f64| top + (hi - v) / (hi - lo) * plot_h;
    let n = x_labels.len().max(1);
    let x_of = |i: usize| {
        if n == 1 {
            left + plot_w / 2.0
        } else {
            left + plot_w * i as f64 / (n - 1) as f64
        }
    };
    for v in [hi, (hi + lo) / 2.0, lo] {
        let _ = write!(
            out,
            r##"<line x1="{left}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#bfc9ca" stroke-width="1"/><text x="{}" y="{:.1}" class="axis" text-anchor="end">{v:+.1}</text>"##,
            left + plot_w,
            left - 8.0,
            y_of(v) + 6.0,
            y = y_of(v),
        );
    }
    for (i, l) in x_labels.iter().enumerate() {
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{}" class="axis" text-anchor="middle">{}</text>"#,
            x_of(i),
            top + plot_h + 30.0,
            esc(l)
        );
    }
    for (k, (name, points)) in series.iter().enumerate() {
        let color = PALETTE[k % PALETTE.len()];
        let dash = if k >= PALETTE.len() {
            r#" stroke-dasharray="8 5""#
        } else {
            ""
        };
        let mut path = String::new();
        let mut pen_down = false;
        for (i, p) in points.iter().enumerate() {
            match p {
                Some(v) => {
                    let _ = write!(
                        path,
                        "{}{:.1},{:.1} ",
                        if pen_down { "L" } else { "M" },
                        x_of(i),
                        y_of(v.clamp(lo, hi))
                    );
                    pen_down = true;
                }
                None => pen_down = false,
            }
        }
        let _ = write!(
            out,
            r#"<path d="{}" fill="none" stroke="{color}" stroke-width="4"{dash}/>"#,
            path.trim_end()
        );
        for (i, p) in points.iter().enumerate() {
            if let Some(v) = p {
                let _ = write!(
                    out,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="7" fill="{color}"/>"#,
                    x_of(i),
                    y_of(v.clamp(lo, hi))
                );
            }
        }
        let last = points.iter().rev().flatten().next();
        let ly = top + plot_h + 50.0 + 34.0 * k as f64 + 16.0;
        let _ = write!(
            out,
            r#"<rect x="{left}" y="{}" width="28" height="8" fill="{color}"/><text x="{}" y="{ly}" class="label">{}{}</text>"#,
            ly - 10.0,
            left + 38.0,
            esc(name),
            last.map(|v| format!(" (last {v:+.2})")).unwrap_or_default()
        );
    }
    out.push_str("</svg>");
    out
}

/// A half-ring gauge of `value` out of 100, the number in the middle.
pub(crate) fn gauge(title: &str, value: f64) -> String {
    let v = value.clamp(0.0, 100.0);
    let color = if v >= 70.0 {
        GOOD
    } else if v >= 50.0 {
        WARN
    } else {
        BAD
    };
    let (cx, cy, r) = (180.0, 170.0, 140.0);
    let angle = std::f64::consts::PI * (1.0 - v / 100.0);
    let (ex, ey) = (cx + r * angle.cos(), cy - r * angle.sin());
    let mut out = String::new();
    let _ = write!(
        out,
        r##"<svg viewBox="0 0 360 200" role="img" aria-label="{}" class="gauge"><path d="M{:.1},{cy} A{r},{r} 0 0 1 {:.1},{cy}" fill="none" stroke="#eaeded" stroke-width="34"/><path d="M{:.1},{cy} A{r},{r} 0 0 1 {ex:.1},{ey:.1}" fill="none" stroke="{color}" stroke-width="34"/><text x="{cx}" y="{}" text-anchor="middle" class="big">{v:.1}</text><text x="{cx}" y="{}" text-anchor="middle" class="axis">of 100</text></svg>"##,
        esc(title),
        cx - r,
        cx + r,
        cx - r,
        cy - 20.0,
        cy + 14.0,
    );
    out
}

/// `s` cut to `n` characters with an ellipsis.
pub(crate) fn shorten(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_long_labels_shortened() {
        assert_eq!(
            esc(r#"<b>"R&D"</b>"#),
            "&lt;b&gt;&quot;R&amp;D&quot;&lt;/b&gt;"
        );
        assert_eq!(shorten("Regulator fines after one hour", 10), "Regulator…");
        let svg = bars(
            "t",
            &[Bar {
                label: "<script>",
                value: 2.0,
                text: "2".into(),
                color: GOOD,
            }],
            0.0,
        );
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
    }

    #[test]
    fn lines_break_at_missing_points_and_name_every_series() {
        let svg = lines(
            "mood",
            &["2026-10".into(), "2026-11".into(), "2026-12".into()],
            &[("CTO".into(), vec![Some(-0.5), None, Some(0.5)])],
            (-1.0, 1.0),
        );
        // Two moves of the pen, no line drawn across the gap.
        assert_eq!(svg.matches('M').count(), 2, "{svg}");
        assert!(!svg.contains(" L"), "{svg}");
        assert!(svg.contains("CTO (last +0.50)"));
        assert_eq!(svg.matches("<circle").count(), 2);
    }
}
