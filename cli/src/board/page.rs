//! The board as one self-contained HTML page: inline CSS and SVG, no script, and a
//! Content-Security-Policy that forbids fetching anything, so it works offline, on a
//! projector (large type, high contrast) and on paper (print styles). It is made to be
//! shown to the customer, so its texts follow the customer's visibility rule (places
//! and times, no supply-chain ids) even when vendor staff generate it.

use super::svg::{self, BAD, Bar, GOOD, MUTED, PALETTE, Segment, WARN, esc};
use std::fmt::Write;
use symbolon_contracts::customers::v1 as pb;

const STYLE: &str = r#"
:root { --ink: #17202a; --muted: #5d6d7e; --line: #d5dbdb; }
* { box-sizing: border-box; }
body { margin: 0; padding: 32px 40px; font: 22px/1.4 "DejaVu Sans", "Liberation Sans", Arial, sans-serif; color: var(--ink); background: #fff; }
header { display: flex; align-items: center; gap: 40px; border-bottom: 4px solid var(--ink); padding-bottom: 16px; margin-bottom: 24px; }
header h1 { font-size: 44px; margin: 0; }
header p { margin: 4px 0 0; color: var(--muted); font-size: 24px; }
.gauge { width: 300px; flex: none; }
main { display: grid; grid-template-columns: repeat(auto-fit, minmax(720px, 1fr)); gap: 28px 40px; }
section { border: 2px solid var(--line); border-radius: 10px; padding: 18px 22px; break-inside: avoid; page-break-inside: avoid; }
section h2 { font-size: 30px; margin: 0 0 12px; }
.chart { width: 100%; height: auto; display: block; }
.label { font-size: 20px; fill: var(--ink); }
.value { font-size: 20px; fill: var(--ink); font-weight: bold; }
.axis { font-size: 18px; fill: var(--muted); }
.big { font-size: 64px; font-weight: bold; fill: var(--ink); }
ul { margin: 8px 0 0; padding-left: 26px; }
li { margin: 6px 0; }
.why { color: var(--muted); font-size: 19px; }
table { border-collapse: collapse; width: 100%; font-size: 20px; }
th, td { text-align: left; padding: 8px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 18px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
footer { margin-top: 28px; color: var(--muted); font-size: 18px; }
@media print {
  body { padding: 0; font-size: 14pt; }
  main { grid-template-columns: 1fr 1fr; gap: 12pt 18pt; }
  section { border-color: #999; }
  @page { size: A4 landscape; margin: 12mm; }
}
"#;

/// The page around `body`: the CSP allows inline styles only (no script, no fetch).
fn document(title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body>{body}</body></html>\n",
        esc(title)
    )
}

fn section(out: &mut String, title: &str, content: &str) {
    let _ = write!(out, "<section><h2>{}</h2>{content}</section>", esc(title));
}

/// Hours of a duration.
fn hours(d: &Option<prost_types::Duration>) -> Option<f64> {
    d.as_ref()
        .map(|d| d.seconds as f64 / 3600.0 + f64::from(d.nanos) / 3.6e12)
}

/// A duration in words: "45 min", "3 h 20 min", "2 d 4 h".
fn human(d: &Option<prost_types::Duration>) -> String {
    let Some(d) = d else {
        return "—".into();
    };
    let mins = (d.seconds + 59) / 60;
    match mins {
        m if m < 60 => format!("{m} min"),
        m if m < 48 * 60 => format!("{} h {} min", m / 60, m % 60),
        m => format!("{} d {} h", m / 1440, (m % 1440) / 60),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn month_label(m: &str) -> String {
    const NAMES: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    match m.split_once('-') {
        Some((y, mm)) => match mm.parse::<usize>() {
            Ok(i @ 1..=12) => format!("{} {y}", NAMES[i - 1]),
            _ => m.to_string(),
        },
        None => m.to_string(),
    }
}

/// The months of quarter `YYYY-Qn`, as `YYYY-MM`.
fn quarter_months(quarter: &str) -> Vec<String> {
    let Some((y, q)) = quarter.split_once("-Q") else {
        return Vec::new();
    };
    match q.parse::<u32>() {
        Ok(q @ 1..=4) => (0..3)
            .map(|i| format!("{y}-{:02}", (q - 1) * 3 + 1 + i))
            .collect(),
        _ => Vec::new(),
    }
}

/// One customer's quarterly board. `display_name` heads the page.
pub(crate) fn customer_board(d: &pb::TrustDashboard, display_name: &str) -> String {
    let mut body = String::new();
    let _ = write!(
        body,
        "<header>{}<div><h1>{}</h1><p>Quarterly business review · {} · trust index {:.1} of 100</p></div></header><main>",
        svg::gauge("trust index", d.trust_index),
        esc(display_name),
        esc(&d.quarter),
        d.trust_index
    );

    // The trust index and what each part contributes.
    let segments: Vec<Segment<'_>> = d
        .contributions
        .iter()
        .enumerate()
        .map(|(i, c)| Segment {
            label: format!(
                "{} {:.1} of {:.0}",
                c.input.replace('_', " "),
                c.points,
                c.weight * 100.0
            ),
            value: c.points,
            color: PALETTE[i % PALETTE.len()],
        })
        .collect();
    let mut parts = svg::stacked("trust index contributions", &segments, 100.0);
    parts.push_str("<table><tr><th>input</th><th>points</th><th>from</th></tr>");
    for c in &d.contributions {
        let _ = write!(
            parts,
            "<tr><td>{}</td><td class=\"num\">{:.1} / {:.0}</td><td class=\"why\">{}</td></tr>",
            esc(&c.input.replace('_', " ")),
            c.points,
            c.weight * 100.0,
            esc(&c.explanation)
        );
    }
    parts.push_str("</table>");
    section(
        &mut body,
        &format!("Trust index {:.1}: what each part adds", d.trust_index),
        &parts,
    );

    // Mood per key person, and overall.
    let mut months = quarter_months(&d.quarter);
    for m in d.mood_trend.iter().map(|m| &m.month).chain(
        d.key_person_moods
            .iter()
            .flat_map(|k| k.months.iter().map(|m| &m.month)),
    ) {
        if !months.contains(m) {
            months.push(m.clone());
        }
    }
    months.sort();
    let at = |of: &[pb::MonthMood]| -> Vec<Option<f64>> {
        months
            .iter()
            .map(|m| of.iter().find(|x| &x.month == m).map(|x| x.mean_valence))
            .collect()
    };
    let mut series: Vec<(String, Vec<Option<f64>>)> = d
        .key_person_moods
        .iter()
        .map(|k| {
            let who = if k.title.is_empty() {
                k.display_name.clone()
            } else {
                format!("{} ({})", k.display_name, k.title)
            };
            (who, at(&k.months))
        })
        .collect();
    series.push(("Everyone".into(), at(&d.mood_trend)));
    let labels: Vec<String> = months.iter().map(|m| month_label(m)).collect();
    let mood = svg::lines("mood trend per key person", &labels, &series, (-1.0, 1.0));
    section(
        &mut body,
        "Mood per key person (−1 angry … +1 delighted)",
        &mood,
    );

    // What worries them most.
    let worries: Vec<Bar<'_>> = d
        .top_anxieties
        .iter()
        .map(|m| Bar {
            label: &m.text,
            value: f64::from(m.count),
            text: plural(m.count as usize, "time", "times"),
            color: BAD,
        })
        .collect();
    let mut anxieties = svg::bars("most frequent strategic anxieties", &worries, 1.0);
    if !d.top_anxieties.is_empty() {
        anxieties.push_str("<ul>");
        for m in &d.top_anxieties {
            let _ = write!(
                anxieties,
                "<li>{} — {}</li>",
                esc(&m.text),
                plural(m.count as usize, "time", "times")
            );
        }
        anxieties.push_str("</ul>");
    }
    section(&mut body, "Most frequent strategic anxieties", &anxieties);

    // Incidents with their times.
    let mut rows: Vec<&pb::IncidentSummary> = d.incidents.iter().collect();
    for open in &d.open_incident_summaries {
        if !rows.iter().any(|i| i.name == open.name) {
            rows.push(open);
        }
    }
    let open_for = |i: &pb::IncidentSummary| {
        d.open_incident_summaries
            .iter()
            .find(|o| o.name == i.name)
            .and_then(|o| o.open_for)
    };
    let bars: Vec<Bar<'_>> = rows
        .iter()
        .map(|i| {
            let open = i.state == pb::IncidentState::Open as i32;
            let (value, text, color) = if open {
                let f = open_for(i);
                (hours(&f).unwrap_or(0.0), format!("open {}", human(&f)), BAD)
            } else {
                (
                    hours(&i.time_to_resolve).unwrap_or(0.0),
                    format!("TTR {}", human(&i.time_to_resolve)),
                    MUTED,
                )
            };
            Bar {
                label: &i.summary,
                value,
                text,
                color,
            }
        })
        .collect();
    let mut incidents = svg::bars("incidents, hours to resolve", &bars, 1.0);
    incidents
        .push_str("<table><tr><th>incident</th><th>severity</th><th>TTA</th><th>TTR</th></tr>");
    for i in &rows {
        let severity = pb::Severity::try_from(i.severity)
            .map(|s| {
                s.as_str_name()
                    .trim_start_matches("SEVERITY_")
                    .to_lowercase()
            })
            .unwrap_or_default();
        let ttr = if i.state == pb::IncidentState::Open as i32 {
            format!("open for {}", human(&open_for(i)))
        } else {
            human(&i.time_to_resolve)
        };
        let _ = write!(
            incidents,
            "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
            esc(&i.summary),
            esc(&severity),
            human(&i.time_to_acknowledge),
            esc(&ttr)
        );
    }
    incidents.push_str("</table>");
    let _ = write!(
        incidents,
        "<p class=\"why\">{}, {} open; mean time to acknowledge {}, to resolve {}.</p>",
        plural(rows.len(), "incident", "incidents"),
        d.open_incident_summaries.len(),
        human(&d.mean_time_to_acknowledge),
        human(&d.mean_time_to_resolve)
    );
    section(
        &mut body,
        "Incidents: time to acknowledge and to resolve",
        &incidents,
    );

    // Commitments kept, at risk, breached, and which.
    let kept = d.commitments_kept.max(d.commitments_healthy);
    let promises = [
        Segment {
            label: format!("{kept} kept"),
            value: f64::from(kept),
            color: GOOD,
        },
        Segment {
            label: format!("{} at risk", d.commitments_at_risk),
            value: f64::from(d.commitments_at_risk),
            color: WARN,
        },
        Segment {
            label: format!("{} breached", d.commitments_breached),
            value: f64::from(d.commitments_breached),
            color: BAD,
        },
    ];
    let mut commitments = svg::stacked("commitments kept, at risk, breached", &promises, 0.0);
    for (title, list) in [
        ("At risk", &d.at_risk_commitments),
        ("Breached", &d.breached_commitments),
    ] {
        if list.is_empty() {
            continue;
        }
        let _ = write!(commitments, "<p><strong>{title}</strong></p><ul>");
        for c in list.iter() {
            let _ = write!(
                commitments,
                "<li>{}<br><span class=\"why\">{}</span></li>",
                esc(&c.display_name),
                // The board is shown to the customer: their view of the supply chain,
                // whoever generated it.
                esc(&symbolon_customers::visibility::redact(&c.status_reason))
            );
        }
        commitments.push_str("</ul>");
    }
    section(&mut body, "Commitments", &commitments);

    let _ = write!(
        body,
        "</main><footer>{} · {} · generated by symbolon board; the trust index is documented in docs/trust-index.md</footer>",
        esc(&d.customer),
        esc(&d.quarter)
    );
    document(
        &format!("{display_name} · {} · trust board", d.quarter),
        &body,
    )
}

/// The portfolio ranked for attention, most in need first.
pub(crate) fn ranking_board(quarter: &str, r: &pb::RankCustomersForAttentionResponse) -> String {
    let mut body = String::new();
    let _ = write!(
        body,
        "<header><div><h1>Customers to look at first</h1><p>Portfolio · {} · {}</p></div></header><main>",
        esc(quarter),
        plural(r.customers.len(), "customer", "customers")
    );
    let bars: Vec<Bar<'_>> = r
        .customers
        .iter()
        .map(|c| Bar {
            label: &c.display_name,
            value: c.trust_index,
            text: format!("trust {:.1}", c.trust_index),
            color: if c.trust_index >= 70.0 {
                GOOD
            } else if c.trust_index >= 50.0 {
                WARN
            } else {
                BAD
            },
        })
        .collect();
    section(
        &mut body,
        "Trust index, most in need of attention first",
        &svg::bars("trust index per customer", &bars, 100.0),
    );
    let mut table =
        String::from("<table><tr><th>#</th><th>customer</th><th>attention</th><th>why</th></tr>");
    for (i, c) in r.customers.iter().enumerate() {
        let _ = write!(
            table,
            "<tr><td class=\"num\">{}</td><td>{}</td><td class=\"num\">{:.1}</td><td class=\"why\">{}</td></tr>",
            i + 1,
            esc(&c.display_name),
            c.attention,
            esc(&c.reasons.join("; "))
        );
    }
    table.push_str("</table>");
    section(&mut body, "Why", &table);
    let _ = write!(
        body,
        "</main><footer>attention = 100 − trust index + 10 × open critical incidents · generated by symbolon board</footer>"
    );
    document(&format!("Portfolio · {quarter} · attention"), &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_and_durations_read_as_words() {
        assert_eq!(
            quarter_months("2026-Q4"),
            vec!["2026-10", "2026-11", "2026-12"]
        );
        assert_eq!(month_label("2026-11"), "Nov 2026");
        let d = |s| {
            Some(prost_types::Duration {
                seconds: s,
                nanos: 0,
            })
        };
        assert_eq!(human(&d(45 * 60)), "45 min");
        assert_eq!(human(&d(3 * 3600 + 20 * 60)), "3 h 20 min");
        assert_eq!(human(&None), "—");
        assert_eq!(plural(1, "incident", "incidents"), "1 incident");
    }

    #[test]
    fn the_page_fetches_nothing_and_escapes_every_text() {
        let d = pb::TrustDashboard {
            customer: "customers/x".into(),
            quarter: "2026-Q4".into(),
            top_anxieties: vec![pb::Mention {
                text: "<img src=http://evil>".into(),
                count: 2,
            }],
            ..Default::default()
        };
        let html = customer_board(&d, "X & Co");
        assert!(html.contains("X &amp; Co"));
        assert!(!html.contains("<img"));
        assert!(!html.contains("<script"));
        assert!(html.contains("default-src 'none'"));
        // No address to fetch anything from (the escaped anxiety is text, not a URL).
        assert!(!html.contains("src=\"http"), "{html}");
        assert!(!html.contains("href="));
    }
}
